/**
 * Runs a simulated community on the real stack: a local Hardhat chain with the protocol deployed
 * and time under control, one community per strategy (same households, same weather, same meter
 * noise), one LangGraph agent per household trading from its own wallet through the SDK, signed
 * per-slot meter reports (the oracle's EIP-712 ReportBatch, signed with the oracle's key) built from
 * the simulated meters, and the settlement keeper (@powershare/cli's Keeper) claiming, settling and
 * refunding. Every slot: move the chain to the slot boundary, measure and report the slot that ended,
 * let the keeper work (every 4 slots), then run every agent's cycle.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino, { type Logger } from "pino";
import { createPublicClient, createWalletClient, http, type Address } from "viem";
import { MULTICALL3, MULTICALL3_RUNTIME } from "./multicall3.ts";
import { nodeFetch } from "./node-fetch.ts";
import { DevAccounts, onboardAll } from "./onboard.ts";
import { Keeper } from "@powershare/cli";
import {
  createPowerShare,
  marketIdOf,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShare,
} from "@powershare/contracts/sdk";
import { startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { TradingAgent } from "../agent.ts";
import { AgentIO, SharedReads } from "../chain/agent-io.ts";
import type { AgentSettings, HouseholdDevice } from "../graph/agent-graph.ts";
import { NodeSqliteSaver } from "../graph/sqlite-checkpointer.ts";
import { Weather } from "../model/weather.ts";
import { NaiveStrategy } from "../strategy/naive.ts";
import { RampStrategy } from "../strategy/ramp.ts";
import type { Strategy } from "../strategy/types.ts";
import { accountCommunity, type CommunityOutcome, type HomeLedger } from "./accounting.ts";
import { HomeCopy, HomeDraws, type MeterFlows } from "./physics.ts";
import { householdsOf, type HouseholdPlan, type SimParams, type StrategyName } from "./scenario.ts";

export const DEPOSIT = 50_000_000n; // 50 USDC per household
/** How far back (in slots) the keeper looks for work during the run; the final pass looks at everything. */
const KEEPER_LOOKBACK_SLOTS = 16;
const KEEPER_INDEX = 8;
/**
 * An agent's transaction gas limit: 2M + 1.5M per call (cancel or order; an order that takes
 * crosses several resting orders), at most 25M — above any batch the risk limits let through
 * (8 orders), below the block gas limit. Act errors would show a limit too low; none occur.
 */
const GAS_LIMIT = (calls: number) => BigInt(Math.min(25_000_000, 2_000_000 + 1_500_000 * calls));
const STRATEGY_ORDER: StrategyName[] = ["ramp", "naive"];

export interface SimHome {
  plan: HouseholdPlan;
  account: Address;
  accountIndex: number;
  meterId: number;
  copy: HomeCopy;
  flows: Map<number, MeterFlows>;
  agent: TradingAgent;
}

export interface SimCommunity {
  strategy: StrategyName;
  communityId: number;
  homes: SimHome[];
}

export interface SimResult {
  params: SimParams;
  wallSeconds: number;
  communities: CommunityOutcome[];
  /** Grid-only baseline per home (same draws, battery for self-consumption only). */
  gridOnly: { importWh: number[]; exportWh: number[]; pvWh: number[]; loadWh: number[] };
  /** Wall time per phase, ms; CPU time of this process and of the chain's node (simCpuMs, chainCpuMs). */
  phases: Record<string, number>;
}

function strategyOf(name: StrategyName, windowSlots: number): Strategy {
  return name === "ramp" ? new RampStrategy({ windowSlots }) : new NaiveStrategy({ windowSlots });
}

export async function runSimulation(
  params: SimParams,
  opts: { log?: Logger; onProgress?: (slot: number, of: number) => void; stack?: TestStack } = {},
): Promise<SimResult> {
  const t0 = Date.now();
  const log = opts.log ?? pino({ level: "warn" });
  const L = params.slotLength;
  if (params.startSec % L !== 0)
    throw new Error(`start ${params.startSec} is not a multiple of the slot length ${L}`);
  const plans = householdsOf(params);
  const weather = new Weather(params.seed, params.startSec, Math.ceil(params.days));
  const draws = plans.map((p) => new HomeDraws(p, params.site, weather, params.seed));
  const baseline = plans.map((p) => new HomeCopy(p.battery));
  const gridOnly = {
    importWh: plans.map(() => 0),
    exportWh: plans.map(() => 0),
    pvWh: plans.map(() => 0),
    loadWh: plans.map(() => 0),
  };
  const stack = opts.stack ?? (await startTestStack());
  const cpu0 = process.cpuUsage();
  const chain0 = chainCpuMs(stack);
  const dir = mkdtempSync(path.join(tmpdir(), "powershare-sim-"));
  const savers: NodeSqliteSaver[] = [];
  try {
    const rpc = (method: string, p: unknown[]) =>
      stack.publicClient.request({ method: method as never, params: p as never });
    // Multicall3 at its canonical address (the runtime code from viem's creation code): the reads
    // dozens of agents make in the same tick go to the node as one eth_call, and the HTTP batch
    // carries what remains (transactions, logs) in one request per tick.
    await rpc("hardhat_setCode", [MULTICALL3, MULTICALL3_RUNTIME]);
    const chain = { ...stack.chain, contracts: { multicall3: { address: MULTICALL3 } } };
    const transport = http(stack.url, {
      batch: true,
      timeout: 60_000,
      fetchFn: nodeFetch as unknown as typeof fetch,
      maxResponseBodySize: false,
    });
    const publicClient = createPublicClient({
      chain,
      transport,
      batch: { multicall: { batchSize: 8_192 } },
      pollingInterval: 20,
    }) as AnyPublicClient;
    const accounts = new DevAccounts();
    const wallet = (i: number) =>
      createWalletClient({
        chain,
        transport,
        account: accounts.get(i),
        pollingInterval: 20,
      }) as AnyWalletClient;
    const startBlock = await stack.publicClient.getBlockNumber();
    const slots = Math.round((params.days * 86400) / L);
    const tradeUntil = params.startSec + slots * L;
    const communities: SimCommunity[] = [];
    for (const strategy of params.strategies) {
      const communityId = await stack.createCommunity({
        slotLength: L,
        gateLead: 300,
        horizon: 48 * 3600,
        tickSize: 1_000n,
        minOrderWh: 10n,
        bondPerKwh: BigInt(params.bondPerKwh),
        feeBps: params.feeBps,
      });
      const saver = new NodeSqliteSaver(path.join(dir, `${strategy}.sqlite`));
      savers.push(saver);
      const shared = new SharedReads(createPowerShare({ publicClient, addresses: stack.addresses }));
      const homes: SimHome[] = [];
      // the account of a household is the same whichever strategies run (and in whichever process)
      const base = 100 + 100 * STRATEGY_ORDER.indexOf(strategy);
      const indexes = plans.map((plan) => base + plan.index);
      await Promise.all(
        indexes.map((i) => rpc("hardhat_setBalance", [accounts.get(i).address, "0x3635C9ADC5DEA00000"])), // 1,000 ETH for gas
      );
      const meterIds = await onboardAll(
        chain,
        transport,
        publicClient,
        accounts,
        stack.addresses,
        plans.map((plan, n) => ({
          accountIndex: indexes[n]!,
          communityId,
          deposit: DEPOSIT,
          kind: plan.pv ? 2 : 1,
          capacityW: 10_000,
        })),
      );
      for (const [n, plan] of plans.entries()) {
        const accountIndex = indexes[n]!;
        const account = accounts.get(accountIndex).address;
        const meterId = meterIds[n]!;
        const copy = new HomeCopy(plan.battery);
        const flows = new Map<number, MeterFlows>();
        const device: HouseholdDevice = {
          battery: () =>
            copy.battery && {
              socWh: copy.battery.socWh,
              capacityWh: copy.battery.spec.capacityWh,
              reserveWh: copy.battery.spec.reserveWh,
              maxPowerW: copy.battery.spec.maxPowerW,
            },
          batteryFlowWh: (slot) => flows.get(slot)?.batteryWh ?? 0,
        };
        // generous gas headroom: another agent's order may land first and turn a resting order into a trade
        const ps = createPowerShare({
          publicClient,
          walletClient: wallet(accountIndex),
          addresses: stack.addresses,
          tx: { gasHeadroomBps: 20_000, maxPriorityFeePerGas: 1_000_000_000n },
        });
        const settings: AgentSettings = {
          agentId: `${strategy}-${plan.index}`,
          communityId,
          meterId,
          household: { site: params.site, annualKwh: plan.annualKwh, pv: plan.pv, battery: plan.battery },
          clouds: weather.forecast,
          tariffs: params.tariffs,
          windowSlots: params.windowSlots,
          lookaheadSlots: 48,
          tradeUntil,
          limits: {
            minPricePerKwh: params.tariffs.feedInPerKwh,
            maxPricePerKwh: params.tariffs.retailPerKwh,
            maxExposurePerSlot: 2_000_000,
            minFreeBalance: 1_000_000,
            maxOrdersPerCycle: 8,
            maxWhPerSlot: (10_000 * L) / 3600,
          },
        };
        const agent = new TradingAgent(
          {
            io: new AgentIO(ps, account, shared, { gasLimit: GAS_LIMIT }),
            strategy: strategyOf(strategy, params.windowSlots),
            settings,
            device,
            log,
          },
          saver,
          { durability: "exit" },
        );
        homes.push({ plan, account, accountIndex, meterId, copy, flows, agent });
      }
      communities.push({ strategy, communityId, homes });
    }

    const phases = {
      setupMs: Date.now() - t0,
      warpMs: 0,
      reportMs: 0,
      keeperMs: 0,
      agentsMs: 0,
      settleMs: 0,
    };
    // The keeper discovers its work from the chain's logs. During the run it looks back
    // KEEPER_LOOKBACK_SLOTS slots (every order of those markets was placed after that block; older
    // markets are settled by then); the final pass reads the whole run. Without the window each
    // cycle would re-read every market of the run, and the week would grow quadratically.
    const keeperWallet = wallet(KEEPER_INDEX);
    const keeperOf = (startBlock: bigint) =>
      new Keeper(
        createPowerShare({
          publicClient,
          walletClient: keeperWallet,
          addresses: { ...stack.addresses, startBlock },
          tx: { maxPriorityFeePerGas: 1_000_000_000n },
        }),
        log,
        { maxClaimsPerTx: 60, maxSellersPerUpkeep: 30, backoffMs: 50 },
      );
    const blockAt = new Map<number, bigint>();
    const readPs: PowerShare = createPowerShare({ publicClient, addresses: stack.addresses });

    const firstCycle = params.startSec - params.windowSlots * L + 1;
    const lastSlotStart = params.startSec + (slots - 1) * L;
    const lap = (name: keyof typeof phases, since: number) => (phases[name] += Date.now() - since);
    for (let t = firstCycle; ; t += L) {
      let since = Date.now();
      await stack.warpTo(t);
      blockAt.set(t, await stack.publicClient.getBlockNumber());
      lap("warpMs", since);
      const ended = t - 1 - L;
      if (ended >= params.startSec && ended <= lastSlotStart) {
        since = Date.now();
        await measureAndReport(stack, readPs, communities, draws, baseline, gridOnly, ended, L, plans);
        lap("reportMs", since);
        opts.onProgress?.((ended - params.startSec) / L + 1, slots);
      }
      since = Date.now();
      if (((t - firstCycle) / L) % 4 === 3)
        await keeperOf(blockAt.get(t - KEEPER_LOOKBACK_SLOTS * L) ?? startBlock).cycle();
      lap("keeperMs", since);
      if (t < tradeUntil) {
        since = Date.now();
        await Promise.all(communities.flatMap((c) => c.homes.map((h) => h.agent.cycle(t))));
        lap("agentsMs", since);
      }
      if (ended >= lastSlotStart) break;
    }
    // settle everything: past the last report deadline, the keeper until it finds nothing to do
    const settleStart = Date.now();
    const window = await readPs.reportWindow();
    await stack.warpTo(lastSlotStart + L + window + 60);
    const keeper = keeperOf(startBlock);
    for (let i = 0; i < 50; i++) {
      const r = await keeper.cycle();
      if (r.claimed + r.settled + r.refunded === 0 && r.marketsPending === 0) break;
      if (i === 49)
        throw new Error(
          `the keeper still had work after 50 cycles: ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
        );
    }
    phases.settleMs = Date.now() - settleStart;
    const outcomes: CommunityOutcome[] = [];
    for (const c of communities) {
      const ledgers: HomeLedger[] = c.homes.map((h) => ({
        account: h.account,
        meterId: h.meterId,
        plan: h.plan,
        flows: h.flows,
      }));
      const states = await Promise.all(c.homes.map((h) => h.agent.state()));
      outcomes.push(
        await accountCommunity(readPs, {
          strategy: c.strategy,
          communityId: c.communityId,
          homes: ledgers,
          deposit: DEPOSIT,
          fromBlock: startBlock,
          tariffs: params.tariffs,
          gasUsed: states.reduce((s, x) => s + (x?.memory.gasUsed ?? 0), 0),
          refusals: states.reduce((s, x) => s + (x?.memory.refused ?? 0), 0),
          actErrors: states.reduce((s, x) => s + (x?.memory.errors ?? 0), 0),
        }),
      );
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPhases = {
      simCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      chainCpuMs: chainCpuMs(stack) - chain0,
    };
    return {
      params,
      wallSeconds: (Date.now() - t0) / 1000,
      communities: outcomes,
      gridOnly,
      phases: { ...phases, ...cpuPhases },
    };
  } finally {
    for (const s of savers) s.close();
    rmSync(dir, { recursive: true, force: true });
    if (!opts.stack) await stack.stop();
  }
}

/** CPU time of the chain's node process so far, ms (0 where /proc is not there). */
function chainCpuMs(stack: TestStack): number {
  try {
    const f = readFileSync(`/proc/${stack.node.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 1/100 s
  } catch {
    return 0;
  }
}

async function measureAndReport(
  stack: TestStack,
  ps: PowerShare,
  communities: SimCommunity[],
  draws: HomeDraws[],
  baseline: HomeCopy[],
  gridOnly: SimResult["gridOnly"],
  slot: number,
  L: number,
  plans: HouseholdPlan[],
): Promise<void> {
  const d = draws.map((x) => x.next(slot, L));
  plans.forEach((p, i) => {
    const f = baseline[i]!.step(d[i]!, 0, L);
    gridOnly.importWh[i]! += f.importedWh;
    gridOnly.exportWh[i]! += f.exportedWh;
    gridOnly.pvWh[i]! += d[i]!.pvWh;
    gridOnly.loadWh[i]! += d[i]!.loadWh;
  });
  const reports: { meterId: number; slotStart: number; importedWh: bigint; exportedWh: bigint }[] = [];
  for (const c of communities) {
    const marketId = marketIdOf(c.communityId, slot);
    const sold = await Promise.all(
      c.homes.map((h) =>
        h.plan.pv || h.plan.battery ? ps.sale(marketId, h.meterId).then((s) => Number(s.soldWh)) : 0,
      ),
    );
    c.homes.forEach((h, i) => {
      const f = h.copy.step(d[h.plan.index]!, sold[i]!, L);
      h.flows.set(slot, f);
      reports.push({
        meterId: h.meterId,
        slotStart: slot,
        importedWh: BigInt(f.importedWh),
        exportedWh: BigInt(f.exportedWh),
      });
    });
  }
  await stack.report(reports);
}
