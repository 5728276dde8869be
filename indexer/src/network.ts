/**
 * Which chain this indexer instance follows, and where the contracts are. One instance indexes one
 * network (ids such as marketId and orderId are unique per chain only); run one per network, each
 * with its own database schema (`ponder start --schema …`).
 *
 *   POWERSHARE_NETWORK   hardhat (default) | amoy | polygon
 *   RPC URL              PONDER_RPC_URL_<chainId>, else RPC_URL; hardhat defaults to http://127.0.0.1:8545,
 *                        amoy also reads AMOY_RPC_URL, polygon POLYGON_RPC_URL
 *   ADDRESS_BOOK         path of an address book JSON (default: the contracts package's book)
 *   MARKET_ADDRESS, SETTLEMENT_ADDRESS, GOVERNOR_ADDRESS, KEEPER_ADDRESS   per-contract overrides
 *   START_BLOCK          first block to index (default: the book's startBlock)
 *   POLLING_INTERVAL_MS  new-block polling (default 200 on hardhat, 1000 elsewhere)
 *   MAX_REQUESTS_PER_SECOND  starting JSON-RPC request rate (default 5000 on hardhat; elsewhere Ponder's
 *                        adaptive limit, which starts at 20/s and backs off on errors — see patches/)
 */
import { existsSync, readFileSync } from "node:fs";
import { readAddressBook, type AddressBook } from "@powershare/contracts/node";

type Hex = `0x${string}`;

export const NETWORKS = {
  hardhat: { chainId: 31337, rpcEnv: [] as string[], defaultRpc: "http://127.0.0.1:8545" },
  amoy: { chainId: 80002, rpcEnv: ["AMOY_RPC_URL"], defaultRpc: undefined },
  polygon: { chainId: 137, rpcEnv: ["POLYGON_RPC_URL"], defaultRpc: undefined },
} as const;

export type NetworkName = keyof typeof NETWORKS;

export interface NetworkSettings {
  name: NetworkName;
  chainId: number;
  rpc: string;
  pollingInterval: number;
  /**
   * Starting JSON-RPC request rate. Ponder 0.16 ignores this option and starts every provider at
   * 20 requests/s, raising it by 5% at a time; patches/ponder+0.16.10.patch makes it the starting
   * (and highest) rate. A local node takes thousands; a public provider is left to Ponder.
   */
  maxRequestsPerSecond?: number;
  startBlock: number;
  /** Addresses of the contracts to index; DeliverySettlement etc. are absent where not deployed. */
  market: Hex;
  settlement?: Hex;
  governor?: Hex;
  keeper?: Hex;
}

function loadBook(chainId: number): AddressBook | undefined {
  const file = process.env.ADDRESS_BOOK;
  if (file) {
    if (!existsSync(file)) throw new Error(`ADDRESS_BOOK ${file} does not exist`);
    return JSON.parse(readFileSync(file, "utf8")) as AddressBook;
  }
  try {
    return readAddressBook(chainId);
  } catch {
    return undefined;
  }
}

export function networkSettings(env: NodeJS.ProcessEnv = process.env): NetworkSettings {
  const name = (env.POWERSHARE_NETWORK ?? "hardhat") as NetworkName;
  const net = NETWORKS[name];
  if (!net) throw new Error(`POWERSHARE_NETWORK must be one of ${Object.keys(NETWORKS).join(", ")}`);
  const rpc =
    env[`PONDER_RPC_URL_${net.chainId}`] ??
    net.rpcEnv.map((k) => env[k]).find(Boolean) ??
    env.RPC_URL ??
    net.defaultRpc;
  if (!rpc) throw new Error(`no RPC URL for ${name}: set PONDER_RPC_URL_${net.chainId}`);
  const book = loadBook(net.chainId);
  if (book && book.chainId !== net.chainId) {
    throw new Error(`address book is for chain ${book.chainId}, network ${name} is ${net.chainId}`);
  }
  const addr = (envKey: string, contract: string): Hex | undefined =>
    (env[envKey] as Hex | undefined) || book?.contracts[contract]?.address;
  const market = addr("MARKET_ADDRESS", "EnergyMarket");
  if (!market) {
    throw new Error(
      `no EnergyMarket address for ${name}: set MARKET_ADDRESS or ADDRESS_BOOK (for hardhat run \`npm run dev\`)`,
    );
  }
  return {
    name,
    chainId: net.chainId,
    rpc,
    pollingInterval: Number(env.POLLING_INTERVAL_MS ?? (name === "hardhat" ? 200 : 1000)),
    maxRequestsPerSecond: env.MAX_REQUESTS_PER_SECOND
      ? Number(env.MAX_REQUESTS_PER_SECOND)
      : name === "hardhat"
        ? 5000
        : undefined,
    startBlock: Number(env.START_BLOCK ?? book?.startBlock ?? 0),
    market,
    settlement: addr("SETTLEMENT_ADDRESS", "DeliverySettlement"),
    governor: addr("GOVERNOR_ADDRESS", "TreasuryGovernor"),
    keeper: addr("KEEPER_ADDRESS", "SettlementKeeper"),
  };
}
