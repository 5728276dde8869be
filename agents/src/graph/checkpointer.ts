/**
 * Where the agents' LangGraph checkpoints live: node:sqlite by default (one file, no native addon),
 * PostgreSQL when DATABASE_URL is set (the official @langchain/langgraph-checkpoint-postgres saver on
 * a pg pool, in a schema of its own — AGENTS_PG_SCHEMA, default "agents" — so the service can share a
 * database with the notifier or the indexer). Either way a restarted agent resumes its thread.
 */
import pg from "pg";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { NodeSqliteSaver } from "./sqlite-checkpointer.ts";

export interface OpenCheckpointer {
  saver: BaseCheckpointSaver;
  kind: "sqlite" | "postgres";
  /** Where, for logs (a URL without its password, or the file). */
  location: string;
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** PostgreSQL connection string; when absent, node:sqlite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  /** Schema for the PostgreSQL tables (created if missing). Default "agents". */
  schema?: string | undefined;
  /** node:sqlite file. Default ".agents.sqlite". */
  sqlitePath?: string | undefined;
  /** Most pooled PostgreSQL connections. Default 4. */
  maxConnections?: number | undefined;
  /** Called with errors of idle pooled connections (an unhandled one would end the process). */
  onPoolError?: ((err: Error) => void) | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A connection string with its password replaced, safe to log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

export async function openCheckpointer(o: CheckpointerOptions = {}): Promise<OpenCheckpointer> {
  if (!o.databaseUrl) {
    const file = o.sqlitePath ?? ".agents.sqlite";
    const saver = new NodeSqliteSaver(file);
    return { saver, kind: "sqlite", location: file, close: async () => saver.close() };
  }
  const schema = o.schema ?? "agents";
  if (!SCHEMA_NAME.test(schema))
    throw new Error(
      `the PostgreSQL schema "${schema}" is not a plain lower-case identifier (letters, digits, _)`,
    );
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.maxConnections ?? 4 });
  pool.on("error", (err) => o.onPoolError?.(err));
  const saver = new PostgresSaver(pool, undefined, { schema });
  try {
    await saver.setup();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `cannot set up the checkpoint tables in PostgreSQL at ${redactUrl(o.databaseUrl)} (schema "${schema}"): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return {
    saver,
    kind: "postgres",
    location: `${redactUrl(o.databaseUrl)} schema ${schema}`,
    close: () => saver.end(),
  };
}

/** The service's checkpointer from its environment: DATABASE_URL (+ AGENTS_PG_SCHEMA) or AGENTS_DB. */
export function checkpointerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  onPoolError?: (err: Error) => void,
): Promise<OpenCheckpointer> {
  return openCheckpointer({
    databaseUrl: env.DATABASE_URL || undefined,
    schema: env.AGENTS_PG_SCHEMA || undefined,
    sqlitePath: env.AGENTS_DB || undefined,
    onPoolError,
  });
}
