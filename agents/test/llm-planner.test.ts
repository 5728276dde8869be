/**
 * The LLM planner with fake chat models from @langchain/core: a model that answers garbage, one that
 * proposes trades outside the limits, one that times out, one that answers well. Garbage and timeouts
 * throw (the graph falls back to the strategy); out-of-limit proposals parse but the risk node refuses
 * every one of them — no order outside the limits reaches the act node.
 */
import { describe, expect, it } from "vitest";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { llmPlanner, PlannerError, type PlannerReads } from "../src/llm/planner.ts";
import { calls, ScriptedToolModel, toolResult } from "./support/scripted-model.ts";
import { checkPlan, type RiskContext, type RiskLimits } from "../src/risk/limits.ts";
import type { DecisionInput } from "../src/strategy/types.ts";

const S = 1_800_000_000;
const INPUT: DecisionInput = {
  now: S - 2000,
  slotLength: 900,
  tickSize: 1000,
  minOrderWh: 10,
  tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
  meterId: 1,
  markets: [{ marketId: "m1", slotStart: S, opensAt: S - 172800, gateAt: S - 300, bestAskTick: 250 }],
  forecasts: [{ slotStart: S, pvWh: 900, loadWh: 100, netWh: 800, marginWh: 60, sunlit: true }],
  own: [],
  filled: {},
  measuredNet: {},
};
const LIMITS: RiskLimits = {
  minPricePerKwh: 80_000,
  maxPricePerKwh: 300_000,
  maxExposurePerSlot: 2_000_000,
  minFreeBalance: 1_000_000,
  maxOrdersPerCycle: 8,
  maxWhPerSlot: 2_500,
};
const CTX: RiskContext = {
  now: INPUT.now,
  tickSize: 1000,
  minOrderWh: 10,
  bondPerWh: 10,
  freeBalance: 50_000_000,
  meter: { id: 1, registered: true, active: true, ownedByAgent: true },
  markets: INPUT.markets,
  own: [],
};
const fake = (responses: string[], sleep?: number) =>
  new FakeListChatModel({ responses, ...(sleep ? { sleep } : {}) });

describe("LLM planner", () => {
  it("turns a good answer into a plan that passes the risk node", async () => {
    const plan = await llmPlanner({
      model: fake([
        'Here you go: {"orders":[{"slotStart":1800000000,"side":"sell","pricePerKwh":210500,"amountWh":700,"reason":"surplus"}],"summary":"sell the surplus"}',
      ]),
    })(INPUT);
    expect(plan.source).toBe("llm");
    expect(plan.place).toEqual([
      expect.objectContaining({ side: "sell", tick: 211, amountWh: 700, marketId: "m1" }),
    ]);
    expect(checkPlan(plan, LIMITS, CTX).approved.place).toHaveLength(1);
  });

  it("throws on garbage (prose, broken JSON, wrong shape)", async () => {
    for (const answer of [
      "I think you should sell some energy today!",
      '{"orders": [ {"slotStart": 1800000000, "side": "sell", ',
      '{"orders":[{"slotStart":"soon","side":"sell","pricePerKwh":1,"amountWh":1}]}',
      '{"orders":[{"slotStart":1800000000,"side":"hold","pricePerKwh":1,"amountWh":1}]}',
      '{"trades":[]}',
    ]) {
      await expect(llmPlanner({ model: fake([answer]) })(INPUT)).rejects.toBeInstanceOf(PlannerError);
    }
  });

  it("out-of-limit proposals are refused by the risk node, every one", async () => {
    const plan = await llmPlanner({
      model: fake([
        JSON.stringify({
          orders: [
            { slotStart: S, side: "sell", pricePerKwh: 5_000_000, amountWh: 700 }, // 5 USDC/kWh, above retail
            { slotStart: S, side: "sell", pricePerKwh: 1_000, amountWh: 700 }, // below feed-in
            { slotStart: S, side: "sell", pricePerKwh: 200_000, amountWh: 9_000_000 }, // far beyond the meter
            { slotStart: S, side: "buy", pricePerKwh: 300_000, amountWh: 2_400 }, // within the band, but 0.72 USDC exposure…
            { slotStart: S + 900 * 500, side: "sell", pricePerKwh: 200_000, amountWh: 100 }, // not an open market
          ],
        }),
      ]),
    })(INPUT);
    const v = checkPlan(plan, { ...LIMITS, maxExposurePerSlot: 500_000 }, CTX);
    expect(v.approved.place).toEqual([]);
    expect(v.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/outside the band/),
      expect.stringMatching(/outside the band/),
      expect.stringMatching(/per slot/),
      expect.stringMatching(/exposure/),
    ]);
    expect(plan.notes.join()).toMatch(/not open/);
  });

  it("gives up on a model that does not answer in time", async () => {
    const started = Date.now();
    await expect(llmPlanner({ model: fake(["{}"], 5_000), timeoutMs: 200 })(INPUT)).rejects.toThrow(
      /did not answer within 200 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  describe("with tools", () => {
    const reads: PlannerReads & { log: string[] } = {
      log: [],
      async book(marketId) {
        this.log.push(`book ${marketId}`);
        return { bids: [{ pricePerKwh: 180_000, wh: 400 }], asks: [{ pricePerKwh: 250_000, wh: 900 }] };
      },
      async balances() {
        this.log.push("balances");
        return { free: 42_000_000, locked: 0, wallet: 5 };
      },
      async orders() {
        this.log.push("orders");
        return [];
      },
    };

    it("reads through the tools, gets their results back, then proposes a typed plan", async () => {
      reads.log.length = 0;
      const model = new ScriptedToolModel((messages, n) => {
        if (n === 0)
          return calls(
            { name: "read_forecast", args: {} },
            { name: "read_balances", args: {} },
            { name: "read_own_orders", args: {} },
          );
        if (n === 1) return calls({ name: "read_market_book", args: { slotStart: S } });
        const f = toolResult<{ slotStart: number; netWh: number; marginWh: number }[]>(
          messages,
          "read_forecast",
        )!;
        const book = toolResult<{ asks: { pricePerKwh: number }[] }>(messages, "read_market_book")!;
        const bal = toolResult<{ free: number }>(messages, "read_balances")!;
        expect(bal.free).toBe(42_000_000);
        return calls({
          name: "propose_plan",
          args: {
            orders: [
              {
                slotStart: f[0]!.slotStart,
                side: "sell",
                pricePerKwh: book.asks[0]!.pricePerKwh - 1000,
                amountWh: f[0]!.netWh - f[0]!.marginWh,
                reason: "undercut the best ask",
              },
            ],
            summary: "sell the surplus",
          },
        });
      });
      const plan = await llmPlanner({ model })(INPUT, { reads, limits: LIMITS });
      expect(model.boundTools).toEqual([
        "read_market_book",
        "read_balances",
        "read_own_orders",
        "read_forecast",
        "propose_plan",
      ]);
      expect(model.conversations).toHaveLength(3);
      expect(reads.log).toEqual(["balances", "orders", "book m1"]);
      expect(plan.place).toEqual([
        expect.objectContaining({ marketId: "m1", side: "sell", tick: 249, amountWh: 740 }),
      ]);
      expect(plan.notes[0]).toMatch(
        /llm read: read_forecast, read_balances, read_own_orders, read_market_book/,
      );
      expect(checkPlan(plan, LIMITS, CTX).approved.place).toHaveLength(1);
    });

    it("tells the model a proposal that misses the schema or an unknown tool, and takes its corrected plan", async () => {
      const model = new ScriptedToolModel((_m, n) =>
        n === 0
          ? calls(
              { name: "sell_everything", args: {} },
              {
                name: "propose_plan",
                args: { orders: [{ slotStart: S, side: "sell", pricePerKwh: "cheap" }] },
              },
            )
          : calls({
              name: "propose_plan",
              args: { orders: [{ slotStart: S, side: "sell", pricePerKwh: 200_000, amountWh: 500 }] },
            }),
      );
      const plan = await llmPlanner({ model })(INPUT, { reads });
      const errors = model.conversations[1]!.filter((m): m is ToolMessage => m instanceof ToolMessage);
      expect(errors.map((m) => m.content)).toEqual([
        'no tool named "sell_everything"',
        expect.stringMatching(/does not fit the schema: orders\.0\.pricePerKwh/),
      ]);
      expect(plan.place).toEqual([expect.objectContaining({ tick: 200, amountWh: 500 })]);
    });

    it("gives up after its step bound when the model only reads, and on garbage text", async () => {
      const reader = new ScriptedToolModel(() => calls({ name: "read_balances", args: {} }));
      await expect(llmPlanner({ model: reader, maxSteps: 4 })(INPUT, { reads })).rejects.toThrow(
        /no plan within 4 steps/,
      );
      expect(reader.conversations).toHaveLength(4);
      const chatty = new ScriptedToolModel(() =>
        calls(...Array.from({ length: 9 }, () => ({ name: "read_forecast", args: {} }))),
      );
      await expect(llmPlanner({ model: chatty, maxToolCalls: 16 })(INPUT, { reads })).rejects.toThrow(
        /more than 16 tool calls/,
      );
      const prose = new ScriptedToolModel(() => new AIMessage("Buy low, sell high!"));
      await expect(llmPlanner({ model: prose })(INPUT, { reads })).rejects.toBeInstanceOf(PlannerError);
    });

    it("aborts a model that hangs, within the deadline", async () => {
      const slow = new ScriptedToolModel(() => calls({ name: "read_balances", args: {} }), 30_000);
      const started = Date.now();
      await expect(llmPlanner({ model: slow, timeoutMs: 250 })(INPUT, { reads })).rejects.toThrow(
        /did not answer within 250 ms/,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(slow.aborted).toBe(1);
    });
  });
});
