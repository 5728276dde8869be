/**
 * Everything an agent reads from and sends to the market, through @powershare/contracts/sdk and the
 * agent's own wallet: the community's parameters, the markets of its trading window with their best
 * prices, its balances, its orders, its meter and the meter's reports. Reads shared by every agent of
 * a community (community parameters, best prices) go through a `SharedReads` cache keyed by chain time,
 * which plays the indexer's role in a simulation: one read per block, however many agents ask.
 */
import type { Address } from "viem";
import {
  ContractError,
  decodeOrderId,
  marketIdOf,
  marketTimes,
  type Community,
  type PowerShare,
  type PlaceOrderParams,
  type SettledSale,
} from "@powershare/contracts/sdk";
import type { MarketView, OwnOrder } from "../strategy/types.ts";

export interface CommunityView {
  id: number;
  slotLength: number;
  gateLead: number;
  horizon: number;
  tickSize: number;
  minOrderWh: number;
  bondPerWh: number;
  feeBps: number;
  halted: boolean;
}

export interface MeterView {
  id: number;
  registered: boolean;
  active: boolean;
  ownedByAgent: boolean;
  capacityW: number;
}

export interface MeterReport {
  slotStart: number;
  importedWh: number;
  exportedWh: number;
}

export function toCommunityView(c: Community): CommunityView {
  return {
    id: c.id,
    slotLength: c.slotLength,
    gateLead: c.gateLead,
    horizon: c.horizon,
    tickSize: Number(c.tickSize),
    minOrderWh: Number(c.minOrderWh),
    bondPerWh: Number(c.bondPerWh),
    feeBps: c.feeBps,
    halted: c.halted,
  };
}

/** Reads that do not depend on the agent, cached per chain time. */
export class SharedReads {
  readonly #ps: PowerShare;
  readonly #communities = new Map<number, Promise<CommunityView>>();
  #bestAt = -1;
  #best = new Map<string, Promise<{ bestBid: number | undefined; bestAsk: number | undefined }>>();
  constructor(ps: PowerShare) {
    this.#ps = ps;
  }
  community(id: number): Promise<CommunityView> {
    let c = this.#communities.get(id);
    if (!c) {
      c = this.#ps.community(id).then(toCommunityView);
      c.catch(() => this.#communities.delete(id));
      this.#communities.set(id, c);
    }
    return c;
  }
  bestPrices(marketId: bigint, now: number) {
    if (now !== this.#bestAt) {
      this.#bestAt = now;
      this.#best = new Map();
    }
    const key = marketId.toString();
    let p = this.#best.get(key);
    if (!p) {
      p = this.#ps.bestPrices(marketId);
      this.#best.set(key, p);
    }
    return p;
  }
  /**
   * Settled sales of every meter from DeliverySettlement's logs, scanned once per chain time for all
   * agents (blocks after the last scan up to `head`; the first scan looks back `lookbackBlocks`),
   * kept for two days of slots. The chain source's way to learn settlement results.
   */
  settledSales(now: number, head: bigint, lookbackBlocks: bigint): Promise<readonly SettledSale[]> {
    if (now !== this.#salesAt || !this.#sales) {
      this.#salesAt = now;
      const prev = this.#sales ?? Promise.resolve([] as SettledSale[]);
      const next = prev.then(async (kept) => {
        const start = this.#ps.ctx.addresses.startBlock ?? 0n;
        const from =
          this.#scannedTo >= 0n ? this.#scannedTo + 1n : head > lookbackBlocks ? head - lookbackBlocks : 0n;
        const fromBlock = from > start ? from : start;
        const fresh =
          head >= fromBlock && this.#ps.ctx.addresses.settlement
            ? await this.#ps.settledSales({ fromBlock, toBlock: head })
            : [];
        if (head > this.#scannedTo) this.#scannedTo = head;
        return [...kept.filter((x) => x.slotStart >= now - 2 * 86400), ...fresh];
      });
      // a failed scan is retried from the same block next time
      this.#sales = next.catch(() => prev);
      return next;
    }
    return this.#sales;
  }
  #sales: Promise<SettledSale[]> | undefined;
  #salesAt = -1;
  #scannedTo = -1n;
  /** Forget cached best prices (after this agent's own trades moved the book). */
  invalidate(): void {
    this.#bestAt = -1;
  }
}

/** The markets whose gate falls within `windowSeconds` after `now`, earliest first. */
export function windowSlots(c: CommunityView, now: number, windowSeconds: number): number[] {
  const out: number[] = [];
  const first = Math.ceil((now + c.gateLead + 1) / c.slotLength) * c.slotLength;
  for (let s = first; s - c.gateLead <= now + windowSeconds; s += c.slotLength) {
    const t = marketTimes(c, s);
    if (now >= t.opensAt && now < t.gateAt) out.push(s);
  }
  return out;
}

export interface AgentIOOptions {
  /**
   * Gas limit of a batch from its size (calls) instead of an estimate: saves the node an
   * estimation (and its nonce and fee reads) per transaction. Unused gas costs nothing; a limit too
   * low reverts the transaction (an act error). Default: estimate.
   */
  gasLimit?: ((calls: number) => bigint) | undefined;
}

export class AgentIO {
  readonly ps: PowerShare;
  readonly account: Address;
  readonly shared: SharedReads;
  readonly #opts: AgentIOOptions;
  constructor(ps: PowerShare, account: Address, shared?: SharedReads, opts: AgentIOOptions = {}) {
    this.ps = ps;
    this.account = account;
    this.shared = shared ?? new SharedReads(ps);
    this.#opts = opts;
  }

  now(): Promise<number> {
    return this.ps.now();
  }

  community(id: number): Promise<CommunityView> {
    return this.shared.community(id);
  }

  async markets(c: CommunityView, now: number, windowSeconds: number): Promise<MarketView[]> {
    const slots = windowSlots(c, now, windowSeconds);
    return Promise.all(
      slots.map(async (s) => {
        const id = marketIdOf(c.id, s);
        const t = marketTimes(c, s);
        const best = await this.shared.bestPrices(id, now);
        return {
          marketId: id.toString(),
          slotStart: s,
          opensAt: t.opensAt,
          gateAt: t.gateAt,
          bestBidTick: best.bestBid,
          bestAskTick: best.bestAsk,
        };
      }),
    );
  }

  async freeBalance(): Promise<number> {
    return Number((await this.ps.balances(this.account)).free);
  }

  /** The agent's orders among `ids` still on chain (claimed ones are gone). */
  async orders(ids: readonly string[]): Promise<OwnOrder[]> {
    const orders = await this.ps.orders(ids.map((i) => BigInt(i)));
    return orders
      .filter((o) => o.owner.toLowerCase() === this.account.toLowerCase())
      .map((o) => ({
        orderId: o.orderId.toString(),
        marketId: o.marketId.toString(),
        slotStart: o.slotStart,
        side: o.isBid ? ("buy" as const) : ("sell" as const),
        tick: o.tick,
        amountWh: Number(o.amountWh),
        filledWh: Number(o.filledWh),
        remainingWh: Number(o.remainingWh),
      }));
  }

  /** The agent's orders in one market placed since `fromBlock`, from the chain's logs (for de-duplication). */
  async ordersInMarket(marketId: string, fromBlock: bigint): Promise<OwnOrder[]> {
    const orders = await this.ps.ordersOf(this.account, { marketId: BigInt(marketId), fromBlock });
    return orders.map((o) => {
      const k = decodeOrderId(o.orderId);
      return {
        orderId: o.orderId.toString(),
        marketId,
        slotStart: k.slotStart,
        side: k.isBid ? ("buy" as const) : ("sell" as const),
        tick: k.tick,
        amountWh: Number(o.amountWh),
        filledWh: Number(o.filledWh),
        remainingWh: Number(o.remainingWh),
      };
    });
  }

  async meter(id: number): Promise<MeterView> {
    const m = await this.ps.meter(id);
    return {
      id,
      registered: m !== undefined,
      active: m?.active ?? false,
      ownedByAgent: m !== undefined && m.owner.toLowerCase() === this.account.toLowerCase(),
      capacityW: m?.capacityW ?? 0,
    };
  }

  async report(meterId: number, slotStart: number): Promise<MeterReport | undefined> {
    const r = await this.ps.report(meterId, slotStart);
    return r && { slotStart, importedWh: Number(r.importedWh), exportedWh: Number(r.exportedWh) };
  }

  async blockNumber(): Promise<bigint> {
    return this.ps.ctx.publicClient.getBlockNumber();
  }

  async #explainBatch(
    err: ContractError,
    cancel: readonly string[],
    place: readonly PlaceOrderParams[],
  ): Promise<Error> {
    for (const id of cancel) {
      try {
        await this.ps.cancel(BigInt(id), { dryRun: true });
      } catch (e) {
        return e instanceof Error ? e : err;
      }
    }
    for (const p of place) {
      try {
        await this.ps.place(p, { dryRun: true });
      } catch (e) {
        return e instanceof Error ? e : err;
      }
    }
    return err;
  }

  /** Cancels and places in one transaction; returns what each placed order did and the gas used. */
  async execute(cancel: readonly string[], place: readonly PlaceOrderParams[]): Promise<ExecuteResult> {
    let r;
    const gas = this.#opts.gasLimit?.(cancel.length + place.length);
    const o = gas === undefined ? {} : { gas };
    try {
      r =
        cancel.length === 0
          ? await this.ps.placeMany(place, o)
          : await this.ps.replace(
              cancel.map((c) => BigInt(c)),
              place,
              o,
            );
    } catch (err) {
      // A batch revert hides which call failed: find it by simulating each alone.
      if (err instanceof ContractError && err.errorName === "FailedCall")
        throw await this.#explainBatch(err, cancel, place);
      throw err;
    }
    this.shared.invalidate();
    return {
      outcomes: r.result.map((o) => ({
        orderId: o.orderId === 0n ? undefined : o.orderId.toString(),
        filledWh: Number(o.filledWh),
        restingWh: Number(o.restingWh),
        value: Number(o.value),
      })),
      gasUsed: Number(r.gasUsed),
      hash: r.hash ?? "",
    };
  }
}

export interface ExecuteResult {
  outcomes: { orderId: string | undefined; filledWh: number; restingWh: number; value: number }[];
  gasUsed: number;
  hash: string;
}
