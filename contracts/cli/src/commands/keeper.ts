/** `powershare keeper`: the long-running settlement keeper with /health and /metrics. */
import { pino } from "pino";
import { InvalidInputError } from "@powershare/contracts/sdk";
import { Keeper } from "../keeper/keeper.ts";
import { KeeperMetrics } from "../keeper/metrics.ts";
import { startKeeperServer } from "../keeper/server.ts";
import { toJson, type Out } from "../output.ts";
import type { Session } from "../session.ts";

export interface KeeperCommandOptions {
  interval: string;
  port: string;
  host: string;
  maxClaims: string;
  maxBuyers: string;
  /** Deprecated, ignored (the keeper no longer settles through the upkeep). */
  maxSellers?: string;
  once?: boolean;
  logLevel: string;
}

function int(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidInputError(`${what} must be an integer ≥ ${min}, got "${text}"`);
  return n;
}

export async function keeper(s: Session, out: Out, o: KeeperCommandOptions): Promise<void> {
  const intervalMs = Math.round(Number(o.interval) * 1000);
  if (!Number.isFinite(intervalMs) || intervalMs < 50)
    throw new InvalidInputError(`--interval must be ≥ 0.05 seconds, got "${o.interval}"`);
  const port = int(o.port, "--port", 0);
  const log = pino({ name: "powershare-keeper", level: o.logLevel }, pino.destination(2));
  const metrics = new KeeperMetrics({ defaultMetrics: !o.once });
  const k = new Keeper(
    s.ps,
    log,
    {
      intervalMs,
      maxClaimsPerTx: int(o.maxClaims, "--max-claims", 1),
      maxBuyersPerTx: int(o.maxBuyers, "--max-buyers", 0),
    },
    metrics,
  );
  if (o.once) {
    const r = await k.cycle();
    out.print(
      r,
      () =>
        `keeper cycle (${r.source}): claimed ${r.claimed} order(s), settled ${r.settled} seller meter(s), paid ${r.refunded} refund(s); ${r.skipped} already done, ${r.failures} failed; ${r.transactions} tx, ${r.gasUsed} gas`,
    );
    if (r.failures) process.exitCode = 5;
    return;
  }
  const { server, url } = await startKeeperServer(port, o.host, metrics, () => k.health());
  log.info(
    { account: k.account, health: `${url}/health`, metrics: `${url}/metrics`, intervalMs },
    "keeper started",
  );
  // A line for orchestrators (scripts/dev.ts) and people: where to look.
  process.stdout.write(
    toJson({
      event: "keeper-ready",
      account: k.account,
      health: `${url}/health`,
      metrics: `${url}/metrics`,
    }).replace(/\n\s*/g, " ") + "\n",
  );
  k.start();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  log.info("stopping the keeper");
  await k.stop();
  await new Promise((r) => server.close(r));
}
