/**
 * The settlement loop's writes, all permissionless: claim maker orders after the gate, settle
 * seller meters (directly or through SettlementKeeper, the Chainlink Automation path), pay buyers'
 * refunds. Each is checked first; money always goes to the owners, never to the caller.
 */
import { decodeAbiParameters, encodeAbiParameters, type Abi, type Address, type Hex } from "viem";
import { deliverySettlementAbi, energyMarketAbi, settlementKeeperAbi } from "../../index.ts";
import { chainNow, requireKeeper, requireSettlement, type SdkContext } from "../context.ts";
import { InvalidInputError, PreflightError } from "../errors/sdk-errors.ts";
import { describeMarket, describeOrder } from "../errors/messages.ts";
import { decodeMarketId, marketTimes } from "../ids.ts";
import { getOrders, getPosition } from "../reads/accounts.ts";
import { getCommunity } from "../reads/communities.ts";
import { getSettlement, isRefundClaimed } from "../reads/settlement.ts";
import { execute, type WriteOptions, type WriteResult } from "./execute.ts";

const MARKET_ABI = energyMarketAbi as unknown as Abi;
const SETTLEMENT_ABI = deliverySettlementAbi as unknown as Abi;
const KEEPER_ABI = settlementKeeperAbi as unknown as Abi;

/**
 * Claims maker orders whose gate has passed (anyone may; proceeds and released locks go to each
 * order's owner). Orders already claimed are refused by the pre-check (UNKNOWN_ORDER).
 */
export async function claimOrders(
  ctx: SdkContext,
  orderIds: readonly bigint[],
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  if (orderIds.length === 0) throw new InvalidInputError("no orders to claim");
  if (new Set(orderIds).size !== orderIds.length)
    throw new InvalidInputError("the same order is listed twice");
  const orders = await getOrders(ctx, orderIds);
  const found = new Set(orders.map((o) => o.orderId));
  const missing = orderIds.find((id) => !found.has(id));
  if (missing !== undefined) {
    throw new PreflightError(
      "UNKNOWN_ORDER",
      `${describeOrder(missing)} does not exist or is already claimed`,
      { orderId: missing },
    );
  }
  const now = await chainNow(ctx);
  const communities = new Map<number, Awaited<ReturnType<typeof getCommunity>>>();
  for (const o of orders) {
    if (!communities.has(o.communityId))
      communities.set(o.communityId, await getCommunity(ctx, o.communityId));
    const t = marketTimes(communities.get(o.communityId)!, o.slotStart);
    if (now < t.gateAt) {
      throw new PreflightError(
        "MARKET_STILL_OPEN",
        `${describeOrder(o.orderId)} cannot be claimed before its gate (${new Date(t.gateAt * 1000).toISOString()})`,
        {
          orderId: o.orderId,
          gateAt: t.gateAt,
        },
      );
    }
  }
  return execute<void>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "claim", args: [orderIds] },
    opts,
  );
}

/**
 * Settles seller meters of a market directly (DeliverySettlement.settleSellers; settled ones are
 * skipped by the contract). Default: every unsettled seller meter.
 */
export async function settleSellers(
  ctx: SdkContext,
  marketId: bigint,
  meterIds?: readonly number[],
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  const settlement = requireSettlement(ctx);
  const st = await getSettlement(ctx, marketId);
  if (!st.ready) {
    throw new PreflightError(
      "SETTLEMENT_NOT_READY",
      `${describeMarket(marketId)} cannot be settled yet: ${st.reason}`,
      {
        marketId,
        reason: st.reason,
      },
    );
  }
  const ids = meterIds ?? st.sellers;
  for (const id of ids) {
    if (!st.sellers.includes(id))
      throw new PreflightError("NO_SALE", `meter ${id} sold nothing in ${describeMarket(marketId)}`, {
        marketId,
        meterId: id,
      });
  }
  if (ids.length === 0)
    throw new PreflightError("NOTHING_TO_SETTLE", `${describeMarket(marketId)} has no seller meters`, {
      marketId,
    });
  return execute<void>(
    ctx,
    { address: settlement, abi: SETTLEMENT_ABI, functionName: "settleSellers", args: [marketId, ids] },
    opts,
  );
}

/**
 * Settles one seller meter with its maker claims and the buyers' refunds folded into the same
 * transaction (DeliverySettlement.settleSale, decision 0028): claims `orderIds` (typically the
 * seller's ask orders), settles the meter, and once the refund pool is final refunds `buyers`
 * (already refunded or never paid: skipped by the contract). Each step still emits the events of
 * the separate calls (OrderClaimed, SaleSettled, SellerSettled, RefundClaimed, BuyerRefunded).
 */
export async function settleSale(
  ctx: SdkContext,
  marketId: bigint,
  meterId: number,
  orderIds: readonly bigint[] = [],
  buyers: readonly Address[] = [],
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  const settlement = requireSettlement(ctx);
  decodeMarketId(marketId);
  if (new Set(orderIds).size !== orderIds.length)
    throw new InvalidInputError("the same order is listed twice");
  return execute<void>(
    ctx,
    {
      address: settlement,
      abi: SETTLEMENT_ABI,
      functionName: "settleSale",
      args: [marketId, meterId, orderIds, buyers],
    },
    opts,
  );
}

export interface UpkeepCheck {
  upkeepNeeded: boolean;
  performData: Hex;
  /** Decoded performData when needed. */
  marketId?: bigint | undefined;
  meterIds?: number[] | undefined;
}

/** checkData of SettlementKeeper: abi.encode(uint32 communityId, uint32 lookbackSlots, uint32 maxSellers). */
export function encodeCheckData(communityId: number, lookbackSlots: number, maxSellers: number): Hex {
  return encodeAbiParameters(
    [{ type: "uint32" }, { type: "uint32" }, { type: "uint32" }],
    [communityId, lookbackSlots, maxSellers],
  );
}

/** SettlementKeeper.checkUpkeep, as Chainlink Automation calls it (off chain, eth_call). */
export async function checkUpkeep(
  ctx: SdkContext,
  communityId: number,
  opts: { lookbackSlots?: number; maxSellers?: number } = {},
): Promise<UpkeepCheck> {
  const [upkeepNeeded, performData] = (await ctx.publicClient.readContract({
    address: requireKeeper(ctx),
    abi: settlementKeeperAbi,
    functionName: "checkUpkeep",
    args: [encodeCheckData(communityId, opts.lookbackSlots ?? 96, opts.maxSellers ?? 20)],
  } as never)) as readonly [boolean, Hex];
  if (!upkeepNeeded) return { upkeepNeeded, performData };
  const [marketId, meterIds] = decodeAbiParameters([{ type: "uint256" }, { type: "uint32[]" }], performData);
  return { upkeepNeeded, performData, marketId, meterIds: meterIds.map(Number) };
}

/** SettlementKeeper.performUpkeep with data from checkUpkeep. */
export async function performUpkeep(
  ctx: SdkContext,
  performData: Hex,
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  return execute<void>(
    ctx,
    { address: requireKeeper(ctx), abi: KEEPER_ABI, functionName: "performUpkeep", args: [performData] },
    opts,
  );
}

/** Pays a buyer its share of a market's final refund pool (anyone may; credited to the buyer). */
export async function claimRefund(
  ctx: SdkContext,
  marketId: bigint,
  buyer: Address,
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  const settlement = requireSettlement(ctx);
  const [st, claimed, pos] = await Promise.all([
    getSettlement(ctx, marketId),
    isRefundClaimed(ctx, marketId, buyer),
    getPosition(ctx, marketId, buyer),
  ]);
  if (!st.refundPoolFinal) {
    throw new PreflightError(
      "REFUND_POOL_NOT_FINAL",
      `${describeMarket(marketId)}'s refund pool is not final (${st.sellersSettled} of ${st.sellers.length} seller meters settled)`,
      {
        marketId,
      },
    );
  }
  if (claimed)
    throw new PreflightError(
      "ALREADY_CLAIMED",
      `${buyer} already received its refund in ${describeMarket(marketId)}`,
      { marketId, buyer },
    );
  if (pos.paid === 0n)
    throw new PreflightError("NOTHING_PAID", `${buyer} bought nothing in ${describeMarket(marketId)}`, {
      marketId,
      buyer,
    });
  return execute<void>(
    ctx,
    { address: settlement, abi: SETTLEMENT_ABI, functionName: "claimRefund", args: [marketId, buyer] },
    opts,
  );
}
