/**
 * `npm run agents` — the agents service: a handful of household agents trading from their own wallets,
 * and the HTTP API (see http/server.ts).
 *
 * Environment:
 *   POWERSHARE_RPC_URL        JSON-RPC endpoint (default http://127.0.0.1:8545)
 *   POWERSHARE_CHAIN          chain id of the address book (default 31337)
 *   POWERSHARE_ADDRESS_BOOK   address book file (default: the contracts package's for the chain)
 *   POWERSHARE_INDEXER_URL    the indexer's base URL: observe reads markets, books, order ids, meter
 *                             reports and settlement results there first, the chain when it is
 *                             unset, down, malformed or lagging (decision 0042)
 *   AGENTS_INDEXER_MAX_LAG_BLOCKS  most blocks the indexer may be behind the chain head (default 8)
 *   AGENTS_FILE               JSON [{privateKey, meterId, annualKwh?, pvKwp?, owner?}] — the agents to run
 *                             (owner: the address told of the agent's actions; default its own); or
 *   AGENTS_METERS_FILE        the dev stack's meters.json: one agent per meter owner, keys derived from
 *                             the Hardhat dev mnemonic (refused unless the chain is 31337)
 *   AGENTS_MAX                most agents (default 4)
 *   AGENTS_PORT               HTTP port (default 9490; 0 = any)
 *   AGENTS_INTERVAL_S         seconds between cycles (default 30)
 *   AGENTS_DB                 node:sqlite checkpoint file (default .agents.sqlite), unless DATABASE_URL
 *   DATABASE_URL              PostgreSQL for the checkpoints instead (schema AGENTS_PG_SCHEMA, default agents)
 *   AGENTS_SIWE_DOMAIN        the domain SIWE messages must name (default localhost:3000, the dApp)
 *   AGENTS_RETAIL, AGENTS_FEED_IN   tariffs in USDC per kWh (default 0.30 / 0.08)
 *   LLM_BASE_URL, LLM_MODEL, LLM_API_KEY   optional OpenAI-compatible planner and chat model
 *   NOTIFIER_URL, NOTIFIER_HOOK_TOKEN   optional: each action (orders placed/cancelled/replaced,
 *                             deposits, withdrawals, claims, intents refused by risk) is told to the
 *                             agent's owner and to the agent's address through the notifier's hook
 *   LOG_LEVEL                 pino level (default info)
 */
import { readFileSync } from "node:fs";
import pino from "pino";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  isAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readAddressBook, type AddressBook } from "@powershare/contracts/node";
import {
  addressesFromBook,
  createPowerShare,
  parseQuote,
  type AnyPublicClient,
  type AnyWalletClient,
} from "@powershare/contracts/sdk";
import { devAccount } from "@powershare/contracts/sdk/testing";
import { TradingAgent } from "./agent.ts";
import { AgentIO, SharedReads } from "./chain/agent-io.ts";
import { DEFAULT_MAX_LAG_BLOCKS, IndexerSource } from "./chain/observe-source.ts";
import type { AgentDeps, AgentSettings } from "./graph/agent-graph.ts";
import { checkpointerFromEnv } from "./graph/checkpointer.ts";
import { createAgentsApi } from "./http/server.ts";
import { SiweAuth } from "./http/siwe-auth.ts";
import { llmPlanner, modelFromEnv } from "./llm/planner.ts";
import { AgentService, type ManagedAgent } from "./service.ts";
import { NotifierHookClient } from "./notify/hook-client.ts";
import { announceRefusals, announceWrites, type AnnounceTarget } from "./notify/announce.ts";
import { RampStrategy } from "./strategy/ramp.ts";

interface AgentSpec {
  privateKey: Hex;
  meterId: number;
  annualKwh?: number;
  pvKwp?: number;
  owner?: Address;
}

function fail(message: string): never {
  process.stderr.write(`agents: ${message}\n`);
  process.exit(2);
}

const env = process.env;
const log = pino({ level: env.LOG_LEVEL ?? "info", base: { service: "agents" } });
const rpcUrl = env.POWERSHARE_RPC_URL ?? "http://127.0.0.1:8545";
const chainId = Number(env.POWERSHARE_CHAIN ?? 31337);
if (!Number.isInteger(chainId) || chainId < 1)
  fail(`POWERSHARE_CHAIN must be a chain id, got "${env.POWERSHARE_CHAIN}"`);
const book: AddressBook = env.POWERSHARE_ADDRESS_BOOK
  ? (JSON.parse(readFileSync(env.POWERSHARE_ADDRESS_BOOK, "utf8")) as AddressBook)
  : readAddressBook(chainId);
const chain = defineChain({
  id: chainId,
  name: `chain-${chainId}`,
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const transport = http(rpcUrl, { batch: true });
const publicClient = createPublicClient({ chain, transport }) as AnyPublicClient;
const addresses = addressesFromBook(book);
const readPs = createPowerShare({ publicClient, addresses, indexerUrl: env.POWERSHARE_INDEXER_URL });

let specs: AgentSpec[] = [];
if (env.AGENTS_FILE) {
  specs = JSON.parse(readFileSync(env.AGENTS_FILE, "utf8")) as AgentSpec[];
} else if (env.AGENTS_METERS_FILE) {
  if (chainId !== 31337) fail("AGENTS_METERS_FILE derives dev keys and is for the local chain (31337) only");
  const file = JSON.parse(readFileSync(env.AGENTS_METERS_FILE, "utf8")) as {
    meters: { meterId: number; owner: string; kind: string; capacityW: number; active: boolean }[];
  };
  const keyOf = new Map(
    Array.from({ length: 20 }, (_, i) => [devAccount(i).address.toLowerCase(), devAccount(i).privateKey]),
  );
  for (const m of file.meters) {
    const key = keyOf.get(m.owner.toLowerCase());
    if (!key || !m.active) continue;
    const pv = m.kind === "producer" || m.kind === "prosumer";
    specs.push({
      privateKey: key,
      meterId: m.meterId,
      annualKwh: pv ? 4000 : 3500,
      pvKwp: pv ? Math.min(10, m.capacityW / 1000) : undefined,
    });
  }
} else {
  fail("set AGENTS_FILE (agents with their keys) or AGENTS_METERS_FILE (dev stack)");
}
specs = specs.slice(0, Number(env.AGENTS_MAX ?? 4));
const tariffs = {
  retailPerKwh: Number(parseQuote(env.AGENTS_RETAIL ?? "0.30")),
  feedInPerKwh: Number(parseQuote(env.AGENTS_FEED_IN ?? "0.08")),
};
if (tariffs.feedInPerKwh >= tariffs.retailPerKwh) fail("AGENTS_FEED_IN must be below AGENTS_RETAIL");
const maxLagBlocks = Number(env.AGENTS_INDEXER_MAX_LAG_BLOCKS ?? DEFAULT_MAX_LAG_BLOCKS);
if (!Number.isInteger(maxLagBlocks) || maxLagBlocks < 0)
  fail(
    `AGENTS_INDEXER_MAX_LAG_BLOCKS must be a whole number ≥ 0, got "${env.AGENTS_INDEXER_MAX_LAG_BLOCKS}"`,
  );
const template = () => ({
  household: { site: { latitude: 52.52, longitude: 13.4 }, annualKwh: 3500 },
  // no weather feed in the dev stack: a broken sky; the tracker learns the rest from the meters
  clouds: { cloudFactor: () => 0.7 },
  tariffs,
  windowSlots: 4,
  lookaheadSlots: 48,
  limits: {
    minPricePerKwh: tariffs.feedInPerKwh,
    maxPricePerKwh: tariffs.retailPerKwh,
    maxExposurePerSlot: 2_000_000,
    minFreeBalance: 1_000_000,
    maxOrdersPerCycle: 8,
    maxWhPerSlot: 2_500,
  },
});
const model = await modelFromEnv(env);
const store = await checkpointerFromEnv(env, (err) =>
  log.warn({ err: String(err) }, "checkpoint_pool_error"),
).catch((err: Error) => fail(err.message));
const saver = store.saver;
const shared = new SharedReads(readPs);
if (!env.NOTIFIER_URL !== !env.NOTIFIER_HOOK_TOKEN)
  fail("set both NOTIFIER_URL and NOTIFIER_HOOK_TOKEN to announce the agents' actions, or neither");
const hook =
  env.NOTIFIER_URL && env.NOTIFIER_HOOK_TOKEN
    ? new NotifierHookClient({ url: env.NOTIFIER_URL, token: env.NOTIFIER_HOOK_TOKEN, log })
    : undefined;
const targets = new Map<string, AnnounceTarget>();
const agents: ManagedAgent[] = [];
for (const s of specs) {
  const account = privateKeyToAccount(s.privateKey);
  const meter = await readPs.meter(s.meterId);
  if (!meter || meter.owner.toLowerCase() !== account.address.toLowerCase())
    fail(`meter ${s.meterId} is not registered to ${account.address}`);
  const walletClient = createWalletClient({ chain, transport, account }) as AnyWalletClient;
  if (s.owner !== undefined && !isAddress(s.owner))
    fail(`the owner "${s.owner}" of meter ${s.meterId} is not an address`);
  const t = template();
  const agentId = `agent-${account.address.slice(2, 8).toLowerCase()}-${s.meterId}`;
  const target: AnnounceTarget = { agentId, recipients: [s.owner ?? account.address, account.address] };
  targets.set(agentId, target);
  const signer = createPowerShare({ publicClient, walletClient, addresses, tx: { gasHeadroomBps: 20_000 } });
  const ps = hook ? announceWrites(signer, hook, target) : signer;
  const settings: AgentSettings = {
    ...t,
    agentId,
    communityId: meter.communityId,
    meterId: s.meterId,
    household: {
      ...t.household,
      annualKwh: s.annualKwh ?? 3500,
      pv: s.pvKwp ? { kWp: s.pvKwp, performanceRatio: 0.8 } : undefined,
    },
    limits: { ...t.limits, maxWhPerSlot: Math.floor((meter.capacityW * 900) / 3600) },
  };
  const io = new AgentIO(ps, account.address, shared);
  const deps: AgentDeps = {
    io,
    source: new IndexerSource(io, { url: env.POWERSHARE_INDEXER_URL, maxLagBlocks }),
    strategy: new RampStrategy({ windowSlots: settings.windowSlots }),
    settings,
    planner: model ? llmPlanner({ model }) : undefined,
    log,
  };
  agents.push({ agent: new TradingAgent(deps, saver), account: account.address, settings, deps });
}
const service = new AgentService(readPs, agents, log, () => template(), {
  onCycle: hook
    ? (m, st) => announceRefusals(hook, targets.get(m.settings.agentId)!, st.verdict?.refused ?? [])
    : undefined,
});
hook?.register(service.registry);
const server = createAgentsApi({
  service,
  auth: new SiweAuth(publicClient, env.AGENTS_SIWE_DOMAIN ?? "localhost:3000"),
  model,
  staleAfterMs: Math.max(60_000, 10 * Number(env.AGENTS_INTERVAL_S ?? 30) * 1000),
});
const port = Number(env.AGENTS_PORT ?? 9490);
server.listen(port, "127.0.0.1", () => {
  const a = server.address();
  log.info(
    {
      port: typeof a === "object" && a ? a.port : port,
      agents: agents.map((m) => m.settings.agentId),
      llm: Boolean(model),
      checkpoints: `${store.kind} ${store.location}`,
      notifier: hook ? env.NOTIFIER_URL : undefined,
      observe: env.POWERSHARE_INDEXER_URL
        ? { indexer: env.POWERSHARE_INDEXER_URL, maxLagBlocks, fallback: "chain" }
        : "chain (no POWERSHARE_INDEXER_URL)",
    },
    "agents_ready",
  );
});
service.start(Number(env.AGENTS_INTERVAL_S ?? 30) * 1000);
const stop = async () => {
  service.stop();
  await hook?.drain(3000); // what the last cycle did, if the notifier answers quickly
  hook?.stop();
  server.close();
  await store.close().catch(() => undefined);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
