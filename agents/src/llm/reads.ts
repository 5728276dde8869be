/**
 * The LLM planner's read tools, on the agent's own SDK client: the book of a market, the agent's
 * balances, its resting orders. Read-only; amounts as JS numbers in quote base units and Wh.
 */
import type { AgentIO } from "../chain/agent-io.ts";
import type { PlannerReads } from "./planner.ts";

export function sdkReads(io: AgentIO, trackedOrderIds: readonly string[]): PlannerReads {
  return {
    async book(marketId) {
      const b = await io.ps.book(BigInt(marketId), { levels: 8, scanTicks: 128 });
      const level = (l: { price: bigint; availableWh: bigint }) => ({
        pricePerKwh: Number(l.price),
        wh: Number(l.availableWh),
      });
      return { bids: b.bids.map(level), asks: b.asks.map(level) };
    },
    async balances() {
      const b = await io.ps.balances(io.account);
      return { free: Number(b.free), locked: Number(b.locked), wallet: Number(b.wallet) };
    },
    async orders() {
      return (await io.orders(trackedOrderIds)).filter((o) => o.remainingWh > 0);
    },
  };
}
