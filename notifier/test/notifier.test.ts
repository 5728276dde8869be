/**
 * The notifier on a local chain: a trade is told to both sides on every channel (signed webhook,
 * email through a real SMTP server, Web Push decrypted as a browser would, SMS through the
 * recording provider, in-app over SSE), only after the confirmations; a reorged-out trade is never
 * told; a failing channel retries with backoff and never holds up the others; a restart tells
 * nothing twice; templates are editable; preferences are private to each signed-in address.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import webpush from "web-push";
import type { Address } from "viem";
import { devAccount } from "@powershare/contracts/sdk/testing";
import { startNotifier, type NotifierConfig, type RunningNotifier } from "../src/notifier.ts";
import { RecordingSmsProvider } from "../src/channels/sms.ts";
import { verifyWebhook } from "../src/channels/webhook.ts";
import { startMarket, until, type Market } from "./support/chain.ts";
import {
  startMailSink,
  startWebhookReceiver,
  type MailSink,
  type WebhookReceiver,
} from "./support/receivers.ts";
import { readFileSync } from "node:fs";
import { PUSH_TLS_CERT, startPushEndpoint, verifyVapid, type PushEndpoint } from "./support/push-endpoint.ts";
import { api, signIn } from "./support/siwe-client.ts";

const SELLER = 1;
const BUYER = 2;
const OTHER = 3;
const ADMIN = "operator-token-for-tests";
const HOOK = "hook-token-for-tests";
const addr = (i: number) => devAccount(i).address.toLowerCase() as Address;

let m: Market;
let mail: MailSink;
let hooks: WebhookReceiver;
let push: PushEndpoint;
let sms: RecordingSmsProvider;
let n: RunningNotifier;
let config: NotifierConfig;
const vapid = { ...webpush.generateVAPIDKeys(), subject: "mailto:ops@example.org" };
const tokens: Record<number, string> = {};
const secrets: Record<number, string> = {};

beforeAll(async () => {
  m = await startMarket({ seller: [SELLER], buyer: [BUYER, OTHER] });
  [mail, hooks, push] = await Promise.all([startMailSink(), startWebhookReceiver(), startPushEndpoint()]);
  sms = new RecordingSmsProvider();
  const dir = mkdtempSync(path.join(tmpdir(), "notifier-test-"));
  config = {
    publicClient: m.stack.publicClient,
    addresses: m.stack.addresses,
    chainId: 31337,
    sqlitePath: path.join(dir, "notifier.sqlite"),
    confirmations: 2,
    pollMs: 50,
    port: 0,
    smtp: { url: mail.url, from: "PowerShare <notify@example.org>" },
    vapid,
    pushCa: readFileSync(PUSH_TLS_CERT),
    sms,
    allowPrivateWebhooks: true,
    retry: { baseMs: 100, maxAttempts: 4 },
    adminToken: ADMIN,
    hookToken: HOOK,
    logger: pino({ level: "silent" }),
  };
  n = await startNotifier(config);
});

afterAll(async () => {
  await n?.stop();
  await Promise.all([mail?.close(), hooks?.close(), push?.close()]);
  await m?.stack.stop();
});

async function trade(amountWh: bigint, tick = 300) {
  const slot = await m.slot();
  await m.client(SELLER).place({
    communityId: m.communityId,
    slotStart: slot,
    side: "sell",
    tick,
    amountWh: 1_000n,
    meterId: m.meters[SELLER]!,
  });
  const r = await m.client(BUYER).place({
    communityId: m.communityId,
    slotStart: slot,
    side: "buy",
    tick,
    amountWh,
    meterId: m.meters[BUYER]!,
    type: "ioc",
  });
  return { slot, r };
}

describe("preferences over Sign-In with Ethereum", () => {
  it("signs in, refuses bad sign-ins, and keeps each address's preferences to itself", async () => {
    for (const i of [SELLER, BUYER, OTHER]) {
      const s = await signIn(n.url, devAccount(i));
      expect(s.status).toBe(200);
      tokens[i] = s.token!;
    }
    // Wrong domain, wrong chain, expired: refused with a sentence.
    expect((await signIn(n.url, devAccount(OTHER), { domain: "evil.example" })).error).toMatch(
      /is for evil.example, not for this notifier/,
    );
    expect((await signIn(n.url, devAccount(OTHER), { chainId: 1 })).error).toMatch(/chain 1, not 31337/);
    expect(
      (await signIn(n.url, devAccount(OTHER), { expirationTime: new Date(Date.now() - 1000) })).error,
    ).toMatch(/expired/);
    // A signed message replayed (its nonce already spent) is refused.
    const first = await signIn(n.url, devAccount(OTHER));
    const nonceMsg = first.message;
    const replay = await fetch(`${n.url}/v1/auth/verify`, {
      method: "POST",
      body: JSON.stringify({
        message: nonceMsg,
        signature: await devAccount(OTHER).signMessage({ message: nonceMsg }),
      }),
    });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toMatch(/nonce .* already used/);
    // Someone else's signature over a message naming BUYER.
    const forged = await fetch(`${n.url}/v1/auth/verify`, {
      method: "POST",
      body: JSON.stringify({
        message: nonceMsg.replace(devAccount(OTHER).address, devAccount(BUYER).address),
        signature: await devAccount(OTHER).signMessage({ message: nonceMsg }),
      }),
    });
    expect(forged.status).toBe(401);

    const buyer = api(n.url, tokens[BUYER]);
    const r = await buyer.put(`/v1/accounts/${addr(BUYER)}/preferences`, {
      email: "buyer@example.org",
      phone: "+49 151 1234567",
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ email: "buyer@example.org", phone: "+491511234567" });
    // Bad input: refused with a sentence, nothing changed.
    const bad = await buyer.put(`/v1/accounts/${addr(BUYER)}/preferences`, {
      email: "not-an-email",
      phone: "+491",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('"not-an-email" is not a valid email address');
    expect(
      (
        await buyer.put(`/v1/accounts/${addr(BUYER)}/preferences`, {
          subscriptions: { order_filled: ["pigeon"] },
        })
      ).body.error,
    ).toMatch(/unknown channel "pigeon"/);
    expect((await buyer.get(`/v1/accounts/${addr(BUYER)}/preferences`)).body.email).toBe("buyer@example.org");
    const ftp = await buyer.post(`/v1/accounts/${addr(BUYER)}/webhooks`, { url: "ftp://example.org/hook" });
    expect(ftp).toMatchObject({
      status: 400,
      body: { error: "webhook URLs must use http or https, not ftp" },
    });

    const wh = await buyer.post(`/v1/accounts/${addr(BUYER)}/webhooks`, { url: `${hooks.url}/buyer` });
    expect(wh.status).toBe(201);
    secrets[BUYER] = wh.body.secret;
    expect(
      (await buyer.post(`/v1/accounts/${addr(BUYER)}/push-subscriptions`, push.subscription)).status,
    ).toBe(201);
    expect(
      (
        await buyer.post(`/v1/accounts/${addr(BUYER)}/push-subscriptions`, {
          endpoint: push.subscription.endpoint,
          keys: { p256dh: "AAAA", auth: "x" },
        })
      ).body.error,
    ).toMatch(/65-byte P-256 public key/);

    const seller = api(n.url, tokens[SELLER]);
    const sw = await seller.post(`/v1/accounts/${addr(SELLER)}/webhooks`, { url: `${hooks.url}/seller` });
    secrets[SELLER] = sw.body.secret;
    await seller.put(`/v1/accounts/${addr(SELLER)}/preferences`, {
      email: "seller@example.org",
      subscriptions: { meter_reported: ["inapp"] },
    });

    // Nobody reads or changes another address's preferences or contacts.
    const other = api(n.url, tokens[OTHER]);
    for (const res of [
      await other.get(`/v1/accounts/${addr(BUYER)}/preferences`),
      await other.put(`/v1/accounts/${addr(BUYER)}/preferences`, { email: "thief@example.org" }),
      await other.post(`/v1/accounts/${addr(BUYER)}/webhooks`, { url: `${hooks.url}/thief` }),
      await other.get(`/v1/accounts/${addr(BUYER)}/deliveries`),
      await other.get(`/v1/accounts/${addr(BUYER)}/notifications`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/cannot read or change/);
      expect(JSON.stringify(res.body)).not.toContain("buyer@example.org");
    }
    expect((await api(n.url).get(`/v1/accounts/${addr(BUYER)}/preferences`)).status).toBe(401);
    expect((await api(n.url, "forged").get(`/v1/accounts/${addr(BUYER)}/preferences`)).status).toBe(401);
    expect((await buyer.get(`/v1/accounts/${addr(BUYER)}/preferences`)).body.email).toBe("buyer@example.org");
  });
});

describe("a trade told on every channel after the confirmations", () => {
  it("delivers to taker and maker, signed, once each, with status and delivery log", async () => {
    const stream = await fetch(`${n.url}/v1/accounts/${addr(BUYER)}/stream?token=${tokens[BUYER]}`);
    const reader = stream.body!.getReader();
    let sse = "";
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        sse += new TextDecoder().decode(value);
      }
    })();

    const { r } = await trade(400n);
    const block = r.receipt!.blockNumber;
    // One block on top is not enough (2 confirmations): nothing is told yet.
    await m.mine(1);
    await new Promise((res) => setTimeout(res, 500));
    expect(hooks.hits).toHaveLength(0);
    expect(n.source.health().confirmedTo).toBe(String(block - 1n)); // the trade's block is not confirmed yet
    await m.mine(1);

    await until("webhooks", () => hooks.hits.length >= 2);
    await until("mail", () => mail.mails.length >= 2);
    await until("push", () => push.received.length >= 1);
    await until("sms", () => sms.sent.length >= 1);
    await until("sse", () => sse.includes("event: notification"));

    const buyerHit = hooks.hits.find((h) => h.path === "/buyer")!;
    expect(verifyWebhook(secrets[BUYER]!, buyerHit.headers, buyerHit.body)).toBe(true);
    expect(verifyWebhook(secrets[SELLER]!, buyerHit.headers, buyerHit.body)).toBe(false);
    expect(verifyWebhook(secrets[BUYER]!, buyerHit.headers, buyerHit.body.replace("0.4", "4.0"))).toBe(false);
    const payload = JSON.parse(buyerHit.body);
    expect(payload).toMatchObject({
      type: "order_filled",
      address: addr(BUYER),
      data: { side: "buy", role: "taker", filledKwh: "0.4", completeness: "fully" },
    });
    expect(buyerHit.headers["idempotency-key"]).toBe(payload.id);
    const sellerHit = JSON.parse(hooks.hits.find((h) => h.path === "/seller")!.body);
    expect(sellerHit.data).toMatchObject({
      side: "sell",
      role: "maker",
      filledKwh: "0.4",
      orderKwh: "1",
      completeness: "partly",
      price: "0.3",
      value: "0.12",
    });

    const toBuyer = mail.mails.find((x) => (x.to as { text: string }).text === "buyer@example.org")!;
    expect(toBuyer.subject).toBe("Your buy order was fully filled");
    expect(toBuyer.text).toContain("0.4 kWh of your buy order");
    expect(toBuyer.html).toContain("<h2>Your buy order was fully filled</h2>");
    expect(mail.mails.find((x) => (x.to as { text: string }).text === "seller@example.org")!.subject).toBe(
      "Your sell order was partly filled",
    );

    const p = push.received[0]!;
    expect(p.headers["content-encoding"]).toBe("aes128gcm");
    expect(verifyVapid(String(p.headers.authorization), vapid.publicKey, push.url)).toMatchObject({
      sub: "mailto:ops@example.org",
    });
    expect(JSON.parse(push.decrypt(p))).toMatchObject({
      title: "Your buy order was fully filled",
      type: "order_filled",
    });

    expect(sms.sent).toEqual([
      expect.objectContaining({ to: "+491511234567", text: expect.stringContaining("0.4 kWh") }),
    ]);
    expect(sse).toContain('"title":"Your buy order was fully filled"');

    const list = await api(n.url, tokens[BUYER]).get(`/v1/accounts/${addr(BUYER)}/deliveries`);
    const channels = list.body.deliveries
      .map((d: { channel: string; status: string }) => `${d.channel}:${d.status}`)
      .sort();
    expect(channels).toEqual(["email:sent", "inapp:sent", "push:sent", "sms:sent", "webhook:sent"]);
    const one = await api(n.url, tokens[BUYER]).get(`/v1/accounts/${addr(BUYER)}/deliveries/${payload.id}`);
    expect(one.body).toMatchObject({
      status: "sent",
      attempts: 1,
      log: [{ attempt: 1, ok: true, statusCode: 204 }],
    });
    expect(
      (await api(n.url, tokens[OTHER]).get(`/v1/accounts/${addr(OTHER)}/deliveries/${payload.id}`)).status,
    ).toBe(404);
    await reader.cancel();
    await pump.catch(() => undefined);
  });

  it("retries a failing webhook with backoff while the other channels go on; fails for good with a reason", async () => {
    hooks.failing.set("/buyer", 2);
    hooks.failing.set("/seller", "always");
    const mailsBefore = mail.mails.length;
    const hitsBefore = hooks.hits.length;
    await trade(300n);
    await m.mine(2);
    await until("mail of the second trade", () => mail.mails.length >= mailsBefore + 2);
    const buyerHits = () => hooks.hits.slice(hitsBefore).filter((h) => h.path === "/buyer");
    await until("buyer webhook after two failures", () => buyerHits().length === 3);
    const ids = new Set(buyerHits().map((h) => h.headers["idempotency-key"]));
    expect(ids.size).toBe(1); // the same idempotency key on every retry
    const gaps = buyerHits()
      .map((h, i, a) => (i ? h.at - a[i - 1]!.at : 0))
      .slice(1);
    expect(gaps[0]).toBeGreaterThanOrEqual(50); // backoff ≥ base/2
    expect(gaps[1]).toBeGreaterThanOrEqual(100); // doubled
    const id = String([...ids][0]);
    await until(
      "sent status",
      async () =>
        (await api(n.url, tokens[BUYER]).get(`/v1/accounts/${addr(BUYER)}/deliveries/${id}`)).body.status ===
        "sent",
    );
    const d = (await api(n.url, tokens[BUYER]).get(`/v1/accounts/${addr(BUYER)}/deliveries/${id}`)).body;
    expect(d).toMatchObject({
      attempts: 3,
      log: [
        { ok: false, statusCode: 500 },
        { ok: false, statusCode: 500 },
        { ok: true, statusCode: 204 },
      ],
    });

    const failed = await until(
      "seller webhook failed for good",
      async () => {
        const l = (
          await api(n.url, tokens[SELLER]).get(`/v1/accounts/${addr(SELLER)}/deliveries?status=failed`)
        ).body.deliveries;
        return l.length ? l : undefined;
      },
      30_000,
    );
    expect(failed[0]).toMatchObject({
      channel: "webhook",
      attempts: 4,
      lastError: "the endpoint answered HTTP 500",
    });
    hooks.failing.clear();
  });
});

describe("reorgs and restarts", () => {
  it("never tells a trade that a reorg removed before it was confirmed", async () => {
    const before = hooks.hits.length;
    const snap = (await m.stack.publicClient.request({
      method: "evm_snapshot" as never,
      params: [] as never,
    })) as string;
    const { r } = await trade(200n);
    await m.mine(1); // one confirmation of two
    await new Promise((res) => setTimeout(res, 300));
    await m.stack.publicClient.request({ method: "evm_revert" as never, params: [snap] as never });
    await m.mine(6);
    await until(
      "confirmed past the old trade's height",
      () => BigInt(n.source.health().confirmedTo) >= r.receipt!.blockNumber + 1n,
    );
    await new Promise((res) => setTimeout(res, 500));
    expect(hooks.hits.length).toBe(before);
    expect(
      await n.store.db.all("SELECT key FROM events WHERE key LIKE ?", [
        `fill:%:${r.receipt!.transactionHash}%`,
      ]),
    ).toEqual([]);
    expect(
      await n.store.db.all("SELECT key FROM events WHERE block >= ?", [Number(r.receipt!.blockNumber)]),
    ).toEqual([]);
  });

  it("cancels unsent deliveries of blocks lost in a reorg deeper than the confirmations", async () => {
    hooks.failing.set("/buyer", "hold"); // the buyer's webhook stays in flight
    const reorgs = async () =>
      Number(
        / (\d+)$/m.exec(
          await n.metrics.registry.getSingleMetricAsString("powershare_notifier_reorgs_total"),
        )![1],
      );
    const reorgsBefore = await reorgs();
    const snap = (await m.stack.publicClient.request({
      method: "evm_snapshot" as never,
      params: [] as never,
    })) as string;
    const { r } = await trade(100n);
    await m.mine(2);
    const key = `fill:taker:${r.receipt!.transactionHash}`;
    await until(
      "event stored",
      async () => (await n.store.db.all("SELECT key FROM events WHERE key LIKE ?", [`${key}%`])).length > 0,
    );
    await m.stack.publicClient.request({ method: "evm_revert" as never, params: [snap] as never });
    await m.mine(6);
    const rows = await until("orphaned", async () => {
      const x = await n.store.db.all("SELECT key, orphaned FROM events WHERE key LIKE ?", [`${key}%`]);
      return x[0] && Number(x[0].orphaned) === 1 ? x : undefined;
    });
    expect(rows).toHaveLength(1);
    const ds = await n.store.deliveriesOfEvent(String(rows[0]!.key));
    const webhook = ds.find((d) => d.channel === "webhook")!;
    expect(webhook.status).toBe("cancelled");
    expect(webhook.lastError).toMatch(/reorg/);
    hooks.failing.clear();
    hooks.release();
    await new Promise((res) => setTimeout(res, 300));
    expect((await n.store.delivery(webhook.id))!.status).toBe("cancelled"); // the late answer changes nothing
    expect(await reorgs()).toBeGreaterThan(reorgsBefore);
  });

  it("tells nothing twice across a restart, and what happened while it was down once", async () => {
    await until("idle", async () =>
      (await n.store.counts()).every((c) => c.status !== "queued" && c.status !== "sending"),
    );
    const keysBefore = hooks.hits.map((h) => String(h.headers["idempotency-key"]));
    const eventsBefore = new Set(hooks.hits.map((h) => JSON.parse(h.body).event as string));
    await n.stop();
    await trade(150n);
    await m.mine(2);
    n = await startNotifier(config);
    await until("webhooks of the trade made while down", () => hooks.hits.length >= keysBefore.length + 2);
    await new Promise((res) => setTimeout(res, 1000)); // anything repeated would arrive now
    const newOnes = hooks.hits.slice(keysBefore.length);
    expect(newOnes.every((h) => !keysBefore.includes(String(h.headers["idempotency-key"])))).toBe(true);
    expect(newOnes.map((h) => h.path).sort()).toEqual(["/buyer", "/seller"]);
    expect(newOnes.every((h) => !eventsBefore.has(JSON.parse(h.body).event))).toBe(true);
  });
});

describe("templates and the event hook", () => {
  it("edits a template with the operator token, refuses unknown placeholders, and uses it", async () => {
    const op = api(n.url, ADMIN);
    expect(
      (await api(n.url, "nope").put("/v1/templates/order_filled/email", { subject: "x", text: "y" })).status,
    ).toBe(401);
    const bad = await op.put("/v1/templates/order_filled/email", { subject: "Hi {{nickname}}", text: "x" });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/uses \{\{nickname\}\}, which order_filled does not have/) },
    });
    const html = await op.put("/v1/templates/order_filled/sms", {
      subject: "s",
      text: "t",
      html: "<b>x</b>",
    });
    expect(html.body.error).toBe("only email templates have an html part");
    const ok = await op.put("/v1/templates/order_filled/email", {
      subject: "Filled: {{filledKwh}} kWh",
      text: "{{filledKwh}} kWh at {{price}}",
      html: "<p>{{filledKwh}} kWh in {{market}}</p>",
    });
    expect(ok.status).toBe(200);
    const before = mail.mails.length;
    await trade(250n);
    await m.mine(2);
    await until("mail", () => mail.mails.length >= before + 2);
    const got = mail.mails
      .slice(before)
      .find((x) => (x.to as { text: string }).text === "buyer@example.org")!;
    expect(got.subject).toBe("Filled: 0.25 kWh");
    expect(got.html).toContain("<p>0.25 kWh in community");
    expect((await op.del("/v1/templates/order_filled/email")).body).toMatchObject({
      custom: false,
      subject: "Your {{side}} order was {{completeness}} filled",
    });
  });

  it("publishes an agent action once per key through the typed hook", async () => {
    const body = {
      type: "agent_action",
      key: "run-7",
      address: addr(OTHER),
      agent: "battery-1",
      action: "sold 2 kWh",
      detail: "price above the floor",
    };
    expect((await api(n.url, "wrong").post("/v1/hooks/events", body)).status).toBe(401);
    expect((await api(n.url, HOOK).post("/v1/hooks/events", { ...body, address: "0x12" })).body.error).toBe(
      '"0x12" is not an Ethereum address',
    );
    expect((await api(n.url, HOOK).post("/v1/hooks/events", body)).body).toMatchObject({ deliveries: 1 });
    expect((await api(n.url, HOOK).post("/v1/hooks/events", body)).body).toMatchObject({ deliveries: 0 });
    const inbox = await until("in-app", async () => {
      const l = (await api(n.url, tokens[OTHER]).get(`/v1/accounts/${addr(OTHER)}/notifications`)).body
        .notifications;
      return l.length ? l : undefined;
    });
    expect(inbox).toEqual([
      expect.objectContaining({ title: "Agent battery-1: sold 2 kWh", eventType: "agent_action" }),
    ]);
  });

  it("answers the dApp's CORS preflight", async () => {
    const r = await fetch(`${n.url}/v1/accounts/${addr(BUYER)}/preferences`, {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:3000", "access-control-request-method": "PUT" },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("serves health and Prometheus metrics", async () => {
    const h = await fetch(`${n.url}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ healthy: true, confirmations: 2, database: "sqlite" });
    const text = await (await fetch(`${n.url}/metrics`)).text();
    expect(text).toMatch(/powershare_notifier_deliveries\{channel="webhook",status="sent"\} [1-9]/);
    expect(text).toMatch(/powershare_notifier_events_total\{type="order_filled"\} [1-9]/);
  });
});
