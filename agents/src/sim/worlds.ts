/**
 * The strategies' communities side by side, each in its own process with its own chain: the same
 * households, weather and meter noise (everything derives from the seed), so the only difference is
 * the strategy — as when they share one chain, but on two cores at once. The parent merges the
 * results; each world's books are checked on its own chain.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runSimulation, type SimResult } from "./run.ts";
import type { SimParams, StrategyName } from "./scenario.ts";

const SELF = fileURLToPath(import.meta.url);
const MARK = "SIMRESULT ";

function runWorld(
  params: SimParams,
  strategy: StrategyName,
  onLine: (line: string) => void,
): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF], {
      env: { ...process.env, POWERSHARE_SIM_WORLD: JSON.stringify({ ...params, strategies: [strategy] }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const lines = err.split("\n");
      err = lines.pop() ?? "";
      for (const l of lines) onLine(`[${strategy}] ${l}`);
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(MARK));
      if (code !== 0 || !line)
        return reject(
          new Error(`the ${strategy} world exited with code ${code}${err ? `: ${err.trim()}` : ""}`),
        );
      resolve(JSON.parse(line.slice(MARK.length)) as SimResult);
    });
  });
}

/**
 * Runs every strategy of `params` in its own process (at once) and merges the results: the
 * communities in strategy order, the grid-only baseline (the same draws in every world), and each
 * world's phases prefixed with its strategy.
 */
export async function runWorlds(
  params: SimParams,
  opts: { onLine?: (line: string) => void } = {},
): Promise<SimResult> {
  const t0 = Date.now();
  const results = await Promise.all(
    params.strategies.map((s) => runWorld(params, s, opts.onLine ?? ((l) => process.stderr.write(`${l}\n`)))),
  );
  const phases: Record<string, number> = {};
  results.forEach((r, i) => {
    for (const [k, v] of Object.entries(r.phases)) phases[`${params.strategies[i]}_${k}`] = v;
  });
  return {
    params,
    wallSeconds: (Date.now() - t0) / 1000,
    communities: results.flatMap((r) => r.communities),
    gridOnly: results[0]!.gridOnly,
    phases,
  };
}

if (process.env.POWERSHARE_SIM_WORLD && process.argv[1] === SELF) {
  const params = JSON.parse(process.env.POWERSHARE_SIM_WORLD) as SimParams;
  const r = await runSimulation(params, {
    onProgress: (slot, of) => {
      if (slot % 96 === 0 || slot === of) process.stderr.write(`slot ${slot}/${of}\n`);
    },
  });
  process.stdout.write(`${MARK}${JSON.stringify(r)}\n`);
}
