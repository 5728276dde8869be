/** Reads of an account: balances, orders, positions. */
import { erc20Abi, type Address } from "viem";
import { energyMarketAbi } from "../../index.ts";
import { decodeOrderId, type OrderKey } from "../ids.ts";
import { toPowerShareError } from "../errors/decoder.ts";
import { ContractError } from "../errors/sdk-errors.ts";
import type { SdkContext } from "../context.ts";
import { marketReadMany } from "./batch.ts";

export interface Balances {
  account: Address;
  /** In the market, withdrawable. */
  free: bigint;
  /** In the market, backing orders, unclaimed fills and seller bonds. */
  locked: bigint;
  /** Quote tokens in the wallet. */
  wallet: bigint;
  /** The wallet's allowance to the market. */
  allowance: bigint;
}

export async function getBalances(ctx: SdkContext, account: Address): Promise<Balances> {
  const { market, quoteToken } = ctx.addresses;
  const [[free, locked], wallet, allowance] = await Promise.all([
    ctx.publicClient.readContract({
      address: market,
      abi: energyMarketAbi,
      functionName: "balanceOf",
      args: [account],
    }),
    ctx.publicClient.readContract({
      address: quoteToken,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [account],
    }),
    ctx.publicClient.readContract({
      address: quoteToken,
      abi: erc20Abi,
      functionName: "allowance",
      args: [account, market],
    }),
  ]);
  return { account, free, locked, wallet, allowance };
}

export interface Order extends OrderKey {
  orderId: bigint;
  owner: Address;
  meterId: number;
  /** Amount that rested in the book. */
  amountWh: bigint;
  cancelledWh: bigint;
  /** Filled so far (final after the gate). */
  filledWh: bigint;
  /** Still resting: amount − cancelled − filled. */
  remainingWh: bigint;
}

type RawOrder = readonly [Address, number, bigint, bigint, bigint];

function toOrder(orderId: bigint, r: RawOrder): Order {
  const amountWh = BigInt(r[2]);
  const cancelledWh = BigInt(r[3]);
  const filledWh = BigInt(r[4]);
  return {
    ...decodeOrderId(orderId),
    orderId,
    owner: r[0],
    meterId: Number(r[1]),
    amountWh,
    cancelledWh,
    filledWh,
    remainingWh: amountWh - cancelledWh - filledWh,
  };
}

/** An order still on chain (resting, or filled/closed but not claimed); undefined once claimed. */
export async function getOrder(ctx: SdkContext, orderId: bigint): Promise<Order | undefined> {
  decodeOrderId(orderId);
  try {
    const r = await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "order",
      args: [orderId],
    });
    return toOrder(orderId, r as RawOrder);
  } catch (err) {
    const e = toPowerShareError(err);
    if (e instanceof ContractError && e.errorName === "UnknownOrder") return undefined;
    throw e;
  }
}

/** Orders still on chain by id (claimed or unknown ones are left out), one eth_call per 300. */
export async function getOrders(ctx: SdkContext, orderIds: readonly bigint[]): Promise<Order[]> {
  if (orderIds.length === 0) return [];
  try {
    const raws = await marketReadMany<RawOrder>(
      ctx,
      "order",
      orderIds.map((id) => [id]),
    );
    return raws.map((r, i) => toOrder(orderIds[i]!, r));
  } catch (err) {
    // One unknown order fails the whole batch: fall back to one call each.
    if (!(err instanceof ContractError && err.errorName === "UnknownOrder")) throw err;
    const each = await Promise.all(orderIds.map((id) => getOrder(ctx, id)));
    return each.filter((o): o is Order => o !== undefined);
  }
}

/**
 * An account's orders still on chain (resting, or waiting for their claim), from the market's
 * OrderPlaced/OrderClaimed logs since the deployment block.
 */
export async function listOrders(
  ctx: SdkContext,
  owner: Address,
  opts: { fromBlock?: bigint; marketId?: bigint } = {},
): Promise<Order[]> {
  const fromBlock = opts.fromBlock ?? ctx.addresses.startBlock ?? 0n;
  const [placed, claimed] = await Promise.all([
    ctx.publicClient.getContractEvents({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      eventName: "OrderPlaced",
      args: { owner, ...(opts.marketId === undefined ? {} : { marketId: opts.marketId }) },
      fromBlock,
      toBlock: "latest",
    }),
    ctx.publicClient.getContractEvents({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      eventName: "OrderClaimed",
      args: { owner },
      fromBlock,
      toBlock: "latest",
    }),
  ]);
  const done = new Set(claimed.map((l) => (l.args as { orderId: bigint }).orderId));
  const ids = placed.map((l) => (l.args as { orderId: bigint }).orderId).filter((id) => !done.has(id));
  return getOrders(ctx, ids);
}

export interface Position {
  marketId: bigint;
  buyer: Address;
  boughtWh: bigint;
  /** Quote paid for the energy bought. */
  paid: bigint;
  /** Quote refunded at settlement. */
  refunded: bigint;
}

export async function getPosition(ctx: SdkContext, marketId: bigint, buyer: Address): Promise<Position> {
  const p = await ctx.publicClient.readContract({
    address: ctx.addresses.market,
    abi: energyMarketAbi,
    functionName: "position",
    args: [marketId, buyer],
  });
  return {
    marketId,
    buyer,
    boughtWh: BigInt(p.boughtWh),
    paid: BigInt(p.paid),
    refunded: BigInt(p.refunded),
  };
}
