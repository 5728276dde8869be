/**
 * What the silence watcher reads from the chain: which seller meters sold in a market (the market's
 * `marketSellers`, paged as the SDK reads it), whether every matched ask is attributed to its meter
 * yet (maker asks are attributed when claimed after the gate: `resolvedAskWh == tradedWh`), and
 * whether a (meter, slot) already has a report or an attestation (`reportOf` on the contract that
 * stores reports).
 */
import type { Address, PublicClient } from "viem";
import { marketAbi } from "./abi.ts";

export interface MarketSales {
  /** Matched energy in the market (fixed once its gate closed). */
  tradedWh: bigint;
  /** Seller meters with attributed sales, in order of first attribution. */
  sellers: number[];
  /** Every matched ask is attributed to a seller meter: no seller can be added to the list. */
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

export class ChainSalesView implements SalesView {
  readonly #client: PublicClient;
  readonly #market: Address;
  readonly #reports: Address;

  /** `reports`: the contract with `reportOf` (DeliverySettlement, or the market itself). */
  constructor(publicClient: PublicClient, market: Address, reports: Address) {
    this.#client = publicClient;
    this.#market = market;
    this.#reports = reports;
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
    const complete = BigInt(totals.resolvedAskWh) === tradedWh;
    if (tradedWh === 0n) return { tradedWh, sellers: [], complete };
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
