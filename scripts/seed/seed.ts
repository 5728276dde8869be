/**
 * Seeds a freshly deployed PowerShare (the LocalStack Ignition module) with the demo scenario of
 * scenario.ts: funded accounts, a community with a reference-price band, members, meters with
 * deterministic device keys, resting bids and asks on the next slots and one trade.
 *
 * Reusable from tests: `await seedDemo({ rpcUrl, addressBook })` against any chain where the
 * addresses in the book hold a LocalStack deployment and the dev accounts have gas.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import {
  deliverySettlementAbi,
  energyMarketAbi,
  meterCertificateTypedData,
  mockUsdcAbi,
  type AddressBook,
} from "@powershare/contracts";
import { devAccount, deviceAccount, devicePrivateKey, DEV_DEVICE_SEED, type DevAccount } from "./accounts.ts";
import {
  DEMO_COMMUNITY,
  DEMO_MEMBERS,
  DEMO_TRADE,
  FUNDED_ACCOUNTS,
  GATE_MARGIN_SECONDS,
  MEMBER_DEPOSIT,
  METER_KIND_INDEX,
  OPERATOR_INDEX,
  DEV_METER_REGISTRAR_INDEX,
  ORDER_TYPE,
  SEEDED_SLOTS,
  WALLET_FUNDING,
  type MeterKindName,
} from "./scenario.ts";

export interface SeedOptions {
  rpcUrl: string;
  addressBook: AddressBook;
  /** Progress lines; default silent. */
  log?: (line: string) => void;
}

export interface SeededMeter {
  meterId: number;
  kind: MeterKindName;
  capacityW: number;
  owner: Address;
  deviceKey: Address;
  devicePrivateKey: Hex;
}

export interface SeededMember {
  name: string;
  account: DevAccount;
  meter: SeededMeter;
}

export interface SeedResult {
  chainId: number;
  market: Address;
  quoteToken: Address;
  referenceFeed: Address;
  communityId: number;
  operator: DevAccount;
  members: SeededMember[];
  /** Delivery slot starts (unix seconds) that got resting orders, and their market ids. */
  slots: { slotStart: number; marketId: bigint }[];
  /** Ids of the resting orders placed. */
  orderIds: bigint[];
  trade: { marketId: bigint; filledWh: bigint; value: bigint };
}

interface Ctx {
  publicClient: PublicClient;
  walletClient: WalletClient;
}

async function send(
  ctx: Ctx,
  account: PrivateKeyAccount,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
): Promise<{ result: unknown; receipt: TransactionReceipt }> {
  // Simulate first: a revert surfaces as a decoded custom error instead of a failed receipt.
  const { request, result } = await ctx.publicClient.simulateContract({
    account,
    address,
    abi,
    functionName,
    args,
  } as Parameters<PublicClient["simulateContract"]>[0]);
  const hash = await ctx.walletClient.writeContract(request as Parameters<WalletClient["writeContract"]>[0]);
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted (tx ${hash})`);
  return { result, receipt };
}

export async function seedDemo({ rpcUrl, addressBook, log = () => {} }: SeedOptions): Promise<SeedResult> {
  const chain = defineChain({
    id: addressBook.chainId,
    name: `PowerShare dev (${addressBook.chainId})`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 }) as PublicClient;
  const walletClient = createWalletClient({ chain, transport, pollingInterval: 50 });
  const ctx: Ctx = { publicClient, walletClient };

  const market = addressBook.contracts.EnergyMarket?.address;
  const usdc = addressBook.contracts.MockUSDC?.address;
  const feed = addressBook.contracts.MockV3Aggregator?.address;
  const settlement = addressBook.contracts.DeliverySettlement?.address;
  if (!market || !usdc || !feed || !settlement) {
    throw new Error(
      "the address book lacks EnergyMarket, DeliverySettlement, MockUSDC or MockV3Aggregator (deploy LocalStack)",
    );
  }
  const settlementAbi = deliverySettlementAbi as Abi;
  const marketAbi = energyMarketAbi as Abi;
  const usdcAbi = mockUsdcAbi as Abi;
  const operator = devAccount(OPERATOR_INDEX);

  // 1. Wallet USDC for the first accounts (MockUSDC mints freely on test chains).
  for (let i = 0; i < FUNDED_ACCOUNTS; i++) {
    await send(ctx, operator.account, usdc, usdcAbi, "mint", [devAccount(i).address, WALLET_FUNDING]);
  }
  log(`minted ${WALLET_FUNDING / 1_000_000n} USDC to accounts #0..#${FUNDED_ACCOUNTS - 1}`);

  // 2. The community, with the mock feed as its reference price band.
  const p = DEMO_COMMUNITY.params;
  const { result: communityIdResult } = await send(
    ctx,
    operator.account,
    market,
    marketAbi,
    "createCommunity",
    [
      DEMO_COMMUNITY.name,
      {
        slotLength: p.slotLength,
        gateLead: p.gateLead,
        horizon: p.horizon,
        tickSize: p.tickSize,
        minOrderWh: p.minOrderWh,
        bondPerKwh: p.bondPerKwh,
        feeBps: p.feeBps,
        priceFeed: feed,
        bandBps: p.bandBps,
        maxFeedAge: p.maxFeedAge,
      },
    ],
  );
  const communityId = Number(communityIdResult);
  log(`community #${communityId} "${DEMO_COMMUNITY.name}" created by account #${operator.index}`);
  // The operator names the community's meter registrar (an installer's key), which certifies meters.
  const registrar = devAccount(DEV_METER_REGISTRAR_INDEX);
  await send(ctx, operator.account, settlement, settlementAbi, "setMeterRegistrar", [
    communityId,
    registrar.address,
  ]);
  log(`meter registrar of community #${communityId}: account #${registrar.index} (${registrar.address})`);

  // 3. Members deposit, join (and are admitted) and register their meters.
  const members: SeededMember[] = [];
  for (const m of DEMO_MEMBERS) {
    const account = devAccount(m.accountIndex);
    await send(ctx, account.account, usdc, usdcAbi, "approve", [market, MEMBER_DEPOSIT]);
    await send(ctx, account.account, market, marketAbi, "deposit", [MEMBER_DEPOSIT]);
    await send(ctx, account.account, market, marketAbi, "join", [communityId]);
    // The operator (community admin) admits the member: only admitted members vote on the treasury.
    await send(ctx, operator.account, market, marketAbi, "admit", [communityId, account.address]);
    // Meter ids are sequential, so the device key can be derived from the id the call will return.
    const meterId =
      Number(
        await publicClient.readContract({ address: market, abi: marketAbi, functionName: "meterCount" }),
      ) + 1;
    const device = deviceAccount(meterId);
    // The registrar certifies the meter's device key and capacity; the member registers it.
    const certificate = {
      communityId,
      owner: account.address,
      kind: METER_KIND_INDEX[m.meter.kind],
      capacityW: m.meter.capacityW,
      deviceKey: device.address,
      deadline: 2 ** 40 - 1,
    };
    const signature = await registrar.account.signTypedData(
      meterCertificateTypedData(addressBook.chainId, settlement, certificate),
    );
    const { result: registered } = await send(
      ctx,
      account.account,
      settlement,
      settlementAbi,
      "registerMeter",
      [certificate, signature],
    );
    if (Number(registered) !== meterId)
      throw new Error(`meter id changed while seeding (${meterId} → ${registered})`);
    members.push({
      name: m.name,
      account,
      meter: {
        meterId,
        kind: m.meter.kind,
        capacityW: m.meter.capacityW,
        owner: account.address,
        deviceKey: device.address,
        devicePrivateKey: devicePrivateKey(meterId),
      },
    });
  }
  log(
    `${members.length} members deposited ${MEMBER_DEPOSIT / 1_000_000n} USDC, joined and registered a meter`,
  );

  // 4. Resting orders on the next slots whose gate is comfortably ahead.
  const now = Number((await publicClient.getBlock()).timestamp);
  const first = Math.ceil((now + p.gateLead + GATE_MARGIN_SECONDS) / p.slotLength) * p.slotLength;
  const slots = Array.from({ length: SEEDED_SLOTS }, (_, k) => first + k * p.slotLength);
  const slotInfo: SeedResult["slots"] = [];
  for (const slotStart of slots) {
    const marketId = (await publicClient.readContract({
      address: market,
      abi: marketAbi,
      functionName: "marketIdOf",
      args: [communityId, slotStart],
    })) as bigint;
    slotInfo.push({ slotStart, marketId });
  }
  const orderIds: bigint[] = [];
  for (const [i, m] of DEMO_MEMBERS.entries()) {
    const member = members[i]!;
    const orders = slots.flatMap((slotStart, k) => [
      ...m.asks.map((o) => ({ ...o, isBid: false, slotStart, tick: o.tick + k })),
      ...m.bids.map((o) => ({ ...o, isBid: true, slotStart, tick: o.tick + k })),
    ]);
    // One transaction per order: placeOrder is the stable entry point (batches go through the
    // market's multicall, whose shape bots choose freely).
    for (const o of orders) {
      const { result } = await send(ctx, member.account.account, market, marketAbi, "placeOrder", [
        {
          communityId,
          slotStart: o.slotStart,
          isBid: o.isBid,
          tick: o.tick,
          amountWh: o.amountWh,
          meterId: member.meter.meterId,
          orderType: ORDER_TYPE.PostOnly,
        },
      ]);
      const { orderId } = result as { orderId: bigint };
      if (orderId !== 0n) orderIds.push(orderId);
    }
  }
  log(
    `${orderIds.length} resting orders on ${slots.length} slots from ${new Date(first * 1000).toISOString()}`,
  );

  // 5. One trade: an immediate-or-cancel bid that lifts part of the best ask of the first slot.
  const buyer = members.find((m) => m.account.index === DEMO_TRADE.buyerAccountIndex)!;
  const { result: tradeResult } = await send(ctx, buyer.account.account, market, marketAbi, "placeOrder", [
    {
      communityId,
      slotStart: slots[0]!,
      isBid: true,
      tick: DEMO_TRADE.tick,
      amountWh: DEMO_TRADE.amountWh,
      meterId: buyer.meter.meterId,
      orderType: ORDER_TYPE.ImmediateOrCancel,
    },
  ]);
  const { filledWh, value } = tradeResult as { filledWh: bigint; value: bigint };
  log(
    `trade: account #${buyer.account.index} bought ${filledWh} Wh for ${value} base units on the first slot`,
  );

  return {
    chainId: addressBook.chainId,
    market,
    quoteToken: usdc,
    referenceFeed: feed,
    communityId,
    operator,
    members,
    slots: slotInfo,
    orderIds,
    trade: { marketId: slotInfo[0]!.marketId, filledWh, value },
  };
}

/**
 * Writes the seeded meters in the oracle's meters-file format (version 1), so the oracle and the
 * meter simulator can run from a file without reading the chain.
 */
export function writeMetersFile(
  file: string,
  seed: SeedResult,
  clock = { epochMs: Date.now(), speed: 1 },
): void {
  const data = {
    version: 1,
    seed: DEV_DEVICE_SEED,
    clock, // real time: the simulator's readings and the chain's slots agree
    communities: [{ communityId: seed.communityId, slotLength: DEMO_COMMUNITY.params.slotLength }],
    meters: seed.members.map((m) => ({
      meterId: m.meter.meterId,
      communityId: seed.communityId,
      owner: m.meter.owner,
      kind: m.meter.kind,
      capacityW: m.meter.capacityW,
      deviceKey: m.meter.deviceKey,
      active: true,
    })),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n");
  renameSync(tmp, file);
}
