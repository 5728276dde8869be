/**
 * What the silence watcher reads from the chain: which seller meters sold in a market, whether
 * every matched ask is accounted for, and whether a (meter, slot) already has a report or an
 * attestation (`reportOf` on the contract that stores reports).
 *
 * The sellers are the market's `marketSellers` (takers' asks, and maker asks once claimed) and the
 * meters of its maker asks not claimed yet: the market's `OrderPlaced` logs (marketId is indexed)
 * name its resting orders, `order(id)` gives an unclaimed one's fill (final at the gate; a claimed
 * order is gone: `UnknownOrder`, and its meter is in `marketSellers`). Keepers claim makers only in
 * the settlement transaction, after the report window (DeliverySettlement.settleSale, decisions
 * 0028 and 0029), so a maker-only seller is known from the book, not from its claim. Every matched
 * ask is accounted for when `resolvedAskWh` plus the unclaimed asks' fills reaches `tradedWh`.
 */
import { BaseError, ContractFunctionRevertedError, type Address, type PublicClient } from "viem";
import { marketAbi } from "./abi.ts";

export interface MarketSales {
  /** Matched energy in the market (fixed once its gate closed). */
  tradedWh: bigint;
  /** Seller meters with attributed sales, in order of first attribution. */
  sellers: number[];
  /** Every matched ask is accounted for (claimed, or an unclaimed maker ask read above): no seller
   * can be added to the list. */
  complete: boolean;
}

export interface SalesView {
  sales(communityId: number, slotStart: number): Promise<MarketSales>;
  /** Whether the chain holds a report or a silence attestation for the meter and slot. */
  onChain(meterId: number, slotStart: number): Promise<boolean>;
}

export const marketIdOf = (communityId: number, slotStart: number): bigint =>
  (BigInt(communityId) << 40n) | BigInt(slotStart);

const PAGE = 1_000n;
/** Markets whose ask order ids are kept (their book is final: no order is placed after the gate). */
const ASK_CACHE = 256;

const isUnknownOrder = (err: unknown): boolean =>
  err instanceof BaseError &&
  err.walk((e) => e instanceof ContractFunctionRevertedError) instanceof ContractFunctionRevertedError &&
  (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError).data
    ?.errorName === "UnknownOrder";

export class ChainSalesView implements SalesView {
  readonly #client: PublicClient;
  readonly #market: Address;
  readonly #reports: Address;
  readonly #fromBlock: bigint;
  readonly #asks = new Map<bigint, bigint[]>();

  /**
   * `reports`: the contract with `reportOf` (DeliverySettlement, or the market itself);
   * `fromBlock`: where the market's `OrderPlaced` logs are read from (its deployment block).
   */
  constructor(publicClient: PublicClient, market: Address, reports: Address, fromBlock = 0n) {
    this.#client = publicClient;
    this.#market = market;
    this.#reports = reports;
    this.#fromBlock = fromBlock;
  }

  /** The ask orders placed in a market (read once: asked only of markets past their gate). */
  async #askOrders(marketId: bigint): Promise<bigint[]> {
    const cached = this.#asks.get(marketId);
    if (cached) return cached;
    const logs = await this.#client.getContractEvents({
      address: this.#market,
      abi: marketAbi,
      eventName: "OrderPlaced",
      args: { marketId },
      fromBlock: this.#fromBlock,
      toBlock: "latest",
    });
    // orderId = marketId << 40 | side << 32 | tick << 16 | index; side 0 is an ask.
    const ids = logs.map((l) => l.args.orderId!).filter((id) => ((id >> 32n) & 0xffn) === 0n);
    if (this.#asks.size >= ASK_CACHE) this.#asks.delete(this.#asks.keys().next().value!);
    this.#asks.set(marketId, ids);
    return ids;
  }

  /** An unclaimed order's meter and fill; undefined once claimed. */
  async #order(orderId: bigint): Promise<{ meterId: number; filledWh: bigint } | undefined> {
    try {
      const [, meterId, , , filledWh] = await this.#client.readContract({
        address: this.#market,
        abi: marketAbi,
        functionName: "order",
        args: [orderId],
      });
      return { meterId: Number(meterId), filledWh: BigInt(filledWh) };
    } catch (err) {
      if (isUnknownOrder(err)) return undefined;
      throw err;
    }
  }

  async sales(communityId: number, slotStart: number): Promise<MarketSales> {
    const marketId = marketIdOf(communityId, slotStart);
    const totals = await this.#client.readContract({
      address: this.#market,
      abi: marketAbi,
      functionName: "marketTotals",
      args: [marketId],
    });
    const tradedWh = BigInt(totals.tradedWh);
    if (tradedWh === 0n) return { tradedWh, sellers: [], complete: true };
    // Unclaimed maker asks first: one claimed after this read is in marketSellers, read next.
    const makers: number[] = [];
    let unclaimedAskWh = 0n;
    for (const o of await Promise.all((await this.#askOrders(marketId)).map((id) => this.#order(id)))) {
      if (!o || o.filledWh === 0n) continue;
      unclaimedAskWh += o.filledWh;
      makers.push(o.meterId);
    }
    // An ask claimed between the totals' read and its order() read is counted in neither: the
    // market then reads as not complete and is read again.
    const complete = BigInt(totals.resolvedAskWh) + unclaimedAskWh >= tradedWh;
    const sellers: number[] = [];
    for (;;) {
      const [page, total] = await this.#client.readContract({
        address: this.#market,
        abi: marketAbi,
        functionName: "marketSellers",
        args: [marketId, BigInt(sellers.length), PAGE],
      });
      sellers.push(...page.map(Number));
      if (page.length === 0 || BigInt(sellers.length) >= total) break;
    }
    for (const m of makers) if (!sellers.includes(m)) sellers.push(m);
    return { tradedWh, sellers, complete };
  }

  async onChain(meterId: number, slotStart: number): Promise<boolean> {
    const [exists] = await this.#client.readContract({
      address: this.#reports,
      abi: marketAbi,
      functionName: "reportOf",
      args: [meterId, slotStart],
    });
    return exists;
  }
}
