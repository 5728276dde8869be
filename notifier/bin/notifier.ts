#!/usr/bin/env node
/** powershare-notifier: runs the notifier from environment variables (see src/config.ts). */
import { pino } from "pino";
import { configFromEnv, ConfigError } from "../src/config.ts";
import { startNotifier } from "../src/notifier.ts";

const log = pino({ name: "notifier", level: process.env.LOG_LEVEL ?? "info" });
try {
  const n = await startNotifier({ ...configFromEnv(process.env), logger: log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: finishing sends in flight");
    n.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // The URL on stdout for whoever started it (scripts/dev.ts, the benchmark).
  process.stdout.write(`${JSON.stringify({ notifier: n.url })}\n`);
} catch (err) {
  if (err instanceof ConfigError) {
    log.error(err.message);
    process.exit(2);
  }
  throw err;
}
