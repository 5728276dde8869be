/**
 * Beckn orders on the PowerShare order book.
 *
 * - select: each line names a catalog item (a resting ask); the quantity is checked against what the
 *   ask still has on chain (SDK read) and quoted at the ask's price.
 * - init: the same, plus the buyer: the BAP's trading wallet (bap-accounts.ts), its receiving meter
 *   in the market's community (the EnergyBuyer `targetMeterId` if it names one of them) and its free
 *   balance, which must cover the quote.
 * - confirm: the lines become fill-or-kill buy orders at the asks' prices, all in one transaction
 *   (SDK `placeMany`, the market's multicall): the trade happens on chain at once, in full, or not
 *   at all. The buyer pays the makers' prices (price improvement comes back to its balance).
 * - status / provider update: the trades of that transaction, their maker fills (which seller meters
 *   delivered), the meters' reports and the market's settlement, from the indexer.
 */
import type { Hex } from "viem";
import {
  orderValue,
  PowerShareError,
  explainError,
  type PlaceOrderParams,
  type PowerShare,
} from "@powershare/contracts/sdk";
import type { BapAccount } from "./bap-accounts.ts";
import type { CatalogEntry, CatalogSource } from "./catalog.ts";
import { askOrderIdOf, offerIdOf } from "./catalog.ts";
import type { IndexerClient } from "./indexer-client.ts";
import { BecknBusinessError } from "./protocol-errors.ts";
import { providerId } from "./beckn-objects.ts";

export type OrderState = "selected" | "initialized" | "confirmed" | "settled" | "cancelled" | "rejected";

export interface OrderLine {
  lineId: string;
  entry: CatalogEntry;
  marketId: bigint;
  amountWh: bigint;
  /** Quote: amount × the ask's price, rounded up as the contract does. */
  valueBase: bigint;
}

export interface GatewayOrder {
  bapId: string;
  transactionId: string;
  orderId: string;
  state: OrderState;
  seller: string;
  buyer: Record<string, unknown>;
  targetMeterId?: number | undefined;
  lines: OrderLine[];
  window: { start: number; end: number };
  payment: {
    status: string;
    amountBase: bigint;
    payer?: string | undefined;
    chainId: number;
    market: string;
    token: string;
    txHash?: string | undefined;
    paidAt?: number | undefined;
    refundBase?: bigint | undefined;
  };
  placed?: { txHash: Hex; blockNumber: bigint; filledWh: bigint; valueBase: bigint } | undefined;
  /** Fingerprint of the last delivery state told to the BAP (on_confirm / on_status / on_update). */
  lastDelivery?: string | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface SellerDelivery {
  meterId: number;
  seller: string;
  filledWh: bigint;
  deliveredWh: bigint;
  exportedWh?: bigint | undefined;
  reportedAt?: number | undefined;
  settled: boolean;
}

export interface DeliverySnapshot {
  at: number;
  status: "PENDING" | "IN_PROGRESS" | "COMPLETED" | "FAILED";
  filledWh: bigint;
  deliveredWh: bigint;
  bySeller: SellerDelivery[];
  markets: { marketId: bigint; settled: boolean; paidBase: bigint; refundBase: bigint }[];
  settled: boolean;
}

export interface MappingDeps {
  publicPs: PowerShare;
  /** A PowerShare client signing with the BAP's trading wallet. */
  psFor(account: BapAccount): PowerShare;
  accounts: Map<string, BapAccount>;
  catalog: CatalogSource;
  indexer: IndexerClient;
  chainId: number;
  reportWindowSeconds(): Promise<number>;
}

type BecknOrderIn = Record<string, unknown>;
const WH_PER_KWH = 1000;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}

/** kWh (a JSON number) to whole Wh; refuses fractions of a Wh. */
export function kwhToWh(q: unknown, where: string): bigint {
  if (typeof q !== "number" || !Number.isFinite(q) || q <= 0) {
    throw new BecknBusinessError("INVALID_REQUEST", `${where}: quantity must be a positive number of kWh`);
  }
  const wh = Math.round(q * WH_PER_KWH);
  if (Math.abs(wh - q * WH_PER_KWH) > 1e-6) {
    throw new BecknBusinessError(
      "INVALID_REQUEST",
      `${where}: quantity ${q} kWh is not a whole number of Wh`,
    );
  }
  return BigInt(wh);
}

export function meterIdFromUri(uri: unknown): number | undefined {
  const m = typeof uri === "string" ? /^der:\/\/meter\/(\d{1,9})$/.exec(uri) : null;
  return m ? Number(m[1]) : undefined;
}

export class OrderBookMapping {
  private readonly deps: MappingDeps;
  constructor(deps: MappingDeps) {
    this.deps = deps;
  }

  /** Quoted lines of a select/init order; throws BecknBusinessError on anything it cannot sell. */
  async quote(order: BecknOrderIn): Promise<{ lines: OrderLine[]; seller: string }> {
    const items = order["beckn:orderItems"] as Record<string, unknown>[];
    const now = await this.deps.publicPs.now();
    const entries = await this.deps.catalog.entries(now);
    const byAsk = new Map(entries.map((e) => [e.askOrderId, e]));
    const lines: OrderLine[] = [];
    const wanted = new Map<bigint, bigint>();
    for (const [i, it] of items.entries()) {
      const lineId = str(it["beckn:lineId"]) ?? `line-${i + 1}`;
      const itemId = String(it["beckn:orderedItem"]);
      const ask = askOrderIdOf(itemId);
      const entry = ask === undefined ? undefined : byAsk.get(ask);
      if (!entry) {
        throw new BecknBusinessError(
          "ITEM_NOT_FOUND",
          `item ${itemId} is not in the catalog (no resting ask open for trading)`,
          { lineId },
        );
      }
      const offer = it["beckn:acceptedOffer"] as Record<string, unknown> | undefined;
      if (offer && offer["beckn:id"] !== offerIdOf(entry.askOrderId)) {
        throw new BecknBusinessError(
          "OFFER_NOT_FOUND",
          `offer ${String(offer["beckn:id"])} does not apply to item ${itemId}`,
          { lineId },
        );
      }
      const q = it["beckn:quantity"] as Record<string, unknown> | undefined;
      if (!q || q.unitQuantity === undefined) {
        throw new BecknBusinessError(
          "INVALID_REQUEST",
          `line ${lineId}: beckn:quantity.unitQuantity is required`,
        );
      }
      const unit = str(q.unitText) ?? str(q.unitCode) ?? "kWh";
      if (!/^kwh$/i.test(unit)) {
        throw new BecknBusinessError("INVALID_REQUEST", `line ${lineId}: quantities are in kWh, not ${unit}`);
      }
      const amountWh = kwhToWh(q.unitQuantity, `line ${lineId}`);
      if (amountWh < entry.minOrderWh) {
        throw new BecknBusinessError(
          "INVALID_REQUEST",
          `line ${lineId}: ${Number(amountWh) / 1000} kWh is below the community's minimum order of ${Number(entry.minOrderWh) / 1000} kWh`,
        );
      }
      wanted.set(entry.askOrderId, (wanted.get(entry.askOrderId) ?? 0n) + amountWh);
      lines.push({
        lineId,
        entry,
        marketId: entry.marketId,
        amountWh,
        valueBase: orderValue(amountWh, entry.tick, entry.tickSize),
      });
    }
    const sellers = new Set(lines.map((l) => l.entry.seller));
    if (sellers.size !== 1) {
      throw new BecknBusinessError(
        "INVALID_REQUEST",
        "an order's items must come from one provider (seller); place one order per seller",
      );
    }
    const seller = [...sellers][0]!;
    const named = str(order["beckn:seller"]);
    if (named && named !== providerId(seller)) {
      throw new BecknBusinessError(
        "PROVIDER_NOT_FOUND",
        `provider ${named} does not sell the ordered items (their provider is ${providerId(seller)})`,
      );
    }
    // What the asks still have, read from the chain (the indexer may lag by a block).
    const onChain = await this.deps.publicPs.orders([...wanted.keys()]);
    for (const [askId, wh] of wanted) {
      const o = onChain.find((x) => x.orderId === askId);
      const left = o?.remainingWh ?? 0n;
      if (wh > left) {
        const e = byAsk.get(askId)!;
        throw new BecknBusinessError(
          "QUANTITY_UNAVAILABLE",
          `item ${e.itemId} has ${Number(left) / 1000} kWh left, ${Number(wh) / 1000} kWh ordered`,
          { itemId: e.itemId, availableKwh: Number(left) / 1000 },
        );
      }
    }
    return { lines, seller };
  }

  /** The BAP's trading account and receiving meter for the order's community. */
  async buyer(
    bapId: string,
    order: BecknOrderIn,
    lines: OrderLine[],
  ): Promise<{ account: BapAccount; meterId: number }> {
    const account = this.deps.accounts.get(bapId);
    if (!account) {
      throw new BecknBusinessError(
        "PAYMENT_NOT_AUTHORIZED",
        `${bapId} has no PowerShare trading account with this gateway: a BAP pays from its own deposited balance (docs/beckn.md)`,
      );
    }
    const communities = new Set(lines.map((l) => l.entry.communityId));
    const buyerObj = order["beckn:buyer"] as Record<string, unknown> | undefined;
    const attrs = buyerObj?.["beckn:buyerAttributes"] as Record<string, unknown> | undefined;
    const target = meterIdFromUri(attrs?.targetMeterId);
    const meters = await Promise.all(account.meters.map((id) => this.deps.publicPs.meter(id)));
    const usable = meters.filter(
      (m): m is NonNullable<typeof m> =>
        !!m &&
        m.active &&
        m.owner.toLowerCase() === account.account.address.toLowerCase() &&
        communities.has(m.communityId),
    );
    if (communities.size !== 1) {
      throw new BecknBusinessError("INVALID_REQUEST", "an order's items must come from one community");
    }
    if (target !== undefined) {
      const m = usable.find((x) => x.id === target);
      if (!m) {
        throw new BecknBusinessError(
          "INVALID_REQUEST",
          `targetMeterId der://meter/${target} is not a receiving meter of ${bapId}'s trading account in community ${[...communities][0]}`,
        );
      }
      return { account, meterId: m.id };
    }
    const m = usable[0];
    if (!m) {
      throw new BecknBusinessError(
        "PAYMENT_NOT_AUTHORIZED",
        `${bapId}'s trading account has no active receiving meter in community ${[...communities][0]}`,
      );
    }
    return { account, meterId: m.id };
  }

  async freeBalance(account: BapAccount): Promise<bigint> {
    return (await this.deps.publicPs.balances(account.account.address)).free;
  }

  /** Places the confirmed lines on chain; returns the transaction and what filled. */
  async place(account: BapAccount, meterId: number, lines: OrderLine[]) {
    const orders: PlaceOrderParams[] = lines.map((l) => ({
      communityId: l.entry.communityId,
      slotStart: l.entry.slotStart,
      side: "buy",
      tick: l.entry.tick,
      amountWh: l.amountWh,
      meterId,
      type: "fok",
    }));
    try {
      const res = await this.deps.psFor(account).placeMany(orders);
      const filledWh = res.result.reduce((a, r) => a + r.filledWh, 0n);
      const valueBase = res.result.reduce((a, r) => a + r.value, 0n);
      return { txHash: res.hash as Hex, blockNumber: res.receipt?.blockNumber ?? 0n, filledWh, valueBase };
    } catch (err) {
      if (err instanceof PowerShareError) {
        throw new BecknBusinessError(
          "ORDER_REJECTED",
          `the order book refused the order: ${explainError(err)}`,
          { reason: err.code },
        );
      }
      throw err;
    }
  }

  /** Where a confirmed order's energy stands: fill, reports, settlement (indexer + chain time). */
  async delivery(o: GatewayOrder): Promise<DeliverySnapshot> {
    const now = await this.deps.publicPs.now();
    const placed = o.placed!;
    const trades = await this.deps.indexer.tradesOfTx(placed.txHash);
    const fills = await this.deps.indexer.makerFillsOf(trades.map((t) => t.id));
    const makerOrders = await this.deps.indexer.ordersById([...new Set(fills.map((f) => f.orderId))]);
    const meterOf = new Map(makerOrders.map((m) => [m.id, m]));
    const perMeter = new Map<string, SellerDelivery & { marketId: bigint; slotStart: number }>();
    for (const f of fills) {
      const mo = meterOf.get(f.orderId);
      const trade = trades.find((t) => t.id === f.tradeId)!;
      if (!mo) continue;
      const key = `${trade.marketId}:${mo.meterId}`;
      const line = o.lines.find((l) => l.marketId === BigInt(trade.marketId))!;
      const cur = perMeter.get(key) ?? {
        meterId: mo.meterId,
        seller: mo.owner.toLowerCase(),
        filledWh: 0n,
        deliveredWh: 0n,
        settled: false,
        marketId: BigInt(trade.marketId),
        slotStart: line.entry.slotStart,
      };
      cur.filledWh += BigInt(f.amountWh);
      perMeter.set(key, cur);
    }
    const marketIds = [...new Set(o.lines.map((l) => l.marketId))];
    const reportWindow = await this.deps.reportWindowSeconds();
    const markets: DeliverySnapshot["markets"] = [];
    let allReported = true;
    let anyMissingPastDeadline = false;
    for (const marketId of marketIds) {
      const line = o.lines.find((l) => l.marketId === marketId)!;
      const sellers = [...perMeter.values()].filter((s) => s.marketId === marketId);
      const ids = sellers.map((s) => s.meterId);
      const [sales, askFills, reports, market, position] = await Promise.all([
        this.deps.indexer.sales(marketId.toString(), ids),
        this.deps.indexer.askFills(marketId.toString(), ids),
        this.deps.indexer.reports(String(line.entry.slotStart), ids),
        this.deps.indexer.market(marketId.toString()),
        o.payment.payer
          ? this.deps.indexer.position(marketId.toString(), o.payment.payer)
          : Promise.resolve(undefined),
      ]);
      for (const s of sellers) {
        const sale = sales.find((x) => x.meterId === s.meterId);
        const report = reports.find((x) => x.meterId === s.meterId);
        // A sale counts maker asks only once they are claimed; add the fills still unclaimed.
        const unclaimed = askFills
          .filter((f) => f.meterId === s.meterId && !f.claimed)
          .reduce((acc, f) => acc + BigInt(f.filledWh), 0n);
        const sold = BigInt(sale?.soldWh ?? "0") + unclaimed;
        if (report) {
          s.exportedWh = BigInt(report.exportedWh);
          s.reportedAt = Number(report.timestamp);
        } else {
          allReported = false;
          if (now > line.entry.slotEnd + reportWindow) anyMissingPastDeadline = true;
        }
        s.settled = !!sale?.settled;
        const measured = sale?.settled && sale.deliveredWh !== null ? BigInt(sale.deliveredWh) : s.exportedWh;
        // Pooled settlement: each seller meter delivers r = min(1, measured / sold) of what it sold.
        s.deliveredWh =
          measured === undefined || sold === 0n
            ? 0n
            : measured >= sold
              ? s.filledWh
              : (s.filledWh * measured) / sold;
      }
      const ourPaid = o.lines.filter((l) => l.marketId === marketId).reduce((a, l) => a + l.valueBase, 0n);
      const final = !!market?.refundPoolFinal;
      const refund =
        final && position && BigInt(position.paid) > 0n
          ? (BigInt(position.refunded) * ourPaid) / BigInt(position.paid)
          : 0n;
      markets.push({ marketId, settled: final, paidBase: ourPaid, refundBase: refund });
    }
    const bySeller = [...perMeter.values()].map(({ marketId: _m, slotStart: _s, ...rest }) => rest);
    const filledWh = trades.length ? trades.reduce((a, t) => a + BigInt(t.amountWh), 0n) : placed.filledWh;
    const deliveredWh = bySeller.reduce((a, s) => a + s.deliveredWh, 0n);
    const status: DeliverySnapshot["status"] =
      now < o.window.start
        ? "PENDING"
        : now < o.window.end
          ? "IN_PROGRESS"
          : allReported && bySeller.length > 0
            ? "COMPLETED"
            : anyMissingPastDeadline
              ? "FAILED"
              : "IN_PROGRESS";
    return {
      at: now,
      status,
      filledWh,
      deliveredWh,
      bySeller,
      markets,
      settled: markets.length > 0 && markets.every((m) => m.settled),
    };
  }
}

export function fingerprint(d: DeliverySnapshot): string {
  return JSON.stringify({
    s: d.status,
    f: d.filledWh.toString(),
    d: d.deliveredWh.toString(),
    m: d.markets.map((m) => [m.marketId.toString(), m.settled, m.refundBase.toString()]),
  });
}
