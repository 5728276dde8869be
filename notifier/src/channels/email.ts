/** Email over SMTP with nodemailer: a plain-text and an HTML part from the event's email template. */
import nodemailer, { type Transporter } from "nodemailer";
import type { ChannelSender, Message, SendResult } from "./channel.ts";

export interface EmailOptions {
  /** smtp://user:pass@host:port or smtps://… */
  smtpUrl: string;
  from: string;
}

export class EmailSender implements ChannelSender {
  readonly channel = "email" as const;
  private transport: Transporter;

  private opts: EmailOptions;
  constructor(opts: EmailOptions) {
    this.opts = opts;

    this.transport = nodemailer.createTransport(opts.smtpUrl, { pool: true, maxConnections: 4 } as never);
  }

  async send(m: Message): Promise<SendResult> {
    try {
      await this.transport.sendMail({
        from: this.opts.from,
        to: m.delivery.target,
        subject: m.rendered.subject,
        text: m.rendered.text,
        html: m.rendered.html,
        headers: { "X-PowerShare-Event": m.event.type, "X-PowerShare-Delivery": m.delivery.id },
        messageId: `<${m.delivery.id}@powershare.notifier>`,
      });
      return { ok: true };
    } catch (err) {
      const e = err as { responseCode?: number; message?: string };
      // 5xx SMTP replies are permanent (mailbox unknown, refused); the rest may pass later.
      const permanent = typeof e.responseCode === "number" && e.responseCode >= 500;
      return { ok: false, retry: !permanent, error: e.message ?? String(err), statusCode: e.responseCode };
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
