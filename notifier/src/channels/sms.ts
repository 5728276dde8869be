/**
 * SMS behind a provider interface. Providers: `recording` (keeps messages in memory: tests, dev),
 * `twilio` (Twilio's Messages API; TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SMS_FROM, TWILIO_API_URL).
 */
import type { ChannelSender, Message, SendResult } from "./channel.ts";

export interface SmsProvider {
  readonly name: string;
  /** Resolves with the provider's message id; rejects with `SmsError`. */
  send(to: string, text: string): Promise<string>;
}

export class SmsError extends Error {
  readonly retry: boolean;
  readonly statusCode?: number;
  constructor(message: string, retry: boolean, statusCode?: number) {
    super(message);
    this.retry = retry;
    this.statusCode = statusCode;
  }
}

export class RecordingSmsProvider implements SmsProvider {
  readonly name = "recording";
  readonly sent: { to: string; text: string; id: string }[] = [];
  /** Numbers that fail (tests of retries and of channel isolation). */
  failing = new Set<string>();
  async send(to: string, text: string): Promise<string> {
    if (this.failing.has(to)) throw new SmsError(`the provider refused ${to} (test)`, true);
    const id = `rec-${this.sent.length + 1}`;
    this.sent.push({ to, text, id });
    return id;
  }
}

export class TwilioSmsProvider implements SmsProvider {
  readonly name = "twilio";
  private o: { accountSid: string; authToken: string; from: string; apiUrl?: string | undefined };
  constructor(o: { accountSid: string; authToken: string; from: string; apiUrl?: string | undefined }) {
    this.o = o;
  }
  async send(to: string, text: string): Promise<string> {
    const base = this.o.apiUrl ?? "https://api.twilio.com";
    const r = await fetch(
      `${base}/2010-04-01/Accounts/${encodeURIComponent(this.o.accountSid)}/Messages.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${this.o.accountSid}:${this.o.authToken}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ To: to, From: this.o.from, Body: text }),
        signal: AbortSignal.timeout(10_000),
      },
    ).catch((err: unknown) => {
      throw new SmsError(`the SMS provider is unreachable: ${(err as Error).message}`, true);
    });
    const body = (await r.json().catch(() => ({}))) as { sid?: string; message?: string };
    if (!r.ok)
      throw new SmsError(
        `the SMS provider answered HTTP ${r.status}: ${body.message ?? ""}`.trim(),
        r.status >= 500 || r.status === 429,
        r.status,
      );
    return body.sid ?? "";
  }
}

/** The provider named by SMS_PROVIDER (none when unset: SMS deliveries then fail with a reason). */
export function smsProviderFromEnv(env: NodeJS.ProcessEnv): SmsProvider | undefined {
  const name = env.SMS_PROVIDER;
  if (!name) return undefined;
  if (name === "recording") return new RecordingSmsProvider();
  if (name === "twilio") {
    const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, SMS_FROM: from } = env;
    if (!accountSid || !authToken || !from)
      throw new Error("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM");
    return new TwilioSmsProvider({ accountSid, authToken, from, apiUrl: env.TWILIO_API_URL });
  }
  throw new Error(`unknown SMS_PROVIDER "${name}"; one of recording, twilio`);
}

export class SmsSender implements ChannelSender {
  readonly channel = "sms" as const;
  private provider: SmsProvider;
  constructor(provider: SmsProvider) {
    this.provider = provider;
  }
  async send(m: Message): Promise<SendResult> {
    try {
      await this.provider.send(m.delivery.target, m.rendered.text.slice(0, 640));
      return { ok: true };
    } catch (err) {
      if (err instanceof SmsError)
        return { ok: false, retry: err.retry, error: err.message, statusCode: err.statusCode };
      return { ok: false, retry: true, error: (err as Error).message };
    }
  }
}
