/**
 * Runs a simulated community on the real stack: a local Hardhat chain with the protocol deployed
 * and time under control, one community per strategy (same households, same weather, same meter
 * noise), one LangGraph agent per household trading from its own wallet through the SDK, signed
 * per-slot meter reports (the oracle's EIP-712 ReportBatch, signed with the oracle's key) built from
 * the simulated meters, and the settlement keeper (@powershare/cli's Keeper) claiming, settling and
 * refunding. Every slot: move the chain to the slot boundary, measure and report the slot that ended,
 * let the keeper work (every 4 slots), then run every agent's cycle.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino, { type Logger } from "pino";
import { createPublicClient, createWalletClient, http, type Address } from "viem";
import { Keeper } from "@powershare/cli";
import {
  createPowerShare,
  marketIdOf,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShare,
} from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
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
const KEEPER_INDEX = 8;

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
  /** Wall time per phase, ms. */
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
  const dir = mkdtempSync(path.join(tmpdir(), "powershare-sim-"));
  const savers: NodeSqliteSaver[] = [];
  try {
    const rpc = (method: string, p: unknown[]) =>
      stack.publicClient.request({ method: method as never, params: p as never });
    // JSON-RPC batching: dozens of agents read at once; one HTTP request per tick instead of one each
    const transport = http(stack.url, { batch: true, timeout: 60_000 });
    const publicClient = createPublicClient({
      chain: stack.chain,
      transport,
      pollingInterval: 20,
    }) as AnyPublicClient;
    const wallet = (i: number) =>
      createWalletClient({
        chain: stack.chain,
        transport,
        account: devAccount(i),
        pollingInterval: 20,
      }) as AnyWalletClient;
    const startBlock = await stack.publicClient.getBlockNumber();
    const slots = Math.round((params.days * 86400) / L);
    const tradeUntil = params.startSec + slots * L;
    const communities: SimCommunity[] = [];
    for (const [k, strategy] of params.strategies.entries()) {
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
      for (const plan of plans) {
        const accountIndex = 100 + 100 * k + plan.index;
        const account = devAccount(accountIndex).address;
        await rpc("hardhat_setBalance", [account, "0x3635C9ADC5DEA00000"]); // 1,000 ETH for gas
        const meterId = await stack.onboard(accountIndex, communityId, DEPOSIT, plan.pv ? 2 : 1);
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
          tx: { gasHeadroomBps: 20_000 },
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
            io: new AgentIO(ps, account, shared),
            strategy: strategyOf(strategy, params.windowSlots),
            settings,
            device,
            log,
          },
          saver,
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
    const keeperPs = createPowerShare({
      publicClient,
      walletClient: wallet(KEEPER_INDEX),
      addresses: stack.addresses,
    });
    const keeper = new Keeper(keeperPs, log, { maxClaimsPerTx: 60, maxSellersPerUpkeep: 30, backoffMs: 50 });
    const readPs: PowerShare = createPowerShare({ publicClient, addresses: stack.addresses });

    const firstCycle = params.startSec - params.windowSlots * L + 1;
    const lastSlotStart = params.startSec + (slots - 1) * L;
    const lap = (name: keyof typeof phases, since: number) => (phases[name] += Date.now() - since);
    for (let t = firstCycle; ; t += L) {
      let since = Date.now();
      await stack.warpTo(t);
      lap("warpMs", since);
      const ended = t - 1 - L;
      if (ended >= params.startSec && ended <= lastSlotStart) {
        since = Date.now();
        await measureAndReport(stack, readPs, communities, draws, baseline, gridOnly, ended, L, plans);
        lap("reportMs", since);
        opts.onProgress?.((ended - params.startSec) / L + 1, slots);
      }
      since = Date.now();
      if (((t - firstCycle) / L) % 4 === 3) await keeper.cycle();
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
    return { params, wallSeconds: (Date.now() - t0) / 1000, communities: outcomes, gridOnly, phases };
  } finally {
    for (const s of savers) s.close();
    rmSync(dir, { recursive: true, force: true });
    if (!opts.stack) await stack.stop();
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
