/**
 * A LangGraph checkpointer on Node's built-in `node:sqlite` (no native addon), modelled on
 * MemorySaver: checkpoints and pending writes in two tables, serialised with the saver's serde
 * (JsonPlusSerializer by default). One file per agent service; an agent restarted with the same
 * `thread_id` resumes from its last checkpoint. Writes are synchronous and committed at once, so a
 * checkpoint acknowledged to LangGraph survives a SIGKILL.
 */
import { DatabaseSync } from "node:sqlite";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";

interface CheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string;
  checkpoint: Uint8Array;
  metadata: Uint8Array;
}

interface WriteRow {
  task_id: string;
  idx: number;
  channel: string;
  type: string;
  value: Uint8Array;
  task_path: string;
}

export class NodeSqliteSaver extends BaseCheckpointSaver {
  readonly db: DatabaseSync;

  constructor(path: string, serde?: SerializerProtocol) {
    super(serde);
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        type TEXT NOT NULL,
        checkpoint BLOB NOT NULL,
        metadata BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
      );
      CREATE TABLE IF NOT EXISTS writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        value BLOB NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
      );
    `);
  }

  close(): void {
    this.db.close();
  }

  async #pendingWrites(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<CheckpointPendingWrite[]> {
    const rows = this.db
      .prepare(
        `SELECT task_id, idx, channel, type, value, task_path FROM writes
         WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
      )
      .all(threadId, ns, checkpointId) as unknown as WriteRow[];
    const keyed = rows.map((r) => ({ key: writesSortKey(r.task_path, r.task_id, r.idx), r }));
    keyed.sort((a, b) => compareWritesSortKeys(a.key, b.key));
    return Promise.all(
      keyed.map(
        async ({ r }) =>
          [r.task_id, r.channel, await this.serde.loadsTyped(r.type, r.value)] as CheckpointPendingWrite,
      ),
    );
  }

  async #toTuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const tuple: CheckpointTuple = {
      config: {
        configurable: {
          thread_id: row.thread_id,
          checkpoint_ns: row.checkpoint_ns,
          checkpoint_id: row.checkpoint_id,
        },
      },
      checkpoint: (await this.serde.loadsTyped(row.type, row.checkpoint)) as Checkpoint,
      metadata: (await this.serde.loadsTyped(row.type, row.metadata)) as CheckpointMetadata,
      pendingWrites: await this.#pendingWrites(row.thread_id, row.checkpoint_ns, row.checkpoint_id),
    };
    if (row.parent_checkpoint_id) {
      tuple.parentConfig = {
        configurable: {
          thread_id: row.thread_id,
          checkpoint_ns: row.checkpoint_ns,
          checkpoint_id: row.parent_checkpoint_id,
        },
      };
    }
    return tuple;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) return undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? "";
    const id = getCheckpointId(config);
    const row = (
      id
        ? this.db
            .prepare(
              `SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`,
            )
            .get(String(threadId), ns, id)
        : this.db
            .prepare(
              `SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1`,
            )
            .get(String(threadId), ns)
    ) as CheckpointRow | undefined;
    return row ? this.#toTuple(row) : undefined;
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const where: string[] = [];
    const args: string[] = [];
    const c = config.configurable ?? {};
    if (c.thread_id !== undefined) (where.push("thread_id = ?"), args.push(String(c.thread_id)));
    if (c.checkpoint_ns !== undefined) (where.push("checkpoint_ns = ?"), args.push(String(c.checkpoint_ns)));
    if (c.checkpoint_id) (where.push("checkpoint_id = ?"), args.push(String(c.checkpoint_id)));
    const before = options?.before?.configurable?.checkpoint_id as string | undefined;
    if (before) (where.push("checkpoint_id < ?"), args.push(before));
    const sql = `SELECT * FROM checkpoints ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY checkpoint_id DESC`;
    let limit = options?.limit;
    for (const row of this.db.prepare(sql).all(...args) as unknown as CheckpointRow[]) {
      const tuple = await this.#toTuple(row);
      const filter = options?.filter;
      if (
        filter &&
        !Object.entries(filter).every(([k, v]) => (tuple.metadata as Record<string, unknown>)?.[k] === v)
      )
        continue;
      if (limit !== undefined) {
        if (limit <= 0) break;
        limit -= 1;
      }
      yield tuple;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    _newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined)
      throw new Error('cannot save a checkpoint without a "thread_id" in config.configurable');
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? "";
    const prepared = copyCheckpoint(checkpoint);
    const [[type, data], [, meta]] = await Promise.all([
      this.serde.dumpsTyped(prepared),
      this.serde.dumpsTyped(metadata),
    ]);
    this.db
      .prepare(
        `INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        String(threadId),
        ns,
        checkpoint.id,
        (config.configurable?.checkpoint_id as string | undefined) ?? null,
        type,
        data,
        meta,
      );
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    const threadId = config.configurable?.thread_id as string | undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? "";
    const checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (threadId === undefined || checkpointId === undefined)
      throw new Error('cannot save writes without "thread_id" and "checkpoint_id" in config.configurable');
    const rows = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const [type, data] = await this.serde.dumpsTyped(value);
        const idx = WRITES_IDX_MAP[channel] ?? i;
        return { channel, idx, type, data };
      }),
    );
    const ignore = this.db.prepare(
      `INSERT OR IGNORE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const replace = this.db.prepare(
      `INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.exec("BEGIN");
    try {
      for (const r of rows)
        (r.idx >= 0 ? ignore : replace).run(
          String(threadId),
          ns,
          checkpointId,
          taskId,
          r.idx,
          r.channel,
          r.type,
          r.data,
          taskPath ?? "",
        );
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  async deleteThread(threadId: string): Promise<void> {
    this.db.prepare(`DELETE FROM checkpoints WHERE thread_id = ?`).run(String(threadId));
    this.db.prepare(`DELETE FROM writes WHERE thread_id = ?`).run(String(threadId));
  }
}
