/**
 * `createPowerShare(...)`: one object with every read and write of the SDK bound to a context.
 * The functions are also exported one by one (tree-shakeable for the dApp).
 */
import type { Address, Hex } from "viem";
import type { AnyPublicClient, AnyWalletClient, PowerShareAddresses, SdkContext } from "./context.ts";
import { chainNow } from "./context.ts";
import { queueFor, type TxQueueOptions } from "./tx/queue.ts";
import { getBalances, getOrder, getOrders, getPosition, listOrders } from "./reads/accounts.ts";
import { getBestPrices, getBook } from "./reads/book.ts";
import { getCommunity, getMeter, isMember, listCommunities, listMeters } from "./reads/communities.ts";
import { getMarket, getMarketFeeBps, isMarketPaused, listMarkets } from "./reads/markets.ts";
import {
  getReport,
  getReportWindow,
  getReputation,
  getSale,
  getSettledSales,
  getSettlement,
  isRefundClaimed,
} from "./reads/settlement.ts";
import { cancelOrder, cancelOrders, placeOrder, placeOrders, replaceOrders } from "./writes/orders.ts";
import { deposit, withdraw, type DepositOptions } from "./writes/funds.ts";
import {
  checkUpkeep,
  claimOrders,
  claimRefund,
  performUpkeep,
  settleSale,
  settleSellers,
} from "./writes/settlement.ts";
import type { PlaceOrderParams } from "./writes/checks.ts";
import { discoverClaimables, discoverSettlementWork } from "./discovery.ts";
import type { WriteOptions } from "./writes/execute.ts";

export interface PowerShareOptions {
  publicClient: AnyPublicClient;
  walletClient?: AnyWalletClient | undefined;
  addresses: PowerShareAddresses;
  indexerUrl?: string | undefined;
  /** Options of the signer's transaction queue (fee cap, replacement…). */
  tx?: TxQueueOptions | undefined;
}

export type PowerShare = ReturnType<typeof createPowerShare>;

export function createPowerShare(opts: PowerShareOptions) {
  const ctx: SdkContext = {
    publicClient: opts.publicClient,
    walletClient: opts.walletClient,
    addresses: opts.addresses,
    indexerUrl: opts.indexerUrl,
    queue: opts.walletClient?.account ? queueFor(opts.publicClient, opts.walletClient, opts.tx) : undefined,
  };
  return {
    ctx,
    /** The signing account's address, if any. */
    account: opts.walletClient?.account?.address as Address | undefined,
    now: () => chainNow(ctx),
    // reads
    community: (id: number) => getCommunity(ctx, id),
    communities: (o?: { names?: boolean }) => listCommunities(ctx, o),
    isMember: (communityId: number, account: Address) => isMember(ctx, communityId, account),
    meter: (id: number) => getMeter(ctx, id),
    meters: (f?: { owner?: Address; communityId?: number }) => listMeters(ctx, f),
    markets: (communityId: number, o?: { limit?: number; activeOnly?: boolean }) =>
      listMarkets(ctx, communityId, o),
    market: (marketId: bigint) => getMarket(ctx, marketId),
    /** The fee (bps) a market's sales are charged: fixed at its first trade. */
    marketFeeBps: (marketId: bigint) => getMarketFeeBps(ctx, marketId),
    paused: () => isMarketPaused(ctx),
    bestPrices: (marketId: bigint) => getBestPrices(ctx, marketId),
    book: (marketId: bigint, o?: { levels?: number; scanTicks?: number }) => getBook(ctx, marketId, o),
    balances: (account: Address) => getBalances(ctx, account),
    order: (orderId: bigint) => getOrder(ctx, orderId),
    orders: (orderIds: readonly bigint[]) => getOrders(ctx, orderIds),
    ordersOf: (owner: Address, o?: { fromBlock?: bigint; marketId?: bigint }) => listOrders(ctx, owner, o),
    position: (marketId: bigint, buyer: Address) => getPosition(ctx, marketId, buyer),
    sale: (marketId: bigint, meterId: number) => getSale(ctx, marketId, meterId),
    settlement: (marketId: bigint) => getSettlement(ctx, marketId),
    settledSales: (r: { fromBlock: bigint; toBlock: bigint; meterId?: number }) => getSettledSales(ctx, r),
    refundClaimed: (marketId: bigint, buyer: Address) => isRefundClaimed(ctx, marketId, buyer),
    report: (meterId: number, slotStart: number) => getReport(ctx, meterId, slotStart),
    reportWindow: () => getReportWindow(ctx),
    reputation: (seller: Address) => getReputation(ctx, seller),
    claimables: (account: Address) => discoverClaimables(ctx, account),
    settlementWork: (o?: { now?: number }) => discoverSettlementWork(ctx, o),
    // writes
    place: (p: PlaceOrderParams, o?: WriteOptions) => placeOrder(ctx, p, o),
    placeMany: (orders: readonly PlaceOrderParams[], o?: WriteOptions) => placeOrders(ctx, orders, o),
    replace: (cancel: readonly bigint[], orders: readonly PlaceOrderParams[], o?: WriteOptions) =>
      replaceOrders(ctx, cancel, orders, o),
    cancel: (orderId: bigint, o?: WriteOptions) => cancelOrder(ctx, orderId, o),
    cancelMany: (orderIds: readonly bigint[], o?: WriteOptions) => cancelOrders(ctx, orderIds, o),
    deposit: (amount: bigint, o?: DepositOptions) => deposit(ctx, amount, o),
    withdraw: (amount: bigint, to?: Address, o?: WriteOptions) => withdraw(ctx, amount, to, o),
    claim: (orderIds: readonly bigint[], o?: WriteOptions) => claimOrders(ctx, orderIds, o),
    settle: (marketId: bigint, meterIds?: readonly number[], o?: WriteOptions) =>
      settleSellers(ctx, marketId, meterIds, o),
    claimRefund: (marketId: bigint, buyer: Address, o?: WriteOptions) => claimRefund(ctx, marketId, buyer, o),
    settleSale: (
      marketId: bigint,
      meterId: number,
      orderIds?: readonly bigint[],
      buyers?: readonly Address[],
      o?: WriteOptions,
    ) => settleSale(ctx, marketId, meterId, orderIds, buyers, o),
    checkUpkeep: (communityId: number, o?: { lookbackSlots?: number; maxSellers?: number }) =>
      checkUpkeep(ctx, communityId, o),
    performUpkeep: (performData: Hex, o?: WriteOptions) => performUpkeep(ctx, performData, o),
  };
}
