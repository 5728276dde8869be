/**
 * `npm run bench:agents`: the default simulation (20 households, 8 PV, 3 batteries, 7 days of
 * 15-minute slots, seed 42; agents and the naive strategy side by side) → docs/benchmarks/agents.json
 * and the chart docs/agents-savings.svg. Arguments are passed to the simulation (see `npm run simulate`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { paramsFromArgs } from "../src/sim/cli.ts";
import { summaryChart } from "../src/sim/chart.ts";
import { runSimulation } from "../src/sim/run.ts";
import { summarise } from "../src/sim/summary.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
let params: ReturnType<typeof paramsFromArgs>;
try {
  params = paramsFromArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench:agents: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const r = await runSimulation(params, {
  onProgress: (slot, of) => {
    if (slot % 96 === 0 || slot === of) process.stderr.write(`slot ${slot}/${of}\n`);
  },
});
const s = summarise(r);
const out = {
  ...s,
  phases_s: Object.fromEntries(
    Object.entries(r.phases).map(([k, v]) => [k.replace(/Ms$/, ""), Math.round(v / 100) / 10]),
  ),
  machine: "2 shared cores; see docs/benchmarks.md",
  command: `npm run bench:agents${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  measured_at: new Date().toISOString(),
};
mkdirSync(path.join(ROOT, "docs", "benchmarks"), { recursive: true });
writeFileSync(path.join(ROOT, "docs", "benchmarks", "agents.json"), `${JSON.stringify(out, null, 2)}\n`);
writeFileSync(path.join(ROOT, "docs", "agents-savings.svg"), summaryChart(s));
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
