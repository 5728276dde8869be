/** The figures of a simulation run (the keys of docs/benchmarks/agents.json). */
import type { SimResult } from "./run.ts";

const pct = (x: number) => Math.round(x * 1000) / 10;
const usdc = (baseUnits: number) => Math.round(baseUnits) / 1e6;

export function summarise(r: SimResult) {
  const g = r.gridOnly;
  const t = r.params.tariffs;
  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  const costGrid = (t.retailPerKwh * sum(g.importWh)) / 1000 - (t.feedInPerKwh * sum(g.exportWh)) / 1000;
  const pv = sum(g.pvWh);
  const load = sum(g.loadWh);
  const by = Object.fromEntries(r.communities.map((c) => [c.strategy, c]));
  const figures = (c: (typeof r.communities)[number]) => ({
    cost_usdc: usdc(c.cost),
    // relative to the size of the grid-only bill (a community that exports a lot may earn: a negative cost)
    savings_vs_grid_pct: costGrid !== 0 ? pct((costGrid - c.cost) / Math.abs(costGrid)) : 0,
    self_consumption_pct: pv > 0 ? pct(1 - c.gridExportWh / pv) : 0,
    self_sufficiency_pct: load > 0 ? pct(1 - c.gridImportWh / load) : 0,
    traded_kwh: Math.round(c.tradedWh) / 1000,
    delivered_kwh: Math.round(c.deliveredWh) / 1000,
    delivered_vs_sold_pct: c.tradedWh > 0 ? pct(c.deliveredWh / c.tradedWh) : 0,
    trades: c.trades,
    price_vwap_per_kwh: usdc(c.price.vwapPerKwh),
    price_min_per_kwh: usdc(c.price.minPerKwh),
    price_max_per_kwh: usdc(c.price.maxPerKwh),
    fees_usdc: usdc(Number(c.fees)),
    slashed_usdc: usdc(Number(c.slashed)),
    refunds_usdc: usdc(Number(c.refunds)),
    gas_per_household_day: Math.round(c.gasUsed / r.params.households / r.params.days),
    refused_intents: c.refusals,
    act_errors: c.actErrors,
    money_balanced: c.money.balanced && c.money.householdsBalanced,
    // with --indexer: the agents' observations through the indexer and from the chain (fallbacks)
    ...(r.params.indexer && c.observations
      ? { observations_indexer: c.observations.indexer, observations_chain: c.observations.chain }
      : {}),
  });
  const agents = by.ramp ? figures(by.ramp) : undefined;
  const naive = by.naive ? figures(by.naive) : undefined;
  return {
    households: r.params.households,
    pv_households: r.params.pvHouseholds,
    battery_households: r.params.batteryHouseholds,
    days: r.params.days,
    seed: r.params.seed,
    start: new Date(r.params.startSec * 1000).toISOString(),
    retail_per_kwh: usdc(t.retailPerKwh),
    feed_in_per_kwh: usdc(t.feedInPerKwh),
    fee_bps: r.params.feeBps,
    pv_kwh: Math.round(pv) / 1000,
    load_kwh: Math.round(load) / 1000,
    cost_grid_only: usdc(costGrid),
    grid_only_self_consumption_pct: pv > 0 ? pct(1 - sum(g.exportWh) / pv) : 0,
    grid_only_self_sufficiency_pct: load > 0 ? pct(1 - sum(g.importWh) / load) : 0,
    cost_agents: agents?.cost_usdc,
    cost_naive: naive?.cost_usdc,
    savings_vs_grid_pct: agents?.savings_vs_grid_pct,
    savings_naive_vs_grid_pct: naive?.savings_vs_grid_pct,
    self_consumption_pct: agents?.self_consumption_pct,
    self_sufficiency_pct: agents?.self_sufficiency_pct,
    gas_per_household_day: agents?.gas_per_household_day,
    wall_s: Math.round(r.wallSeconds * 10) / 10,
    indexer: r.params.indexer === true,
    agents,
    naive,
  };
}
