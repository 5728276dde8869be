/**
 * ThreadedPGlite (database/threaded-pglite.ts) against PGlite itself: the same statements give the
 * same results, errors, transactions, COPY, notifications and files on disk.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PGlite, messages, types } from "@electric-sql/pglite";
import { ThreadedPGlite } from "../database/threaded-pglite.ts";

const SETUP = `
  CREATE TABLE t (id integer PRIMARY KEY, name text, amount numeric(78,0), ok boolean, doc jsonb,
                  raw bytea, at timestamp);
  INSERT INTO t VALUES (1, 'one', 123456789012345678901234567890, true, '{"a":[1,2]}', '\\x00ff',
                        '2026-11-26 10:00:00'), (2, NULL, 0, false, NULL, NULL, NULL);`;

describe("ThreadedPGlite", () => {
  let dir: string;
  let db: ThreadedPGlite;
  let ref: PGlite;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ps-threaded-pglite-"));
    db = new ThreadedPGlite({ dataDir: path.join(dir, "threaded") });
    ref = new PGlite();
    await db.exec(SETUP);
    await ref.exec(SETUP);
  });

  after(async () => {
    if (!db.closed) await db.close();
    await ref.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is a PGlite to Ponder and drizzle", () => {
    assert.ok(db instanceof PGlite);
  });

  it("returns what PGlite returns: parameters, types, row modes, affected rows", async () => {
    const q = "SELECT * FROM t WHERE id = ANY($1::int[]) OR name = $2 ORDER BY id";
    for (const rowMode of ["object", "array"] as const) {
      const [a, b] = await Promise.all([
        db.query(q, [[1, 2], "x"], { rowMode }),
        ref.query(q, [[1, 2], "x"], { rowMode }),
      ]);
      assert.deepEqual(a.rows, b.rows);
      assert.deepEqual(a.fields, b.fields);
    }
    const upd = "UPDATE t SET amount = amount + $1 WHERE id = 2";
    assert.equal((await db.query(upd, [5n])).affectedRows, (await ref.query(upd, [5n])).affectedRows);
    assert.deepEqual(
      (await db.exec("SELECT 1 AS x; SELECT 'y' AS y")).map((r) => r.rows),
      [[{ x: 1 }], [{ y: "y" }]],
    );
    assert.deepEqual((await db.sql`SELECT ${"a"}::text || ${"b"}::text AS s`).rows, [{ s: "ab" }]);
  });

  it("applies the caller's parsers, as drizzle's identity parsers for timestamps", async () => {
    const parsers = { [types.TIMESTAMP]: (v: string) => `raw:${v}` };
    const r = await db.query<{ at: string }>("SELECT at FROM t WHERE id = 1", [], { parsers });
    assert.equal(r.rows[0]!.at, "raw:2026-11-26 10:00:00");
    const d = await db.query<{ at: Date }>("SELECT at FROM t WHERE id = 1");
    assert.ok(d.rows[0]!.at instanceof Date);
  });

  it("raises Postgres errors as PGlite does, and the session goes on", async () => {
    const err = await db.query("SELECT * FROM missing").catch((e: unknown) => e);
    assert.ok(err instanceof messages.DatabaseError);
    assert.equal(err.code, "42P01");
    assert.match(err.message, /relation "missing" does not exist/);
    const dup = await db.query("INSERT INTO t (id) VALUES (1)").catch((e: unknown) => e);
    assert.equal((dup as messages.DatabaseError).code, "23505");
    assert.equal((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM t")).rows[0]!.n, 2);
  });

  it("commits a transaction, rolls back one that throws or asks to", async () => {
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id, name) VALUES ($1, $2)", [10, "ten"]);
      assert.ok(db.isInTransaction());
    });
    assert.equal(db.isInTransaction(), false);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t (id) VALUES (11)");
        throw new Error("handler failed");
      }),
      /handler failed/,
    );
    await db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t (id) VALUES (12)");
      await tx.rollback();
      assert.ok(tx.closed);
      await assert.rejects(tx.query("SELECT 1"), /Transaction is closed/);
    });
    const ids = await db.query<{ id: number }>("SELECT id FROM t ORDER BY id");
    assert.deepEqual(
      ids.rows.map((r) => r.id),
      [1, 2, 10],
    );
  });

  it("runs a statement outside a transaction only after the transaction in progress", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES (20)");
      await held;
    });
    const outside = db.query<{ n: number }>("SELECT count(*)::int AS n FROM t WHERE id = 20");
    await new Promise((r) => setTimeout(r, 50));
    release();
    await tx;
    assert.equal((await outside).rows[0]!.n, 1);
  });

  it("copies rows in from a blob, as Ponder's flush does", async () => {
    await db.query("COPY t (id, name) FROM '/dev/blob'", [], { blob: new Blob(["30\tthirty\n31\t\\N\n"]) });
    const r = await db.query("SELECT id, name FROM t WHERE id >= 30 ORDER BY id");
    assert.deepEqual(r.rows, [
      { id: 30, name: "thirty" },
      { id: 31, name: null },
    ]);
    const out = await db.query("COPY (SELECT id FROM t WHERE id >= 30 ORDER BY id) TO '/dev/blob'");
    assert.equal(await out.blob?.text(), "30\n31\n");
  });

  it("delivers notifications to listen() and onNotification()", async () => {
    const got: string[] = [];
    const all: [string, string][] = [];
    const unlisten = await db.listen("chan", (p) => got.push(p));
    const off = db.onNotification((c, p) => all.push([c, p]));
    await db.query("SELECT pg_notify('chan', 'hello')");
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ["hello"]);
    assert.deepEqual(all, [["chan", "hello"]]);
    await unlisten();
    off();
    await db.query("SELECT pg_notify('chan', 'again')");
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ["hello"]);
  });

  it("keeps its data on disk for the next PGlite, and refuses statements once closed", async () => {
    await db.close();
    await assert.rejects(db.query("SELECT 1"), /closed/);
    const again = new PGlite({ dataDir: path.join(dir, "threaded") });
    try {
      const r = await again.query<{ n: number }>("SELECT count(*)::int AS n FROM t");
      assert.equal(r.rows[0]!.n, 6);
    } finally {
      await again.close();
    }
  });
});
