/**
 * A one-day, six-household community on the real stack (chain with time control, agents from their
 * own wallets, signed meter reports, the keeper): the books balance to the unit — every household's
 * balance change equals what it earned and got refunded minus what it paid and lost in slashed bonds,
 * and the community's payments equal the sellers' payouts + fees + refunds + swept dust — nothing is
 * left locked, every kWh paid for was reported by a meter, and the agents' community pays less
 * than the grid alone.
 */
import { describe, expect, it } from "vitest";
import { runSimulation } from "../src/sim/run.ts";
import { DEFAULT_PARAMS } from "../src/sim/scenario.ts";
import { summarise } from "../src/sim/summary.ts";

describe("one simulated day, six households", () => {
  it("trades, settles, and balances to the unit", { timeout: 600_000 }, async () => {
    const r = await runSimulation({
      ...DEFAULT_PARAMS,
      households: 6,
      pvHouseholds: 3,
      batteryHouseholds: 1,
      days: 1,
      // the agents' community only (the naive one runs in npm run bench:agents): keeps npm test short
      strategies: ["ramp"],
    });
    const s = summarise(r);
    for (const c of r.communities) {
      expect(c.money.mismatches).toEqual([]);
      expect(c.money.communityIn).toBe(c.money.communityOut);
      expect(BigInt(c.money.communityIn)).toBeGreaterThan(0n);
      expect(c.trades).toBeGreaterThan(0);
      // a seller is paid only for delivered energy, which a meter reported
      expect(c.deliveredWh).toBeLessThanOrEqual(c.tradedWh);
      for (const h of c.homes) expect(h.deliveredWh).toBeLessThanOrEqual(h.soldWh);
    }
    expect(r.communities.map((c) => c.strategy)).toEqual(["ramp"]);
    expect(s.cost_agents!).toBeLessThan(s.cost_grid_only);
    expect(s.agents!.refused_intents).toBeGreaterThanOrEqual(0);
    console.log(JSON.stringify({ ...s, agents: undefined, naive: undefined, phases: r.phases }));
  });
});
