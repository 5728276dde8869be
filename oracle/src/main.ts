/** `npm run oracle`: starts an oracle node from the environment and flags. */
import { ConfigError, loadConfig } from "./config/config.ts";
import { startOracle } from "./oracle.ts";

let config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const oracle = await startOracle(config);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    oracle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
