/**
 * One agent = one LangGraph StateGraph on one thread:
 *
 *   START → observe → forecast → decide → risk → act → remember → END
 *                        │           │        │      ↺ (retry a transient failure, twice)
 *                        └───────────┴────────┴→ remember   (nothing to observe / nothing to do /
 *                                                              every intent refused)
 *
 * observe reads the markets and books, the ids of its open orders, its meter reports and its past
 * sales' settlement results from its source (the indexer first, the chain as fallback, or the chain
 * only: chain/observe-source.ts), and what gates money — balances, the community, the meter, the
 * state of its orders — from the chain; forecast folds the new meter readings into the error tracker
 * and the settlement results into the delivery tracker, and forecasts every slot of the horizon;
 * decide asks the strategy (or the LLM planner, falling back to the strategy); risk applies the hard
 * limits; act de-duplicates against the chain (an order placed by an act that died before its
 * checkpoint is adopted, not placed again) and sends one transaction; remember updates the memory.
 * The checkpointer keeps the state after every node, so a restarted agent resumes its thread.
 */
import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { Logger } from "pino";
import {
  InvalidInputError,
  PreflightError,
  ContractError,
  type PlaceOrderParams,
} from "@powershare/contracts/sdk";
import { recordError } from "../forecast/error-tracker.ts";
import {
  emptyDelivery,
  recordSale,
  sellHoldback,
  type PurchaseResult,
  type SettlementResult,
} from "../forecast/delivery-tracker.ts";
import { ChainSource, type ObserveSource, type SourceKind } from "../chain/observe-source.ts";
import { forecastSlot, type HouseholdSpec, type SlotForecast } from "../forecast/forecaster.ts";
import type { CloudSource } from "../model/weather.ts";
import { checkPlan, isEmptyPlan, type RiskLimits, type RiskVerdict } from "../risk/limits.ts";
import type { AgentIO, CommunityView, MeterView } from "../chain/agent-io.ts";
import type {
  BatteryView,
  DecisionInput,
  MarketView,
  OwnOrder,
  Plan,
  Strategy,
  Tariffs,
} from "../strategy/types.ts";
import type { PlannerContext } from "../llm/planner.ts";
import { sdkReads } from "../llm/reads.ts";
import { emptyMemory, pruneMemory, type AgentMemory } from "./memory.ts";

export interface HouseholdDevice {
  battery(): BatteryView | undefined;
  /** Battery energy into the house (+, discharge) or out of it (−, charge) during a past slot. */
  batteryFlowWh(slotStart: number): number;
}

export interface AgentSettings {
  agentId: string;
  communityId: number;
  meterId: number;
  household: HouseholdSpec;
  clouds: CloudSource;
  tariffs: Tariffs;
  /** Trading window before each gate, in slots. */
  windowSlots: number;
  /** Forecast horizon beyond the window (battery planning), in slots. */
  lookaheadSlots: number;
  limits: RiskLimits;
  /** Markets of slots from this time on are not traded (a simulation's end). */
  tradeUntil?: number | undefined;
}

/** A planner other than the strategy (the LLM); its plan passes the same risk node. */
export type Planner = (input: DecisionInput, ctx: PlannerContext) => Promise<Plan>;

export interface AgentDeps {
  io: AgentIO;
  /** Where observe reads markets, books, order ids, reports and settlements (default: the chain). */
  source?: ObserveSource | undefined;
  strategy: Strategy;
  settings: AgentSettings;
  device?: HouseholdDevice | undefined;
  planner?: Planner | undefined;
  log?: Logger | undefined;
  /** Test hook: runs after the transaction is mined, before act returns (a crash here loses act's checkpoint). */
  afterSend?: (() => void | Promise<void>) | undefined;
}

export interface Observation {
  now: number;
  block: string;
  community: CommunityView;
  markets: MarketView[];
  freeBalance: number;
  own: OwnOrder[];
  /**
   * Open orders of the wallet the source found and memory does not know: the owner's own orders
   * (placed by hand or by the seed) or orders of a lost checkpoint. The agent never cancels or
   * replaces them; an order it sent and lost the checkpoint of is adopted in act, when it matches
   * the plan's intent.
   */
  unmanagedOrderIds: string[];
  meter: MeterView;
  reports: { slotStart: number; importedWh: number; exportedWh: number }[];
  /** Settled sales of the agent's meter in the last day (each folded into memory once). */
  settlements: SettlementResult[];
  /** The agent's buyer positions in the last day's slots (indexer only). */
  purchases: PurchaseResult[];
  source: SourceKind;
  fallbackReason?: string | undefined;
  indexedBlock?: string | undefined;
  battery?: BatteryView | undefined;
}

export interface ActResult {
  ok: boolean;
  placed: number;
  cancelled: number;
  skippedAsDuplicate: number;
  gasUsed: number;
  hash?: string | undefined;
  error?: string | undefined;
  transient?: boolean | undefined;
}

const last = <T>(initial: () => T) => Annotation<T>({ reducer: (_a, b) => b, default: initial });

export const AgentState = Annotation.Root({
  /** Cycle input: the chain time the cycle was started for (0: read it). */
  now: last<number>(() => 0),
  observation: last<Observation | null>(() => null),
  forecasts: last<SlotForecast[]>(() => []),
  plan: last<Plan | null>(() => null),
  verdict: last<RiskVerdict | null>(() => null),
  outcome: last<ActResult | null>(() => null),
  attempts: last<number>(() => 0),
  skipReason: last<string | null>(() => null),
  memory: last<AgentMemory>(emptyMemory),
});

export type AgentStateValue = typeof AgentState.State;
type Update = Partial<AgentStateValue>;

function isTransient(err: unknown): boolean {
  return !(err instanceof PreflightError || err instanceof InvalidInputError || err instanceof ContractError);
}

function filledBySlot(
  memory: AgentMemory,
  own: OwnOrder[],
): Record<string, { buyWh: number; sellWh: number }> {
  const out: Record<string, { buyWh: number; sellWh: number }> = {};
  for (const [slot, f] of Object.entries(memory.takerFilled)) out[slot] = { ...f };
  for (const o of own) {
    const f = (out[String(o.slotStart)] ??= { buyWh: 0, sellWh: 0 });
    if (o.side === "buy") f.buyWh += o.filledWh;
    else f.sellWh += o.filledWh;
  }
  return out;
}

export function decisionInput(state: AgentStateValue, settings: AgentSettings): DecisionInput {
  const o = state.observation!;
  return {
    now: o.now,
    slotLength: o.community.slotLength,
    tickSize: o.community.tickSize,
    minOrderWh: o.community.minOrderWh,
    tariffs: settings.tariffs,
    meterId: settings.meterId,
    markets: o.markets,
    forecasts: state.forecasts,
    own: o.own.filter((x) => x.remainingWh > 0),
    filled: filledBySlot(state.memory, o.own),
    battery: o.battery,
    measuredNet: state.memory.measuredNet,
    sellHoldback: sellHoldback(state.memory.delivery),
  };
}

export function buildAgentGraph(deps: AgentDeps) {
  const { io, settings } = deps;
  const log = deps.log;
  const source = deps.source ?? new ChainSource(io);

  const observe = async (state: AgentStateValue): Promise<Update> => {
    const now = state.now > 0 ? state.now : await io.now();
    const community = await io.community(settings.communityId);
    if (community.halted) return { skipReason: "order entry is halted in the community", observation: null };
    const window = settings.windowSlots * community.slotLength;
    const L = community.slotLength;
    // meter reports of slots ended since the last one read (at most the last 8); settlement results
    // of the last day's slots (each folded in once: memory.settled)
    const lastEnded = Math.floor(now / L) * L - L;
    const from = Math.max(state.memory.lastReportedSlot + L, lastEnded - 7 * L);
    const reportSlots: number[] = [];
    for (let s = from; s <= lastEnded; s += L) reportSlots.push(s);
    const block = await io.blockNumber();
    const [reads, freeBalance, meter] = await Promise.all([
      source.read({
        community,
        now,
        head: block,
        windowSeconds: window,
        account: io.account,
        meterId: settings.meterId,
        meterReachWh: settings.limits.maxWhPerSlot,
        reportSlots,
        settledFrom: Math.max(0, lastEnded - 95 * L),
        settledTo: lastEnded,
      }),
      io.freeBalance(),
      io.meter(settings.meterId),
    ]);
    if (reads.fallbackReason)
      log?.debug({ agent: settings.agentId, reason: reads.fallbackReason }, "observe_from_chain");
    // the state of the agent's orders always from the chain, for the ids in its memory; ids the
    // source found beyond those are the owner's (or a lost checkpoint's): listed, never managed
    const own = await io.orders(Object.keys(state.memory.orders));
    const unmanagedOrderIds = [...new Set(reads.orderIds)].filter((id) => !(id in state.memory.orders));
    const markets = reads.markets.filter(
      (m) => settings.tradeUntil === undefined || m.slotStart < settings.tradeUntil,
    );
    const reports = reads.reports;
    return {
      skipReason: null,
      observation: {
        now,
        block: block.toString(),
        community,
        markets,
        freeBalance,
        own,
        unmanagedOrderIds,
        meter,
        reports,
        settlements: reads.settlements,
        purchases: reads.purchases,
        source: reads.source,
        fallbackReason: reads.fallbackReason,
        indexedBlock: reads.indexedBlock,
        battery: deps.device?.battery(),
      },
      plan: null,
      verdict: null,
      outcome: null,
      attempts: 0,
    };
  };

  const forecast = async (state: AgentStateValue): Promise<Update> => {
    const o = state.observation!;
    let memory = state.memory;
    let tracker = memory.tracker;
    const measuredNet = { ...memory.measuredNet };
    let lastReportedSlot = memory.lastReportedSlot;
    for (const r of o.reports) {
      const battery = deps.device?.batteryFlowWh(r.slotStart) ?? 0;
      const net = r.exportedWh - r.importedWh - battery;
      measuredNet[String(r.slotStart)] = net;
      const f = memory.forecasts[String(r.slotStart)];
      if (f) tracker = recordError(tracker, f.sunlit, f.netWh, net);
      lastReportedSlot = Math.max(lastReportedSlot, r.slotStart);
    }
    // settlement results: how much of what the meter sold it delivered (the seller's holdback)
    let delivery = memory.delivery ?? emptyDelivery();
    const settled = { ...(memory.settled ?? {}) };
    for (const r of [...o.settlements].sort((a, b) => a.slotStart - b.slotStart)) {
      const key = String(r.slotStart);
      if (key in settled) continue;
      const next = recordSale(delivery, r);
      if (next === delivery) continue;
      delivery = next;
      settled[key] = (r.soldWh - r.deliveredWh) / r.soldWh;
    }
    const seen = memory.observe ?? { source: "none", indexerCycles: 0, chainCycles: 0 };
    const observe = {
      source: o.source,
      fallbackReason: o.fallbackReason,
      indexerCycles: seen.indexerCycles + (o.source === "indexer" ? 1 : 0),
      chainCycles: seen.chainCycles + (o.source === "chain" ? 1 : 0),
    };
    const L = o.community.slotLength;
    const first = o.markets[0]?.slotStart ?? Math.ceil(o.now / L) * L;
    const forecasts: SlotForecast[] = [];
    const horizon = settings.windowSlots + settings.lookaheadSlots;
    for (let k = 0; k < horizon; k++) {
      forecasts.push(forecastSlot(settings.household, settings.clouds, first + k * L, L, tracker));
    }
    const remembered = { ...memory.forecasts };
    for (const f of forecasts.slice(0, settings.windowSlots + 1)) {
      // the net before any bias correction is what the tracker compares with the meter
      const bias = f.sunlit ? tracker.sunlit.bias : tracker.dark.bias;
      const samples = f.sunlit ? tracker.sunlit.samples : tracker.dark.samples;
      remembered[String(f.slotStart)] = { netWh: f.netWh - (samples > 0 ? bias : 0), sunlit: f.sunlit };
    }
    memory = {
      ...memory,
      tracker,
      measuredNet,
      lastReportedSlot,
      forecasts: remembered,
      delivery,
      settled,
      observe,
    };
    return { forecasts, memory };
  };

  const decide = async (state: AgentStateValue): Promise<Update> => {
    const input = decisionInput(state, settings);
    if (deps.planner) {
      try {
        // the orders the agent manages: its memory's (observe read exactly those into `own`)
        const reads = sdkReads(io, Object.keys(state.memory.orders));
        const plan = await deps.planner(input, { reads, limits: settings.limits });
        return { plan };
      } catch (err) {
        log?.warn({ agent: settings.agentId, err: String(err) }, "planner_failed_fallback_to_strategy");
        const plan = deps.strategy.decide(input);
        return {
          plan: { ...plan, notes: [...plan.notes, `planner failed (${String(err)}); strategy used`] },
        };
      }
    }
    return { plan: deps.strategy.decide(input) };
  };

  const risk = async (state: AgentStateValue): Promise<Update> => {
    const o = state.observation!;
    const verdict = checkPlan(state.plan!, settings.limits, {
      now: o.now,
      tickSize: o.community.tickSize,
      minOrderWh: o.community.minOrderWh,
      bondPerWh: o.community.bondPerWh,
      freeBalance: o.freeBalance,
      meter: o.meter,
      markets: o.markets,
      own: o.own.filter((x) => x.remainingWh > 0),
    });
    for (const r of verdict.refused)
      log?.info({ agent: settings.agentId, intent: r.intent, reason: r.reason }, "intent_refused");
    return { verdict };
  };

  const act = async (state: AgentStateValue): Promise<Update> => {
    const o = state.observation!;
    const plan = state.verdict!.approved;
    let memory = state.memory;
    // De-duplicate against the chain: orders placed since the observation that memory does not know
    // were sent by an act that did not reach its checkpoint; adopt them instead of sending again.
    const marketIds = [...new Set(plan.place.map((p) => p.marketId))];
    const onChain = (await Promise.all(marketIds.map((m) => io.ordersInMarket(m, BigInt(o.block))))).flat();
    const unknown = onChain.filter((x) => !(x.orderId in memory.orders));
    let skipped = 0;
    const place = plan.place.filter((p) => {
      const dup = unknown.find(
        (x) =>
          x.marketId === p.marketId && x.side === p.side && x.tick === p.tick && x.amountWh === p.amountWh,
      );
      if (dup) {
        unknown.splice(unknown.indexOf(dup), 1);
        skipped += 1;
      }
      return !dup;
    });
    if (onChain.length > 0) {
      const orders = { ...memory.orders };
      for (const x of onChain) orders[x.orderId] = x.slotStart;
      memory = { ...memory, orders };
    }
    const current = await io.orders(plan.cancel);
    const cancel = plan.cancel.filter((id) => current.some((c) => c.orderId === id && c.remainingWh > 0));
    // Orders being replaced may have filled further since the observation (another agent's trade
    // landed first): the replacement shrinks by as much, so the agent never sells or buys twice.
    for (const c of current) {
      const seen = o.own.find((x) => x.orderId === c.orderId);
      const more = c.filledWh - (seen?.filledWh ?? 0);
      if (more <= 0) continue;
      const i = place.findIndex((p) => p.marketId === c.marketId && p.side === c.side);
      if (i < 0) continue;
      const left = place[i]!.amountWh - more;
      if (left >= o.community.minOrderWh) place[i] = { ...place[i]!, amountWh: left };
      else place.splice(i, 1);
    }
    if (place.length === 0 && cancel.length === 0) {
      return {
        outcome: { ok: true, placed: 0, cancelled: 0, skippedAsDuplicate: skipped, gasUsed: 0 },
        memory,
      };
    }
    const params: PlaceOrderParams[] = place.map((p) => ({
      communityId: settings.communityId,
      slotStart: p.slotStart,
      side: p.side,
      tick: p.tick,
      amountWh: BigInt(p.amountWh),
      meterId: settings.meterId,
      type: "limit",
    }));
    let r: Awaited<ReturnType<AgentIO["execute"]>>;
    try {
      r = await io.execute(cancel, params);
    } catch (err) {
      const transient = isTransient(err);
      const detail = err instanceof ContractError ? { errorName: err.errorName, args: err.args } : undefined;
      log?.warn({ agent: settings.agentId, err: String(err), detail, transient }, "act_failed");
      return {
        outcome: {
          ok: false,
          placed: 0,
          cancelled: 0,
          skippedAsDuplicate: skipped,
          gasUsed: 0,
          error: String(err),
          transient,
        },
        attempts: state.attempts + 1,
        memory: { ...memory, errors: memory.errors + 1 },
      };
    }
    await deps.afterSend?.();
    const orders = { ...memory.orders };
    const takerFilled = { ...memory.takerFilled };
    r.outcomes.forEach((out, i) => {
      const p = place[i]!;
      if (out.orderId) orders[out.orderId] = p.slotStart;
      if (out.filledWh > 0) {
        const f = takerFilled[String(p.slotStart)] ?? { buyWh: 0, sellWh: 0 };
        takerFilled[String(p.slotStart)] = {
          buyWh: f.buyWh + (p.side === "buy" ? out.filledWh : 0),
          sellWh: f.sellWh + (p.side === "sell" ? out.filledWh : 0),
        };
      }
    });
    memory = {
      ...memory,
      orders,
      takerFilled,
      placed: memory.placed + place.length,
      cancelled: memory.cancelled + cancel.length,
      gasUsed: memory.gasUsed + r.gasUsed,
    };
    log?.debug(
      { agent: settings.agentId, placed: place.length, cancelled: cancel.length, hash: r.hash },
      "acted",
    );
    return {
      outcome: {
        ok: true,
        placed: place.length,
        cancelled: cancel.length,
        skippedAsDuplicate: skipped,
        gasUsed: r.gasUsed,
        hash: r.hash,
      },
      memory,
    };
  };

  const remember = async (state: AgentStateValue): Promise<Update> => {
    const m = state.memory;
    const now = state.observation?.now ?? state.now;
    const slot = state.observation?.community.slotLength ?? 900;
    const refusals = state.verdict?.refused ?? [];
    const memory = pruneMemory(
      {
        ...m,
        cycles: m.cycles + 1,
        refused: m.refused + refusals.length,
        lastRefusals: refusals,
        lastNotes: [...(state.plan?.notes ?? []), ...(state.skipReason ? [state.skipReason] : [])].slice(
          0,
          20,
        ),
      },
      now,
      4 * slot,
    );
    return { memory };
  };

  return new StateGraph(AgentState)
    .addNode("observe", observe)
    .addNode("forecast", forecast)
    .addNode("decide", decide)
    .addNode("risk", risk)
    .addNode("act", act)
    .addNode("remember", remember)
    .addEdge(START, "observe")
    .addConditionalEdges("observe", (s) => (s.observation ? "forecast" : "remember"), [
      "forecast",
      "remember",
    ])
    .addEdge("forecast", "decide")
    .addConditionalEdges("decide", (s) => (isEmptyPlan(s.plan) ? "remember" : "risk"), ["risk", "remember"])
    .addConditionalEdges("risk", (s) => (isEmptyPlan(s.verdict?.approved) ? "remember" : "act"), [
      "act",
      "remember",
    ])
    .addConditionalEdges(
      "act",
      (s) => (s.outcome && !s.outcome.ok && s.outcome.transient && s.attempts < 3 ? "act" : "remember"),
      ["act", "remember"],
    )
    .addEdge("remember", END);
}

export function compileAgent(
  deps: AgentDeps,
  checkpointer: BaseCheckpointSaver,
  opts: { interruptBefore?: "act"[] } = {},
) {
  // "sync" durability: each node's checkpoint is written before the next node starts. LangGraph's
  // default ("async") lets act send its transaction while the checkpoint after risk is still in
  // flight; on a store slower than node:sqlite (PostgreSQL) a SIGKILL then loses the approved plan and
  // the restarted agent decides and sends again (test/agent-kill.test.ts, decision 0037). A run's
  // own `durability` (the simulation's "exit") still overrides this default.
  return buildAgentGraph(deps)
    .compile({ checkpointer, interruptBefore: opts.interruptBefore })
    .withConfig({ durability: "sync" });
}
