/**
 * The agents service: several household agents (one wallet each) cycling on an interval, and what
 * the HTTP API asks of them — status, a dry run of what an agent would do for an account (the graph
 * up to the risk node, nothing sent), per-community market analysis, an agent's checkpointed
 * history. Metrics through prom-client.
 */
import { MemorySaver } from "@langchain/langgraph";
import type { Logger } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import { isAddress, type Address } from "viem";
import { energyMarketAbi } from "@powershare/contracts";
import { createPowerShare, decodeMarketId, type PowerShare } from "@powershare/contracts/sdk";
import { TradingAgent } from "./agent.ts";
import { AgentIO } from "./chain/agent-io.ts";
import type { AgentDeps, AgentSettings, AgentStateValue } from "./graph/agent-graph.ts";
import { RampStrategy } from "./strategy/ramp.ts";

export interface ManagedAgent {
  agent: TradingAgent;
  account: Address;
  settings: AgentSettings;
  deps: AgentDeps;
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class AgentService {
  readonly agents: ManagedAgent[];
  readonly ps: PowerShare;
  readonly registry = new Registry();
  readonly #log: Logger;
  readonly #cycles: Counter;
  readonly #placed: Counter;
  readonly #refused: Counter;
  readonly #errors: Counter;
  readonly #duration: Histogram;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  lastCycleAt = 0;
  readonly #template: (
    address: Address,
  ) => Omit<AgentSettings, "agentId" | "meterId" | "communityId"> | undefined;
  readonly #onCycle: ((m: ManagedAgent, s: AgentStateValue) => void) | undefined;

  constructor(
    ps: PowerShare,
    agents: ManagedAgent[],
    log: Logger,
    template: (address: Address) => Omit<AgentSettings, "agentId" | "meterId" | "communityId"> | undefined,
    /** Called after each finished cycle (e.g. notify/announce.ts tells the risk refusals); must not throw. */
    opts: { onCycle?: ((m: ManagedAgent, s: AgentStateValue) => void) | undefined } = {},
  ) {
    this.ps = ps;
    this.agents = agents;
    this.#log = log;
    this.#template = template;
    this.#onCycle = opts.onCycle;
    const labelNames = ["agent"] as const;
    this.#cycles = new Counter({
      name: "agents_cycles_total",
      help: "Agent cycles run",
      labelNames,
      registers: [this.registry],
    });
    this.#placed = new Counter({
      name: "agents_orders_placed_total",
      help: "Orders placed",
      labelNames,
      registers: [this.registry],
    });
    this.#refused = new Counter({
      name: "agents_intents_refused_total",
      help: "Intents refused by the risk limits",
      labelNames,
      registers: [this.registry],
    });
    this.#errors = new Counter({
      name: "agents_cycle_errors_total",
      help: "Cycles that failed",
      labelNames,
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: "agents_cycle_seconds",
      help: "Cycle duration",
      labelNames,
      registers: [this.registry],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    });
  }

  async cycle(m: ManagedAgent): Promise<AgentStateValue> {
    const end = this.#duration.startTimer({ agent: m.settings.agentId });
    try {
      const s = await m.agent.cycle();
      this.#cycles.inc({ agent: m.settings.agentId });
      this.#placed.inc({ agent: m.settings.agentId }, s.outcome?.placed ?? 0);
      this.#refused.inc({ agent: m.settings.agentId }, s.verdict?.refused.length ?? 0);
      try {
        this.#onCycle?.(m, s);
      } catch (err) {
        this.#log.warn({ agent: m.settings.agentId, err: String(err) }, "on_cycle_failed");
      }
      return s;
    } catch (err) {
      this.#errors.inc({ agent: m.settings.agentId });
      throw err;
    } finally {
      end();
    }
  }

  async cycleAll(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await Promise.all(
        this.agents.map((m) =>
          this.cycle(m).catch((err) =>
            this.#log.warn({ agent: m.settings.agentId, err: String(err) }, "cycle_failed"),
          ),
        ),
      );
      this.lastCycleAt = Date.now();
    } finally {
      this.#running = false;
    }
  }

  start(intervalMs: number): void {
    const tick = () => {
      void this.cycleAll().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, intervalMs);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  agentsOf(address: Address): ManagedAgent[] {
    return this.agents.filter((m) => m.account.toLowerCase() === address.toLowerCase());
  }

  async status() {
    return Promise.all(
      this.agents.map(async (m) => {
        const s = await m.agent.state();
        const mem = s?.memory;
        return {
          agentId: m.settings.agentId,
          account: m.account,
          communityId: m.settings.communityId,
          meterId: m.settings.meterId,
          strategy: m.deps.strategy.name,
          planner: m.deps.planner ? "llm" : "strategy",
          pending: await m.agent.pending(),
          cycles: mem?.cycles ?? 0,
          ordersPlaced: mem?.placed ?? 0,
          ordersCancelled: mem?.cancelled ?? 0,
          intentsRefused: mem?.refused ?? 0,
          actErrors: mem?.errors ?? 0,
          gasUsed: mem?.gasUsed ?? 0,
          forecastError: mem?.tracker,
          observe: mem?.observe,
          delivery: mem?.delivery,
          lastNotes: mem?.lastNotes ?? [],
          lastRefusals: mem?.lastRefusals ?? [],
        };
      }),
    );
  }

  /** What an agent would do now for `address`'s meters, with reasons; nothing is sent. */
  async recommendations(address: Address) {
    if (!isAddress(address)) throw new TypeError(`"${address}" is not an address`);
    let targets = this.agentsOf(address).map((m) => ({ deps: m.deps }));
    if (targets.length === 0) {
      const meters = (await this.ps.meters({ owner: address })).filter((x) => x.active);
      const template = this.#template(address);
      if (meters.length === 0 || !template)
        throw new NotFoundError(`no active meter is registered to ${address}`);
      targets = meters.map((meter) => ({
        deps: {
          io: new AgentIO(this.ps, address),
          strategy: new RampStrategy({ windowSlots: template.windowSlots }),
          settings: {
            ...template,
            agentId: `dry-${address}-${meter.id}`,
            communityId: meter.communityId,
            meterId: meter.id,
          },
        },
      }));
    }
    return Promise.all(
      targets.map(async ({ deps }) => {
        const dry = new TradingAgent({ ...deps, afterSend: undefined }, new MemorySaver(), {
          interruptBefore: ["act"],
        });
        const s = await dry.cycle();
        return {
          meterId: deps.settings.meterId,
          communityId: deps.settings.communityId,
          forecasts: s.forecasts.slice(0, deps.settings.windowSlots + 1).map((f) => ({
            slotStart: f.slotStart,
            pvWh: Math.round(f.pvWh),
            loadWh: Math.round(f.loadWh),
            netWh: Math.round(f.netWh),
            marginWh: Math.round(f.marginWh),
          })),
          wouldPlace: s.verdict?.approved.place ?? [],
          wouldCancel: s.verdict?.approved.cancel ?? [],
          refused: s.verdict?.refused ?? [],
          notes: [...(s.plan?.notes ?? []), ...(s.skipReason ? [s.skipReason] : [])],
        };
      }),
    );
  }

  /** Per community: recent trade prices and the agents' expected surplus (+) or deficit (−) per slot. */
  async marketAnalysis(communityId?: number) {
    const communities =
      communityId !== undefined
        ? [communityId]
        : [...new Set(this.agents.map((m) => m.settings.communityId))];
    const latest = await this.ps.ctx.publicClient.getBlockNumber();
    const from = latest > 5_000n ? latest - 5_000n : (this.ps.ctx.addresses.startBlock ?? 0n);
    const trades = await this.ps.ctx.publicClient.getContractEvents({
      address: this.ps.ctx.addresses.market,
      abi: energyMarketAbi,
      eventName: "Trade",
      fromBlock: from,
      toBlock: "latest",
    });
    return Promise.all(
      communities.map(async (cid) => {
        const c = await this.ps.community(cid);
        const mine = trades
          .map((t) => t.args as { marketId: bigint; tick: number; amountWh: bigint })
          .filter((t) => decodeMarketId(t.marketId).communityId === cid)
          .map((t) => ({
            slotStart: decodeMarketId(t.marketId).slotStart,
            pricePerKwh: Number(BigInt(t.tick) * c.tickSize),
            amountWh: Number(t.amountWh),
          }));
        const bySlot = new Map<number, { wh: number; value: number }>();
        for (const t of mine) {
          const x = bySlot.get(t.slotStart) ?? { wh: 0, value: 0 };
          bySlot.set(t.slotStart, { wh: x.wh + t.amountWh, value: x.value + t.amountWh * t.pricePerKwh });
        }
        const trend = [...bySlot.entries()]
          .sort((a, b) => a[0] - b[0])
          .slice(-24)
          .map(([slotStart, x]) => ({ slotStart, vwapPerKwh: Math.round(x.value / x.wh), tradedWh: x.wh }));
        const first = trend[0]?.vwapPerKwh;
        const last = trend.at(-1)?.vwapPerKwh;
        const expected = new Map<number, number>();
        for (const m of this.agents.filter((a) => a.settings.communityId === cid)) {
          const s = await m.agent.state();
          for (const f of s?.forecasts.slice(0, 16) ?? [])
            expected.set(f.slotStart, (expected.get(f.slotStart) ?? 0) + f.netWh);
        }
        return {
          communityId: cid,
          trades: mine.length,
          priceTrend: {
            direction:
              first === undefined || last === undefined
                ? "unknown"
                : last > first
                  ? "rising"
                  : last < first
                    ? "falling"
                    : "flat",
            slots: trend,
          },
          expectedNetWhPerSlot: [...expected.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([slotStart, netWh]) => ({
              slotStart,
              netWh: Math.round(netWh),
              kind: netWh >= 0 ? "surplus" : "deficit",
            })),
          agents: this.agents.filter((a) => a.settings.communityId === cid).length,
        };
      }),
    );
  }

  /** The checkpointed cycles of the agents of `address`, newest first. */
  async history(address: Address, limit: number) {
    const out: unknown[] = [];
    for (const m of this.agentsOf(address)) {
      let n = 0;
      for await (const snap of m.agent.graph.getStateHistory({
        configurable: { thread_id: m.settings.agentId },
      })) {
        const v = snap.values as AgentStateValue;
        if (snap.metadata?.source !== "loop" || snap.next.length > 0) continue;
        out.push({
          agentId: m.settings.agentId,
          checkpointId: snap.config.configurable?.checkpoint_id,
          createdAt: snap.createdAt,
          chainTime: v.observation?.now,
          plan: v.plan && {
            source: v.plan.source,
            place: v.plan.place,
            cancel: v.plan.cancel,
            notes: v.plan.notes,
          },
          refused: v.verdict?.refused ?? [],
          outcome: v.outcome,
        });
        if (++n >= limit) break;
      }
    }
    return out;
  }
}

export function readOnlyPowerShare(ps: PowerShare): PowerShare {
  return createPowerShare({ publicClient: ps.ctx.publicClient, addresses: ps.ctx.addresses });
}
