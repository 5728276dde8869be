/**
 * The oracle killed in the window between broadcasting a report transaction and seeing its receipt,
 * on a real local chain (a private `hardhat node`, the protocol deployed, account 9 the k = 1 signer).
 *
 * An HTTP-level JSON-RPC proxy (test/support/rpc-proxy.ts) sits between the oracle process and the
 * node (for the pending case it also makes the node estimate gas against the latest block, as geth
 * does, not the pending one). It forwards the oracle's first `eth_sendRawTransaction`, and as soon as the node has accepted
 * it the oracle is SIGKILLed instead of getting the answer: the transaction is in the node, the
 * oracle never learnt that. The oracle is then restarted on the same data directory.
 *
 * - mined: the node mines the transaction on arrival (automine).
 * - pending: the proxy turns automine off just before forwarding it, so the transaction is still in
 *   the mempool when the oracle restarts; the test mines it a few seconds later.
 *
 * Both end with every meter-slot reported on chain exactly once with its exact Wh (reportOf and
 * MeterReported counts), every oracle transaction successful, exactly one transaction per batch,
 * and no second transaction for the reports of the interrupted one: the restarted oracle may only
 * re-broadcast the very same signed bytes (same hash, same nonce). Its store ends with every batch
 * confirmed, the interrupted one under the transaction hash that carried it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { decodeFunctionData, parseTransaction, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { deviceAccount } from "../src/sim/keys.ts";
import { EXTERNAL_MQTT_URL, connectPublisher, dropSession, freePort, tempDir, until } from "./helpers.ts";
import {
  METER_KIND,
  accountAt,
  deployStack,
  marketAbi,
  settlementAbi,
  startHardhatNode,
  certifiedMeterCall,
  registrarCall,
  type Call,
  type HardhatNode,
  type Stack,
} from "./support/chain.ts";
import { slotReadings, streamReadings, type MeterPlan, type SlotReadings } from "./support/meters.ts";
import { chainOracleEnv, startOracleProcess, type OracleProcess } from "./support/oracle-process.ts";
import { RpcProxy } from "./support/rpc-proxy.ts";

const SLOT = 12; // seconds
const GRACE = 2;
const REPORT_WINDOW = 600;
const CAPACITY_W = 200_000;
const METERS = 8;
const PER_BATCH = 2; // (240k - 120k) / 60k
const SEED = `chain-crash-${process.pid}-${Date.now()}`;
const ORACLE = accountAt(9).address;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("oracle killed between broadcast and receipt", { timeout: 240_000 }, () => {
  const dir = tempDir("oracle-chain-crash-");
  const sessions: string[] = [];
  let node: HardhatNode;
  let stack: Stack;
  let proc: OracleProcess | undefined;
  const communities: Record<"mined" | "pending", { id: number; meters: MeterPlan[] }> = {} as never;

  before(async () => {
    node = await startHardhatNode(await freePort());
    stack = await deployStack(node.url, REPORT_WINDOW);
    const names = ["mined", "pending"] as const;
    const params = {
      slotLength: SLOT,
      gateLead: 2,
      horizon: 3_600,
      tickSize: 1_000n,
      minOrderWh: 10n,
      bondPerKwh: 100_000n,
      feeBps: 200,
      priceFeed: "0x0000000000000000000000000000000000000000",
      bandBps: 0,
      maxFeedAge: 0,
    };
    // The creator names the test registrar of each new community in the same block (nonce order).
    const firstId = Number(await stack.read<number>(stack.market, marketAbi, "communityCount", [])) + 1;
    const created = await stack.batch([
      ...names.map((n) => ({
        to: stack.market,
        abi: marketAbi,
        functionName: "createCommunity",
        args: [n, params],
        from: 0,
      })),
      ...names.map((_, j) => registrarCall(stack.settlement, firstId + j)),
    ]);
    const ids = created
      .filter((e) => e.eventName === "CommunityCreated")
      .map((e) => Number(e.args.communityId));
    assert.equal(ids.length, names.length);
    let key = 0;
    const devices = new Map<string, PrivateKeyAccount>();
    const calls: Call[] = [];
    for (const id of ids) {
      for (let i = 0; i < METERS; i++) {
        const device = deviceAccount(SEED, ++key);
        devices.set(device.address.toLowerCase(), device);
        calls.push(
          await certifiedMeterCall(
            stack.settlement,
            { communityId: id, kind: METER_KIND.producer, capacityW: CAPACITY_W, deviceKey: device.address },
            0,
          ),
        );
      }
    }
    const registered = (await stack.batch(calls)).filter((e) => e.eventName === "MeterRegistered");
    assert.equal(registered.length, names.length * METERS);
    for (const [i, n] of names.entries()) communities[n] = { id: ids[i]!, meters: [] };
    for (const e of registered.sort((a, b) => Number(a.args.meterId) - Number(b.args.meterId))) {
      const c = Object.values(communities).find((x) => x.id === Number(e.args.communityId))!;
      c.meters.push({
        meterId: Number(e.args.meterId),
        device: devices.get(String(e.args.deviceKey).toLowerCase())!,
        communityId: c.id,
        importWh: 3 * c.meters.length,
        exportWh: 60 + 7 * c.meters.length,
      });
    }
    const ahead = (await stack.now()) * 1000 - Date.now();
    if (ahead > 0) await sleep(ahead + 100);
  });

  after(async () => {
    await proc?.kill("SIGKILL");
    await stack?.rpc("evm_setAutomine", [true]).catch(() => {});
    for (const id of sessions) await dropSession(id).catch(() => {});
    await node?.stop();
    dir.remove();
  });

  async function nextSlot(leadS: number): Promise<number> {
    const now = Math.max(await stack.now(), Math.ceil(Date.now() / 1000));
    return Math.ceil((now + leadS) / SLOT) * SLOT;
  }

  function oracleEnv(name: string, rpcUrl: string, brokerPort: number): Record<string, string> {
    return chainOracleEnv(
      {
        test: "chain-crash",
        stack,
        dataRoot: dir.path,
        graceSeconds: GRACE,
        reportWindowSeconds: REPORT_WINDOW,
        sessions,
      },
      name,
      rpcUrl,
      {
        GAS_BUDGET: "240000",
        GAS_PER_REPORT: "60000",
        ...(EXTERNAL_MQTT_URL ? {} : { BROKER_PORT: String(brokerPort) }),
      },
    );
  }

  async function allReported(slot: SlotReadings, slotStart: number): Promise<boolean> {
    for (const meterId of slot.expected.keys()) {
      if (!(await stack.reportOf(meterId, slotStart)).exists) return false;
    }
    return true;
  }

  /** The (meter, slot) keys a raw submitReports transaction carries, and its nonce. */
  function decodeRaw(raw: Hex): { nonce: number; keys: string[] } {
    const tx = parseTransaction(raw);
    const call = decodeFunctionData({ abi: settlementAbi, data: tx.data! });
    assert.equal(call.functionName, "submitReports");
    const reports = (call.args as unknown as [{ meterId: number; slotStart: number }[]])[0];
    return { nonce: tx.nonce!, keys: reports.map((r) => `${Number(r.meterId)}/${Number(r.slotStart)}`) };
  }

  /**
   * Exactly once, by counts: on chain (reportOf, MeterReported, the oracle's receipts) and on the
   * wire (every transaction the oracle broadcast through the proxy, decoded).
   */
  async function assertExactlyOnce(
    slot: SlotReadings,
    slotStart: number,
    proxy: RpcProxy,
    trapped: Hex,
    dataDir: string,
  ): Promise<void> {
    for (const [meterId, want] of slot.expected) {
      assert.deepEqual(
        await stack.reportOf(meterId, slotStart),
        { exists: true, ...want },
        `meter ${meterId}`,
      );
    }
    const events = await stack.meterReported();
    const counts = new Map<string, number>();
    for (const e of events)
      counts.set(`${e.meterId}/${e.slotStart}`, (counts.get(`${e.meterId}/${e.slotStart}`) ?? 0) + 1);
    for (const [k, n] of counts) assert.equal(n, 1, `MeterReported ${k} ${n} times`);
    const mine = events.filter((e) => e.slotStart === slotStart && slot.expected.has(e.meterId));
    assert.equal(mine.length, slot.expected.size, "every meter of the slot reported, none lost");

    // On the wire: one transaction hash per (meter, slot); a re-broadcast of the same bytes is fine.
    const txs = new Map<Hex, { nonce: number; keys: string[] }>();
    for (const b of proxy.broadcasts) if (!txs.has(b.hash)) txs.set(b.hash, decodeRaw(b.raw));
    const carriers = new Map<string, Set<Hex>>();
    for (const [hash, { keys }] of txs)
      for (const k of keys) carriers.set(k, (carriers.get(k) ?? new Set()).add(hash));
    for (const [k, hashes] of carriers)
      assert.equal(hashes.size, 1, `reports of ${k} were sent in ${hashes.size} different transactions`);
    const batches = Math.ceil(slot.expected.size / PER_BATCH);
    assert.equal(txs.size, batches, "one transaction per batch");
    const nonces = [...txs.values()].map((t) => t.nonce).sort((a, b) => a - b);
    assert.equal(new Set(nonces).size, nonces.length, "a nonce per transaction");

    // The interrupted batch landed by the transaction that was broadcast before the kill.
    for (const k of txs.get(trapped)!.keys) {
      const e = events.find((x) => `${x.meterId}/${x.slotStart}` === k)!;
      assert.equal(e.txHash, trapped, `${k} landed by the interrupted transaction`);
    }

    // On chain: every oracle transaction of this slot succeeded, one per batch.
    const receipts = await stack.receiptsFrom(ORACLE);
    assert.deepEqual(
      receipts.filter((r) => r.status !== "success"),
      [],
      "no oracle transaction reverted",
    );
    const slotTxs = new Set(mine.map((e) => e.txHash));
    assert.equal(slotTxs.size, batches);
    for (const h of slotTxs) assert.ok(txs.has(h), `${h} went through the proxy`);

    // The oracle's own record: every batch confirmed, the interrupted one under its transaction.
    const db = new DatabaseSync(join(dataDir, "oracle.sqlite"), { readOnly: true });
    try {
      const rows = db
        .prepare("SELECT status, tx_hash AS txHash FROM batches WHERE slot_start = ?")
        .all(slotStart) as unknown as { status: string; txHash: string | null }[];
      assert.equal(rows.length, batches);
      assert.deepEqual(
        rows.filter((r) => r.status !== "confirmed"),
        [],
        "every batch confirmed in the store",
      );
      assert.ok(
        rows.some((r) => r.txHash === trapped),
        "the store knows the interrupted batch's transaction",
      );
    } finally {
      db.close();
    }
  }

  async function crashInBroadcastWindow(name: "mined" | "pending"): Promise<void> {
    const c = communities[name];
    const proxy = new RpcProxy(stack.url);
    await proxy.start();
    try {
      const env = oracleEnv(name, proxy.url, await freePort());
      proc = await startOracleProcess(env);
      const slotStart = await nextSlot(4);
      const slot = await slotReadings(c.meters, slotStart, SLOT);
      let killedAt = 0;
      const trapped = proxy.trapNextBroadcast({
        // An empty block first (the latest block is then past the slot's end, as on a live chain),
        // then automine off: the transaction stays in the mempool.
        before:
          name === "pending"
            ? async () => {
                await stack.rpc("evm_mine", []);
                await stack.rpc("evm_setAutomine", [false]);
              }
            : undefined,
        onAccepted: async () => {
          await proc!.kill("SIGKILL");
          killedAt = proxy.broadcasts.length;
        },
      });
      const pub = await connectPublisher(EXTERNAL_MQTT_URL ?? `mqtt://127.0.0.1:${env.BROKER_PORT}`);
      try {
        await streamReadings(pub, slot);
      } finally {
        await pub.endAsync();
      }
      const deadline = (slotStart + SLOT + GRACE + 30) * 1000 - Date.now();
      const hash = await Promise.race([
        trapped,
        sleep(deadline).then(() => Promise.reject(new Error("no broadcast to trap"))),
      ]);
      assert.equal(proc.child.signalCode, "SIGKILL");
      assert.equal(killedAt, 1, "killed at the first broadcast");
      const receiptAtKill = await stack.pub.getTransactionReceipt({ hash }).catch(() => undefined);
      const landedAtKill = (await stack.meterReported()).filter((e) => e.slotStart === slotStart).length;
      if (name === "mined") {
        assert.equal(receiptAtKill?.status, "success", "mined on arrival");
        assert.equal(landedAtKill, PER_BATCH);
      } else {
        assert.equal(receiptAtKill, undefined, "still pending");
        assert.equal(landedAtKill, 0);
      }

      if (name === "pending") {
        // From here gas is estimated against the latest block (geth's default; Hardhat's is the
        // pending block, where the interrupted batch would revert with ReportExists): only the
        // oracle's own record of its transaction keeps it from signing a second one.
        proxy.estimateGasAt = "latest";
      }
      proc = await startOracleProcess(env);
      if (name === "pending") {
        // Many ticks with the transaction still in the mempool: nothing but the same bytes may go out.
        await sleep(4_000);
        const interrupted = decodeRaw(proxy.broadcasts[0]!.raw).keys;
        for (const b of proxy.broadcasts.slice(killedAt)) {
          const keys = decodeRaw(b.raw).keys;
          if (b.hash !== hash)
            assert.deepEqual(
              keys.filter((k) => interrupted.includes(k)),
              [],
              "no second transaction for the pending batch",
            );
        }
        assert.equal(
          await stack.pub.getTransactionReceipt({ hash }).catch(() => undefined),
          undefined,
          "still pending before the test mines it",
        );
        await stack.rpc("evm_mine", []);
        await stack.rpc("evm_setAutomine", [true]);
      }
      await until(() => allReported(slot, slotStart), 30_000, "every report after the restart");
      await sleep(1_500); // a second post would show up here
      await proc.kill();
      proc = undefined;
      await assertExactlyOnce(slot, slotStart, proxy, hash, env.DATA_DIR!);
      const after = proxy.broadcasts.slice(killedAt);
      console.log(
        `# ${name}: ${landedAtKill} of ${slot.expected.size} reports on chain at the kill; ` +
          `after the restart ${after.filter((b) => b.hash === hash).length} re-broadcast(s) of the ` +
          `interrupted tx, ${new Set(after.filter((b) => b.hash !== hash).map((b) => b.hash)).size} new tx(s)`,
      );
    } catch (err) {
      // The oracle's own account of what went wrong.
      for (const l of proc?.lines ?? [])
        if (l.level !== "info") console.log(`# oracle: ${JSON.stringify(l)}`);
      throw err;
    } finally {
      await proc?.kill("SIGKILL");
      proc = undefined;
      await stack.rpc("evm_setAutomine", [true]).catch(() => {});
      await proxy.close();
    }
  }

  it(
    "tx mined on arrival, oracle killed before it saw the answer: reported once, no resend",
    {
      timeout: 90_000,
    },
    () => crashInBroadcastWindow("mined"),
  );

  it(
    "tx still pending when the oracle restarts: no second tx, nonce not stuck, reported once",
    {
      timeout: 90_000,
    },
    () => crashInBroadcastWindow("pending"),
  );
});
