/** Reads of delivery and settlement: reports, sales, settlement progress, refunds, reputation. */
import type { Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi } from "../../index.ts";
import { decodeMarketId } from "../ids.ts";
import { requireSettlement, type SdkContext } from "../context.ts";

export interface Report {
  meterId: number;
  slotStart: number;
  importedWh: bigint;
  exportedWh: bigint;
}

/** A meter's report for a slot, or undefined if none was posted. */
export async function getReport(
  ctx: SdkContext,
  meterId: number,
  slotStart: number,
): Promise<Report | undefined> {
  const [exists, importedWh, exportedWh] = await ctx.publicClient.readContract({
    address: requireSettlement(ctx),
    abi: deliverySettlementAbi,
    functionName: "reportOf",
    args: [meterId, slotStart],
  });
  return exists ? { meterId, slotStart, importedWh, exportedWh } : undefined;
}

export interface Sale {
  marketId: bigint;
  meterId: number;
  seller: Address;
  soldWh: bigint;
  proceeds: bigint;
  /** Bond locked for the sale until settlement. */
  bond: bigint;
  settled: boolean;
}

export async function getSale(ctx: SdkContext, marketId: bigint, meterId: number): Promise<Sale> {
  const settlement = requireSettlement(ctx);
  const [s, bond, settled] = await Promise.all([
    ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "sale",
      args: [marketId, meterId],
    }),
    ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "saleBond",
      args: [marketId, meterId],
    }),
    ctx.publicClient.readContract({
      address: settlement,
      abi: deliverySettlementAbi,
      functionName: "sellerSettled",
      args: [marketId, meterId],
    }),
  ]);
  return {
    marketId,
    meterId,
    seller: s.seller,
    soldWh: BigInt(s.soldWh),
    proceeds: BigInt(s.proceeds),
    bond,
    settled,
  };
}

export interface SettlementState {
  marketId: bigint;
  /** Whether sellers can be settled now, and if not, why (the contract's reason). */
  ready: boolean;
  reason: string;
  tradedWh: bigint;
  tradedValue: bigint;
  /** Energy attributed to seller meters (all of tradedWh once every ask maker is claimed). */
  resolvedAskWh: bigint;
  /** Filled bid-maker value still waiting for the makers' claims. */
  pendingBidValue: bigint;
  /** Seller meters with sales, in order of first attribution. */
  sellers: number[];
  sellersSettled: number;
  settledSoldWh: bigint;
  refundPool: bigint;
  refundedPaid: bigint;
  refunded: bigint;
  /** Every seller settled: buyers can claim refunds. */
  refundPoolFinal: boolean;
  /** Every buyer refunded (or nothing to refund). */
  complete: boolean;
}

export async function getSettlement(ctx: SdkContext, marketId: bigint): Promise<SettlementState> {
  decodeMarketId(marketId);
  const settlement = requireSettlement(ctx);
  const m = ctx.addresses.market;
  const [[ready, reason], st, totals, pendingBidValue, sellers] = await Promise.all([
    ctx.publicClient.readContract({
      address: settlement,
      abi: deliverySettlementAbi,
      functionName: "settlementStatus",
      args: [marketId],
    }),
    ctx.publicClient.readContract({
      address: settlement,
      abi: deliverySettlementAbi,
      functionName: "settlementOf",
      args: [marketId],
    }),
    ctx.publicClient.readContract({
      address: m,
      abi: energyMarketAbi,
      functionName: "marketTotals",
      args: [marketId],
    }),
    ctx.publicClient.readContract({
      address: m,
      abi: energyMarketAbi,
      functionName: "pendingBidValue",
      args: [marketId],
    }),
    marketSellers(ctx, marketId),
  ]);
  const tradedWh = BigInt(totals.tradedWh);
  const final = tradedWh > 0n && BigInt(st.settledSoldWh) === tradedWh;
  const tradedValue = BigInt(totals.tradedValue);
  return {
    marketId,
    ready,
    reason,
    tradedWh,
    tradedValue,
    resolvedAskWh: BigInt(totals.resolvedAskWh),
    pendingBidValue,
    sellers: sellers.map(Number),
    sellersSettled: Number(st.sellers),
    settledSoldWh: BigInt(st.settledSoldWh),
    refundPool: BigInt(st.refundPool),
    refundedPaid: BigInt(st.refundedPaid),
    refunded: BigInt(st.refunded),
    refundPoolFinal: final,
    complete: final && (BigInt(st.refundPool) === 0n || BigInt(st.refundedPaid) === tradedValue),
  };
}

/** Every seller meter of a market, read in pages of 1,000 (the contract's view is paged). */
export async function marketSellers(ctx: SdkContext, marketId: bigint): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const [page, total] = await ctx.publicClient.readContract({
      address: ctx.addresses.market,
      abi: energyMarketAbi,
      functionName: "marketSellers",
      args: [marketId, BigInt(out.length), 1000n],
    });
    out.push(...page.map(Number));
    if (page.length === 0 || BigInt(out.length) >= total) return out;
  }
}

/** Whether a buyer's refund in a market was already paid. */
export async function isRefundClaimed(ctx: SdkContext, marketId: bigint, buyer: Address): Promise<boolean> {
  return ctx.publicClient.readContract({
    address: requireSettlement(ctx),
    abi: deliverySettlementAbi,
    functionName: "refundClaimed",
    args: [marketId, buyer],
  });
}

export interface Reputation {
  seller: Address;
  committedWh: bigint;
  deliveredWh: bigint;
  /** Delivered / committed with the prior, basis points. */
  scoreBps: number;
  /** Bond factor for communities with reputation bonds, basis points of the community's bond. */
  bondFactorBps: number;
}

export async function getReputation(ctx: SdkContext, seller: Address): Promise<Reputation> {
  const settlement = requireSettlement(ctx);
  const [[committedWh, deliveredWh, scoreBps], factor] = await Promise.all([
    ctx.publicClient.readContract({
      address: settlement,
      abi: deliverySettlementAbi,
      functionName: "reputationOf",
      args: [seller],
    }),
    ctx.publicClient.readContract({
      address: settlement,
      abi: deliverySettlementAbi,
      functionName: "bondFactorOf",
      args: [seller],
    }),
  ]);
  return { seller, committedWh, deliveredWh, scoreBps: Number(scoreBps), bondFactorBps: Number(factor) };
}

/** Seconds after a slot's end during which reports are accepted. */
export async function getReportWindow(ctx: SdkContext): Promise<number> {
  return Number(
    await ctx.publicClient.readContract({
      address: requireSettlement(ctx),
      abi: deliverySettlementAbi,
      functionName: "reportWindow",
    }),
  );
}

/** A seller meter's settled sale in one market (DeliverySettlement.SaleSettled). */
export interface SettledSale {
  marketId: bigint;
  slotStart: number;
  meterId: number;
  soldWh: bigint;
  deliveredWh: bigint;
  /** False: the meter was silent (or unreported) and settled as delivering nothing. */
  reported: boolean;
  /** To the seller, after the fee. */
  payout: bigint;
  fee: bigint;
  /** To the buyers, for what was not delivered. */
  refunded: bigint;
  bondSlashed: bigint;
}

/**
 * Settled sales from DeliverySettlement's `SaleSettled` logs in a block range (the indexer-free way
 * to learn settlement results); `meterId` filters on the indexed topic.
 */
export async function getSettledSales(
  ctx: SdkContext,
  range: { fromBlock: bigint; toBlock: bigint; meterId?: number | undefined },
): Promise<SettledSale[]> {
  if (range.toBlock < range.fromBlock) return [];
  const logs = await ctx.publicClient.getContractEvents({
    address: requireSettlement(ctx),
    abi: deliverySettlementAbi,
    eventName: "SaleSettled",
    args: range.meterId === undefined ? {} : { meterId: range.meterId },
    fromBlock: range.fromBlock,
    toBlock: range.toBlock,
  });
  return logs.map((l) => {
    const a = l.args as {
      marketId: bigint;
      meterId: number;
      soldWh: bigint;
      deliveredWh: bigint;
      reported: boolean;
      payout: bigint;
      fee: bigint;
      refunded: bigint;
      bondSlashed: bigint;
    };
    return {
      marketId: a.marketId,
      slotStart: decodeMarketId(a.marketId).slotStart,
      meterId: Number(a.meterId),
      soldWh: a.soldWh,
      deliveredWh: a.deliveredWh,
      reported: a.reported,
      payout: a.payout,
      fee: a.fee,
      refunded: a.refunded,
      bondSlashed: a.bondSlashed,
    };
  });
}
