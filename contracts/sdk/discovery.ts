/**
 * Finding settlement work: which maker orders can be claimed, which markets still need settling,
 * which buyers still have a refund to collect. Asked of the indexer's API first (one GraphQL query
 * per kind); when the indexer is down or not configured, found from the contracts' logs.
 *
 * Discovery only proposes candidates: every write re-checks the chain before sending, so a stale
 * indexer can cost a read, never a wrong transaction.
 */
import type { Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi } from "../index.ts";
import { chainNow, type SdkContext } from "./context.ts";
import { decodeOrderId } from "./ids.ts";
import { getOrders, listOrders } from "./reads/accounts.ts";
import { getCommunity } from "./reads/communities.ts";
import { getSettlement, isRefundClaimed } from "./reads/settlement.ts";
import { marketTimes } from "./ids.ts";

export type DiscoverySource = "indexer" | "chain";

export interface ClaimableOrder {
  orderId: bigint;
  marketId: bigint;
  owner: Address;
}

export interface SettlementWork {
  source: DiscoverySource;
  /** Why the indexer was not used, when source is "chain". */
  fallbackReason?: string | undefined;
  /** Maker orders of markets past their gate, not claimed yet. */
  orders: ClaimableOrder[];
  /** Markets past their gate with trades whose settlement or refunds may not be complete. */
  markets: bigint[];
  /** Buyers with a payment in each of those markets (refund candidates). */
  buyers: Map<bigint, Address[]>;
}

interface GqlPage<T> {
  items: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  timeoutMs: number,
): Promise<T> {
  const res = await fetch(`${url.replace(/\/$/, "")}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`indexer answered HTTP ${res.status}`);
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`indexer GraphQL error: ${body.errors[0]!.message}`);
  if (!body.data) throw new Error("indexer returned no data");
  return body.data;
}

async function gqlAll<T>(
  url: string,
  field: string,
  where: string,
  select: string,
  vars: Record<string, unknown>,
  varDefs: string,
  timeoutMs: number,
  maxRows = 20_000,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (;;) {
    const query = `query(${varDefs}${varDefs ? ", " : ""}$after: String) { ${field}(where: ${where}, limit: 1000, after: $after) { items { ${select} } pageInfo { hasNextPage endCursor } } }`;
    const data: Record<string, GqlPage<T>> = await gql(url, query, { ...vars, after }, timeoutMs);
    const page = data[field]!;
    out.push(...page.items);
    if (!page.pageInfo.hasNextPage || out.length >= maxRows) return out;
    after = page.pageInfo.endCursor;
  }
}

/** Settlement work from the indexer's GraphQL API. */
export async function discoverFromIndexer(
  indexerUrl: string,
  now: number,
  opts: { timeoutMs?: number } = {},
): Promise<SettlementWork> {
  const t = opts.timeoutMs ?? 5_000;
  const nowStr = String(now);
  const orders = await gqlAll<{
    id: string;
    marketId: string;
    owner: Address;
    filledWh: string;
    amountWh: string;
    cancelledWh: string;
  }>(
    indexerUrl,
    "orderss",
    "{ claimed: false, gateAt_lte: $now }",
    "id marketId owner filledWh amountWh cancelledWh",
    { now: nowStr },
    "$now: BigInt!",
    t,
  );
  const markets = await gqlAll<{
    id: string;
    refundPoolFinal: boolean;
    refundPool: string;
    refundedPaid: string;
    tradedValue: string;
  }>(
    indexerUrl,
    "marketss",
    '{ tradedWh_gt: "0", gateAt_lte: $now }',
    "id refundPoolFinal refundPool refundedPaid tradedValue",
    { now: nowStr },
    "$now: BigInt!",
    t,
  );
  const pending = markets
    .filter(
      (m) =>
        !(
          m.refundPoolFinal &&
          (BigInt(m.refundPool) === 0n || BigInt(m.refundedPaid) === BigInt(m.tradedValue))
        ),
    )
    .map((m) => BigInt(m.id));
  const buyers = new Map<bigint, Address[]>();
  if (pending.length) {
    const positions = await gqlAll<{ marketId: string; buyer: Address }>(
      indexerUrl,
      "positionss",
      '{ marketId_in: $markets, refundClaimed: false, paid_gt: "0" }',
      "marketId buyer",
      { markets: pending.map(String) },
      "$markets: [BigInt!]",
      t,
    );
    for (const p of positions) {
      const id = BigInt(p.marketId);
      buyers.set(id, [...(buyers.get(id) ?? []), p.buyer]);
    }
  }
  return {
    source: "indexer",
    orders: orders
      // A fully cancelled, unfilled order locks nothing and attributes nothing: no claim needed.
      .filter((o) => !(BigInt(o.filledWh) === 0n && BigInt(o.amountWh) === BigInt(o.cancelledWh)))
      .map((o) => ({ orderId: BigInt(o.id), marketId: BigInt(o.marketId), owner: o.owner })),
    markets: pending,
    buyers,
  };
}

/** Settlement work from the contracts' logs (the indexer-free fallback), verified on chain. */
export async function discoverFromChain(
  ctx: SdkContext,
  now: number,
  opts: { fromBlock?: bigint } = {},
): Promise<SettlementWork> {
  const fromBlock = opts.fromBlock ?? ctx.addresses.startBlock ?? 0n;
  const market = ctx.addresses.market;
  const range = { fromBlock, toBlock: "latest" as const };
  const [placed, claimed, trades] = await Promise.all([
    ctx.publicClient.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "OrderPlaced",
      ...range,
    }),
    ctx.publicClient.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "OrderClaimed",
      ...range,
    }),
    ctx.publicClient.getContractEvents({
      address: market,
      abi: energyMarketAbi,
      eventName: "Trade",
      ...range,
    }),
  ]);
  const done = new Set(claimed.map((l) => (l.args as { orderId: bigint }).orderId));
  const gateCache = new Map<number, number>();
  const gatePassed = async (marketId: bigint): Promise<boolean> => {
    const communityId = Number(marketId >> 40n);
    const slotStart = Number(marketId & ((1n << 40n) - 1n));
    if (!gateCache.has(communityId))
      gateCache.set(communityId, (await getCommunity(ctx, communityId)).gateLead);
    return now >= slotStart - gateCache.get(communityId)!;
  };
  const candidates: ClaimableOrder[] = [];
  for (const l of placed) {
    const a = l.args as { orderId: bigint; owner: Address; marketId: bigint };
    if (done.has(a.orderId) || !(await gatePassed(a.marketId))) continue;
    candidates.push({ orderId: a.orderId, marketId: a.marketId, owner: a.owner });
  }
  const onChain = new Set(
    (
      await getOrders(
        ctx,
        candidates.map((c) => c.orderId),
      )
    )
      .filter((o) => !(o.filledWh === 0n && o.cancelledWh === o.amountWh))
      .map((o) => o.orderId),
  );
  const buyersBy = new Map<bigint, Set<Address>>();
  const add = (m: bigint, b: Address) => {
    const s = buyersBy.get(m) ?? new Set<Address>();
    s.add(b);
    buyersBy.set(m, s);
  };
  for (const l of trades) {
    const a = l.args as { marketId: bigint; taker: Address; takerIsBid: boolean };
    if (a.takerIsBid) add(a.marketId, a.taker);
  }
  for (const l of placed) {
    const a = l.args as { orderId: bigint; owner: Address; marketId: bigint };
    if (decodeOrderId(a.orderId).isBid) add(a.marketId, a.owner);
  }
  const markets: bigint[] = [];
  const tradedMarkets = new Set(trades.map((l) => (l.args as { marketId: bigint }).marketId));
  for (const m of tradedMarkets) {
    if (!(await gatePassed(m))) continue;
    if (ctx.addresses.settlement) {
      const st = await getSettlement(ctx, m);
      if (st.complete) continue;
    }
    markets.push(m);
  }
  const buyers = new Map<bigint, Address[]>();
  for (const m of markets) buyers.set(m, [...(buyersBy.get(m) ?? [])]);
  return { source: "chain", orders: candidates.filter((c) => onChain.has(c.orderId)), markets, buyers };
}

/** Settlement work: the indexer first (if `ctx.indexerUrl`), the chain's logs when it fails. */
export async function discoverSettlementWork(
  ctx: SdkContext,
  opts: { now?: number; timeoutMs?: number } = {},
): Promise<SettlementWork> {
  const now = opts.now ?? (await chainNow(ctx));
  if (ctx.indexerUrl) {
    try {
      return await discoverFromIndexer(ctx.indexerUrl, now, opts);
    } catch (err) {
      const work = await discoverFromChain(ctx, now);
      return { ...work, fallbackReason: err instanceof Error ? err.message : String(err) };
    }
  }
  return discoverFromChain(ctx, now);
}

export interface AccountClaimables {
  source: DiscoverySource;
  /** The account's maker orders past their gate, not claimed yet. */
  orders: ClaimableOrder[];
  /** Markets whose refund pool is final and where the account has a refund to collect. */
  refunds: { marketId: bigint; paid: bigint }[];
}

/** What one account can collect (for `claim --all` and the dApp's portfolio). */
export async function discoverClaimables(
  ctx: SdkContext,
  account: Address,
  opts: { timeoutMs?: number } = {},
): Promise<AccountClaimables> {
  if (ctx.indexerUrl) {
    try {
      const res = await fetch(`${ctx.indexerUrl.replace(/\/$/, "")}/accounts/${account}/claimables`, {
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
      });
      if (!res.ok) throw new Error(`indexer answered HTTP ${res.status}`);
      const body = (await res.json()) as {
        orders: { orderId: string; marketId: string }[];
        refunds: { marketId: string; paid: string }[];
      };
      return {
        source: "indexer",
        orders: body.orders.map((o) => ({
          orderId: BigInt(o.orderId),
          marketId: BigInt(o.marketId),
          owner: account,
        })),
        refunds: body.refunds.map((r) => ({ marketId: BigInt(r.marketId), paid: BigInt(r.paid) })),
      };
    } catch {
      // fall through to the chain
    }
  }
  const now = await chainNow(ctx);
  const mine = await listOrders(ctx, account);
  const orders: ClaimableOrder[] = [];
  for (const o of mine) {
    const c = await getCommunity(ctx, o.communityId);
    if (now >= marketTimes(c, o.slotStart).gateAt)
      orders.push({ orderId: o.orderId, marketId: o.marketId, owner: account });
  }
  const refunds: { marketId: bigint; paid: bigint }[] = [];
  if (ctx.addresses.settlement) {
    const range = { fromBlock: ctx.addresses.startBlock ?? 0n, toBlock: "latest" as const };
    const [trades, placed, paidOut] = await Promise.all([
      ctx.publicClient.getContractEvents({
        address: ctx.addresses.market,
        abi: energyMarketAbi,
        eventName: "Trade",
        args: { taker: account, takerIsBid: true },
        ...range,
      }),
      ctx.publicClient.getContractEvents({
        address: ctx.addresses.market,
        abi: energyMarketAbi,
        eventName: "OrderPlaced",
        args: { owner: account },
        ...range,
      }),
      ctx.publicClient.getContractEvents({
        address: ctx.addresses.settlement,
        abi: deliverySettlementAbi,
        eventName: "RefundClaimed",
        args: { buyer: account },
        ...range,
      }),
    ]);
    const claimedMarkets = new Set(paidOut.map((l) => (l.args as { marketId: bigint }).marketId));
    const markets = new Set<bigint>(trades.map((l) => (l.args as { marketId: bigint }).marketId));
    for (const l of placed) {
      const a = l.args as { orderId: bigint; marketId: bigint };
      if (decodeOrderId(a.orderId).isBid) markets.add(a.marketId);
    }
    for (const m of markets) {
      if (claimedMarkets.has(m)) continue;
      const st = await getSettlement(ctx, m);
      if (!st.refundPoolFinal || (await isRefundClaimed(ctx, m, account))) continue;
      const pos = await ctx.publicClient.readContract({
        address: ctx.addresses.market,
        abi: energyMarketAbi,
        functionName: "position",
        args: [m, account],
      });
      if (BigInt(pos.paid) > 0n) refunds.push({ marketId: m, paid: BigInt(pos.paid) });
    }
  }
  return { source: "chain", orders, refunds };
}
