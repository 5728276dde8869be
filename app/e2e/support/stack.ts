/**
 * The local stack the browser tests and the benchmark run against, on free ports and temp dirs:
 * a Hardhat node (contracts package), the LocalStack contracts deployed from the compiled
 * artifacts (MockUSDC, reference feed, EnergyMarket, DeliverySettlement, SettlementKeeper,
 * TreasuryGovernor), the demo seed of `npm run dev` (scripts/seed), the indexer (PGlite in a temp
 * dir), optionally the notifier (SQLite in the temp dir, SIWE domain = the app's host) and the
 * agents service (the seeded meters' owners; SQLite in the temp dir), and `next start` of the
 * built app.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  http,
  keccak256,
  toBytes,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import type { AddressBook } from "@powershare/contracts";
import { compiledArtifact, startHardhatNode, type HardhatNode } from "@powershare/contracts/testing";
import { mockV3AggregatorArtifact } from "../../../contracts/ignition/npm-artifact.ts";
import { devAccount, seedDemo, writeMetersFile, type SeedResult } from "../../../scripts/seed/index.ts";

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ROOT = path.resolve(APP_DIR, "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc?: ChildProcess,
  out?: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null)
      throw new Error(`${what} exited (${proc.exitCode}):\n${out?.().slice(-4000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} not ready in ${timeoutMs} ms:\n${out?.().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function spawnLogged(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const proc = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"], detached: false });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  return { proc, output: () => out };
}

const stopProc = (proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill(signal);
    setTimeout(() => proc.kill("SIGKILL"), 8_000).unref();
  });

export interface Stack {
  rpcUrl: string;
  chainId: number;
  book: AddressBook;
  bookFile: string;
  seed: SeedResult;
  indexerUrl: string;
  /** The notifier's own URL, when started with `{ notifier: true }`. */
  notifierUrl?: string;
  /** The agents service's own URL, when started with `{ agents: true }`. */
  agentsUrl?: string;
  appUrl: string;
  pub: PublicClient;
  /** Sends a transaction from a dev account (the node's unlocked accounts). */
  send(from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<Hex>;
  rpc<T>(method: string, params: unknown[]): Promise<T>;
  /** Moves chain time forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Resolves once the indexer has indexed `block`. */
  indexed(block: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const SETTLER_ROLE = keccak256(toBytes("SETTLER_ROLE"));

export async function deployLocalStack(url: string): Promise<AddressBook> {
  const chain = defineChain({
    id: 31337,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const pub = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
  const wallet = createWalletClient({ chain, transport: http(url) });
  const admin = devAccount(0).address;
  const entries: AddressBook["contracts"] = {};
  const deploy = async (name: string, art: { abi: Abi; bytecode: Hex }, args: readonly unknown[]) => {
    const hash = await wallet.deployContract({ abi: art.abi, bytecode: art.bytecode, args, account: admin });
    const r = await pub.waitForTransactionReceipt({ hash });
    entries[name] = {
      address: r.contractAddress!,
      blockNumber: Number(r.blockNumber),
      transactionHash: hash,
      future: `LocalStack#${name}`,
    };
    return { address: r.contractAddress!, abi: art.abi };
  };
  const call = async (c: { address: Address; abi: Abi }, functionName: string, args: readonly unknown[]) => {
    const hash = await wallet.sendTransaction({
      account: admin,
      to: c.address,
      data: encodeFunctionData({ abi: c.abi, functionName, args }),
    });
    await pub.waitForTransactionReceipt({ hash });
  };
  const feedArt = mockV3AggregatorArtifact() as unknown as { abi: Abi; bytecode: Hex };
  const usdc = await deploy("MockUSDC", compiledArtifact("mocks/MockUSDC.sol/MockUSDC.json"), []);
  await deploy("MockV3Aggregator", feedArt, [8, 25_000_000n]);
  const market = await deploy("EnergyMarket", compiledArtifact("EnergyMarket.sol/EnergyMarket.json"), [
    usdc.address,
    admin,
    admin,
  ]);
  const settlement = await deploy(
    "DeliverySettlement",
    compiledArtifact("delivery/DeliverySettlement.sol/DeliverySettlement.json"),
    [market.address, admin, 3600],
  );
  await call(market, "grantRole", [SETTLER_ROLE, settlement.address]);
  await call(settlement, "setOracleSigners", [[devAccount(9).address], 1]);
  await deploy("SettlementKeeper", compiledArtifact("delivery/SettlementKeeper.sol/SettlementKeeper.json"), [
    settlement.address,
  ]);
  const governor = await deploy(
    "TreasuryGovernor",
    compiledArtifact("governance/TreasuryGovernor.sol/TreasuryGovernor.json"),
    [market.address, 0, 3600, 2000, 600, 7 * 24 * 3600],
  );
  await call(market, "setTreasuryGovernor", [governor.address]);
  return {
    chainId: 31337,
    deploymentId: "app-e2e",
    quoteToken: usdc.address,
    startBlock: entries.MockUSDC!.blockNumber,
    contracts: entries,
  };
}

export async function startStack(
  opts: { log?: (l: string) => void; notifier?: boolean; agents?: boolean } = {},
): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const dist = process.env.NEXT_DIST_DIR || ".next"; // next.config.ts reads the same variable
  if (!existsSync(path.join(APP_DIR, dist, "BUILD_ID")))
    throw new Error(`the app is not built in ${dist}: run \`npm run build -w app\` first`);
  const tmp = mkdtempSync(path.join(tmpdir(), "ps-app-e2e-"));
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const chainPort = await freePort();
    const node: HardhatNode = await startHardhatNode(chainPort);
    cleanups.push(() => node.stop());
    const rpcUrl = node.url;
    log(`chain ${rpcUrl}`);
    const book = await deployLocalStack(rpcUrl);
    const bookFile = path.join(tmp, "31337.json");
    writeFileSync(bookFile, JSON.stringify(book, null, 2));
    const seed = await seedDemo({ rpcUrl, addressBook: book });
    log(`seeded community ${seed.communityId}, ${seed.orderIds.length} orders`);

    const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0" };
    delete env.DATABASE_URL; // the indexer on PGlite in a temp dir: isolated from everything else
    const indexerPort = await freePort();
    const indexer = spawnLogged(
      process.execPath,
      [path.join(ROOT, "indexer", "bin", "start.ts"), "--log-level", "warn"],
      {
        cwd: path.join(ROOT, "indexer"),
        env: {
          ...env,
          POWERSHARE_NETWORK: "hardhat",
          PONDER_RPC_URL_31337: rpcUrl,
          ADDRESS_BOOK: bookFile,
          START_BLOCK: String(book.startBlock),
          INDEXER_PORT: String(indexerPort),
          PGLITE_DIR: path.join(tmp, "pglite"),
          PONDER_SCHEMA: "app_e2e",
          POLLING_INTERVAL_MS: "100",
          PONDER_TELEMETRY_DISABLED: "true",
        },
      },
    );
    cleanups.push(() => stopProc(indexer.proc));
    const indexerUrl = `http://127.0.0.1:${indexerPort}`;

    const appPort = await freePort();
    let notifierUrl: string | undefined;
    if (opts.notifier) {
      const notifierPort = await freePort();
      const notifier = spawnLogged(process.execPath, [path.join(ROOT, "notifier", "bin", "notifier.ts")], {
        cwd: path.join(ROOT, "notifier"),
        env: {
          ...env,
          POWERSHARE_RPC_URL: rpcUrl,
          POWERSHARE_CHAIN_ID: "31337",
          POWERSHARE_ADDRESS_BOOK: bookFile,
          NOTIFIER_PORT: String(notifierPort),
          NOTIFIER_SQLITE: path.join(tmp, "notifier.sqlite"),
          NOTIFIER_CONFIRMATIONS: "1",
          NOTIFIER_POLL_MS: "100",
          // The dApp signs users in for its own host.
          NOTIFIER_SIWE_DOMAIN: `127.0.0.1:${appPort}`,
          LOG_LEVEL: "warn",
        },
      });
      cleanups.push(() => stopProc(notifier.proc));
      notifierUrl = `http://127.0.0.1:${notifierPort}`;
      await waitFor(
        "notifier",
        async () => (await fetch(`${notifierUrl}/v1/meta`)).status === 200,
        60_000,
        notifier.proc,
        notifier.output,
      );
      log(`notifier ${notifierUrl}`);
    }
    let agentsUrl: string | undefined;
    if (opts.agents) {
      const agentsPort = await freePort();
      const metersFile = path.join(tmp, "meters.json");
      writeMetersFile(metersFile, seed);
      const agents = spawnLogged(process.execPath, [path.join(ROOT, "agents", "src", "main.ts")], {
        cwd: path.join(ROOT, "agents"),
        env: {
          ...env,
          POWERSHARE_RPC_URL: rpcUrl,
          POWERSHARE_CHAIN: "31337",
          POWERSHARE_ADDRESS_BOOK: bookFile,
          POWERSHARE_INDEXER_URL: indexerUrl,
          AGENTS_METERS_FILE: metersFile,
          AGENTS_PORT: String(agentsPort),
          AGENTS_INTERVAL_S: "3600", // one cycle at start; the pages are what matters here
          AGENTS_DB: path.join(tmp, "agents.sqlite"),
          AGENTS_SIWE_DOMAIN: `127.0.0.1:${appPort}`,
          LOG_LEVEL: "warn",
        },
      });
      cleanups.push(() => stopProc(agents.proc));
      agentsUrl = `http://127.0.0.1:${agentsPort}`;
      await waitFor(
        "agents",
        async () => (await fetch(`${agentsUrl}/health`)).status === 200,
        60_000,
        agents.proc,
        agents.output,
      );
      log(`agents ${agentsUrl}`);
    }
    const next = spawnLogged(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "next", "dist", "bin", "next"),
        "start",
        "-p",
        String(appPort),
        "-H",
        "127.0.0.1",
      ],
      {
        cwd: APP_DIR,
        env: {
          ...env,
          POWERSHARE_CHAIN_ID: "31337",
          CHAIN_RPC_URL: rpcUrl,
          INDEXER_URL: indexerUrl,
          ...(notifierUrl ? { NOTIFIER_URL: notifierUrl } : {}),
          ...(agentsUrl ? { AGENTS_URL: agentsUrl } : {}),
          ADDRESS_BOOK: bookFile,
          NEXT_TELEMETRY_DISABLED: "1",
          NODE_ENV: "production",
        },
      },
    );
    cleanups.push(() => stopProc(next.proc));
    const appUrl = `http://127.0.0.1:${appPort}`;

    await waitFor(
      "indexer",
      async () => (await fetch(`${indexerUrl}/ready`)).status === 200,
      180_000,
      indexer.proc,
      indexer.output,
    );
    log(`indexer ${indexerUrl}`);
    await waitFor(
      "next start",
      async () => (await fetch(`${appUrl}/settings`)).status === 200,
      60_000,
      next.proc,
      next.output,
    );
    log(`app ${appUrl}`);

    const chain = defineChain({
      id: 31337,
      name: "hardhat",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    const pub = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 }) as PublicClient;
    const wallet = createWalletClient({ chain, transport: http(rpcUrl) });
    const rpc = <T>(method: string, params: unknown[]) =>
      pub.request({ method: method as never, params: params as never }) as Promise<T>;
    return {
      rpcUrl,
      chainId: 31337,
      book,
      bookFile,
      seed,
      indexerUrl,
      notifierUrl,
      agentsUrl,
      appUrl,
      pub,
      async send(from, to, abi, functionName, args) {
        const hash = await wallet.sendTransaction({
          account: from,
          to,
          data: encodeFunctionData({ abi, functionName, args }),
        });
        const r = await pub.waitForTransactionReceipt({ hash });
        if (r.status !== "success") throw new Error(`${functionName} reverted`);
        return hash;
      },
      rpc,
      async increaseTime(seconds) {
        await rpc("evm_increaseTime", [seconds]);
        await rpc("evm_mine", []);
      },
      async indexed(block, timeoutMs = 30_000) {
        await waitFor(
          `indexer block ${block}`,
          async () => {
            const s = (await (await fetch(`${indexerUrl}/status`)).json()) as Record<
              string,
              { block: { number: number } }
            >;
            return BigInt(Object.values(s)[0]?.block.number ?? 0) >= block;
          },
          timeoutMs,
        );
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
