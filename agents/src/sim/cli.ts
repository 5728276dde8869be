/**
 * `npm run simulate -- [--scenario default|gsy-e] [--households 20] [--pv 8] [--batteries 3] [--days 7]
 *   [--seed 42] [--retail 0.30] [--feed-in 0.08] [--fee-bps 100] [--strategy ramp,naive]
 *   [--start 2027-06-06T22:00:00Z] [--one-chain] [--direct-reports] [--indexer | --no-indexer]`
 * Prints the summary as JSON on stdout, progress on stderr. Each strategy's community runs in its
 * own process on its own chain (same households, weather and meters); `--one-chain` runs them all
 * in this process on one chain. `--indexer`: each world runs the real indexer on its chain and its
 * agents observe through it (decision 0039).
 */
import { parseArgs } from "node:util";
import { parseQuote } from "@powershare/contracts/sdk";
import { runSimulation, type SimResult } from "./run.ts";
import { DEFAULT_PARAMS, SCENARIOS, type SimParams, type StrategyName } from "./scenario.ts";
import { runWorlds } from "./worlds.ts";
import { summarise } from "./summary.ts";

export function paramsFromArgs(argv: string[]): SimParams {
  return optionsFromArgs(argv).params;
}

export function optionsFromArgs(argv: string[]): { params: SimParams; oneChain: boolean; scenario: string } {
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
      scenario: { type: "string" },
      "one-chain": { type: "boolean" },
      "direct-reports": { type: "boolean" },
      indexer: { type: "boolean" },
      "no-indexer": { type: "boolean" },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, d: number, min = 0) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  const scenario = values.scenario ?? "default";
  if (!Object.hasOwn(SCENARIOS, scenario))
    throw new Error(`--scenario takes ${Object.keys(SCENARIOS).join(" or ")}, got "${scenario}"`);
  const base = SCENARIOS[scenario as keyof typeof SCENARIOS];
  const p: SimParams = { ...base, tariffs: { ...base.tariffs } };
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
  if (values["direct-reports"]) p.oraclePipeline = false;
  if (values.indexer && values["no-indexer"])
    throw new Error("--indexer and --no-indexer exclude each other");
  if (values.indexer) p.indexer = true;
  if (values["no-indexer"]) p.indexer = false;
  if (values.start) {
    const t = Date.parse(values.start);
    if (!Number.isFinite(t) || (t / 1000) % p.slotLength !== 0)
      throw new Error(`--start must be an ISO time on a ${p.slotLength} s boundary, got "${values.start}"`);
    p.startSec = t / 1000;
  }
  return { params: p, oneChain: values["one-chain"] === true, scenario };
}

/** The strategies' worlds in parallel processes, or all on one chain in this process. */
export function simulate(
  params: SimParams,
  oneChain: boolean,
  onProgress: (line: string) => void,
): Promise<SimResult> {
  if (oneChain || params.strategies.length < 2)
    return runSimulation(params, {
      onProgress: (slot, of) => {
        if (slot % 96 === 0 || slot === of) onProgress(`slot ${slot}/${of}`);
      },
    });
  return runWorlds(params, { onLine: onProgress });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { params, oneChain } = optionsFromArgs(process.argv.slice(2));
    const r = await simulate(params, oneChain, (l) => process.stderr.write(`${l}\n`));
    process.stdout.write(`${JSON.stringify(summarise(r), null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
