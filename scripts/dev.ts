/**
 * `npm run dev` — the whole PowerShare stack on this machine:
 *
 *   1. build the contracts and their typed ABIs (contracts/generated/abis.ts)
 *   2. chain    `hardhat node` on 127.0.0.1:8545 (chain id 31337)
 *   3. deploy   LocalStack with Hardhat Ignition (MockUSDC, reference feed, EnergyMarket,
 *               DeliverySettlement, SettlementKeeper, TreasuryGovernor, roles, oracle signer) and write
 *               the address book contracts/deployments/31337.json
 *   4. seed     the demo community, members, meters, resting orders and a trade (scripts/seed)
 *   5. services later issues add (oracle, meter simulator, indexer, agents, app): see `services()`
 *
 * Prints the addresses, accounts and endpoints, then "PowerShare dev stack ready". Ctrl-C (SIGINT)
 * or SIGTERM stops everything and exits 0.
 *
 *   npm run dev                      # run until Ctrl-C
 *   npm run dev -- --once            # exit 0 right after "ready" (also POWERSHARE_DEV_ONCE=1)
 *   npm run dev -- --skip oracle,meters   # leave optional services out (also POWERSHARE_DEV_SKIP)
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Orchestrator, portInUse, StackError, type ServiceSpec } from "./dev/orchestrator.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CONTRACTS = path.join(ROOT, "contracts");
const DEV_DIR = path.join(ROOT, ".dev");
const CHAIN_PORT = 8545;
const CHAIN_ID = 31337;
const RPC_URL = `http://127.0.0.1:${CHAIN_PORT}`;
const ORACLE_ACCOUNT_INDEX = 9;
const KEEPER_ACCOUNT_INDEX = 8;
/** Seconds after a slot's end during which its reports are accepted (3600 on Amoy/Polygon). Short on
 * the dev chain so that the seeded trade is settled and refunded a few minutes after its slot. */
const DEV_REPORT_WINDOW = 300;
/** The dev chain mines a block every 2 s besides automine (as Polygon does), so that chain time
 * follows the wall clock even when nobody sends a transaction. */
const DEV_BLOCK_INTERVAL_MS = 2_000;

const { values: flags } = parseArgs({
  options: {
    once: { type: "boolean", default: process.env.POWERSHARE_DEV_ONCE === "1" },
    skip: { type: "string", default: process.env.POWERSHARE_DEV_SKIP ?? "" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), "utf8")
      .split("*/")[0]!
      .replace(/^\/\*\*|^ \* ?/gm, ""),
  );
  process.exit(0);
}
const skip = new Set(
  flags.skip
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

const [major] = process.versions.node.split(".").map(Number);
if (major! < 22) {
  console.error(`PowerShare needs Node >= 22 (this is ${process.version}); run it through \`npm run dev\`.`);
  process.exit(1);
}

// Children get the repository's Node (node@24 from node_modules/.bin) first on PATH.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [path.join(ROOT, "node_modules", ".bin"), path.dirname(process.execPath), process.env.PATH].join(
    path.delimiter,
  ),
  HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
  FORCE_COLOR: "0",
};
const stack = new Orchestrator({ logDir: path.join(DEV_DIR, "logs"), env });
const hardhat = path.join(ROOT, "node_modules", ".bin", "hardhat");
const rootScripts = (
  JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

// ---------------------------------------------------------------- shutdown

let exiting = false;
async function shutdown(code: number, reason?: string): Promise<never> {
  if (exiting) return new Promise<never>(() => {});
  exiting = true;
  if (reason) console.log(`\n${reason}`);
  console.log("stopping the stack…");
  await stack.stop();
  console.log(code === 0 ? "stopped cleanly" : "stopped");
  process.exit(code);
}
// Ctrl-C in a terminal signals the whole foreground group, and `npm run` forwards the same signal
// to us again: repeats within a moment are one request. A later one forces the exit.
let firstSignalAt = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      void shutdown(0, `${signal} received`);
    } else if (Date.now() - firstSignalAt > 1_500) {
      console.log(`${signal} again: killing everything now`);
      stack.killAllNow();
      process.exit(1);
    }
  });
}
stack.onFatal = (message) => void shutdown(1, `! ${message}`);

// ---------------------------------------------------------------- services of later stages

interface StackInfo {
  addressBookFile: string;
  marketAddress: string;
  settlementAddress: string;
  startBlock: number;
  metersFile: string;
  oracleKey: string;
}

/** One JSON-RPC call to the dev chain. */
async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(RPC_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new StackError(`${method}: ${body.error.message}`);
  return body.result;
}

/** The first port from `preferred` up that nothing listens on. */
async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) if (!(await portInUse(port))) return port;
  throw new StackError(`no free port in ${preferred}..${preferred + 99}`);
}

interface LaterService extends ServiceSpec {
  /** The root npm script that runs it; the service is left out while the script does not exist. */
  script: string;
  /** Services that must be up for this one to start. */
  dependsOn?: string[];
}

/**
 * Services that run against the deployed and seeded chain, in start order. Later issues add
 * theirs here (indexer, agents, app); each starts only if its root npm script exists.
 */
async function services(info: StackInfo): Promise<LaterService[]> {
  // An external broker if MQTT_URL says so; else the oracle embeds one (on 1883 if free).
  const brokerPort = process.env.MQTT_URL ? undefined : await freePort(1883);
  const mqttUrl = process.env.MQTT_URL ?? `mqtt://127.0.0.1:${brokerPort}`;
  const oracleHttp = await freePort(9464);
  const indexerPort = await freePort(42069);
  const keeperPort = await freePort(9479);
  const gatewayPort = await freePort(9480);
  const appPort = await freePort(3000);
  const notifierPort = await freePort(8790);
  const agentsPort = await freePort(9490);
  // A fresh secret per run: the agents announce their actions through the notifier's hook with it.
  const hookToken = randomBytes(24).toString("base64url");
  return [
    {
      name: "oracle",
      script: "oracle",
      description: `meter oracle: MQTT in (${brokerPort ? "embedded broker" : "external broker"}), signed slot reports and silence attestations to chain`,
      command: "npm",
      args: ["run", "-s", "oracle"],
      cwd: ROOT,
      env: {
        RPC_URL,
        CHAIN_ID: String(CHAIN_ID),
        MARKET_ADDRESS: info.marketAddress,
        SETTLEMENT_ADDRESS: info.settlementAddress,
        FROM_BLOCK: String(info.startBlock),
        ORACLE_PRIVATE_KEY: info.oracleKey,
        DATA_DIR: path.join(DEV_DIR, "oracle-data"),
        // The meter directory from the chain (not the meters file): every registered meter is known,
        // also one a member adds in the dApp, so a seller whose meter sends nothing (no simulated
        // device) is attested silent, while the seeded meters report through the simulator.
        HTTP_PORT: String(oracleHttp),
        REPORT_WINDOW_SECONDS: String(DEV_REPORT_WINDOW),
        // A slot whose closing reading is missing is waited for at most 2 min after its end (then skipped).
        MAX_WAIT_SECONDS: "120",
        ...(brokerPort ? { EMBEDDED_BROKER: "true", BROKER_PORT: String(brokerPort) } : {}),
      },
      ready: { kind: "http", url: `http://127.0.0.1:${oracleHttp}/health` },
      readyTimeoutMs: 30_000,
      optional: true,
      echo: true,
      endpoints: {
        mqtt: mqttUrl,
        health: `http://127.0.0.1:${oracleHttp}/health`,
        metrics: `http://127.0.0.1:${oracleHttp}/metrics`,
      },
    },
    {
      name: "meters",
      script: "meters",
      dependsOn: ["oracle"],
      description: "meter simulator: signed readings of the seeded meters over MQTT",
      command: "npm",
      args: [
        "run",
        "-s",
        "meters",
        // Twice: the root script runs `npm run meters -w oracle`, which needs its own `--`.
        "--",
        "--",
        ...["--file", info.metersFile, "--meters", "5", "--seed", "powershare-dev", "--mqtt-url", mqttUrl],
      ],
      cwd: ROOT,
      ready: { kind: "none" },
      optional: true,
      echo: true,
      endpoints: { publishes: mqttUrl },
    },
    {
      name: "indexer",
      script: "indexer",
      description: "indexer: Ponder over the dev chain (GraphQL, SQL over HTTP with live queries, REST)",
      command: "npm",
      args: ["run", "-s", "indexer"],
      cwd: ROOT,
      env: {
        POWERSHARE_NETWORK: "hardhat",
        PONDER_RPC_URL_31337: RPC_URL,
        START_BLOCK: String(info.startBlock),
        INDEXER_PORT: String(indexerPort),
        PONDER_TELEMETRY_DISABLED: "true",
      },
      ready: { kind: "http", url: `http://127.0.0.1:${indexerPort}/ready` },
      readyTimeoutMs: 120_000,
      optional: true,
      ports: [indexerPort],
      endpoints: {
        graphql: `http://127.0.0.1:${indexerPort}/graphql`,
        sql: `http://127.0.0.1:${indexerPort}/sql`,
        rest: `http://127.0.0.1:${indexerPort}/markets/<marketId>/depth`,
      },
    },
    {
      name: "keeper",
      script: "keeper",
      description: `settlement keeper (account #8): claims unfilled makers after each gate, settles each seller with settleSale (maker claims and refunds folded in) once a slot's report window (${DEV_REPORT_WINDOW / 60} min here) has passed`,
      command: "npm",
      args: ["run", "-s", "keeper", "--", "--interval", "5", "--port", String(keeperPort)],
      cwd: ROOT,
      env: {
        POWERSHARE_RPC_URL: RPC_URL,
        POWERSHARE_CHAIN: String(CHAIN_ID),
        POWERSHARE_INDEXER_URL: `http://127.0.0.1:${indexerPort}`,
        POWERSHARE_PRIVATE_KEY: (await import("./seed/index.ts")).devAccount(KEEPER_ACCOUNT_INDEX).privateKey,
      },
      ready: { kind: "http", url: `http://127.0.0.1:${keeperPort}/health` },
      readyTimeoutMs: 30_000,
      optional: true,
      ports: [keeperPort],
      endpoints: {
        health: `http://127.0.0.1:${keeperPort}/health`,
        metrics: `http://127.0.0.1:${keeperPort}/metrics`,
        cli: "npx powershare --help",
      },
    },
    {
      name: "agents",
      script: "agents",
      description:
        "LangGraph trading agents for the seeded meters' owners (own wallets, ramp strategy, risk limits), HTTP API with SIWE; each action told to the owner through the notifier's hook",
      command: "npm",
      args: ["run", "-s", "agents"],
      cwd: ROOT,
      env: {
        POWERSHARE_RPC_URL: RPC_URL,
        POWERSHARE_CHAIN: String(CHAIN_ID),
        POWERSHARE_INDEXER_URL: `http://127.0.0.1:${indexerPort}`,
        AGENTS_METERS_FILE: info.metersFile,
        AGENTS_PORT: String(agentsPort),
        AGENTS_INTERVAL_S: "20",
        AGENTS_DB: path.join(DEV_DIR, "agents.sqlite"),
        // The dApp's host as the browser has it (the summary prints http://127.0.0.1:<port>).
        AGENTS_SIWE_DOMAIN: `127.0.0.1:${appPort}`,
        // Each action (orders, deposits, withdrawals, claims, risk refusals) is told to the owner.
        NOTIFIER_URL: `http://127.0.0.1:${notifierPort}`,
        NOTIFIER_HOOK_TOKEN: hookToken,
      },
      ready: { kind: "http", url: `http://127.0.0.1:${agentsPort}/health` },
      readyTimeoutMs: 30_000,
      optional: true,
      ports: [agentsPort],
      endpoints: {
        status: `http://127.0.0.1:${agentsPort}/agents/status`,
        health: `http://127.0.0.1:${agentsPort}/health`,
        metrics: `http://127.0.0.1:${agentsPort}/metrics`,
      },
    },
    {
      name: "gateway",
      script: "gateway",
      dependsOn: ["indexer"],
      description:
        "Beckn v2 BPP (Digital Energy Grid P2P trading): the books' asks as a catalog, orders to the chain (docs/beckn.md)",
      command: "npm",
      args: ["run", "-s", "gateway", "--", "--dev"],
      cwd: ROOT,
      env: {
        POWERSHARE_RPC_URL: RPC_URL,
        POWERSHARE_CHAIN: String(CHAIN_ID),
        POWERSHARE_INDEXER_URL: `http://127.0.0.1:${indexerPort}`,
        GATEWAY_PORT: String(gatewayPort),
        GATEWAY_DATA_DIR: path.join(DEV_DIR, "gateway"),
      },
      ready: { kind: "http", url: `http://127.0.0.1:${gatewayPort}/health` },
      readyTimeoutMs: 30_000,
      optional: true,
      ports: [gatewayPort],
      endpoints: {
        beckn: `http://127.0.0.1:${gatewayPort}/beckn/{discover,select,init,confirm,status,cancel}`,
        registry: path.join(DEV_DIR, "gateway", "registry.json"),
        health: `http://127.0.0.1:${gatewayPort}/health`,
        metrics: `http://127.0.0.1:${gatewayPort}/metrics`,
      },
    },
    {
      name: "notifier",
      script: "notifier",
      description:
        "notifier: fills, settlements, proposals by email/webhook/push/SMS/in-app; preferences by Sign-In with Ethereum from the dApp",
      command: "npm",
      args: ["run", "-s", "notifier"],
      cwd: ROOT,
      env: {
        POWERSHARE_RPC_URL: RPC_URL,
        POWERSHARE_CHAIN_ID: String(CHAIN_ID),
        POWERSHARE_ADDRESS_BOOK: info.addressBookFile,
        NOTIFIER_PORT: String(notifierPort),
        NOTIFIER_SQLITE: path.join(DEV_DIR, "notifier.sqlite"),
        // The dApp signs users in for its own host (app/src/lib/notifier-siwe.ts).
        NOTIFIER_SIWE_DOMAIN: `127.0.0.1:${appPort}`,
        // A developer's webhook receiver runs on this machine.
        NOTIFIER_ALLOW_PRIVATE_WEBHOOKS: "true",
        NOTIFIER_HOOK_TOKEN: hookToken,
      },
      ready: { kind: "log", pattern: /"notifier":"http/ },
      readyTimeoutMs: 30_000,
      optional: true,
      ports: [notifierPort],
      endpoints: {
        api: `http://127.0.0.1:${notifierPort}/v1/meta`,
        health: `http://127.0.0.1:${notifierPort}/health`,
        metrics: `http://127.0.0.1:${notifierPort}/metrics`,
      },
    },
    {
      name: "app",
      script: "app",
      dependsOn: ["indexer"],
      description:
        "dApp (Next.js dev server): markets, order book, portfolio, meters, communities, analytics",
      command: "npm",
      args: ["run", "-s", "app", "--", "-p", String(appPort), "-H", "127.0.0.1"],
      cwd: ROOT,
      env: {
        POWERSHARE_CHAIN_ID: String(CHAIN_ID),
        CHAIN_RPC_URL: RPC_URL,
        INDEXER_URL: `http://127.0.0.1:${indexerPort}`,
        NOTIFIER_URL: `http://127.0.0.1:${notifierPort}`,
        AGENTS_URL: `http://127.0.0.1:${agentsPort}`,
        ADDRESS_BOOK: info.addressBookFile,
        NEXT_TELEMETRY_DISABLED: "1",
      },
      // Ready when the dev server listens; each page compiles on its first request.
      ready: { kind: "log", pattern: /Ready in/ },
      readyTimeoutMs: 120_000,
      optional: true,
      ports: [appPort],
      endpoints: { url: `http://127.0.0.1:${appPort}` },
    },
  ];
}

// ---------------------------------------------------------------- the stack

async function main(): Promise<void> {
  const t0 = Date.now();
  const step = (msg: string) => console.log(`• ${msg}`);

  step("building contracts and typed ABIs");
  await stack.task({
    name: "build",
    command: process.execPath,
    args: [hardhat, "build", "--no-tests"],
    cwd: CONTRACTS,
  });
  await stack.task({
    name: "abis",
    command: process.execPath,
    args: [path.join(CONTRACTS, "scripts", "export-abis.ts")],
    cwd: CONTRACTS,
  });

  step(`starting the chain (hardhat node, ${RPC_URL}, chain id ${CHAIN_ID})`);
  await stack.start({
    name: "chain",
    description: `Hardhat node, chain id ${CHAIN_ID}, automine + a block every ${DEV_BLOCK_INTERVAL_MS / 1000} s`,
    command: process.execPath,
    args: [hardhat, "node", "--hostname", "127.0.0.1", "--port", String(CHAIN_PORT)],
    cwd: CONTRACTS,
    ready: { kind: "rpc", url: RPC_URL },
    ports: [CHAIN_PORT],
    endpoints: { rpc: RPC_URL, ws: `ws://127.0.0.1:${CHAIN_PORT}` },
  });

  await rpc("evm_setIntervalMining", [DEV_BLOCK_INTERVAL_MS]);

  step("deploying LocalStack with Hardhat Ignition");
  mkdirSync(DEV_DIR, { recursive: true });
  const ignitionParams = path.join(DEV_DIR, "ignition-parameters.json");
  writeFileSync(ignitionParams, JSON.stringify({ LocalStack: { reportWindow: DEV_REPORT_WINDOW } }, null, 2));
  await stack.task({
    name: "deploy",
    command: process.execPath,
    args: [
      hardhat,
      "ignition",
      "deploy",
      "ignition/modules/LocalStack.ts",
      "--network",
      "localhost",
      "--build-profile",
      "default",
      "--parameters",
      ignitionParams,
    ],
    cwd: CONTRACTS,
  });
  const { addressBookFromJournal, writeAddressBook } = await import("../contracts/scripts/address-book.ts");
  const book = addressBookFromJournal(path.join(CONTRACTS, "ignition", "deployments", `chain-${CHAIN_ID}`));
  if (book.chainId !== CHAIN_ID)
    throw new StackError(`deployed to chain ${book.chainId}, expected ${CHAIN_ID}`);
  const bookFile = writeAddressBook(book);

  step("seeding the demo community");
  // Imported only now: the seed needs the ABIs generated above.
  const { seedDemo, writeMetersFile, devAccount, DEMO_COMMUNITY } = await import("./seed/index.ts");
  const seed = await seedDemo({ rpcUrl: RPC_URL, addressBook: book, log: (l) => console.log(`    ${l}`) });
  const metersFile = path.join(DEV_DIR, "meters.json");
  writeMetersFile(metersFile, seed);

  // Fresh chain, fresh off-chain state: the oracle's store and the agents' checkpoints (an agent's
  // memory of order ids from an earlier chain would name the seed's orders on this one).
  rmSync(path.join(DEV_DIR, "oracle-data"), { recursive: true, force: true });
  for (const f of ["agents.sqlite", "agents.sqlite-wal", "agents.sqlite-shm"])
    rmSync(path.join(DEV_DIR, f), { force: true });
  const oracle = devAccount(ORACLE_ACCOUNT_INDEX);
  const later = await services({
    addressBookFile: bookFile,
    marketAddress: book.contracts.EnergyMarket!.address,
    settlementAddress: book.contracts.DeliverySettlement?.address ?? "",
    startBlock: book.startBlock,
    metersFile,
    oracleKey: oracle.privateKey,
  });
  const up = new Set(["chain"]);
  for (const svc of later) {
    if (!rootScripts[svc.script]) continue;
    if (skip.has(svc.name)) {
      step(`skipping ${svc.name} (--skip)`);
      continue;
    }
    const missing = (svc.dependsOn ?? []).filter((d) => !up.has(d));
    if (missing.length) {
      step(`skipping ${svc.name}: needs ${missing.join(", ")}`);
      continue;
    }
    step(`starting ${svc.name}: ${svc.description}`);
    if (await stack.start(svc)) up.add(svc.name);
  }

  // ---------------------------------------------------------------- summary
  const hhmm = (t: number) => new Date(t * 1000).toISOString().slice(11, 16);
  const slotEndOfTrade = Number(seed.trade.marketId & ((1n << 40n) - 1n)) + DEMO_COMMUNITY.params.slotLength;
  const line = "─".repeat(100);
  const out: string[] = ["", line, "PowerShare local stack", line, "", "Contracts (chain id 31337)"];
  for (const [name, c] of Object.entries(book.contracts)) {
    out.push(`  ${name.padEnd(18)} ${c.address}  (block ${c.blockNumber})`);
  }
  out.push(`  address book       ${path.relative(ROOT, bookFile)}`);
  out.push(
    "",
    `Community #${seed.communityId} "${DEMO_COMMUNITY.name}": ${DEMO_COMMUNITY.params.slotLength / 60}-min slots, ` +
      `gate ${DEMO_COMMUNITY.params.gateLead / 60} min, horizon ${DEMO_COMMUNITY.params.horizon / 3600} h, ` +
      `tick 0.001 USDC/kWh, fee ${DEMO_COMMUNITY.params.feeBps / 100}%, reference 0.25 USDC/kWh ±${DEMO_COMMUNITY.params.bandBps / 100}%`,
    `  ${seed.orderIds.length} resting orders on slots ${seed.slots.map((s) => new Date(s.slotStart * 1000).toISOString().slice(11, 16)).join(", ")} UTC; ` +
      `1 trade (${seed.trade.filledWh} Wh)`,
    `  the trade's slot ends ${hhmm(slotEndOfTrade)} UTC; its report window closes at ${hhmm(slotEndOfTrade + DEV_REPORT_WINDOW)} UTC, ` +
      `then the keeper settles the seller and refunds the buyer (watch .dev/logs/keeper.log, ` +
      `the keeper's /metrics, or the dApp's Portfolio)`,
    "",
    "Accounts (dev chain keys — public, never use with real funds)",
  );
  const roles = new Map<number, string>([[0, "deployer, market admin + guardian, community admin"]]);
  for (const m of seed.members) {
    roles.set(
      m.account.index,
      `${m.name}; meter #${m.meter.meterId} ${m.meter.kind}, ${m.meter.capacityW / 1000} kW`,
    );
  }
  roles.set(KEEPER_ACCOUNT_INDEX, "settlement keeper (powershare keeper): claims, settles, refunds");
  roles.set(ORACLE_ACCOUNT_INDEX, "oracle signer (registered in DeliverySettlement, k = 1) and poster");
  for (let i = 0; i < 10; i++) {
    const a = devAccount(i);
    out.push(`  #${i} ${a.address} ${a.privateKey}`);
    out.push(
      `     ${roles.get(i) ?? "spare"}${i < 10 ? "; 10,000 USDC in wallet" : ""}${roles.has(i) && i >= 1 && i <= 5 ? ", 2,000 deposited" : ""}`,
    );
  }
  out.push("", 'Meter device keys (derived: keccak256("powershare-device", "powershare-dev", meterId))');
  for (const m of seed.members) {
    out.push(`  meter #${m.meter.meterId} ${m.meter.deviceKey} ${m.meter.devicePrivateKey}`);
  }
  out.push("", "What runs where");
  for (const s of stack.services) {
    const endpoints = Object.entries(s.spec.endpoints ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    out.push(
      `  ${s.spec.name.padEnd(8)} ${s.ready ? "up  " : "DOWN"} ${s.spec.description}${endpoints ? ` — ${endpoints}` : ""}`,
    );
  }
  out.push(
    `  logs     ${path.relative(ROOT, stack.logDir)}/<service>.log`,
    `  meters   ${path.relative(ROOT, metersFile)}`,
  );
  out.push("", line);
  console.log(out.join("\n"));
  console.log(`PowerShare dev stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s — Ctrl-C to stop`);

  if (flags.once) await shutdown(0, "--once: done");
}

main().catch((err: unknown) => {
  if (exiting) return;
  console.error(`\n! ${err instanceof Error ? err.message : String(err)}`);
  if (!(err instanceof StackError) && err instanceof Error && err.stack) console.error(err.stack);
  void shutdown(1);
});
