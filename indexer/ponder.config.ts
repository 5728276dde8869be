import { createConfig } from "ponder";
import {
  deliverySettlementAbi,
  energyMarketAbi,
  settlementKeeperAbi,
  treasuryGovernorAbi,
} from "@powershare/contracts";
import { networkSettings } from "./src/network.ts";
import { ThreadedPGlite } from "./database/threaded-pglite.ts";

const net = networkSettings();
// PGlite's Postgres on a worker thread (docs/decisions/0006); PGLITE_THREAD=0 keeps it in-thread.
if (process.env.PGLITE_THREAD !== "0") {
  (globalThis as Record<symbol, unknown>)[Symbol.for("ponder.createPglite")] = (options: {
    dataDir?: string;
  }) => new ThreadedPGlite(options);
}

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * Contracts not deployed on a network (DeliverySettlement etc. on a public chain that has only the
 * market so far) are indexed at the zero address, where they emit nothing.
 */
export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    [net.name]: {
      id: net.chainId,
      rpc: net.rpc,
      pollingInterval: net.pollingInterval,
      maxRequestsPerSecond: net.maxRequestsPerSecond,
      // A dev chain restarts with the same id and different blocks: never reuse cached RPC data.
      disableCache: net.chainId === 31337,
    },
  },
  contracts: {
    EnergyMarket: { abi: energyMarketAbi, chain: net.name, address: net.market, startBlock: net.startBlock },
    DeliverySettlement: {
      abi: deliverySettlementAbi,
      chain: net.name,
      address: net.settlement ?? ZERO,
      startBlock: net.startBlock,
    },
    TreasuryGovernor: {
      abi: treasuryGovernorAbi,
      chain: net.name,
      address: net.governor ?? ZERO,
      startBlock: net.startBlock,
    },
    SettlementKeeper: {
      abi: settlementKeeperAbi,
      chain: net.name,
      address: net.keeper ?? ZERO,
      startBlock: net.startBlock,
    },
  },
});
