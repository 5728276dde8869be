/**
 * @powershare/contracts/sdk/testing — Node-only: a private Hardhat chain with the protocol deployed
 * from the compiled artifacts, dev accounts, a community with members and meters, and signed oracle
 * reports. Used by the SDK's, the CLI's and the keeper's tests and by the keeper benchmark.
 */
import { createServer } from "node:net";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  http,
  type Abi,
  type Address,
  type Chain,
  type Hex,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { toHex } from "viem";
import { REPORT_TYPES, meterCertificateTypedData, reportDomain } from "../typed-data.ts";
import { compiledArtifact, startHardhatNode, type HardhatNode } from "../testing.ts";
import type { AddressBook } from "../types.ts";
import type { AnyPublicClient, AnyWalletClient, PowerShareAddresses } from "./context.ts";

export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const ORACLE_INDEX = 9;
export const REPORT_WINDOW = 3600;
/**
 * The meter registrar of the communities the test stack creates (it only signs certificates, so it
 * needs no funds). Never a trader, since a registrar may not certify its own meters.
 */
export const REGISTRAR_INDEX = 39;

/** Dev account #i (Hardhat's default mnemonic) with its private key. */
export function devAccount(i: number): PrivateKeyAccount & { privateKey: Hex } {
  const hd = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
  const privateKey = toHex(hd.getHdKey().privateKey!);
  return Object.assign(privateKeyToAccount(privateKey), { privateKey });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const ART = {
  usdc: "mocks/MockUSDC.sol/MockUSDC.json",
  market: "EnergyMarket.sol/EnergyMarket.json",
  settlement: "delivery/DeliverySettlement.sol/DeliverySettlement.json",
  keeper: "delivery/SettlementKeeper.sol/SettlementKeeper.json",
} as const;

/** ABIs of the compiled artifacts the test stack deploys. */
export const testAbis = {
  get usdc(): Abi {
    return compiledArtifact(ART.usdc).abi;
  },
  get market(): Abi {
    return compiledArtifact(ART.market).abi;
  },
  get settlement(): Abi {
    return compiledArtifact(ART.settlement).abi;
  },
};

export interface TestStack {
  node: HardhatNode;
  url: string;
  chain: Chain;
  publicClient: AnyPublicClient;
  addresses: PowerShareAddresses & { settlement: Address; keeper: Address };
  addressBook: AddressBook;
  /** A wallet client of dev account #i. */
  wallet(i: number): AnyWalletClient;
  /** Sends a call from dev account #i and waits for it (throws on revert). */
  send(i: number, to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<Hex>;
  now(): Promise<number>;
  /** Mines a block at `timestamp`. */
  warpTo(timestamp: number): Promise<void>;
  /** Creates a community (account #0 is its admin); returns its id. */
  createCommunity(p?: Partial<CommunityParams>): Promise<number>;
  /**
   * Mints, deposits, joins and registers a meter for account #i (its device key is the account
   * itself; rated `capacityW`, 10 kW by default); returns the meter id.
   */
  onboard(
    i: number,
    communityId: number,
    deposit: bigint,
    kind?: number,
    capacityW?: number,
  ): Promise<number>;
  /** Posts reports signed by the oracle (account #9). */
  report(
    reports: { meterId: number; slotStart: number; importedWh: bigint; exportedWh: bigint }[],
  ): Promise<Hex>;
  stop(): Promise<void>;
}

export interface CommunityParams {
  slotLength: number;
  gateLead: number;
  horizon: number;
  tickSize: bigint;
  minOrderWh: bigint;
  bondPerKwh: bigint;
  feeBps: number;
}

export const TEST_COMMUNITY: CommunityParams = {
  slotLength: 900,
  gateLead: 300,
  horizon: 48 * 3600,
  tickSize: 1_000n,
  minOrderWh: 100n,
  bondPerKwh: 10_000n,
  feeBps: 100,
};

/** Starts a Hardhat node on a free port and deploys MockUSDC, EnergyMarket, DeliverySettlement, SettlementKeeper. */
export async function startTestStack(): Promise<TestStack> {
  const node = await startHardhatNode(await freePort());
  const chain = defineChain({
    id: 31337,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [node.url] } },
  });
  const transport = http(node.url, { timeout: 60_000 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 }) as AnyPublicClient;
  const wallets = new Map<number, AnyWalletClient>();
  const wallet = (i: number) => {
    let w = wallets.get(i);
    if (!w) {
      w = createWalletClient({
        chain,
        transport,
        account: devAccount(i),
        pollingInterval: 50,
      }) as AnyWalletClient;
      wallets.set(i, w);
    }
    return w;
  };
  const send = async (i: number, to: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
    const w = wallet(i);
    const hash = await w.sendTransaction({
      account: w.account!,
      chain,
      to,
      data: encodeFunctionData({ abi, functionName, args } as never),
    });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`${functionName} reverted`);
    return hash;
  };
  const deploy = async (rel: string, args: readonly unknown[]) => {
    const { abi, bytecode } = compiledArtifact(rel);
    const w = wallet(0);
    const hash = await w.deployContract({ abi, bytecode, args, account: w.account!, chain });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    return { address: r.contractAddress!, block: Number(r.blockNumber), hash };
  };
  const admin = devAccount(0).address;
  const usdc = await deploy(ART.usdc, []);
  const market = await deploy(ART.market, [usdc.address, admin, admin]);
  const settlement = await deploy(ART.settlement, [market.address, admin, REPORT_WINDOW]);
  const keeper = await deploy(ART.keeper, [settlement.address]);
  const marketAbi = compiledArtifact(ART.market).abi;
  const settlementAbi = compiledArtifact(ART.settlement).abi;
  const usdcAbi = compiledArtifact(ART.usdc).abi;
  const settlerRole = (await publicClient.readContract({
    address: market.address,
    abi: marketAbi,
    functionName: "SETTLER_ROLE",
  })) as Hex;
  await send(0, market.address, marketAbi, "grantRole", [settlerRole, settlement.address]);
  await send(0, settlement.address, settlementAbi, "setOracleSigners", [
    [devAccount(ORACLE_INDEX).address],
    1,
  ]);

  const entry = (d: { address: Address; block: number; hash: Hex }, future: string) => ({
    address: d.address,
    blockNumber: d.block,
    transactionHash: d.hash,
    future,
  });
  const addressBook: AddressBook = {
    chainId: 31337,
    deploymentId: "sdk-test",
    quoteToken: usdc.address,
    startBlock: usdc.block,
    contracts: {
      MockUSDC: entry(usdc, "test#MockUSDC"),
      EnergyMarket: entry(market, "test#EnergyMarket"),
      DeliverySettlement: entry(settlement, "test#DeliverySettlement"),
      SettlementKeeper: entry(keeper, "test#SettlementKeeper"),
    },
  };
  const now = async () => Number((await publicClient.getBlock()).timestamp);
  const rpc = (method: string, params: unknown[]) =>
    publicClient.request({ method: method as never, params: params as never });

  return {
    node,
    url: node.url,
    chain,
    publicClient,
    addresses: {
      market: market.address,
      quoteToken: usdc.address,
      settlement: settlement.address,
      keeper: keeper.address,
      startBlock: BigInt(usdc.block),
    },
    addressBook,
    wallet,
    send,
    now,
    async warpTo(timestamp) {
      await rpc("evm_setNextBlockTimestamp", [timestamp]);
      await rpc("evm_mine", []);
    },
    async createCommunity(p = {}) {
      const q = { ...TEST_COMMUNITY, ...p };
      const count = (await publicClient.readContract({
        address: market.address,
        abi: marketAbi,
        functionName: "communityCount",
      })) as number;
      await send(0, market.address, marketAbi, "createCommunity", [
        "Test community",
        {
          slotLength: q.slotLength,
          gateLead: q.gateLead,
          horizon: q.horizon,
          tickSize: q.tickSize,
          minOrderWh: q.minOrderWh,
          bondPerKwh: q.bondPerKwh,
          feeBps: q.feeBps,
          priceFeed: "0x0000000000000000000000000000000000000000",
          bandBps: 0,
          maxFeedAge: 0,
        },
      ]);
      // Account 0 creates (and administers) the community; the registrar certifies its meters.
      await send(0, settlement.address, settlementAbi, "setMeterRegistrar", [
        Number(count) + 1,
        devAccount(REGISTRAR_INDEX).address,
      ]);
      return Number(count) + 1;
    },
    async onboard(i, communityId, amount, kind = 2, capacityW = 10_000) {
      const a = devAccount(i).address;
      await send(0, usdc.address, usdcAbi, "mint", [a, amount]);
      if (amount > 0n) {
        await send(i, usdc.address, usdcAbi, "approve", [market.address, amount]);
        await send(i, market.address, marketAbi, "deposit", [amount]);
      }
      const member = (await publicClient.readContract({
        address: market.address,
        abi: marketAbi,
        functionName: "isMember",
        args: [communityId, a],
      })) as boolean;
      if (!member) await send(i, market.address, marketAbi, "join", [communityId]);
      const count = (await publicClient.readContract({
        address: market.address,
        abi: marketAbi,
        functionName: "meterCount",
      })) as number;
      // The registrar certifies the meter (device key: the owner's address); the deadline, unique
      // per meter, keeps two otherwise equal certificates apart.
      const certificate = {
        communityId,
        owner: a,
        kind,
        capacityW,
        deviceKey: a,
        deadline: (await now()) + 86_400 + Number(count),
      };
      const signature = await devAccount(REGISTRAR_INDEX).signTypedData(
        meterCertificateTypedData(31337, settlement.address, certificate),
      );
      await send(i, settlement.address, settlementAbi, "registerMeter", [certificate, signature]);
      return Number(count) + 1;
    },
    async report(reports) {
      const sorted = [...reports].sort((x, y) => x.meterId - y.meterId);
      const oracle = devAccount(ORACLE_INDEX);
      const signature = await oracle.signTypedData({
        domain: reportDomain(31337, settlement.address),
        types: REPORT_TYPES,
        primaryType: "ReportBatch",
        message: { reports: sorted },
      });
      return send(ORACLE_INDEX, settlement.address, settlementAbi, "submitReports", [
        sorted,
        [oracle.address],
        [signature],
      ]);
    },
    stop: () => node.stop(),
  };
}
