/**
 * The notifier's durable store behind one small SQL interface, so that the same queries run on
 * node:sqlite (built into Node 24, the default) and on PostgreSQL (when DATABASE_URL is set).
 * Queries are written with `?` placeholders; the PostgreSQL driver numbers them.
 */
import { DatabaseSync } from "node:sqlite";
import pg from "pg";

export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;

export interface Database {
  readonly kind: "sqlite" | "postgres";
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs `fn` in one transaction; other statements wait until it commits or rolls back. */
  tx<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A promise chain that lets one holder at a time run (node:sqlite has one connection). */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

export function openSqlite(file: string): Database {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  const mutex = new Mutex();
  // Prepared statements, one per SQL text (the notifier's SQL is a small fixed set).
  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const prepare = (sql: string) => {
    let st = statements.get(sql);
    if (!st) {
      st = db.prepare(sql);
      if (statements.size < 500) statements.set(sql, st);
    }
    return st;
  };
  const direct = (inTx: boolean): Database => ({
    kind: "sqlite",
    all: <T extends Row>(sql: string, params: readonly SqlValue[] = []) => {
      const exec = () => Promise.resolve(prepare(sql).all(...(params as SqlValue[])) as T[]);
      return inTx ? exec() : mutex.lock(exec);
    },
    run: (sql, params = []) => {
      const exec = () => {
        const r = prepare(sql).run(...(params as SqlValue[]));
        return Promise.resolve({ changes: Number(r.changes) });
      };
      return inTx ? exec() : mutex.lock(exec);
    },
    tx: (fn) => {
      if (inTx) return fn(direct(true));
      return mutex.lock(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const out = await fn(direct(true));
          db.exec("COMMIT");
          return out;
        } catch (err) {
          db.exec("ROLLBACK");
          throw err;
        }
      });
    },
    close: async () => {
      await mutex.lock(async () => db.close());
    },
  });
  return direct(false);
}

/** `?` placeholders to PostgreSQL's `$n` (no `?` appears inside the notifier's string literals). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/** int8 and numeric come back as strings from pg; the store converts where it reads them. */
export function openPostgres(url: string, schema: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on("connect", (c) => {
    void c.query(`SET search_path TO "${schema}"`);
  });
  const on = (q: pg.Pool | pg.PoolClient): Database => ({
    kind: "postgres",
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      (await q.query(numbered(sql), params as unknown[])).rows as T[],
    run: async (sql, params = []) => ({
      changes: (await q.query(numbered(sql), params as unknown[])).rowCount ?? 0,
    }),
    tx: async (fn) => {
      if (q !== pool) return fn(on(q));
      const client = await pool.connect();
      try {
        await client.query(`SET search_path TO "${schema}"`);
        await client.query("BEGIN");
        const out = await fn(on(client));
        await client.query("COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  });
  return on(pool);
}

/** Creates the schema (PostgreSQL) before the pool's connections select it. */
export async function ensurePostgresSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await c.end();
  }
}
