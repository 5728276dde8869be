/**
 * A private Hardhat node (the contracts package's `hardhat node`) with the PowerShare protocol
 * deployed from the compiled artifacts (MockUSDC, EnergyMarket, DeliverySettlement; the LocalStack
 * wiring: settlement holds SETTLER_ROLE, Hardhat account 9 is the oracle signer, k = 1), plus the
 * few market actions the end-to-end tests need.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeFunctionData,
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

export const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const CONTRACTS_DIR = path.join(ROOT, "contracts");
const MNEMONIC = "test test test test test test test test test test test junk";

export const accountAt = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });
/** Hardhat account 9: the registered oracle signer of the local stack. */
export const ORACLE_ACCOUNT_INDEX = 9;
export const oraclePrivateKey = (i = ORACLE_ACCOUNT_INDEX): Hex =>
  `0x${Buffer.from(accountAt(i).getHdKey().privateKey!).toString("hex")}`;

export { startHardhatNode, type HardhatNode } from "@powershare/contracts/testing";
const artifact = compiledArtifact;

export const marketAbi = artifact("EnergyMarket.sol/EnergyMarket.json").abi;
export const settlementAbi = artifact("delivery/DeliverySettlement.sol/DeliverySettlement.json").abi;
export const usdcAbi = artifact("mocks/MockUSDC.sol/MockUSDC.json").abi;

export const ORDER_TYPE = { Limit: 0, ImmediateOrCancel: 1, FillOrKill: 2, PostOnly: 3 } as const;
export const METER_KIND = { producer: 0, consumer: 1, prosumer: 2, storage: 3 } as const;

/**
 * The test communities' meter registrar: it only signs certificates (no funds needed) and owns no
 * meter, since a registrar may not certify its own.
 */
export const REGISTRAR_INDEX = 39;

/** The call by which a community's admin names the test registrar (before registering meters). */
export function registrarCall(settlement: Address, communityId: number, admin = 0): Call {
  return {
    to: settlement,
    abi: settlementAbi,
    functionName: "setMeterRegistrar",
    args: [communityId, accountAt(REGISTRAR_INDEX).address],
    from: admin,
  };
}

let certificates = 0;
/**
 * The call registering account `from`'s meter with a certificate the test registrar signed (the
 * deadline, unique per certificate, keeps equal certificates apart).
 */
export async function certifiedMeterCall(
  settlement: Address,
  m: { communityId: number; kind: number; capacityW: number; deviceKey: Address },
  from: number,
): Promise<Call> {
  const certificate = { ...m, owner: accountAt(from).address, deadline: 2 ** 40 - 1 - ++certificates };
  const signature = await accountAt(REGISTRAR_INDEX).signTypedData(
    meterCertificateTypedData(31337, settlement, certificate),
  );
  return {
    to: settlement,
    abi: settlementAbi,
    functionName: "registerMeter",
    args: [certificate, signature],
    from,
  };
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

export interface MeterReportedEvent {
  meterId: number;
  slotStart: number;
  importedWh: bigint;
  exportedWh: bigint;
  blockNumber: bigint;
  txHash: Hex;
}

export interface Call {
  to: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  from: number;
}

export interface Stack {
  url: string;
  pub: PublicClient;
  wallet: WalletClient;
  usdc: Address;
  market: Address;
  settlement: Address;
  reportWindow: number;
  send(to: Address, abi: Abi, functionName: string, args: readonly unknown[], from?: number): Promise<Hex>;
  read<T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T>;
  /**
   * Sends the calls with automine off and mines them together (a setup of many transactions would
   * otherwise push chain time ahead of the wall clock: each automined block is at least one second
   * after the previous one). Calls of one sender run in the given order; returns their decoded
   * market and settlement events, in block order.
   */
  batch(calls: Call[]): Promise<{ eventName: string; args: Record<string, unknown> }[]>;
  rpc<T>(method: string, params: unknown[]): Promise<T>;
  /** The latest block's timestamp (seconds). */
  now(): Promise<number>;
  /** Moves chain time forward by `seconds` and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Creates a community (admin: account `from`) and returns its id. */
  createCommunity(p: CommunityParams, from?: number): Promise<number>;
  join(communityId: number, from: number): Promise<void>;
  registerMeter(
    communityId: number,
    kind: number,
    capacityW: number,
    deviceKey: Address,
    from: number,
  ): Promise<number>;
  /** Mints quote tokens to account `i` and deposits them into the market. */
  fund(i: number, amount: bigint): Promise<void>;
  /** Places an order; returns the resting order id (0 when fully filled) and the filled amount. */
  placeOrder(
    o: {
      communityId: number;
      slotStart: number;
      isBid: boolean;
      tick: number;
      amountWh: bigint;
      meterId: number;
      orderType?: number;
    },
    from: number,
  ): Promise<{ orderId: bigint; filledWh: bigint }>;
  balance(i: number): Promise<{ free: bigint; locked: bigint }>;
  reportOf(
    meterId: number,
    slotStart: number,
  ): Promise<{ exists: boolean; importedWh: bigint; exportedWh: bigint }>;
  /** Every MeterReported event of the settlement contract so far. */
  meterReported(): Promise<MeterReportedEvent[]>;
  /** Receipts of every transaction sent by `from` (scans all blocks). */
  receiptsFrom(from: Address): Promise<{ hash: Hex; status: "success" | "reverted"; blockNumber: bigint }[]>;
}

export async function deployStack(url: string, reportWindow: number): Promise<Stack> {
  const chain = defineChain({
    id: 31337,
    name: "hardhat",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const transport = http(url, { timeout: 60_000 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 100 }) as PublicClient;
  const wallet = createWalletClient({ chain, transport });

  const deploy = async (rel: string, args: readonly unknown[]): Promise<Address> => {
    const { abi, bytecode } = artifact(rel);
    const hash = await wallet.deployContract({ abi, bytecode, args, account: accountAt(0).address, chain });
    const r = await pub.waitForTransactionReceipt({ hash });
    return r.contractAddress!;
  };
  const send = async (
    to: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    from = 0,
  ): Promise<Hex> => {
    const data = encodeFunctionData({ abi, functionName, args });
    // Automine: eth_sendTransaction returns once mined and throws on a revert.
    const hash = await wallet.sendTransaction({
      account: accountAt(from).address,
      to,
      data,
      gas: 8_000_000n,
      chain,
    });
    const r = await pub.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`${functionName} reverted`);
    return hash;
  };
  const read = async <T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T> =>
    (await pub.readContract({ address: to, abi, functionName, args })) as T;
  const rpc = <T>(method: string, params: unknown[]): Promise<T> =>
    pub.request({ method: method as never, params: params as never }) as Promise<T>;
  const eventArg = async <T>(hash: Hex, abi: Abi, eventName: string, arg: string): Promise<T> => {
    const r = await pub.getTransactionReceipt({ hash });
    for (const log of r.logs) {
      try {
        const ev = decodeEventLog({ abi, data: log.data, topics: log.topics });
        if (ev.eventName === eventName) return (ev.args as unknown as Record<string, unknown>)[arg] as T;
      } catch {
        // another contract's event
      }
    }
    throw new Error(`no ${eventName} in ${hash}`);
  };

  const admin = accountAt(0).address;
  const usdc = await deploy("mocks/MockUSDC.sol/MockUSDC.json", []);
  const market = await deploy("EnergyMarket.sol/EnergyMarket.json", [usdc, admin, admin]);
  const settlement = await deploy("delivery/DeliverySettlement.sol/DeliverySettlement.json", [
    market,
    admin,
    reportWindow,
  ]);
  const SETTLER_ROLE = await read<Hex>(market, marketAbi, "SETTLER_ROLE", []);
  await send(market, marketAbi, "grantRole", [SETTLER_ROLE, settlement]);
  await send(settlement, settlementAbi, "setOracleSigner", [accountAt(ORACLE_ACCOUNT_INDEX).address, true]);
  await send(settlement, settlementAbi, "setThreshold", [1]);
  const deployBlock = await pub.getBlockNumber();

  const stack: Stack = {
    url,
    pub,
    wallet,
    usdc,
    market,
    settlement,
    reportWindow,
    send,
    read,
    async batch(calls) {
      await rpc("evm_setAutomine", [false]);
      const hashes: Hex[] = [];
      try {
        for (const c of calls) {
          const data = encodeFunctionData({ abi: c.abi, functionName: c.functionName, args: c.args });
          hashes.push(
            await wallet.sendTransaction({
              account: accountAt(c.from).address,
              to: c.to,
              data,
              gas: 400_000n,
              chain,
            }),
          );
        }
        await rpc("evm_mine", []);
      } finally {
        await rpc("evm_setAutomine", [true]);
      }
      const events: { eventName: string; args: Record<string, unknown> }[] = [];
      for (const [i, hash] of hashes.entries()) {
        const r = await pub.waitForTransactionReceipt({ hash });
        if (r.status !== "success") throw new Error(`batched ${calls[i]!.functionName} reverted`);
        for (const log of r.logs) {
          for (const abi of [marketAbi, settlementAbi]) {
            try {
              const ev = decodeEventLog({ abi, data: log.data, topics: log.topics });
              events.push({ eventName: ev.eventName!, args: ev.args as unknown as Record<string, unknown> });
              break;
            } catch {
              // not this contract's event
            }
          }
        }
      }
      return events;
    },
    rpc,
    async now() {
      return Number((await pub.getBlock()).timestamp);
    },
    async increaseTime(seconds) {
      await rpc("evm_increaseTime", [seconds]);
      await rpc("evm_mine", []);
    },
    async createCommunity(p, from = 0) {
      const hash = await send(
        market,
        marketAbi,
        "createCommunity",
        [
          "e2e",
          {
            ...p,
            priceFeed: "0x0000000000000000000000000000000000000000",
            bandBps: 0,
            maxFeedAge: 0,
          },
        ],
        from,
      );
      const id = Number(await eventArg<number>(hash, marketAbi, "CommunityCreated", "communityId"));
      await send(
        settlement,
        settlementAbi,
        "setMeterRegistrar",
        [id, accountAt(REGISTRAR_INDEX).address],
        from,
      );
      return id;
    },
    async join(communityId, from) {
      await send(market, marketAbi, "join", [communityId], from);
    },
    async registerMeter(communityId, kind, capacityW, deviceKey, from) {
      const c = await certifiedMeterCall(settlement, { communityId, kind, capacityW, deviceKey }, from);
      const hash = await send(c.to, c.abi, c.functionName, c.args, from);
      return Number(await eventArg<number>(hash, marketAbi, "MeterRegistered", "meterId"));
    },
    async fund(i, amount) {
      await send(usdc, usdcAbi, "mint", [accountAt(i).address, amount]);
      await send(usdc, usdcAbi, "approve", [market, amount], i);
      await send(market, marketAbi, "deposit", [amount], i);
    },
    async placeOrder(o, from) {
      const hash = await send(market, marketAbi, "placeOrder", [{ orderType: ORDER_TYPE.Limit, ...o }], from);
      let orderId = 0n;
      try {
        orderId = await eventArg<bigint>(hash, marketAbi, "OrderPlaced", "orderId");
      } catch {
        // fully filled on entry: nothing rests
      }
      let filledWh = 0n;
      const r = await pub.getTransactionReceipt({ hash });
      for (const log of r.logs) {
        try {
          const ev = decodeEventLog({ abi: marketAbi, data: log.data, topics: log.topics });
          if (ev.eventName === "Trade") filledWh += (ev.args as unknown as { amountWh: bigint }).amountWh;
        } catch {
          // not a market event
        }
      }
      return { orderId, filledWh };
    },
    async balance(i) {
      const [free, locked] = await read<[bigint, bigint]>(market, marketAbi, "balanceOf", [
        accountAt(i).address,
      ]);
      return { free, locked };
    },
    async reportOf(meterId, slotStart) {
      const [exists, importedWh, exportedWh] = await read<[boolean, bigint, bigint]>(
        settlement,
        settlementAbi,
        "reportOf",
        [meterId, slotStart],
      );
      return { exists, importedWh, exportedWh };
    },
    async meterReported() {
      const logs = await pub.getContractEvents({
        address: settlement,
        abi: settlementAbi,
        eventName: "MeterReported",
        fromBlock: deployBlock,
        toBlock: "latest",
      });
      return logs.map((l) => {
        const a = l.args as unknown as {
          meterId: number;
          slotStart: number;
          importedWh: bigint;
          exportedWh: bigint;
        };
        return {
          meterId: Number(a.meterId),
          slotStart: Number(a.slotStart),
          importedWh: a.importedWh,
          exportedWh: a.exportedWh,
          blockNumber: l.blockNumber!,
          txHash: l.transactionHash!,
        };
      });
    },
    async receiptsFrom(from) {
      const latest = await pub.getBlockNumber();
      const out: { hash: Hex; status: "success" | "reverted"; blockNumber: bigint }[] = [];
      for (let b = deployBlock; b <= latest; b++) {
        const block = await pub.getBlock({ blockNumber: b, includeTransactions: true });
        for (const tx of block.transactions) {
          if (typeof tx === "string" || tx.from.toLowerCase() !== from.toLowerCase()) continue;
          const r = await pub.getTransactionReceipt({ hash: tx.hash });
          out.push({ hash: tx.hash, status: r.status, blockNumber: r.blockNumber });
        }
      }
      return out;
    },
  };
  return stack;
}

/**
 * A TCP proxy (node:net) in front of the RPC: `cut()` closes the listener and destroys every open
 * connection (new ones are refused), `restore()` listens again on the same port.
 */
export class TcpProxy {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  port = 0;
  readonly targetPort: number;
  readonly targetHost: string;
  constructor(targetPort: number, targetHost = "127.0.0.1") {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    const a = server.address();
    this.port = typeof a === "object" && a ? a.port : port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
