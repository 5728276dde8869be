/**
 * `slot_end_to_chain_s`: from a slot's end to the slot's reports mined on a local chain, with the
 * oracle's defaults (GRACE_SECONDS 60, TICK_MS 1000, one batch per slot) and its embedded broker.
 *
 * A private `hardhat node` (automine) with the protocol deployed from the compiled artifacts
 * (test/support/chain.ts), one community with a short slot, `meters` producer meters registered on
 * chain (the oracle reads its directory from the chain), readings every 2 s on the slot's
 * boundaries published as time passes. Measured on the wall clock: the slot end to the moment every
 * meter's `reportOf` exists (polled every 50 ms).
 */
import { join } from "node:path";
import { loadConfig } from "../src/config/config.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startOracle } from "../src/oracle.ts";
import { deviceAccount } from "../src/sim/keys.ts";
import { connectPublisher, freePort, tempDir } from "../test/helpers.ts";
import {
  METER_KIND,
  deployStack,
  marketAbi,
  oraclePrivateKey,
  startHardhatNode,
  certifiedMeterCall,
  registrarCall,
  type Call,
} from "../test/support/chain.ts";
import { slotReadings, streamReadings } from "../test/support/meters.ts";

export interface ChainLatencyResult {
  slot_end_to_chain_s: number;
  meters: number;
  slot_seconds: number;
  grace_seconds: number;
  tick_ms: number;
  transactions: number;
}

export async function measureSlotEndToChain(
  meters = 100,
  log: (m: string) => void = () => {},
): Promise<ChainLatencyResult> {
  const SLOT = 12;
  const REPORT_WINDOW = 3_600;
  const dir = tempDir("oracle-bench-chain-");
  const node = await startHardhatNode(await freePort());
  try {
    const stack = await deployStack(node.url, REPORT_WINDOW);
    const [created] = (
      await stack.batch([
        {
          to: stack.market,
          abi: marketAbi,
          functionName: "createCommunity",
          args: [
            "bench",
            {
              slotLength: SLOT,
              gateLead: 2,
              horizon: 3_600,
              tickSize: 1_000n,
              minOrderWh: 10n,
              bondPerKwh: 0n,
              feeBps: 0,
              priceFeed: "0x0000000000000000000000000000000000000000",
              bandBps: 0,
              maxFeedAge: 0,
            },
          ],
          from: 0,
        },
      ])
    ).filter((e) => e.eventName === "CommunityCreated");
    const communityId = Number(created!.args.communityId);
    const seed = `bench-${process.pid}`;
    const first = Number(await stack.read<number>(stack.market, marketAbi, "meterCount", [])) + 1;
    // One sender, in nonce order: meter ids are first, first + 1, ...
    await stack.batch([registrarCall(stack.settlement, communityId)]);
    for (let i = 0; i < meters; i += 50) {
      const calls: Call[] = [];
      for (let m = first + i; m < first + Math.min(meters, i + 50); m++) {
        calls.push(
          await certifiedMeterCall(
            stack.settlement,
            {
              communityId,
              kind: METER_KIND.producer,
              capacityW: 200_000,
              deviceKey: deviceAccount(seed, m).address,
            },
            0,
          ),
        );
      }
      await stack.batch(calls);
    }
    const ahead = (await stack.now()) * 1000 - Date.now();
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead + 100));

    const oracle = await startOracle(
      loadConfig({
        RPC_URL: node.url,
        MARKET_ADDRESS: stack.market,
        SETTLEMENT_ADDRESS: stack.settlement,
        ORACLE_PRIVATE_KEY: oraclePrivateKey(),
        DATA_DIR: join(dir.path, "oracle"),
        BROKER_PORT: String(await freePort()),
        HTTP_PORT: "0",
        SLOT_SECONDS: String(SLOT),
        EMBEDDED_BROKER: "true",
      }),
      { logger: silentLogger },
    );
    try {
      const grace = oracle.config.GRACE_SECONDS;
      const now = Math.max(await stack.now(), Math.ceil(Date.now() / 1000));
      const slotStart = Math.ceil((now + 4) / SLOT) * SLOT;
      const ids = Array.from({ length: meters }, (_, i) => first + i);
      const slot = await slotReadings(
        ids.map((meterId, i) => ({
          meterId,
          device: deviceAccount(seed, meterId),
          communityId,
          importWh: 0,
          exportWh: 50 + i,
        })),
        slotStart,
        SLOT,
      );
      const pub = await connectPublisher(oracle.mqttUrl);
      try {
        await streamReadings(pub, slot);
      } finally {
        await pub.endAsync();
      }
      log(`chain latency: slot ${slotStart} published; waiting for the grace period (${grace} s)...`);
      const slotEndMs = (slotStart + SLOT) * 1000;
      const deadline = slotEndMs + (grace + 120) * 1000;
      let landedMs = 0;
      while (Date.now() < deadline) {
        const t = Date.now();
        const last = await stack.reportOf(ids[ids.length - 1]!, slotStart);
        if (last.exists) {
          let all = true;
          for (const id of ids) if (!(await stack.reportOf(id, slotStart)).exists) all = false;
          if (all) {
            landedMs = t;
            break;
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!landedMs) throw new Error("the reports did not land");
      const events = (await stack.meterReported()).filter((e) => e.slotStart === slotStart);
      if (events.length !== meters) throw new Error(`${events.length} reports on chain for ${meters} meters`);
      return {
        slot_end_to_chain_s: Number(((landedMs - slotEndMs) / 1000).toFixed(2)),
        meters,
        slot_seconds: SLOT,
        grace_seconds: grace,
        tick_ms: oracle.config.TICK_MS,
        transactions: new Set(events.map((e) => e.txHash)).size,
      };
    } finally {
      await oracle.close();
    }
  } finally {
    await node.stop();
    dir.remove();
  }
}
