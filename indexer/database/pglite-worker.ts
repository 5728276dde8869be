/**
 * The worker half of `threaded-pglite.ts`: one PGlite (Postgres in WebAssembly, its files on disk)
 * on its own thread. It runs whole statements — serialising parameters, executing, parsing rows —
 * so the main thread only posts a statement and receives plain rows, one message each way.
 *
 * Requests: `{ id, op, ... }`; answers: `{ id, result }` or `{ id, error }`; notifications
 * (`LISTEN`/`NOTIFY`) are forwarded as `{ notify: { channel, payload } }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite, type Results } from "@electric-sql/pglite";

/** What may cross to the worker of PGlite's query options (no functions). */
export interface StatementOptions {
  rowMode?: "array" | "object";
  paramTypes?: number[];
  /** Types the caller parses itself: returned as Postgres's text. */
  rawTypes?: number[];
  /** For `COPY … FROM '/dev/blob'`. */
  blob?: ArrayBuffer;
}

export type Request =
  | { id: number; op: "ready" }
  | { id: number; op: "query"; sql: string; params: unknown[]; options: StatementOptions }
  | { id: number; op: "exec"; sql: string; options: StatementOptions }
  | { id: number; op: "protocol"; message: Uint8Array; syncToFs: boolean }
  | { id: number; op: "close" };

/** A statement's result as it crosses back: a `COPY … TO '/dev/blob'` output as bytes. */
export type WireResults = Omit<Results, "blob"> & { blob?: ArrayBuffer };

export interface SerializedError {
  message: string;
  name: string;
  stack?: string;
  /** DatabaseError's fields (code, severity, detail, …), when Postgres raised it. */
  fields?: Record<string, unknown>;
}

if (!parentPort) throw new Error("pglite-worker.ts runs as a worker thread");
const port = parentPort;
const { dataDir } = workerData as { dataDir?: string };
const pg = new PGlite(dataDir === undefined ? {} : { dataDir });
pg.onNotification((channel, payload) => port.postMessage({ notify: { channel, payload } }));

const identity = (value: string) => value;

function queryOptions(o: StatementOptions) {
  return {
    rowMode: o.rowMode,
    paramTypes: o.paramTypes,
    parsers: o.rawTypes?.length ? Object.fromEntries(o.rawTypes.map((t) => [t, identity])) : undefined,
    blob: o.blob ? new Blob([o.blob]) : undefined,
  };
}

async function toWire(r: Results): Promise<{ result: WireResults; transfer: ArrayBuffer[] }> {
  if (!r.blob) return { result: r as WireResults, transfer: [] };
  const blob = await r.blob.arrayBuffer();
  return { result: { ...r, blob }, transfer: [blob] };
}

async function handle(req: Request): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (req.op) {
    case "ready":
      await pg.waitReady;
      return { result: null, transfer: [] };
    case "query":
      return toWire(await pg.query(req.sql, req.params, queryOptions(req.options)));
    case "exec": {
      const all = await Promise.all((await pg.exec(req.sql, queryOptions(req.options))).map(toWire));
      return { result: all.map((r) => r.result), transfer: all.flatMap((r) => r.transfer) };
    }
    case "protocol": {
      // The answer is a view into the WebAssembly heap, overwritten by the next message: copy it.
      const data = (await pg.execProtocolRaw(req.message, { syncToFs: req.syncToFs })).slice();
      return { result: data, transfer: [data.buffer as ArrayBuffer] };
    }
    case "close":
      await pg.close();
      return { result: null, transfer: [] };
  }
}

function serialize(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { message: String(e), name: "Error" };
  const own = Object.fromEntries(Object.entries(e));
  return { message: e.message, name: e.name, stack: e.stack, fields: "severity" in e ? own : undefined };
}

// One statement at a time, in arrival order: PGlite is a single session.
let queue = Promise.resolve();
port.on("message", (req: Request) => {
  queue = queue.then(async () => {
    try {
      const { result, transfer } = await handle(req);
      port.postMessage({ id: req.id, result }, transfer);
    } catch (e) {
      port.postMessage({ id: req.id, error: serialize(e) });
    }
  });
});
