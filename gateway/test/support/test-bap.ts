/**
 * A test BAP: signs its requests with its own ed25519 key, runs its own callback server that checks
 * the gateway's signature on every on_* callback (refusing bad ones with a NACK), and keeps what
 * arrived so tests can wait for the answer to a transaction.
 */
import { createServer, type Server } from "node:http";
import { authorizationHeader, parseAuthorization, verifySignature } from "../../src/signing.ts";

export interface Received {
  action: string;
  body: Record<string, unknown>;
  raw: string;
  /** performance.now() when the callback arrived (for latency figures). */
  at: number;
}

export interface TestBap {
  subscriberId: string;
  uniqueKeyId: string;
  privateKey: string;
  callbackUrl: string;
  received: Received[];
  /** Callbacks refused because the gateway's signature did not verify. */
  refused: { action: string; why: string }[];
  send(
    gatewayUrl: string,
    action: string,
    body: unknown,
    opts?: {
      created?: number;
      ttlSeconds?: number;
      signAs?: { subscriberId: string; uniqueKeyId: string; privateKey: string };
    },
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  /** The first callback `action` for `transactionId` after `since` (index in `received`). */
  waitFor(action: string, transactionId: string, since?: number, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export async function startTestBap(opts: {
  subscriberId: string;
  uniqueKeyId: string;
  privateKey: string;
  /** The gateway's public key, to check its callbacks. */
  gatewayPublicKey: () => string;
}): Promise<TestBap> {
  const received: Received[] = [];
  const refused: { action: string; why: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const action = (req.url ?? "").split("/").pop() ?? "";
      try {
        verifySignature(raw, parseAuthorization(req.headers.authorization), opts.gatewayPublicKey());
      } catch (err) {
        refused.push({ action, why: (err as Error).message });
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ ackStatus: "NACK" }));
        return;
      }
      const body = JSON.parse(raw) as Record<string, unknown>;
      received.push({ action, body, raw, at: performance.now() });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          transactionId: (body.context as { transaction_id?: string })?.transaction_id ?? "",
          timestamp: new Date().toISOString(),
          ackStatus: "ACK",
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const callbackUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/beckn`;
  return {
    ...opts,
    callbackUrl,
    received,
    refused,
    async send(gatewayUrl, action, body, o = {}) {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      const key = o.signAs ?? opts;
      const res = await fetch(`${gatewayUrl}/beckn/${action}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: authorizationHeader(text, key, {
            ...(o.created ? { created: o.created } : {}),
            ttlSeconds: o.ttlSeconds ?? 60,
          }),
        },
        body: text,
      });
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown>,
        headers: res.headers,
      };
    },
    async waitFor(action, transactionId, since = 0, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = received
          .slice(since)
          .find(
            (r) =>
              r.action === action &&
              (r.body.context as { transaction_id?: string }).transaction_id === transactionId,
          );
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no ${action} for ${transactionId} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
