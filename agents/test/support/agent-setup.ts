/** One household agent's deps on a test chain, the same in the test process and in a child process. */
import { createPublicClient, createWalletClient, defineChain, http } from "viem";
import {
  createPowerShare,
  type AnyPublicClient,
  type AnyWalletClient,
  type PowerShareAddresses,
} from "@powershare/contracts/sdk";
import { devAccount } from "@powershare/contracts/sdk/testing";
import { AgentIO } from "../../src/chain/agent-io.ts";
import type { AgentDeps, AgentSettings } from "../../src/graph/agent-graph.ts";
import { RampStrategy } from "../../src/strategy/ramp.ts";

export interface AgentSetup {
  rpcUrl: string;
  addresses: PowerShareAddresses;
  account: number;
  communityId: number;
  meterId: number;
}

/** The test household: 8 kWp of PV in Berlin under a clear sky, 3,500 kWh a year, a 4-slot window. */
export const TEST_HOUSEHOLD = {
  household: {
    site: { latitude: 52.52, longitude: 13.4 },
    annualKwh: 3500,
    pv: { kWp: 8, performanceRatio: 0.8 },
  },
  clouds: { cloudFactor: () => 1 },
  tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
  windowSlots: 4,
  lookaheadSlots: 8,
} satisfies Partial<AgentSettings>;

export function agentSettings(s: AgentSetup): AgentSettings {
  return {
    agentId: `kill-agent-${s.account}`,
    communityId: s.communityId,
    meterId: s.meterId,
    ...TEST_HOUSEHOLD,
    limits: {
      minPricePerKwh: 80_000,
      maxPricePerKwh: 300_000,
      maxExposurePerSlot: 10_000_000,
      minFreeBalance: 1_000_000,
      maxOrdersPerCycle: 8,
      maxWhPerSlot: 2_500,
    },
  };
}

export function agentDeps(s: AgentSetup): AgentDeps {
  const chain = defineChain({
    id: 31337,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [s.rpcUrl] } },
  });
  const transport = http(s.rpcUrl, { timeout: 60_000 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 }) as AnyPublicClient;
  const walletClient = createWalletClient({
    chain,
    transport,
    account: devAccount(s.account),
    pollingInterval: 50,
  }) as AnyWalletClient;
  const ps = createPowerShare({ publicClient, walletClient, addresses: s.addresses });
  return {
    io: new AgentIO(ps, devAccount(s.account).address),
    strategy: new RampStrategy(),
    settings: agentSettings(s),
  };
}

export const encodeSetup = (s: AgentSetup) =>
  JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
export const decodeSetup = (text: string) =>
  JSON.parse(text, (_k, v) =>
    v && typeof v === "object" && "$bigint" in v ? BigInt((v as { $bigint: string }).$bigint) : v,
  ) as AgentSetup;
