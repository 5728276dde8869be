// Shared fixture and helpers for the EnergyMarket unit tests (not a test file itself; the node
// test runner loads it and finds no tests).
import assert from "node:assert/strict";
import { network } from "hardhat";
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  parseEventLogs,
  stringToHex,
  zeroAddress,
} from "viem";

export const connection = await network.connect();
export const { viem, networkHelpers } = connection;

export const OrderType = { Limit: 0, ImmediateOrCancel: 1, FillOrKill: 2, PostOnly: 3 } as const;
export const MeterKind = { Producer: 0, Consumer: 1, Prosumer: 2, Storage: 3 } as const;

// Community parameters used throughout: 15-minute slots, gate 5 minutes ahead, markets open a day
// ahead, 0.01 USDC per kWh per tick (10 base units per Wh per tick), 100 Wh minimum, 0.05 USDC/kWh
// seller bond (50 base units per Wh).
export const SLOT = 900;
export const GATE_LEAD = 300;
export const HORIZON = 86_400;
export const TICK_SIZE = 10_000n;
export const UNIT = TICK_SIZE / 1000n; // base units per Wh per tick
export const MIN_WH = 100n;
export const BOND_PER_KWH = 50_000n;
export const BOND_PER_WH = BOND_PER_KWH / 1000n;
export const FEE_BPS = 100;
export const MAX_AMOUNT = (1n << 24n) - 1n;
export const DEPOSIT = 1_000_000_000n; // 1,000 USDC each
export const MINTED = 10_000_000_000n;

export type Params = {
  slotLength: number;
  gateLead: number;
  horizon: number;
  tickSize: bigint;
  minOrderWh: bigint;
  bondPerKwh: bigint;
  feeBps: number;
  priceFeed: Address;
  bandBps: number;
  maxFeedAge: number;
};

export function params(overrides: Partial<Params> = {}): Params {
  return {
    slotLength: SLOT,
    gateLead: GATE_LEAD,
    horizon: HORIZON,
    tickSize: TICK_SIZE,
    minOrderWh: MIN_WH,
    bondPerKwh: BOND_PER_KWH,
    feeBps: FEE_BPS,
    priceFeed: zeroAddress,
    bandBps: 0,
    maxFeedAge: 0,
    ...overrides,
  };
}

/** Value in base units of `wh` at `tick`. */
export const val = (wh: bigint, tick: number | bigint) => wh * BigInt(tick) * UNIT;
export const bond = (wh: bigint) => wh * BOND_PER_WH;

export async function deployMarket() {
  const wallets = await viem.getWalletClients();
  const [admin, guardian, alice, bob, carol, dave, eve, registry] = wallets;
  const publicClient = await viem.getPublicClient();
  const usdc = await viem.deployContract("MockUSDC");
  const market = await viem.deployContract("EnergyMarket", [
    usdc.address,
    admin.account.address,
    guardian.account.address,
  ]);

  // Meters enter through the delivery-settlement contract, which checks the registrar's
  // certificate (test/delivery); here a plain account holds its role and registers them.
  await market.write.grantRole([await market.read.SETTLER_ROLE(), registry.account.address]);
  // alice creates community 1; bob, carol and dave join; eve stays outside.
  await market.write.createCommunity(["Sunny Street", params()], { account: alice.account });
  const communityId = 1;
  for (const w of [bob, carol, dave]) await market.write.join([communityId], { account: w.account });
  // Meters 1..4 belong to alice, bob, carol, dave.
  const meters: Record<string, number> = {};
  let id = 1;
  for (const [name, w] of [
    ["alice", alice],
    ["bob", bob],
    ["carol", carol],
    ["dave", dave],
  ] as const) {
    await market.write.registerMeter(
      [w.account.address, communityId, MeterKind.Prosumer, 5_000, w.account.address],
      {
        account: registry.account,
      },
    );
    meters[name] = id++;
  }
  for (const w of [alice, bob, carol, dave, eve]) {
    await usdc.write.mint([w.account.address, MINTED]);
    await usdc.write.approve([market.address, 2n ** 256n - 1n], { account: w.account });
  }
  for (const w of [alice, bob, carol, dave]) await market.write.deposit([DEPOSIT], { account: w.account });

  // A delivery slot about 3 hours ahead: its market is open, its gate 5 minutes before it.
  const now = await networkHelpers.time.latest();
  const slotStart = (Math.floor(now / SLOT) + 12) * SLOT;
  const marketId = await market.read.marketIdOf([communityId, slotStart]);
  return {
    admin,
    guardian,
    alice,
    bob,
    carol,
    dave,
    eve,
    registry,
    publicClient,
    usdc,
    market,
    communityId,
    meters,
    slotStart,
    marketId,
    gateAt: slotStart - GATE_LEAD,
  };
}

export type Fx = Awaited<ReturnType<typeof deployMarket>>;
export type Wallet = Fx["bob"];

export const load = () => networkHelpers.loadFixture(deployMarket);

export type OrderOpts = {
  isBid: boolean;
  tick: number;
  amountWh: bigint;
  orderType?: number;
  meterId?: number;
  slotStart?: number;
  communityId?: number;
};

export function orderParams(fx: Fx, who: Wallet, o: OrderOpts) {
  const name = (["alice", "bob", "carol", "dave"] as const).find(
    (n) => fx[n].account.address === who.account.address,
  );
  return {
    communityId: o.communityId ?? fx.communityId,
    slotStart: o.slotStart ?? fx.slotStart,
    isBid: o.isBid,
    tick: o.tick,
    amountWh: o.amountWh,
    meterId: o.meterId ?? (name ? fx.meters[name] : 1),
    orderType: o.orderType ?? OrderType.Limit,
  };
}

/** Places an order and returns its OrderResult (from a simulation in the same state) and receipt. */
export async function place(fx: Fx, who: Wallet, o: OrderOpts) {
  const p = orderParams(fx, who, o);
  const { result } = await fx.market.simulate.placeOrder([p], { account: who.account });
  const hash = await fx.market.write.placeOrder([p], { account: who.account });
  const receipt = await fx.publicClient.waitForTransactionReceipt({ hash });
  const logs = parseEventLogs({ abi: fx.market.abi, logs: receipt.logs });
  return { ...result, hash, receipt, logs };
}

export const bid = (
  fx: Fx,
  who: Wallet,
  tick: number,
  amountWh: bigint,
  orderType: number = OrderType.Limit,
) => place(fx, who, { isBid: true, tick, amountWh, orderType });
export const ask = (
  fx: Fx,
  who: Wallet,
  tick: number,
  amountWh: bigint,
  orderType: number = OrderType.Limit,
) => place(fx, who, { isBid: false, tick, amountWh, orderType });

export async function balance(fx: Fx, who: Wallet | Address) {
  const addr = typeof who === "string" ? who : who.account.address;
  const [free, locked] = await fx.market.read.balanceOf([addr]);
  return { free, locked };
}

export async function closeGate(fx: Fx) {
  await networkHelpers.time.increaseTo(fx.gateAt);
}

const WATCHED_TICKS = [1, 5, 10, 18, 19, 20, 21, 22, 25, 30, 65535];

/** Everything a refused call must leave untouched. */
export async function snapshot(fx: Fx, marketIds: bigint[] = [fx.marketId]) {
  const m = fx.market;
  const accounts = [fx.alice, fx.bob, fx.carol, fx.dave, fx.eve].map((w) => w.account.address);
  const out: Record<string, unknown> = {};
  out.token = await fx.usdc.read.balanceOf([m.address]);
  for (const a of accounts) {
    out[`bal:${a}`] = await m.read.balanceOf([a]);
    out[`tok:${a}`] = await fx.usdc.read.balanceOf([a]);
  }
  out.communities = await m.read.communityCount();
  out.meters = await m.read.meterCount();
  out.community = await m.read.community([fx.communityId]);
  for (const id of marketIds) {
    out[`best:${id}`] = await m.read.bestPrices([id]);
    out[`totals:${id}`] = await m.read.marketTotals([id]);
    out[`pending:${id}`] = await m.read.pendingBidValue([id]);
    for (const t of WATCHED_TICKS) {
      out[`bid:${id}:${t}`] = await m.read.level([id, true, t]);
      out[`ask:${id}:${t}`] = await m.read.level([id, false, t]);
    }
  }
  return out;
}

/** Runs a revert assertion and checks the refused call changed nothing observable. */
export async function refused(fx: Fx, assertion: () => Promise<void>, marketIds?: bigint[]) {
  const before = await snapshot(fx, marketIds);
  await assertion();
  assert.deepStrictEqual(await snapshot(fx, marketIds), before);
}

export function eventsNamed<T extends { eventName: string }>(logs: T[], name: string) {
  return logs.filter((l) => l.eventName === name) as (T & { args: any })[];
}

export function decodeOrderId(orderId: bigint) {
  return {
    marketId: orderId >> 40n,
    isBid: ((orderId >> 32n) & 0xffn) === 1n,
    tick: Number((orderId >> 16n) & 0xffffn),
    index: Number(orderId & 0xffffn),
  };
}

export const orderIdOf = (marketId: bigint, isBid: boolean, tick: number, index: number) =>
  (marketId << 40n) | (isBid ? 1n << 32n : 0n) | (BigInt(tick) << 16n) | BigInt(index);

/** A seller meter's sale, with sums as bigint whatever their ABI width. */
export async function saleOf(fx: Fx, marketId: bigint, meterId: number) {
  const s = await fx.market.read.sale([marketId, meterId]);
  return { seller: s.seller, soldWh: BigInt(s.soldWh), proceeds: BigInt(s.proceeds) };
}

/** The argument naming a field in InvalidCommunityParams / InvalidMeter (bytes32 or string in the ABI). */
export function field(fx: Fx, error: "InvalidCommunityParams" | "InvalidMeter", name: string) {
  const e = fx.market.abi.find((x) => x.type === "error" && x.name === error) as
    { inputs: readonly { type: string }[] } | undefined;
  return e?.inputs[0]?.type === "bytes32" ? stringToHex(name, { size: 32 }) : name;
}

type Params0 = ReturnType<typeof orderParams>;
const hasFn = (fx: Fx, name: string) => fx.market.abi.some((x) => x.type === "function" && x.name === name);

/** Places several orders in one transaction (placeOrders if the ABI has it, else multicall). */
export async function placeMany(fx: Fx, who: Wallet, ps: Params0[]) {
  const m = fx.market as any;
  if (hasFn(fx, "placeOrders")) return m.write.placeOrders([ps], { account: who.account });
  const calls = ps.map((p) =>
    encodeFunctionData({ abi: fx.market.abi, functionName: "placeOrder", args: [p] }),
  );
  return m.write.multicall([calls], { account: who.account });
}

/** The results placeMany would return, simulated. */
export async function simulateMany(fx: Fx, who: Wallet, ps: Params0[]) {
  const m = fx.market as any;
  if (hasFn(fx, "placeOrders")) return (await m.simulate.placeOrders([ps], { account: who.account })).result;
  const calls = ps.map((p) =>
    encodeFunctionData({ abi: fx.market.abi, functionName: "placeOrder", args: [p] }),
  );
  const { result } = await m.simulate.multicall([calls], { account: who.account });
  return (result as `0x${string}`[]).map(
    (data) => decodeFunctionResult({ abi: fx.market.abi, functionName: "placeOrder", data }) as any,
  );
}
