/** The notifier's tables; the same DDL runs on SQLite and PostgreSQL. */
import type { Database } from "./database.ts";

const DDL = [
  `CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, block BIGINT NOT NULL, hash TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS seen_blocks (number BIGINT PRIMARY KEY, hash TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS events (
     key TEXT PRIMARY KEY, type TEXT NOT NULL, block BIGINT NOT NULL, block_hash TEXT,
     occurred_at BIGINT NOT NULL, vars TEXT NOT NULL, recipients TEXT NOT NULL,
     orphaned INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS events_block ON events (block)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
     id TEXT PRIMARY KEY, event_key TEXT NOT NULL, event_type TEXT NOT NULL, address TEXT NOT NULL,
     channel TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL, sent_at BIGINT,
     occurred_at BIGINT NOT NULL,
     UNIQUE (event_key, address, channel, target))`,
  `CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (channel, next_attempt_at) WHERE status IN ('queued', 'sending')`,
  `CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_key)`,
  `CREATE INDEX IF NOT EXISTS deliveries_address ON deliveries (address, created_at)`,
  `CREATE TABLE IF NOT EXISTS delivery_attempts (
     delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at BIGINT NOT NULL, ok INTEGER NOT NULL,
     status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL, PRIMARY KEY (delivery_id, attempt))`,
  `CREATE TABLE IF NOT EXISTS preferences (
     address TEXT PRIMARY KEY, email TEXT, phone TEXT, subscriptions TEXT NOT NULL,
     low_balance_threshold TEXT, updated_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS webhooks (
     id TEXT PRIMARY KEY, address TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
     created_at BIGINT NOT NULL, UNIQUE (address, url))`,
  `CREATE TABLE IF NOT EXISTS push_subscriptions (
     id TEXT PRIMARY KEY, address TEXT NOT NULL, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL,
     auth TEXT NOT NULL, created_at BIGINT NOT NULL, UNIQUE (address, endpoint))`,
  `CREATE TABLE IF NOT EXISTS templates (
     event_type TEXT NOT NULL, channel TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL,
     html TEXT, updated_at BIGINT NOT NULL, PRIMARY KEY (event_type, channel))`,
  `CREATE TABLE IF NOT EXISTS siwe_nonces (nonce TEXT PRIMARY KEY, issued_at BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, address TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS inapp_messages (
     id TEXT PRIMARY KEY, address TEXT NOT NULL, event_key TEXT NOT NULL, event_type TEXT NOT NULL,
     title TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS inapp_address ON inapp_messages (address, created_at)`,
];

export async function migrate(db: Database): Promise<void> {
  for (const stmt of DDL) await db.run(stmt);
}
