/**
 * `npm run bench:agents`: the default simulation (20 households, 8 PV, 3 batteries, 7 days of
 * 15-minute slots, seed 42; agents and the naive strategy side by side) → docs/benchmarks/agents.json
 * and the chart docs/agents-savings.svg. Arguments are passed to the simulation (see `npm run simulate`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { optionsFromArgs, simulate } from "../src/sim/cli.ts";
import { summaryChart } from "../src/sim/chart.ts";
import { summarise } from "../src/sim/summary.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
let opts: ReturnType<typeof optionsFromArgs>;
try {
  opts = optionsFromArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench:agents: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
const loadBefore = load();
const r = await simulate(opts.params, opts.oneChain, (l) => process.stderr.write(`${l}\n`));
const loadAfter = load();
const s = summarise(r);
const out = {
  ...s,
  // wall and CPU seconds per phase (each world prefixed with its strategy), and counts (ticks, blocks…)
  phases_s: Object.fromEntries(
    Object.entries(r.phases)
      .filter(([k]) => k.endsWith("Ms"))
      .map(([k, v]) => [k.replace(/Ms$/, ""), Math.round(v / 100) / 10]),
  ),
  counts: Object.fromEntries(Object.entries(r.phases).filter(([k]) => !k.endsWith("Ms"))),
  // CPU seconds of each world (its simulation process + its chain's node + its indexer if any): the figure a loaded
  // machine does not distort; a world alternates between its two processes, so on quiet cores
  // its wall time is close to its CPU seconds
  cpu_s: Object.fromEntries(
    opts.params.strategies.map((st) => {
      const k = (x: string) => r.phases[`${st}_${x}`] ?? r.phases[x] ?? 0;
      return [st, Math.round((k("simCpuMs") + k("chainCpuMs") + k("indexerCpuMs")) / 100) / 10];
    }),
  ),
  machine: "2 shared cores; see docs/benchmarks.md",
  // the machine's load average (1, 5, 15 min) before and after: a loaded machine stretches wall_s
  load_before: loadBefore,
  load_after: loadAfter,
  command: `npm run bench:agents${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  measured_at: new Date().toISOString(),
};
mkdirSync(path.join(ROOT, "docs", "benchmarks"), { recursive: true });
// the default scenario is the benchmark (and its chart); another scenario gets its own file
const name = opts.scenario === "default" ? "agents" : `agents-${opts.scenario}`;
writeFileSync(path.join(ROOT, "docs", "benchmarks", `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
if (opts.scenario === "default")
  writeFileSync(path.join(ROOT, "docs", "agents-savings.svg"), summaryChart(s));
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
