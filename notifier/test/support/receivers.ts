/** Test receivers: a webhook endpoint and an in-process SMTP server whose mail is parsed. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";

export interface WebhookHit {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  hits: WebhookHit[];
  /** Paths answering 500 (always) or a number of failures left. */
  failing: Map<string, number | "always" | "hold">;
  /** Answers 500 to every request held by a "hold" path. */
  release(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hits: WebhookHit[] = [];
  const failing = new Map<string, number | "always" | "hold">();
  const held: import("node:http").ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const f = failing.get(path);
      if (f === "hold") {
        held.push(res);
        return;
      }
      if (f === "always" || (typeof f === "number" && f > 0)) {
        if (typeof f === "number") failing.set(path, f - 1);
        hits.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
        res.writeHead(500).end("down");
        return;
      }
      hits.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    failing,
    release: () => {
      for (const r of held.splice(0)) r.writeHead(500).end("late");
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface MailSink {
  url: string;
  mails: ParsedMail[];
  /** Recipients whose mail is refused with a 550. */
  refuse: Set<string>;
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const mails: ParsedMail[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(addr, _s, cb) {
      if (refuse.has(addr.address)) {
        const e = new Error("mailbox unavailable") as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, _s, cb) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
