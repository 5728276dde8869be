/**
 * A JSON-RPC proxy at the HTTP level (node:http) between an oracle process and a chain node.
 *
 * It forwards every request verbatim and records each `eth_sendRawTransaction` (raw bytes, the
 * transaction hash, the node's answer). A trap set with `trapNextBroadcast` makes a crash land in
 * the window between broadcast and receipt: the next `eth_sendRawTransaction` is forwarded to the
 * node, and as soon as the node has accepted it (a result, not an error) the trap's `onAccepted`
 * runs (the test SIGKILLs the oracle there) and the response is never relayed: the client's
 * connection is destroyed instead. `before` runs just before that transaction is forwarded (e.g.
 * `evm_setAutomine false`, so the node keeps it pending instead of mining it at once).
 *
 * `estimateGasAt: "latest"` adds that block tag to `eth_estimateGas` calls without one: Hardhat
 * estimates against the pending block by default, geth against the latest one, and a client must
 * not depend on which (with "latest", a batch whose transaction is still pending estimates fine).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { keccak256, type Hex } from "viem";

export interface BroadcastSeen {
  /** keccak256 of the raw bytes: the transaction hash. */
  hash: Hex;
  raw: Hex;
  /** The node's `result` (the hash) or `error`; undefined while in flight. */
  result?: unknown;
  error?: unknown;
  /** Trapped: the node accepted it and the client never saw the answer. */
  trapped: boolean;
}

export interface BroadcastTrap {
  before?: () => Promise<void> | void;
  onAccepted: (hash: Hex) => Promise<void> | void;
}

interface JsonRpcRequest {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

export class RpcProxy {
  readonly target: URL;
  readonly broadcasts: BroadcastSeen[] = [];
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #trap: { trap: BroadcastTrap; resolve: (h: Hex) => void; reject: (e: Error) => void } | undefined;
  port = 0;
  /** Block tag added to `eth_estimateGas` calls that name none (undefined: forwarded as they are). */
  estimateGasAt: "latest" | "pending" | undefined;

  constructor(targetUrl: string) {
    this.target = new URL(targetUrl);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on("connection", (s) => {
      this.#sockets.add(s);
      s.once("close", () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const a = server.address();
    this.port = typeof a === "object" && a ? a.port : 0;
    this.#server = server;
  }

  /**
   * Arms a one-shot trap on the next accepted `eth_sendRawTransaction`; resolves with that
   * transaction's hash once `onAccepted` has run.
   */
  trapNextBroadcast(trap: BroadcastTrap): Promise<Hex> {
    if (this.#trap) throw new Error("a trap is already armed");
    return new Promise<Hex>((resolve, reject) => {
      this.#trap = { trap, resolve, reject };
    });
  }

  /** Broadcasts of this raw-transaction hash so far (a re-broadcast of the same bytes counts again). */
  count(hash: Hex): number {
    return this.broadcasts.filter((b) => b.hash === hash).length;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#trap?.reject(new Error("proxy closed"));
    this.#trap = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      let parsed: JsonRpcRequest | JsonRpcRequest[] | undefined;
      try {
        parsed = JSON.parse(body.toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
      } catch {
        parsed = undefined;
      }
      const calls = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed];
      let forwardBody = body;
      if (this.estimateGasAt) {
        let changed = false;
        for (const c of calls) {
          if (c.method === "eth_estimateGas" && (c.params?.length ?? 0) === 1) {
            c.params!.push(this.estimateGasAt);
            changed = true;
          }
        }
        if (changed) forwardBody = Buffer.from(JSON.stringify(parsed));
      }
      const sends = calls.filter((c) => c.method === "eth_sendRawTransaction");
      const seen: BroadcastSeen[] = sends.map((c) => {
        const raw = c.params![0] as Hex;
        return { hash: keccak256(raw), raw, trapped: false };
      });
      this.broadcasts.push(...seen);
      const armed = seen.length > 0 ? this.#trap : undefined;
      if (armed) this.#trap = undefined;
      if (armed?.trap.before) await armed.trap.before();

      const answer = await this.#forward(req, forwardBody);
      let replies: { id?: unknown; result?: unknown; error?: unknown }[] = [];
      try {
        const r = JSON.parse(answer.body.toString("utf8")) as typeof replies | (typeof replies)[number];
        replies = Array.isArray(r) ? r : [r];
      } catch {
        // not JSON: nothing to record
      }
      for (const [i, c] of sends.entries()) {
        const reply = replies.find((r) => r.id === c.id) ?? (replies.length === 1 ? replies[0] : undefined);
        seen[i]!.result = reply?.result;
        seen[i]!.error = reply?.error;
      }
      const accepted = seen.find((s) => s.result !== undefined && s.error === undefined);
      if (armed && accepted) {
        accepted.trapped = true;
        await armed.trap.onAccepted(accepted.hash);
        req.socket.destroy();
        armed.resolve(accepted.hash);
        return;
      }
      // Not accepted (or no trap): re-arm an unused trap and relay the answer.
      if (armed && !this.#trap) this.#trap = armed;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    }
  }

  #forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: this.target.hostname,
          port: this.target.port,
          path: req.url,
          method: req.method,
          headers: { "content-type": req.headers["content-type"] ?? "application/json" },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () =>
            resolve({
              status: r.statusCode ?? 502,
              headers: { "content-type": String(r.headers["content-type"] ?? "application/json") },
              body: Buffer.concat(chunks),
            }),
          );
          r.on("error", reject);
        },
      );
      up.on("error", reject);
      up.end(body);
    });
  }
}
