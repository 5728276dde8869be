/**
 * A private Hardhat node with the PowerShare protocol deployed from the compiled artifacts (the
 * LocalStack contracts without the reference feed), for the reconciliation test and the benchmark.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  decodeFunctionResult,
  http,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { compiledArtifact } from "@powershare/contracts/testing";
import { meterCertificateTypedData } from "@powershare/contracts";
import type {
  deliverySettlementAbi as DeliverySettlementAbi,
  energyMarketAbi as EnergyMarketAbi,
  mockUsdcAbi as MockUsdcAbi,
  settlementKeeperAbi as SettlementKeeperAbi,
  treasuryGovernorAbi as TreasuryGovernorAbi,
} from "@powershare/contracts";

export const INDEXER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ROOT = path.resolve(INDEXER_DIR, "..");
export const CONTRACTS_DIR = path.join(ROOT, "contracts");
const MNEMONIC = "test test test test test test test test test test test junk";

export const accountAt = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

export { startHardhatNode, type HardhatNode } from "@powershare/contracts/testing";
const artifact = compiledArtifact;

// The harness deploys the compiled artifacts and talks to them with the artifacts' own ABIs (typed
// as the package's), so it stays consistent with the bytecode while contracts/generated lags.
export const energyMarketAbi = artifact("EnergyMarket.sol/EnergyMarket.json")
  .abi as unknown as typeof EnergyMarketAbi;
export const deliverySettlementAbi = artifact("delivery/DeliverySettlement.sol/DeliverySettlement.json")
  .abi as unknown as typeof DeliverySettlementAbi;
export const treasuryGovernorAbi = artifact("governance/TreasuryGovernor.sol/TreasuryGovernor.json")
  .abi as unknown as typeof TreasuryGovernorAbi;
export const settlementKeeperAbi = artifact("delivery/SettlementKeeper.sol/SettlementKeeper.json")
  .abi as unknown as typeof SettlementKeeperAbi;
export const mockUsdcAbi = artifact("mocks/MockUSDC.sol/MockUSDC.json").abi as unknown as typeof MockUsdcAbi;

export interface Stack {
  url: string;
  chainId: number;
  pub: PublicClient;
  wallet: WalletClient;
  usdc: Address;
  market: Address;
  settlement: Address;
  governor: Address;
  keeper: Address;
  startBlock: number;
  /** Writes an address book (contracts/types.ts AddressBook) for the indexer's ADDRESS_BOOK. */
  writeAddressBook(file: string): void;
  send(to: Address, abi: Abi, functionName: string, args: readonly unknown[], from?: Address): Promise<Hex>;
  read<T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T>;
  /** Many view calls on EnergyMarket through its own multicall (one eth_call per chunk). */
  readMany<T>(functionName: string, argsList: readonly (readonly unknown[])[]): Promise<T[]>;
  rpc<T>(method: string, params: unknown[]): Promise<T>;
  now(): Promise<bigint>;
  warpTo(timestamp: bigint): Promise<void>;
}

/**
 * Registers `owner`'s meter through DeliverySettlement with a certificate signed by the community's
 * meter registrar (by default account 0, which creates the test communities and so certifies their
 * meters while no other registrar is named). Each certificate registers one meter.
 */
export async function registerMeter(
  stack: Stack,
  owner: Address,
  m: { communityId: number; kind: number; capacityW: number; deviceKey: Address },
  registrar = accountAt(0),
): Promise<Hex> {
  const certificate = { ...m, owner, deadline: 2 ** 40 - 1 };
  const signature = await registrar.signTypedData(
    meterCertificateTypedData(stack.chainId, stack.settlement, certificate),
  );
  return stack.send(
    stack.settlement,
    deliverySettlementAbi,
    "registerMeter",
    [certificate, signature],
    owner,
  );
}

export const GOVERNOR_SETTINGS = {
  votingDelay: 0n,
  votingPeriod: 3600n,
  quorumBps: 2000n,
  timelockDelay: 600n,
  gracePeriod: 7n * 24n * 3600n,
} as const;
export const REPORT_WINDOW = 3600;

export async function deployStack(url: string): Promise<Stack> {
  const chain = defineChain({
    id: 31337,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const transport = http(url, { timeout: 120_000 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 }) as PublicClient;
  const wallet = createWalletClient({ chain, transport });
  const admin = accountAt(0).address;

  const deploy = async (
    rel: string,
    args: readonly unknown[],
  ): Promise<{ address: Address; block: number }> => {
    const { abi, bytecode } = artifact(rel);
    const hash = await wallet.deployContract({ abi, bytecode, args, account: admin, chain });
    const r = await pub.waitForTransactionReceipt({ hash });
    return { address: r.contractAddress!, block: Number(r.blockNumber) };
  };
  const send = async (
    to: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    from: Address = admin,
  ): Promise<Hex> => {
    const data = encodeFunctionData({ abi, functionName, args });
    // Automine: eth_sendTransaction returns once mined and throws on a revert.
    return wallet.sendTransaction({ account: from, to, data, gas: 16_000_000n, chain });
  };
  const read = async <T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T> =>
    (await pub.readContract({ address: to, abi, functionName, args })) as T;
  const rpc = <T>(method: string, params: unknown[]): Promise<T> =>
    pub.request({ method: method as never, params: params as never }) as Promise<T>;

  const usdc = await deploy("mocks/MockUSDC.sol/MockUSDC.json", []);
  const market = await deploy("EnergyMarket.sol/EnergyMarket.json", [usdc.address, admin, admin]);
  const settlement = await deploy("delivery/DeliverySettlement.sol/DeliverySettlement.json", [
    market.address,
    admin,
    REPORT_WINDOW,
  ]);
  const governor = await deploy("governance/TreasuryGovernor.sol/TreasuryGovernor.json", [
    market.address,
    GOVERNOR_SETTINGS.votingDelay,
    GOVERNOR_SETTINGS.votingPeriod,
    GOVERNOR_SETTINGS.quorumBps,
    GOVERNOR_SETTINGS.timelockDelay,
    GOVERNOR_SETTINGS.gracePeriod,
  ]);
  const keeper = await deploy("delivery/SettlementKeeper.sol/SettlementKeeper.json", [settlement.address]);
  const SETTLER_ROLE = await read<Hex>(market.address, energyMarketAbi, "SETTLER_ROLE", []);
  await send(market.address, energyMarketAbi, "grantRole", [SETTLER_ROLE, settlement.address]);
  await send(market.address, energyMarketAbi, "setTreasuryGovernor", [governor.address]);
  await send(settlement.address, deliverySettlementAbi, "setOracleSigner", [accountAt(9).address, true]);
  await send(settlement.address, deliverySettlementAbi, "setThreshold", [1]);
  void settlementKeeperAbi;
  void treasuryGovernorAbi;

  const readMany = async <T>(
    functionName: string,
    argsList: readonly (readonly unknown[])[],
  ): Promise<T[]> => {
    const out: T[] = [];
    for (let i = 0; i < argsList.length; i += 400) {
      const calls = argsList
        .slice(i, i + 400)
        .map((args) => encodeFunctionData({ abi: energyMarketAbi, functionName, args } as never));
      const results = (await pub.simulateContract({
        address: market.address,
        abi: energyMarketAbi,
        functionName: "multicall",
        args: [calls],
      } as never)) as unknown as { result: Hex[] };
      for (const data of results.result) {
        out.push(decodeFunctionResult({ abi: energyMarketAbi, functionName, data } as never) as T);
      }
    }
    return out;
  };

  return {
    url,
    chainId: 31337,
    pub,
    wallet,
    usdc: usdc.address,
    market: market.address,
    settlement: settlement.address,
    governor: governor.address,
    keeper: keeper.address,
    startBlock: usdc.block,
    writeAddressBook(file) {
      const entry = (address: Address, block: number, future: string) => ({
        address,
        blockNumber: block,
        transactionHash: "0x" as Hex,
        future,
      });
      writeFileSync(
        file,
        JSON.stringify(
          {
            chainId: 31337,
            deploymentId: "indexer-test",
            quoteToken: usdc.address,
            startBlock: usdc.block,
            contracts: {
              MockUSDC: entry(usdc.address, usdc.block, "test#MockUSDC"),
              EnergyMarket: entry(market.address, market.block, "test#EnergyMarket"),
              DeliverySettlement: entry(settlement.address, settlement.block, "test#DeliverySettlement"),
              TreasuryGovernor: entry(governor.address, governor.block, "test#TreasuryGovernor"),
              SettlementKeeper: entry(keeper.address, keeper.block, "test#SettlementKeeper"),
            },
          },
          null,
          2,
        ),
      );
    },
    send,
    read,
    readMany,
    rpc,
    async now() {
      const b = await pub.getBlock();
      return b.timestamp;
    },
    async warpTo(timestamp: bigint) {
      await rpc("evm_setNextBlockTimestamp", [Number(timestamp)]);
      await rpc("evm_mine", []);
    },
  };
}
