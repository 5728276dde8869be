/**
 * `npm run simulate -- [--households 20] [--pv 8] [--batteries 3] [--days 7] [--seed 42]
 *   [--retail 0.30] [--feed-in 0.08] [--fee-bps 100] [--strategy ramp,naive] [--start 2027-06-06T22:00:00Z]`
 * Prints the summary as JSON on stdout, progress on stderr.
 */
import { parseArgs } from "node:util";
import { parseQuote } from "@powershare/contracts/sdk";
import { runSimulation } from "./run.ts";
import { DEFAULT_PARAMS, type SimParams, type StrategyName } from "./scenario.ts";
import { summarise } from "./summary.ts";

export function paramsFromArgs(argv: string[]): SimParams {
  const { values } = parseArgs({
    args: argv,
    options: {
      households: { type: "string" },
      pv: { type: "string" },
      batteries: { type: "string" },
      days: { type: "string" },
      seed: { type: "string" },
      retail: { type: "string" },
      "feed-in": { type: "string" },
      "fee-bps": { type: "string" },
      strategy: { type: "string" },
      start: { type: "string" },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, d: number, min = 0) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  const p: SimParams = { ...DEFAULT_PARAMS, tariffs: { ...DEFAULT_PARAMS.tariffs } };
  p.households = int("households", values.households, p.households, 1);
  p.pvHouseholds = int("pv", values.pv, Math.min(p.pvHouseholds, p.households));
  p.batteryHouseholds = int("batteries", values.batteries, Math.min(p.batteryHouseholds, p.pvHouseholds));
  p.days = int("days", values.days, p.days, 1);
  p.seed = int("seed", values.seed, p.seed);
  p.feeBps = int("fee-bps", values["fee-bps"], p.feeBps);
  if (p.feeBps > 1000) throw new Error(`--fee-bps must be at most 1000, got ${p.feeBps}`);
  if (values.retail) p.tariffs.retailPerKwh = Number(parseQuote(values.retail));
  if (values["feed-in"]) p.tariffs.feedInPerKwh = Number(parseQuote(values["feed-in"]));
  if (p.tariffs.feedInPerKwh >= p.tariffs.retailPerKwh)
    throw new Error("--feed-in must be below --retail (there is nothing to trade otherwise)");
  if (values.strategy) {
    const s = values.strategy.split(",").map((x) => x.trim());
    for (const x of s)
      if (x !== "ramp" && x !== "naive") throw new Error(`--strategy takes ramp and/or naive, got "${x}"`);
    p.strategies = [...new Set(s)] as StrategyName[];
  }
  if (values.start) {
    const t = Date.parse(values.start);
    if (!Number.isFinite(t) || (t / 1000) % p.slotLength !== 0)
      throw new Error(`--start must be an ISO time on a ${p.slotLength} s boundary, got "${values.start}"`);
    p.startSec = t / 1000;
  }
  return p;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const params = paramsFromArgs(process.argv.slice(2));
    const r = await runSimulation(params, {
      onProgress: (slot, of) => {
        if (slot % 96 === 0 || slot === of) process.stderr.write(`slot ${slot}/${of}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(summarise(r), null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
