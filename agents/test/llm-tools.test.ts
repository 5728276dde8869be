/**
 * The LLM planner with tools inside the agent graph, on a local chain, with fake chat models that
 * emit tool calls. Every order the agent sends is recorded at the SDK (placeMany / replace / place)
 * and read back from the chain: a model that reads the book, its balances, its orders and its
 * forecast and then proposes a plan gets that plan checked by the risk node and sent; a model that
 * proposes trades outside the limits gets them refused (only the in-limit intent is sent); a model
 * that answers garbage, or loops on reads, or hangs, is given up on and the deterministic strategy
 * decides instead. In no case does an order outside the limits reach the SDK or the chain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemorySaver } from "@langchain/langgraph";
import { AIMessage } from "@langchain/core/messages";
import { createPowerShare, type PlaceOrderParams } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { TradingAgent } from "../src/agent.ts";
import { AgentIO } from "../src/chain/agent-io.ts";
import type { AgentSettings } from "../src/graph/agent-graph.ts";
import { llmPlanner, type LlmPlannerOptions } from "../src/llm/planner.ts";
import type { RiskLimits } from "../src/risk/limits.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { calls, ScriptedToolModel, toolResult, type Script } from "./support/scripted-model.ts";
import { TEST_HOUSEHOLD } from "./support/agent-setup.ts";

let stack: TestStack;
let communityId: number;
const meters: Record<number, number> = {};
const JUNE_NOON = Date.UTC(2027, 5, 9, 9, 50) / 1000;
const TICK = 1000;
const LIMITS: RiskLimits = {
  minPricePerKwh: 80_000,
  maxPricePerKwh: 300_000,
  maxExposurePerSlot: 10_000_000,
  minFreeBalance: 1_000_000,
  maxOrdersPerCycle: 8,
  maxWhPerSlot: 2_500,
};

/** An agent on dev account `i` whose SDK writes are recorded. */
function agent(i: number, script: Script, opts: Omit<LlmPlannerOptions, "model"> = {}, hangMs = 0) {
  const ps = createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });
  const sent: PlaceOrderParams[] = [];
  const placeMany = ps.placeMany;
  const replace = ps.replace;
  const place = ps.place;
  ps.placeMany = (orders, o) => (sent.push(...orders), placeMany(orders, o));
  ps.replace = (cancel, orders, o) => (sent.push(...orders), replace(cancel, orders, o));
  ps.place = (p, o) => (o?.dryRun ? undefined : sent.push(p), place(p, o));
  const settings: AgentSettings = {
    agentId: `llm-agent-${i}`,
    communityId,
    meterId: meters[i]!,
    ...TEST_HOUSEHOLD,
    limits: LIMITS,
  };
  const model = new ScriptedToolModel(script, hangMs);
  const a = new TradingAgent(
    {
      io: new AgentIO(ps, devAccount(i).address),
      strategy: new RampStrategy(),
      settings,
      planner: llmPlanner({ model, ...opts }),
    },
    new MemorySaver(),
  );
  return { a, sent, model };
}

async function resting(i: number) {
  const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  return (await ps.ordersOf(devAccount(i).address)).filter((o) => o.remainingWh > 0n);
}

/** Nothing outside the limits: every order sent and every order resting on chain. */
async function expectWithinLimits(i: number, sent: PlaceOrderParams[]) {
  for (const p of sent) {
    expect(p.tick * TICK).toBeGreaterThanOrEqual(LIMITS.minPricePerKwh);
    expect(p.tick * TICK).toBeLessThanOrEqual(LIMITS.maxPricePerKwh);
    expect(Number(p.amountWh)).toBeLessThanOrEqual(LIMITS.maxWhPerSlot);
    expect(p.meterId).toBe(meters[i]);
  }
  for (const o of await resting(i)) {
    expect(o.tick * TICK).toBeGreaterThanOrEqual(LIMITS.minPricePerKwh);
    expect(o.tick * TICK).toBeLessThanOrEqual(LIMITS.maxPricePerKwh);
    expect(Number(o.amountWh)).toBeLessThanOrEqual(LIMITS.maxWhPerSlot);
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity({ minOrderWh: 10n });
  for (const i of [6, 7, 8, 9, 10]) meters[i] = await stack.onboard(i, communityId, 100_000_000n, 2);
  await stack.warpTo(JUNE_NOON);
});

afterAll(async () => {
  await stack?.stop();
});

type Forecast = { slotStart: number; netWh: number; marginWh: number }[];

describe("LLM planner with tools in the agent graph, on a local chain", () => {
  it("reads the book, balances, orders and forecast through the SDK, proposes a plan, and the plan is sent", async () => {
    const { a, sent, model } = agent(6, (messages, n) => {
      if (n === 0)
        return calls(
          { name: "read_forecast", args: { count: 4 } },
          { name: "read_balances", args: {} },
          { name: "read_own_orders", args: {} },
        );
      const f = toolResult<Forecast>(messages, "read_forecast")!;
      const best = f.reduce((x, y) => (y.netWh - y.marginWh > x.netWh - x.marginWh ? y : x));
      if (n === 1) return calls({ name: "read_market_book", args: { slotStart: best.slotStart } });
      const book = toolResult<{ asks: unknown[]; bids: unknown[] }>(messages, "read_market_book")!;
      const bal = toolResult<{ free: number }>(messages, "read_balances")!;
      return calls({
        name: "propose_plan",
        args: {
          orders: [
            {
              slotStart: best.slotStart,
              side: "sell",
              pricePerKwh: 210_000,
              amountWh: Math.min(2_000, Math.floor(best.netWh - best.marginWh)),
              reason: `book ${book.asks.length}/${book.bids.length} levels, free ${bal.free}`,
            },
          ],
          summary: "sell the best slot's surplus",
        },
      });
    });
    const s = await a.cycle();
    expect(model.conversations).toHaveLength(3);
    const bal = toolResult<{ free: number }>(model.conversations[1]!, "read_balances")!;
    const onChain = await createPowerShare({
      publicClient: stack.publicClient,
      addresses: stack.addresses,
    }).balances(devAccount(6).address);
    // the read came before the order locked its bond: free then = free + locked now
    expect(bal.free).toBe(Number(onChain.free + onChain.locked));
    expect(onChain.locked).toBeGreaterThan(0n);
    expect(s.plan!.source).toBe("llm");
    expect(s.plan!.notes.join()).toMatch(
      /llm read: read_forecast, read_balances, read_own_orders, read_market_book/,
    );
    expect(s.verdict!.refused).toEqual([]);
    expect(s.outcome).toMatchObject({ ok: true, placed: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ side: "sell", tick: 210, meterId: meters[6] });
    const r = await resting(6);
    expect(r).toHaveLength(1);
    expect(r[0]!.tick).toBe(210);
    expect(r[0]!.amountWh).toBe(sent[0]!.amountWh);
    await expectWithinLimits(6, sent);
  });

  it("proposes trades outside the limits: each is refused and only the in-limit one is sent", async () => {
    const { a, sent } = agent(7, (messages, n) => {
      if (n === 0) return calls({ name: "read_forecast", args: {} });
      const f = toolResult<Forecast>(messages, "read_forecast")!;
      const slot = f[0]!.slotStart;
      return calls({
        name: "propose_plan",
        args: {
          orders: [
            { slotStart: slot, side: "sell", pricePerKwh: 9_000_000, amountWh: 500 }, // above the band
            { slotStart: slot, side: "buy", pricePerKwh: 1_000, amountWh: 500 }, // below it
            { slotStart: slot + 900, side: "sell", pricePerKwh: 200_000, amountWh: 999_999 }, // beyond the meter
            { slotStart: slot + 1800, side: "sell", pricePerKwh: 220_000, amountWh: 300 }, // fine
          ],
        },
      });
    });
    const s = await a.cycle();
    expect(s.plan!.source).toBe("llm");
    expect(s.verdict!.refused).toHaveLength(3);
    expect(s.verdict!.approved.place).toHaveLength(1);
    expect(sent).toEqual([expect.objectContaining({ side: "sell", tick: 220, amountWh: 300n })]);
    expect(await resting(7)).toHaveLength(1);
    await expectWithinLimits(7, sent);
  });

  it("a model that proposes only out-of-limit trades sends nothing at all", async () => {
    const { a, sent } = agent(8, (_m, n) =>
      n === 0
        ? calls({ name: "read_balances", args: {} })
        : new AIMessage(
            JSON.stringify({
              orders: [{ slotStart: 0, side: "sell", pricePerKwh: 5, amountWh: 1 }],
            }),
          ),
    );
    // slot 0 is not open: the plan is empty after conversion; now a plan with only band violations
    const s = await a.cycle();
    expect(s.plan!.source).toBe("llm");
    expect(s.plan!.notes.join()).toMatch(/not open: dropped/);
    expect(s.outcome).toBeNull();
    const { a: b, sent: sentB } = agent(8, (messages, n) => {
      if (n === 0) return calls({ name: "read_forecast", args: {} });
      const slot = toolResult<Forecast>(messages, "read_forecast")![0]!.slotStart;
      return calls({
        name: "propose_plan",
        args: { orders: [{ slotStart: slot, side: "sell", pricePerKwh: 400_000, amountWh: 1_000 }] },
      });
    });
    const t = await b.cycle();
    expect(t.verdict!.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/outside the band/)]);
    expect(t.outcome).toBeNull();
    expect([...sent, ...sentB]).toEqual([]);
    expect(await resting(8)).toEqual([]);
  });

  it("garbage and endless reads fall back to the strategy: what is sent is the strategy's, within the limits", async () => {
    const { a, sent, model } = agent(
      9,
      (_m, n) =>
        n === 0
          ? calls({ name: "sell_everything", args: { price: "max" } })
          : n === 1
            ? calls({ name: "propose_plan", args: { orders: "all of it", cancel: 7 } })
            : calls({ name: "read_balances", args: {} }),
      { maxSteps: 4 },
    );
    const s = await a.cycle();
    expect(model.conversations).toHaveLength(4);
    expect(s.plan!.source).toBe("ramp");
    expect(s.plan!.notes.join()).toMatch(/planner failed .*no plan within 4 steps/);
    expect(s.outcome!.ok).toBe(true);
    expect(sent.length).toBe(s.verdict!.approved.place.length);
    expect(sent.map((p) => p.tick)).toEqual(s.verdict!.approved.place.map((p) => p.tick));
    await expectWithinLimits(9, sent);
  });

  it("a model that hangs is aborted at the deadline and the strategy decides", async () => {
    const { a, sent, model } = agent(
      10,
      () => calls({ name: "read_balances", args: {} }),
      { timeoutMs: 300 },
      60_000,
    );
    const started = Date.now();
    const s = await a.cycle();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(model.aborted).toBe(1);
    expect(s.plan!.source).toBe("ramp");
    expect(s.plan!.notes.join()).toMatch(/did not answer within 300 ms/);
    expect(sent.length).toBe(s.verdict!.approved.place.length);
    await expectWithinLimits(10, sent);
  });
});
