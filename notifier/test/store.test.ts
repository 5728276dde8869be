/**
 * The durable store on both databases (node:sqlite always; PostgreSQL when DATABASE_URL is set):
 * an event is queued once per recipient, channel and target; leases hand a delivery to one sender
 * at a time and come back after a crash; a reorg cancels what was not sent; and a dispatcher
 * stopped and started again over the same store delivers everything exactly once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { Address } from "viem";
import { openStore } from "../src/notifier.ts";
import { Outbox } from "../src/outbox.ts";
import { Dispatcher } from "../src/delivery/dispatcher.ts";
import { WebhookSender } from "../src/channels/webhook.ts";
import { NotifierMetrics } from "../src/metrics.ts";
import type { NotifierStore } from "../src/store/notifier-store.ts";
import type { NotifierEvent } from "../src/events.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/receivers.ts";
import { until } from "./support/chain.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const A = "0x00000000000000000000000000000000000000aa" as Address;
const B = "0x00000000000000000000000000000000000000bb" as Address;

const backends = [
  {
    name: "sqlite",
    open: () =>
      openStore({ sqlitePath: path.join(mkdtempSync(path.join(tmpdir(), "notifier-store-")), "s.sqlite") }),
  },
  ...(DATABASE_URL
    ? [
        {
          name: "postgres",
          open: () =>
            openStore({
              databaseUrl: DATABASE_URL,
              pgSchema: `notifier_test_${process.pid}_${Date.now() % 100000}`,
            }),
        },
      ]
    : []),
];

function event(key: string, recipients: Address[], block = 10n): NotifierEvent {
  return {
    key,
    type: "order_filled",
    recipients,
    vars: { side: "buy", filledKwh: "1" },
    block,
    blockHash: `0x${"1".repeat(64)}`,
    occurredAt: Date.now(),
  };
}

describe.each(backends)("store on $name", ({ open }) => {
  let store: NotifierStore;
  let outbox: Outbox;
  let hooks: WebhookReceiver;
  beforeAll(async () => {
    store = await open();
    outbox = new Outbox(store);
    hooks = await startWebhookReceiver();
  });
  afterAll(async () => {
    if (store?.db.kind === "postgres") {
      const [r] = await store.db.all("SELECT current_schema() AS s");
      await store.db.run(`DROP SCHEMA "${String(r!.s)}" CASCADE`);
    }
    await store?.db.close();
    await hooks?.close();
  });

  it("queues an event once per recipient, channel and target, following preferences", async () => {
    await store.setPreferences({
      address: A,
      email: "a@example.org",
      phone: null,
      subscriptions: { order_filled: ["email", "inapp", "webhook"] },
      lowBalanceThreshold: 5n,
    });
    await store.addWebhook(A, `${hooks.url}/a`, "s3cret");
    const e = event("k1", [A, B, A]);
    expect(await store.db.tx((db) => outbox.add(db, e))).toBe(4); // A: email, inapp, webhook; B: inapp
    expect(await store.db.tx((db) => outbox.add(db, e))).toBe(0);
    const ds = await store.deliveriesOfEvent("k1");
    expect(ds.map((d) => `${d.address.slice(-2)}:${d.channel}`).sort()).toEqual([
      "aa:email",
      "aa:inapp",
      "aa:webhook",
      "bb:inapp",
    ]);
    expect(ds.every((d) => d.status === "queued" && d.attempts === 0)).toBe(true);
    expect((await store.preferences(A))!.lowBalanceThreshold).toBe(5n);
  });

  it("leases a due delivery to one taker and takes it back after the lease", async () => {
    const t0 = Date.now();
    const first = await store.claimDue("email", 10, 1_000, t0);
    expect(first).toHaveLength(1);
    expect(await store.claimDue("email", 10, 1_000, t0 + 10)).toHaveLength(0);
    const again = await store.claimDue("email", 10, 1_000, t0 + 1_001);
    expect(again.map((d) => d.id)).toEqual(first.map((d) => d.id));
    await store.recordAttempt(
      again[0]!,
      { at: t0, ok: false, statusCode: 421, error: "try later", durationMs: 3 },
      { status: "queued", at: t0 + 5_000 },
    );
    expect(await store.delivery(first[0]!.id)).toMatchObject({
      status: "queued",
      attempts: 1,
      lastError: "try later",
      nextAttemptAt: t0 + 5_000,
    });
    expect(await store.attempts(first[0]!.id)).toEqual([
      { attempt: 1, at: t0, ok: false, statusCode: 421, error: "try later", durationMs: 3 },
    ]);
  });

  it("cancels what a deep reorg took away and leaves sent deliveries alone", async () => {
    await store.db.tx((db) => outbox.add(db, event("k2", [B], 20n)));
    const [inapp] = await store.claimDue("inapp", 10, 60_000);
    await store.recordAttempt(
      inapp!,
      { at: Date.now(), ok: true, statusCode: null, error: null, durationMs: 1 },
      { status: "sent" },
    );
    await store.db.tx((db) => outbox.add(db, event("k3", [B], 21n)));
    expect(await store.orphanAfter(20n)).toBe(1);
    expect((await store.deliveriesOfEvent("k3"))[0]).toMatchObject({
      status: "cancelled",
      lastError: "the block of this event left the chain in a reorg",
    });
    expect((await store.deliveriesOfEvent("k1")).find((d) => d.channel === "email")!.status).toBe("queued");
  });

  it("spends a SIWE nonce once and expires sessions", async () => {
    await store.addNonce("abcdefgh1234");
    expect(await store.useNonce("abcdefgh1234", 60_000)).toBe(true);
    expect(await store.useNonce("abcdefgh1234", 60_000)).toBe(false);
    expect(await store.useNonce("never-issued", 60_000)).toBe(false);
    await store.addSession("h1", A, Date.now() + 1_000);
    expect(await store.session("h1")).toBe(A);
    expect(await store.session("h1", Date.now() + 2_000)).toBeUndefined();
  });

  it("delivers 200 webhooks exactly once across a dispatcher stopped mid-run and started again", async () => {
    const metrics = new NotifierMetrics();
    const log = pino({ level: "silent" });
    const make = () =>
      new Dispatcher(
        store,
        { webhook: new WebhookSender(store, { allowPrivate: true, timeoutMs: 5_000 }) },
        log,
        metrics,
        {
          retry: { maxAttempts: 5, baseMs: 20, capMs: 200 },
          concurrency: 16,
          leaseMs: 60_000,
          pollMs: 20,
        },
      );
    await store.db.tx(async (db) => {
      for (let i = 0; i < 200; i++)
        await outbox.add(db, { ...event(`bulk-${i}`, [A]), vars: { i: String(i) } });
    });
    const before = hooks.hits.length;
    let d = make();
    d.start();
    await until("some sent", () => hooks.hits.length - before >= 40);
    await d.stop(); // graceful: sends in flight finish and are recorded
    const mid = hooks.hits.length - before;
    expect(mid).toBeLessThan(200);
    d = make();
    d.start();
    await until("all sent", () => hooks.hits.length - before >= 200 + 1, 20_000); // + the k1 webhook
    await new Promise((r) => setTimeout(r, 200));
    await d.stop();
    const keys = hooks.hits.slice(before).map((h) => String(h.headers["idempotency-key"]));
    expect(keys).toHaveLength(201);
    expect(new Set(keys).size).toBe(201);
    const sent = await store.db.all(
      "SELECT COUNT(*) AS n FROM deliveries WHERE channel = 'webhook' AND status = 'sent'",
    );
    expect(Number(sent[0]!.n)).toBe(201);
  });
});
