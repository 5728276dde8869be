/**
 * `npm run bench:gateway` — the Beckn gateway's figures on a real local chain with the real indexer
 * (the stack of the gateway's end-to-end test: hardhat node, Ponder, the gateway, a signing test BAP
 * with its own callback server):
 *
 * - discover → on_discover: from sending the signed request to the signed callback's arrival, over
 *   a catalog of the community's resting asks (p50, p99, max);
 * - confirm → on_confirm, and confirm → order on chain (the ask's fill visible through the RPC),
 *   one select → init → confirm per ask bought;
 * - signature verifications per second (parse the Authorization header, BLAKE2b-512 digest of a
 *   confirm-sized body, ed25519 verify — what the gateway does per request), one core;
 * - tampered requests: signed, then one byte of the body changed; every one must be refused (401
 *   NACK 30016) — the count refused is printed with the count sent.
 *
 * Writes docs/benchmarks/gateway.json (unless --no-write).
 *
 *   npm run bench:gateway [-- --discovers 200 --confirms 20 --tampered 100 --asks 24]
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createPowerShare, openSlots } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, TEST_COMMUNITY } from "@powershare/contracts/sdk/testing";
import { startPonder } from "../../indexer/test/support/ponder.ts";
import { startGateway } from "../src/gateway.ts";
import { fileRegistry } from "../src/registry.ts";
import {
  authorizationHeader,
  generateSigningKeyPair,
  parseAuthorization,
  verifySignature,
} from "../src/signing.ts";
import { startTestBap } from "../test/support/test-bap.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    discovers: { type: "string", default: "200" },
    confirms: { type: "string", default: "20" },
    tampered: { type: "string", default: "100" },
    asks: { type: "string", default: "24" },
    "verify-seconds": { type: "string", default: "2" },
    "no-write": { type: "boolean", default: false },
  },
});
const int = (name: keyof typeof values, min: number) => {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`bench:gateway: --${name} must be an integer ≥ ${min}, got "${values[name]}"\n`);
    process.exit(2);
  }
  return n;
};
const N_DISCOVER = int("discovers", 1);
const N_CONFIRM = int("confirms", 1);
const N_TAMPERED = int("tampered", 1);
const N_ASKS = int("asks", 1);
const VERIFY_S = int("verify-seconds", 1);
if (N_CONFIRM > N_ASKS) {
  process.stderr.write("bench:gateway: --confirms must not exceed --asks (one confirm buys from one ask)\n");
  process.exit(2);
}

const log = (m: string) => process.stderr.write(`• ${m}\n`);
const q = (a: number[], p: number) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil(a.length * p) - 1)]!;
const ms = (x: number) => +x.toFixed(1);
const SELLERS = [1, 3, 5, 7];
const BAP_WALLET = 2;
const BPP_ID = "bpp.powershare.bench";
const CORE =
  "https://raw.githubusercontent.com/beckn/protocol-specifications-new/refs/heads/main/schema/core/v2/context.jsonld";

const t0 = Date.now();
const loadAtStart = os.loadavg()[0]!;
log("local chain");
const stack = await startTestStack();
const dir = mkdtempSync(path.join(tmpdir(), "gateway-bench-"));
const bookFile = path.join(dir, "book.json");
writeFileSync(bookFile, JSON.stringify(stack.addressBook));
const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
const communityId = await stack.createCommunity();
const meters: Record<number, number> = {};
for (const i of SELLERS) meters[i] = await stack.onboard(i, communityId, 50_000_000n, 2);
const bapMeter = await stack.onboard(BAP_WALLET, communityId, 200_000_000n, 1);
const slots = openSlots(TEST_COMMUNITY, await stack.now()).slice(1);
log(`${N_ASKS} resting asks`);
const asks: bigint[] = [];
for (let k = 0; k < N_ASKS; k++) {
  const i = SELLERS[k % SELLERS.length]!;
  const seller = createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });
  const r = await seller.place({
    communityId,
    slotStart: slots[k % slots.length]!,
    side: "sell",
    tick: 240 + (k % 7) * 5,
    amountWh: 1_000n,
    meterId: meters[i]!,
  });
  asks.push(r.result.orderId);
}

log("indexer (Ponder)");
const ponder = await startPonder({
  rpcUrl: stack.url,
  addressBook: bookFile,
  schema: `gateway_bench_${process.pid}`,
  logLevel: "warn",
});
await ponder.ready(180_000);
await ponder.waitForBlock(Number(await stack.publicClient.getBlockNumber()), 120_000);

const gatewayKey = generateSigningKeyPair();
const bapKey = generateSigningKeyPair();
const bap = await startTestBap({
  subscriberId: "bap.bench.local",
  uniqueKeyId: "k1",
  privateKey: bapKey.privateKey,
  gatewayPublicKey: () => gatewayKey.publicKey,
});
const registryFile = path.join(dir, "registry.json");
writeFileSync(
  registryFile,
  JSON.stringify({
    subscribers: [
      {
        subscriber_id: "bap.bench.local",
        unique_key_id: "k1",
        type: "BAP",
        subscriber_url: bap.callbackUrl,
        signing_public_key: bapKey.publicKey,
        status: "SUBSCRIBED",
      },
    ],
  }),
);
log("gateway");
const gw = await startGateway({
  key: { subscriberId: BPP_ID, uniqueKeyId: "k1", privateKey: gatewayKey.privateKey },
  registry: fileRegistry(registryFile),
  accounts: [{ bapId: "bap.bench.local", account: devAccount(BAP_WALLET), meters: [bapMeter] }],
  publicClient: stack.publicClient,
  walletFor: () => stack.wallet(BAP_WALLET),
  addresses: stack.addresses,
  chainId: 31337,
  indexerUrl: ponder.url,
  log: pino({ level: "silent" }),
  updateIntervalMs: 0,
  ordersFile: path.join(dir, "orders.json"),
  callback: { attempts: 2, backoffMs: 50 },
});
await gw.idle();

let seq = 0;
const ctx = (action: string, txn: string) => ({
  version: "2.0.0",
  action,
  domain: "beckn.one:deg:p2p-trading:2.0.0",
  timestamp: new Date().toISOString(),
  message_id: `${txn}-${action}-${++seq}`,
  transaction_id: txn,
  bap_id: "bap.bench.local",
  bap_uri: bap.callbackUrl,
  bpp_id: BPP_ID,
  bpp_uri: gw.url,
  ttl: "PT30S",
});

/** Sends; returns the ACK time and the callback's arrival time (ms after sending). */
async function roundTrip(action: string, body: { context: { transaction_id: string } }) {
  const since = bap.received.length;
  const start = performance.now();
  const res = await bap.send(gw.url, action, body);
  const ack = performance.now() - start;
  if (res.status !== 200) throw new Error(`${action} NACK: ${JSON.stringify(res.body)}`);
  const cb = await bap.waitFor(`on_${action}`, body.context.transaction_id, since, 60_000);
  const err = (cb.body as { error?: { message: string } }).error;
  if (err) throw new Error(`on_${action}: ${err.message}`);
  return { ack, answer: cb.at - start, body: cb.body as Record<string, any> };
}

// ---------------------------------------------------------------- discover
log(`${N_DISCOVER} discovers`);
for (let i = 0; i < 3; i++)
  await roundTrip("discover", { context: ctx("discover", `warm-${i}`), message: {} } as never);
const discoverAck: number[] = [];
const discoverAnswer: number[] = [];
let catalogItems = 0;
const itemsById = new Map<string, Record<string, any>>();
const offersById = new Map<string, Record<string, any>>();
for (let i = 0; i < N_DISCOVER; i++) {
  const r = await roundTrip("discover", { context: ctx("discover", `d-${i}`), message: {} } as never);
  discoverAck.push(r.ack);
  discoverAnswer.push(r.answer);
  const cats = (r.body.message?.catalogs ?? []) as Record<string, any>[];
  catalogItems = cats.reduce((a, c) => a + c["beckn:items"].length, 0);
  if (i === 0)
    for (const c of cats) {
      for (const it of c["beckn:items"]) itemsById.set(it["beckn:id"], it);
      for (const o of c["beckn:offers"]) offersById.set(o["beckn:items"][0], o);
    }
}
if (catalogItems < N_ASKS) throw new Error(`the catalog lists ${catalogItems} items, ${N_ASKS} asks rest`);

// ---------------------------------------------------------------- confirm
log(`${N_CONFIRM} select → init → confirm`);
const confirmAnswer: number[] = [];
const confirmOnChain: number[] = [];
for (let k = 0; k < N_CONFIRM; k++) {
  const askId = asks[k]!;
  const item = itemsById.get(`ps-ask-${askId}`)!;
  const txn = `c-${k}`;
  const order = {
    "@context": CORE,
    "@type": "beckn:Order",
    "beckn:id": `bench-order-${k}`,
    "beckn:orderStatus": "CREATED",
    "beckn:seller": item["beckn:provider"]["beckn:id"],
    "beckn:buyer": { "@context": CORE, "@type": "beckn:Buyer", "beckn:id": `household-${k}` },
    "beckn:orderItems": [
      {
        "beckn:lineId": "line-1",
        "beckn:orderedItem": item["beckn:id"],
        "beckn:quantity": { unitQuantity: 0.5, unitText: "kWh" },
        "beckn:acceptedOffer": offersById.get(item["beckn:id"]),
      },
    ],
  };
  await roundTrip("select", { context: ctx("select", txn), message: { order } } as never);
  await roundTrip("init", { context: ctx("init", txn), message: { order } } as never);
  const start = performance.now();
  let onChainAt: number | undefined;
  const watching = (async () => {
    for (;;) {
      const o = await ps.order(askId);
      if (o && o.filledWh > 0n) return (onChainAt = performance.now() - start);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const r = await roundTrip("confirm", { context: ctx("confirm", txn), message: { order } } as never);
  await Promise.race([
    watching,
    new Promise((_, no) => setTimeout(() => no(new Error("no fill on chain")), 30_000)),
  ]);
  if (r.body.message.order["beckn:orderStatus"] !== "CONFIRMED")
    throw new Error(`on_confirm says ${r.body.message.order["beckn:orderStatus"]}`);
  confirmAnswer.push(r.answer);
  confirmOnChain.push(onChainAt!);
}

// ---------------------------------------------------------------- tampered
log(`${N_TAMPERED} tampered requests`);
let tamperedRefused = 0;
for (let i = 0; i < N_TAMPERED; i++) {
  const text = JSON.stringify({ context: ctx("discover", `tamper-${i}`), message: {} });
  const auth = authorizationHeader(text, {
    subscriberId: "bap.bench.local",
    uniqueKeyId: "k1",
    privateKey: bapKey.privateKey,
  });
  const res = await fetch(`${gw.url}/beckn/discover`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: auth },
    body: text.replace(`tamper-${i}`, `tamper-${i}x`),
  });
  const body = (await res.json()) as { ackStatus?: string; error?: { code?: string } };
  if (res.status === 401 && body.ackStatus === "NACK" && body.error?.code === "30016") tamperedRefused += 1;
}

// ---------------------------------------------------------------- signature verification
log(`signature verifications for ${VERIFY_S} s`);
const sample = JSON.stringify({
  context: ctx("confirm", "verify"),
  message: {
    order: { ...JSON.parse(JSON.stringify(itemsById.values().next().value)), filler: "x".repeat(2000) },
  },
});
const header = authorizationHeader(sample, {
  subscriberId: "bap.bench.local",
  uniqueKeyId: "k1",
  privateKey: bapKey.privateKey,
});
let verified = 0;
const vStart = performance.now();
while (performance.now() - vStart < VERIFY_S * 1000) {
  for (let j = 0; j < 100; j++) verifySignature(sample, parseAuthorization(header), bapKey.publicKey);
  verified += 100;
}
const verifyPerS = verified / ((performance.now() - vStart) / 1000);

const result = {
  measured_at: new Date().toISOString(),
  command: `npm run bench:gateway -- --discovers ${N_DISCOVER} --confirms ${N_CONFIRM} --tampered ${N_TAMPERED} --asks ${N_ASKS}`,
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    load_avg_1m: { start: +loadAtStart.toFixed(1), end: +os.loadavg()[0]!.toFixed(1) },
  },
  stack:
    "hardhat node (automine) and the Ponder indexer in their own processes; the gateway and the test BAP in the bench's process; all on 127.0.0.1",
  catalog_items: catalogItems,
  discovers: N_DISCOVER,
  discover_ack_ms_p50: ms(q(discoverAck, 0.5)),
  discover_to_on_discover_ms_p50: ms(q(discoverAnswer, 0.5)),
  discover_to_on_discover_ms_p99: ms(q(discoverAnswer, 0.99)),
  discover_to_on_discover_ms_max: ms(Math.max(...discoverAnswer)),
  confirms: N_CONFIRM,
  confirm_to_on_confirm_ms_p50: ms(q(confirmAnswer, 0.5)),
  confirm_to_on_confirm_ms_max: ms(Math.max(...confirmAnswer)),
  confirm_to_order_on_chain_ms_p50: ms(q(confirmOnChain, 0.5)),
  confirm_to_order_on_chain_ms_max: ms(Math.max(...confirmOnChain)),
  signature_verifications_per_s: Math.round(verifyPerS),
  signature_sample_body_bytes: Buffer.byteLength(sample),
  tampered_sent: N_TAMPERED,
  rejected_tampered: tamperedRefused,
  wall_s: +((Date.now() - t0) / 1000).toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
if (!values["no-write"]) {
  mkdirSync(path.join(ROOT, "docs", "benchmarks"), { recursive: true });
  writeFileSync(
    path.join(ROOT, "docs", "benchmarks", "gateway.json"),
    JSON.stringify(result, null, 2) + "\n",
  );
  log("wrote docs/benchmarks/gateway.json");
}
await gw.stop();
await bap.close();
await ponder.stop();
await stack.stop();
if (tamperedRefused !== N_TAMPERED) {
  process.stderr.write(`bench:gateway: ${N_TAMPERED - tamperedRefused} tampered requests were not refused\n`);
  process.exit(1);
}
process.exit(0);
