/**
 * The agents' checkpointers, the same tests on each backend: node:sqlite always, PostgreSQL (the
 * official saver, in a schema unique to this run, dropped afterwards) when DATABASE_URL is set.
 * A graph stopped before its side-effect node, with the saver closed and a new one opened on the
 * same store, resumes there and runs the side effect once; the history, lookups by checkpoint id,
 * `list` options and `deleteThread` behave alike on both.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { openCheckpointer, redactUrl, type OpenCheckpointer } from "../src/graph/checkpointer.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const SCHEMA = `agents_test_${process.pid}_${Date.now().toString(36)}`;
const dir = mkdtempSync(path.join(tmpdir(), "agents-ckpt-"));

const backends: { name: string; open: () => Promise<OpenCheckpointer> }[] = [
  { name: "node:sqlite", open: () => openCheckpointer({ sqlitePath: path.join(dir, "ckpt.sqlite") }) },
  ...(DATABASE_URL
    ? [{ name: "postgres", open: () => openCheckpointer({ databaseUrl: DATABASE_URL, schema: SCHEMA }) }]
    : []),
];

afterAll(async () => {
  if (!DATABASE_URL) return;
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await c.end();
});

const State = Annotation.Root({
  n: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
  sent: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
});

/** plan → send → done; `send` is the side effect (it pushes to `effects`). */
function graph(saver: BaseCheckpointSaver, effects: string[], interrupt: boolean) {
  return new StateGraph(State)
    .addNode("plan", (s) => ({ n: s.n + 1 }))
    .addNode("send", (s) => {
      effects.push(`order-${s.n}`);
      return { sent: [`order-${s.n}`] };
    })
    .addNode("done", () => ({}))
    .addEdge(START, "plan")
    .addEdge("plan", "send")
    .addEdge("send", "done")
    .addEdge("done", END)
    .compile({ checkpointer: saver, interruptBefore: interrupt ? ["send"] : [] });
}

describe.each(backends)("checkpointer on $name", ({ name, open }) => {
  const thread = `t-${name}-${Date.now()}`;
  const config = { configurable: { thread_id: thread } };

  it("a run stopped before its side effect resumes from a new saver and sends once", async () => {
    const effects: string[] = [];
    const first = await open();
    const g1 = graph(first.saver, effects, true);
    await g1.invoke({ n: 41 }, config);
    expect((await g1.getState(config)).next).toEqual(["send"]);
    expect(effects).toEqual([]);
    await first.close(); // the process is gone: only the store remains

    const second = await open();
    const g2 = graph(second.saver, effects, false);
    const s = await g2.getState(config);
    expect(s.next).toEqual(["send"]);
    expect(s.values).toMatchObject({ n: 42, sent: [] });
    const done = await g2.invoke(null, config);
    expect(done).toMatchObject({ n: 42, sent: ["order-42"] });
    expect(effects).toEqual(["order-42"]);
    // nothing left to resume: another invoke with null input does not send again
    expect((await g2.getState(config)).next).toEqual([]);
    await g2.invoke(null, config);
    expect(effects).toEqual(["order-42"]);
    await second.close();
  });

  it("lists history newest first with parents, finds a checkpoint by id, honours limit and before", async () => {
    const c = await open();
    try {
      const all = [];
      for await (const t of c.saver.list(config)) all.push(t);
      expect(all.length).toBeGreaterThanOrEqual(5);
      const ids = all.map((t) => t.config.configurable?.checkpoint_id as string);
      expect([...ids].sort().reverse()).toEqual(ids);
      expect(all[0]!.parentConfig?.configurable?.checkpoint_id).toBe(ids[1]);
      const byId = await c.saver.getTuple({
        configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: ids[2] },
      });
      expect(byId?.config.configurable?.checkpoint_id).toBe(ids[2]);
      const two = [];
      for await (const t of c.saver.list(config, { limit: 2 })) two.push(t);
      expect(two.map((t) => t.config.configurable?.checkpoint_id)).toEqual(ids.slice(0, 2));
      const older = [];
      for await (const t of c.saver.list(config, { before: all[1]!.config })) older.push(t);
      expect(older.map((t) => t.config.configurable?.checkpoint_id)).toEqual(ids.slice(2));
      const inputs = [];
      for await (const t of c.saver.list(config, { filter: { source: "input" } })) inputs.push(t);
      expect(inputs.length).toBeGreaterThanOrEqual(1);
      expect(inputs.every((t) => t.metadata?.source === "input")).toBe(true);
      expect(await c.saver.getTuple({ configurable: { thread_id: `${thread}-nobody` } })).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it("deletes a thread", async () => {
    const c = await open();
    try {
      await c.saver.deleteThread(thread);
      expect(await c.saver.getTuple(config)).toBeUndefined();
    } finally {
      await c.close();
    }
  });
});

describe("openCheckpointer", () => {
  it("refuses a schema name that is not a plain identifier, and redacts passwords", async () => {
    await expect(
      openCheckpointer({ databaseUrl: "postgres://u@127.0.0.1:1/x", schema: 'x"; drop table y; --' }),
    ).rejects.toThrow(/not a plain lower-case identifier/);
    expect(redactUrl("postgres://me:secret@db:5432/x")).toBe("postgres://me:***@db:5432/x");
  });

  it("says where it failed when PostgreSQL is unreachable, without the password", async () => {
    const err = await openCheckpointer({
      databaseUrl: "postgres://me:secret@127.0.0.1:1/nowhere",
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /cannot set up the checkpoint tables in PostgreSQL at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1/,
    );
    expect((err as Error).message).not.toMatch(/secret/);
  });
});
