/**
 * Round-trip figures of a running gateway (`npm run dev` first): a temporary BAP registers itself in
 * the gateway's registry file, sends N signed discover requests one after another and times the ACK
 * and the signed on_discover callback; then it removes itself from the registry.
 *
 *   npm run bench -w @powershare/gateway [-- --url http://127.0.0.1:9480 --registry .dev/gateway/registry.json --n 20]
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateSigningKeyPair } from "../src/signing.ts";
import { startTestBap } from "../test/support/test-bap.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:9480" },
    registry: { type: "string", default: path.join(ROOT, ".dev", "gateway", "registry.json") },
    n: { type: "string", default: "20" },
  },
});
const n = Number(values.n);
if (!Number.isSafeInteger(n) || n < 1) throw new Error("--n must be a positive integer");

const health = (await fetch(`${values.url}/health`).then((r) => r.json())) as { signingPublicKey?: string };
if (!health.signingPublicKey)
  throw new Error(`${values.url}/health gives no signingPublicKey: is the gateway running?`);
const key = generateSigningKeyPair();
const id = `bap.bench.${process.pid}`;
const bap = await startTestBap({
  subscriberId: id,
  uniqueKeyId: "k1",
  privateKey: key.privateKey,
  gatewayPublicKey: () => health.signingPublicKey!,
});
type Reg = { subscribers: { subscriber_id: string }[] };
const edit = (fn: (r: Reg) => void) => {
  const reg = JSON.parse(readFileSync(values.registry!, "utf8")) as Reg;
  fn(reg);
  writeFileSync(values.registry!, JSON.stringify(reg, null, 2) + "\n");
};
edit((r) =>
  r.subscribers.push({
    subscriber_id: id,
    unique_key_id: "k1",
    type: "BAP",
    subscriber_url: bap.callbackUrl,
    signing_public_key: key.publicKey,
    status: "SUBSCRIBED",
  } as Reg["subscribers"][number]),
);
try {
  await new Promise((r) => setTimeout(r, 100)); // the registry is re-read on its next lookup
  const acks: number[] = [];
  const answers: number[] = [];
  let items = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const txn = `bench-${process.pid}-${i}`;
    const res = await bap.send(values.url!, "discover", {
      context: {
        version: "2.0.0",
        action: "discover",
        bap_id: id,
        bap_uri: bap.callbackUrl,
        transaction_id: txn,
        message_id: txn,
        timestamp: new Date().toISOString(),
      },
      message: {},
    });
    acks.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`NACK: ${JSON.stringify(res.body)}`);
    const cb = await bap.waitFor("on_discover", txn, 0, 30_000);
    answers.push(performance.now() - t0);
    const cats = ((cb.body.message as { catalogs?: { "beckn:items": unknown[] }[] }) ?? {}).catalogs ?? [];
    items = cats.reduce((a, c) => a + c["beckn:items"].length, 0);
  }
  const q = (a: number[], p: number) =>
    [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
  console.log(
    JSON.stringify(
      {
        requests: n,
        catalog_items: items,
        ack_ms_p50: +q(acks, 0.5).toFixed(1),
        ack_ms_max: +Math.max(...acks).toFixed(1),
        on_discover_ms_p50: +q(answers, 0.5).toFixed(1),
        on_discover_ms_max: +Math.max(...answers).toFixed(1),
        note: "on_discover times include up to 50 ms of the test BAP's polling",
      },
      null,
      2,
    ),
  );
} finally {
  edit((r) => (r.subscribers = r.subscribers.filter((s) => s.subscriber_id !== id)));
  await bap.close();
}
