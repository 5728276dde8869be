/** Runs the indexer (`ponder start`) as a child process against a chain, for tests and benchmarks. */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PONDER_NODE_FLAGS } from "../../src/lib/node-flags.ts";
import { pgliteDirs, resetDevChainState } from "../../src/lib/reset.ts";
import { INDEXER_DIR } from "./chain.ts";

export interface PonderProcess {
  url: string;
  proc: ChildProcess;
  schema: string;
  output(): string;
  /** Resolves when historical indexing is done (GET /ready is 200). */
  ready(timeoutMs?: number, pollMs?: number): Promise<void>;
  /** The latest indexed block (GET /status). */
  indexedBlock(): Promise<number>;
  waitForBlock(block: number, timeoutMs?: number, pollMs?: number): Promise<void>;
  /**
   * Reads until `ok` holds: `@ponder/client`'s /sql/db serves a repeated query from a cache that
   * a NOTIFY, on its own connection, invalidates after each block commits — so a read right after
   * `waitForBlock` may still see the block before. Throws with `what` after the timeout.
   */
  readUntil<T>(
    read: () => Promise<T>,
    ok: (value: T) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  /**
   * Resolves when `/sql/live` takes subscriptions: Ponder's live-query middleware checks each
   * second whether the app is ready and refuses them (503) until it has seen it.
   */
  liveQueriesReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface PonderOptions {
  rpcUrl: string;
  addressBook: string;
  /** PostgreSQL connection string; PGlite in a fresh temporary directory when absent. */
  databaseUrl?: string;
  schema: string;
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
  /** Copy of Ponder's whole output. */
  logFile?: string;
  /** Another Ponder app's directory (a test fixture); default the indexer. */
  root?: string;
}

export async function startPonder(opts: PonderOptions): Promise<PonderProcess> {
  const port = await freePort();
  // A fresh Hardhat chain reuses 31337 and the same addresses: no stale sync data may leak in.
  await resetDevChainState({ chainId: 31337, databaseUrl: opts.databaseUrl, schema: opts.schema });
  const pgliteDir = opts.databaseUrl ? undefined : mkdtempSync(path.join(tmpdir(), "ps-indexer-pglite-"));
  const bin = path.join(INDEXER_DIR, "..", "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PONDER_TELEMETRY_DISABLED: "true",
    POWERSHARE_NETWORK: "hardhat",
    PONDER_RPC_URL_31337: opts.rpcUrl,
    ADDRESS_BOOK: opts.addressBook,
    POLLING_INTERVAL_MS: "100",
    FORCE_COLOR: "0",
    ...opts.env,
  };
  delete env.DATABASE_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  else env.PGLITE_DIR = pgliteDir;
  const proc = spawn(
    process.execPath,
    [
      ...PONDER_NODE_FLAGS,
      bin,
      ...(opts.root ? ["--root", opts.root] : []),
      "--log-format",
      "json",
      "--log-level",
      opts.logLevel ?? "warn",
      "start",
      "--schema",
      opts.schema,
      "--port",
      String(port),
    ],
    { cwd: INDEXER_DIR, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const logFile = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  const keep = (d: Buffer) => {
    logFile?.write(d);
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;

  const self: PonderProcess = {
    url,
    proc,
    schema: opts.schema,
    output: () => out,
    async ready(timeoutMs = 300_000, pollMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`ponder exited ${proc.exitCode}:\n${out.slice(-5000)}`);
        try {
          const r = await fetch(`${url}/ready`);
          if (r.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline)
          throw new Error(`ponder not ready in ${timeoutMs} ms:\n${out.slice(-5000)}`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    async indexedBlock() {
      const r = await fetch(`${url}/status`);
      const s = (await r.json()) as Record<string, { block: { number: number } }>;
      return Object.values(s)[0]?.block.number ?? 0;
    },
    async waitForBlock(block, timeoutMs = 60_000, pollMs = 20) {
      const deadline = Date.now() + timeoutMs;
      while ((await self.indexedBlock()) < block) {
        if (proc.exitCode !== null) throw new Error(`ponder exited ${proc.exitCode}:\n${out.slice(-5000)}`);
        if (Date.now() > deadline)
          throw new Error(`ponder did not reach block ${block}:\n${out.slice(-5000)}`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    async readUntil(read, ok, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (ok(value)) return value;
        if (Date.now() > deadline) throw new Error(`the indexer never served ${what} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async liveQueriesReady(timeoutMs = 10_000) {
      // The query as @ponder/client sends it (superjson): a statement that references no table.
      const sql = encodeURIComponent(JSON.stringify({ json: { sql: "SELECT 1", params: [] } }));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const abort = new AbortController();
        const r = await fetch(`${url}/sql/live?sql=${sql}`, { signal: abort.signal });
        abort.abort();
        if (r.status === 200) return;
        if (r.status !== 503 || Date.now() > deadline)
          throw new Error(`/sql/live answered ${r.status}: ${await r.text().catch(() => "")}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          for (const dir of pgliteDir ? pgliteDirs(pgliteDir) : [])
            rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (proc.exitCode !== null) return done();
        proc.once("exit", done);
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
      }),
  };
  return self;
}
