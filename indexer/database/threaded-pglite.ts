/**
 * PGlite on a worker thread: a drop-in `PGlite` whose Postgres — parameter serialisation,
 * execution, file I/O, row parsing — runs on its own thread (`pglite-worker.ts`), so the indexer's
 * main thread (RPC sync, decoding, handlers) no longer shares a core with the database. See
 * docs/decisions/0006-pglite-off-the-main-thread.md.
 *
 * Statements cross as one message each way: `query`, `exec` and `transaction` are PGlite's own
 * calls run by the worker's PGlite. The main side keeps PGlite's single-session discipline with the
 * same lock (a statement outside a transaction waits for the transaction in progress) and
 * PGlite's transaction semantics (BEGIN, COMMIT, ROLLBACK on a throw, `tx.rollback()`).
 * Query-option parsers (functions, which cannot cross threads) run here on the worker's raw text of
 * their types. Everything else PGlite's base class does (`describeQuery`, `sql`) goes through the
 * wire-protocol transport that PGlite implements in-thread: `execProtocol(Raw)`.
 *
 * `instanceof PGlite` holds (Ponder and drizzle test it).
 */
import { Worker } from "node:worker_threads";
import { Mutex, PGlite, messages, protocol, type QueryOptions, type Results } from "@electric-sql/pglite";
import { query as template } from "@electric-sql/pglite/template";
import type { Request, SerializedError, StatementOptions, WireResults } from "./pglite-worker.ts";

type Notify = (payload: string) => void;
type NotifyAny = (channel: string, payload: string) => void;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type ExecOptions = { syncToFs?: boolean; throwOnError?: boolean; onNotice?: (n: unknown) => void };

/** The statements of a transaction, as PGlite's `Transaction`. */
export interface ThreadedTransaction {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  sql<T>(strings: TemplateStringsArray, ...params: unknown[]): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Results[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

interface BaseInstance {
  _initArrayTypes(): Promise<void>;
}
/** PGlite's (unexported) base class: its wire-protocol query engine over an abstract transport. */
const BasePGlite = Object.getPrototypeOf(PGlite) as abstract new () => BaseInstance;

export interface ThreadedPGliteOptions {
  /** A directory on disk; in memory when absent. */
  dataDir?: string;
}

export class ThreadedPGlite extends BasePGlite {
  debug = 0;
  readonly dataDir: string | undefined;
  readonly waitReady: Promise<void>;

  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #failed: Error | undefined;
  #ready = false;
  #closing = false;
  #closed = false;
  #inTransaction = false;
  #parser = new protocol.Parser();
  #queryMutex = new Mutex();
  #transactionMutex = new Mutex();
  #listeners = new Map<string, Set<Notify>>();
  #globalListeners = new Set<NotifyAny>();

  constructor(options: ThreadedPGliteOptions = {}) {
    super();
    this.dataDir = options.dataDir;
    this.#worker = new Worker(new URL("./pglite-worker.ts", import.meta.url), {
      workerData: { dataDir: options.dataDir },
    });
    this.#worker.on(
      "message",
      (msg: {
        id: number;
        result?: unknown;
        error?: SerializedError;
        notify?: { channel: string; payload: string };
      }) => {
        if (msg.notify) return this.#dispatch(msg.notify.channel, msg.notify.payload);
        const call = this.#pending.get(msg.id);
        if (!call) return;
        this.#pending.delete(msg.id);
        if (msg.error) call.reject(deserialize(msg.error));
        else call.resolve(msg.result);
      },
    );
    const fail = (error: Error) => {
      this.#failed = error;
      for (const call of this.#pending.values()) call.reject(error);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => {
      if (!this.#closed) fail(new Error(`PGlite worker exited (code ${code})`));
    });
    this.waitReady = (async () => {
      await this.#call({ op: "ready" });
      this.#ready = true;
      await this._initArrayTypes();
    })();
  }

  #call(req: DistributiveOmit<Request, "id">, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...req, id }, transfer);
    });
  }

  #dispatch(channel: string, payload: string): void {
    for (const cb of this.#listeners.get(channel) ?? []) queueMicrotask(() => cb(payload));
    for (const cb of this.#globalListeners) queueMicrotask(() => cb(channel, payload));
  }

  get ready(): boolean {
    return this.#ready && !this.#closing && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  isInTransaction(): boolean {
    return this.#inTransaction;
  }

  // ------------------------------------------------------------------ statements, in the worker

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    await this._checkReady();
    return this._runExclusiveTransaction(() => this.#query<T>(sql, params, options));
  }

  async exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    await this._checkReady();
    return this._runExclusiveTransaction(() => this.#exec(sql, options));
  }

  async sql<T>(strings: TemplateStringsArray, ...params: unknown[]): Promise<Results<T>> {
    const { query, params: values } = template(strings, ...params);
    return this.query<T>(query, values);
  }

  async transaction<T>(callback: (tx: ThreadedTransaction) => Promise<T>): Promise<T> {
    await this._checkReady();
    return this._runExclusiveTransaction(async () => {
      await this.#exec("BEGIN");
      this.#inTransaction = true;
      let closed = false;
      const open = () => {
        if (closed) throw new Error("Transaction is closed");
      };
      const tx: ThreadedTransaction = {
        query: async (sql, params, options) => (open(), this.#query(sql, params, options)),
        sql: async (strings, ...params) => {
          open();
          const { query, params: values } = template(strings, ...params);
          return this.#query(query, values);
        },
        exec: async (sql, options) => (open(), this.#exec(sql, options)),
        rollback: async () => {
          open();
          await this.#exec("ROLLBACK");
          closed = true;
        },
        get closed() {
          return closed;
        },
      };
      try {
        const result = await callback(tx);
        if (!closed) {
          closed = true;
          await this.#exec("COMMIT");
        }
        return result;
      } catch (e) {
        if (!closed) await this.#exec("ROLLBACK");
        throw e;
      } finally {
        this.#inTransaction = false;
      }
    });
  }

  async #query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    const { wire, transfer } = await toStatementOptions(options);
    const r = (await this.#call({ op: "query", sql, params, options: wire }, transfer)) as WireResults;
    return fromWire(r, options) as Results<T>;
  }

  async #exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    const { wire, transfer } = await toStatementOptions(options);
    const rs = (await this.#call({ op: "exec", sql, options: wire }, transfer)) as WireResults[];
    return rs.map((r) => fromWire(r, options));
  }

  // ------------------------------------------------------------------ PGlite's transport, for the rest

  async execProtocolRaw(message: Uint8Array, { syncToFs = true }: ExecOptions = {}): Promise<Uint8Array> {
    return (await this.#call({ op: "protocol", message, syncToFs })) as Uint8Array;
  }

  /** As PGlite's: the raw answer parsed, errors thrown, transaction state and notifications tracked. */
  async execProtocol(
    message: Uint8Array,
    { syncToFs = true, throwOnError = true, onNotice }: ExecOptions = {},
  ): Promise<{ messages: unknown[]; data: Uint8Array }> {
    const data = await this.execProtocolRaw(message, { syncToFs });
    const out: unknown[] = [];
    this.#parser.parse(data, (msg) => {
      if (msg instanceof messages.DatabaseError) {
        this.#parser = new protocol.Parser();
        if (throwOnError) throw msg;
      } else if (msg instanceof messages.NoticeMessage) {
        onNotice?.(msg);
      } else if (msg instanceof messages.CommandCompleteMessage) {
        if (msg.text === "BEGIN") this.#inTransaction = true;
        else if (msg.text === "COMMIT" || msg.text === "ROLLBACK") this.#inTransaction = false;
      } else if (msg instanceof messages.NotificationResponseMessage) {
        this.#dispatch(msg.channel, msg.payload);
      }
      out.push(msg);
    });
    return { messages: out, data };
  }

  async syncToFs(): Promise<void> {
    // The worker's PGlite syncs after each of its statements.
  }

  async _handleBlob(blob?: Blob): Promise<void> {
    if (blob) throw new Error("ThreadedPGlite: pass `blob` to query() or exec()");
  }

  async _cleanupBlob(): Promise<void> {}

  async _getWrittenBlob(): Promise<Blob | undefined> {
    return undefined;
  }

  async _checkReady(): Promise<void> {
    if (this.#closing) throw new Error("PGlite is closing");
    if (this.#closed) throw new Error("PGlite is closed");
    if (!this.#ready) await this.waitReady;
  }

  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queryMutex.runExclusive(fn);
  }

  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.#transactionMutex.runExclusive(fn);
  }

  // ------------------------------------------------------------------ notifications, lifecycle

  async listen(channel: string, callback: Notify): Promise<() => Promise<void>> {
    if (!this.#listeners.has(channel)) this.#listeners.set(channel, new Set());
    this.#listeners.get(channel)!.add(callback);
    await this.exec(`LISTEN "${channel}"`);
    return () => this.unlisten(channel, callback);
  }

  async unlisten(channel: string, callback?: Notify): Promise<void> {
    const set = this.#listeners.get(channel);
    if (callback) set?.delete(callback);
    if (!callback || set?.size === 0) {
      await this.exec(`UNLISTEN "${channel}"`);
      this.#listeners.delete(channel);
    }
  }

  onNotification(callback: NotifyAny): () => void {
    this.#globalListeners.add(callback);
    return () => this.#globalListeners.delete(callback);
  }

  offNotification(callback: NotifyAny): void {
    this.#globalListeners.delete(callback);
  }

  async close(): Promise<void> {
    await this._checkReady();
    this.#closing = true;
    try {
      await this.#call({ op: "close" });
    } finally {
      this.#closed = true;
      this.#closing = false;
      await this.#worker.terminate();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  dumpDataDir(): never {
    throw new Error("dumpDataDir is not available on a threaded PGlite");
  }
}
// Ponder and drizzle tell PGlite from node-postgres with `instanceof PGlite`.
Object.setPrototypeOf(ThreadedPGlite.prototype, PGlite.prototype);

async function toStatementOptions(
  options: QueryOptions | undefined,
): Promise<{ wire: StatementOptions; transfer: ArrayBuffer[] }> {
  if (!options) return { wire: {}, transfer: [] };
  if (options.serializers || options.onNotice)
    throw new Error("ThreadedPGlite: the serializers and onNotice query options are not supported");
  const blob = options.blob ? await options.blob.arrayBuffer() : undefined;
  return {
    wire: {
      rowMode: options.rowMode,
      paramTypes: options.paramTypes,
      rawTypes: options.parsers ? Object.keys(options.parsers).map(Number) : undefined,
      blob,
    },
    transfer: blob ? [blob] : [],
  };
}

/** The caller's own parsers, on the raw text the worker left for their types; blob bytes → Blob. */
function fromWire(r: WireResults, options: QueryOptions | undefined): Results {
  const parsers = options?.parsers;
  if (parsers && r.rows.length > 0) {
    r.fields.forEach((field, i) => {
      const parse = parsers[field.dataTypeID];
      if (!parse) return;
      const key = options?.rowMode === "array" ? i : field.name;
      for (const row of r.rows as Record<string | number, unknown>[]) {
        const raw = row[key];
        if (raw !== null && raw !== undefined) row[key] = parse(raw as string);
      }
    });
  }
  const { blob, ...rest } = r;
  return blob ? { ...rest, blob: new Blob([blob]) } : rest;
}

function deserialize(e: SerializedError): Error {
  if (e.fields) {
    const err = new messages.DatabaseError(e.message, Number(e.fields.length ?? 0), "error");
    Object.assign(err, e.fields);
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
