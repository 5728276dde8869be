/** The email channel against a real SMTP server: text and HTML parts arrive; a refused mailbox fails for good. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmailSender } from "../src/channels/email.ts";
import type { Message } from "../src/channels/channel.ts";
import { startMailSink, type MailSink } from "./support/receivers.ts";

let sink: MailSink;
let sender: EmailSender;
beforeAll(async () => {
  sink = await startMailSink();
  sender = new EmailSender({ smtpUrl: sink.url, from: "PowerShare <notify@example.org>" });
});
afterAll(async () => {
  await sender?.close();
  await sink?.close();
});

const message = (to: string): Message => ({
  delivery: {
    id: "6f1c1c7e-0000-4000-8000-000000000001",
    eventKey: "k",
    eventType: "sale_settled",
    address: "0x00000000000000000000000000000000000000aa",
    channel: "email",
    target: to,
    status: "sending",
    attempts: 0,
    nextAttemptAt: 0,
    lastError: null,
    createdAt: 0,
    sentAt: null,
    occurredAt: 0,
  },
  event: {
    key: "k",
    type: "sale_settled",
    recipients: [],
    vars: {},
    block: 1n,
    blockHash: null,
    occurredAt: 0,
  },
  rendered: {
    subject: "Your sale settled: slashed",
    text: "Paid 0.09 USDC",
    html: "<p>Paid <b>0.09</b> USDC</p>",
  },
});

describe("email channel", () => {
  it("delivers subject, text and HTML with the delivery id as Message-ID", async () => {
    expect(await sender.send(message("seller@example.org"))).toEqual({ ok: true });
    const m = sink.mails.at(-1)!;
    expect(m.subject).toBe("Your sale settled: slashed");
    expect(m.text?.trim()).toBe("Paid 0.09 USDC");
    expect(m.html).toBe("<p>Paid <b>0.09</b> USDC</p>");
    expect(m.messageId).toBe("<6f1c1c7e-0000-4000-8000-000000000001@powershare.notifier>");
    expect(m.headers.get("x-powershare-event")).toBe("sale_settled");
  });
  it("fails for good when the server refuses the mailbox (5xx)", async () => {
    sink.refuse.add("gone@example.org");
    const r = await sender.send(message("gone@example.org"));
    expect(r).toMatchObject({ ok: false, retry: false, statusCode: 550 });
  });
});
