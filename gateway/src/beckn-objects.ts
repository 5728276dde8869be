/**
 * Builders of the Beckn v2 objects the gateway answers with (core Catalog/Item/Offer/Order and the
 * P2P energy trading attribute packs). Pure functions of the gateway's own records; the mapping is
 * described in docs/beckn.md.
 */
import type { CatalogEntry } from "./catalog.ts";
import type { DeliverySnapshot, GatewayOrder } from "./order-book-mapping.ts";

export const CORE_CONTEXT =
  "https://raw.githubusercontent.com/beckn/protocol-specifications-new/refs/heads/main/schema/core/v2/context.jsonld";
const pack = (name: string, version = "v0.2") =>
  `https://raw.githubusercontent.com/beckn/protocol-specifications-new/refs/heads/main/schema/${name}/${version}/context.jsonld`;

export interface Presentation {
  bppId: string;
  bppUri: string;
  currency: string;
  quoteDecimals: number;
}

export const iso = (unixSeconds: number | bigint) =>
  new Date(Number(unixSeconds) * 1000).toISOString().replace(".000Z", "Z");
const clock = (unixSeconds: number | bigint) => iso(unixSeconds).slice(11, 19) + "Z";
export const kwh = (wh: bigint) => Number(wh) / 1000;
export const money = (base: bigint, decimals: number) => Number(base) / 10 ** decimals;

export function timePeriod(start: number, end: number) {
  return {
    "@type": "beckn:TimePeriod",
    "schema:startDate": iso(start),
    "schema:endDate": iso(end),
    "schema:startTime": clock(start),
    "schema:endTime": clock(end),
  };
}

export const providerId = (seller: string) => `seller-${seller.toLowerCase()}`;
export const meterUri = (meterId: number) => `der://meter/${meterId}`;

function sourceName(s: string) {
  return s.charAt(0) + s.slice(1).toLowerCase();
}

export function provider(e: CatalogEntry) {
  return {
    "beckn:id": providerId(e.seller),
    "beckn:descriptor": {
      "@type": "beckn:Descriptor",
      "schema:name": `PowerShare seller ${e.seller.slice(0, 6)}…${e.seller.slice(-4)} (${e.communityName})`,
    },
    "beckn:rateable": false,
    "beckn:rating": {
      "@type": "beckn:Rating",
      "beckn:ratingValue": Math.round((e.reputation.scoreBps / 2000) * 100) / 100,
    },
    "beckn:providerAttributes": {
      "@context": pack("EnergyProvider"),
      "@type": "EnergyProvider",
      sourceMeterId: meterUri(e.meterId),
      sourceType: e.sourceType,
      walletAddress: e.seller,
      communityId: e.communityId,
      reputation: {
        scoreBps: e.reputation.scoreBps,
        committedKwh: kwh(e.reputation.committedWh),
        deliveredKwh: kwh(e.reputation.deliveredWh),
      },
    },
  };
}

export function catalogItem(e: CatalogEntry) {
  const window = { ...timePeriod(e.slotStart, e.slotEnd), start: iso(e.slotStart), end: iso(e.slotEnd) };
  return {
    "@context": CORE_CONTEXT,
    "@type": "beckn:Item",
    "beckn:id": e.itemId,
    "beckn:descriptor": {
      "@type": "beckn:Descriptor",
      "schema:name": `${sourceName(e.sourceType)} energy, grid injection — ${kwh(e.availableWh)} kWh, ${clock(e.slotStart).slice(0, 5)}–${clock(e.slotEnd).slice(0, 5)} UTC ${iso(e.slotStart).slice(0, 10)}`,
      "beckn:shortDesc": `${e.communityName}: meter ${e.meterId} delivers into the community's grid in the slot; paid for what the meter proves it delivered, refunded for the rest.`,
    },
    "beckn:category": {
      "@type": "schema:CategoryCode",
      "schema:codeValue": "p2p-energy",
      "schema:name": "P2P energy",
    },
    "beckn:availabilityWindow": [timePeriod(e.slotStart, e.slotEnd)],
    "beckn:rateable": false,
    "beckn:provider": provider(e),
    "beckn:itemAttributes": {
      "@context": pack("EnergyResource"),
      "@type": "EnergyResource",
      sourceType: e.sourceType,
      deliveryMode: "GRID_INJECTION",
      meterId: meterUri(e.meterId),
      availableQuantity: kwh(e.availableWh),
      productionWindow: [window],
      productionAsynchronous: false,
    },
  };
}

export function catalogOffer(e: CatalogEntry, p: Presentation) {
  const price = money(e.priceBase, p.quoteDecimals);
  return {
    "@context": CORE_CONTEXT,
    "@type": "beckn:Offer",
    "beckn:id": e.offerId,
    "beckn:descriptor": {
      "@type": "beckn:Descriptor",
      "schema:name": `${price} ${p.currency}/kWh until the gate at ${iso(e.gateAt)}`,
    },
    "beckn:provider": providerId(e.seller),
    "beckn:items": [e.itemId],
    "beckn:validity": timePeriod(e.opensAt, e.gateAt),
    "beckn:price": {
      currency: p.currency,
      value: price,
      applicableQuantity: { unitQuantity: 1, unitText: "kWh", unitCode: "KWH" },
    },
    "beckn:acceptedPaymentMethod": ["WALLET"],
    "beckn:offerAttributes": {
      "@context": pack("EnergyTradeOffer"),
      "@type": "EnergyTradeOffer",
      pricingModel: "PER_KWH",
      sourceMeterId: meterUri(e.meterId),
      minimumQuantity: kwh(e.minOrderWh),
      maximumQuantity: kwh(e.availableWh),
      validityWindow: timePeriod(e.opensAt, e.gateAt),
      "beckn:price": { value: price, currency: p.currency, unitText: "kWh" },
      "beckn:maxQuantity": { unitQuantity: kwh(e.availableWh), unitText: "kWh", unitCode: "KWH" },
      "beckn:timeWindow": timePeriod(e.slotStart, e.slotEnd),
    },
  };
}

export function catalogs(entries: CatalogEntry[], p: Presentation) {
  const byCommunity = new Map<number, CatalogEntry[]>();
  for (const e of entries) byCommunity.set(e.communityId, [...(byCommunity.get(e.communityId) ?? []), e]);
  return [...byCommunity.entries()].map(([communityId, list]) => ({
    "@context": CORE_CONTEXT,
    "@type": "beckn:Catalog",
    "beckn:id": `powershare-community-${communityId}`,
    "beckn:descriptor": {
      "@type": "beckn:Descriptor",
      "schema:name": `${list[0]!.communityName}: local energy for the next slots`,
      "beckn:shortDesc": "Resting asks of the community's order book, one item per ask, priced per kWh.",
    },
    "beckn:bppId": p.bppId,
    "beckn:bppUri": p.bppUri,
    "beckn:items": list.map(catalogItem),
    "beckn:offers": list.map((e) => catalogOffer(e, p)),
  }));
}

const CONTRACT_STATUS: Record<GatewayOrder["state"], string> = {
  selected: "PENDING",
  initialized: "PENDING",
  confirmed: "ACTIVE",
  settled: "COMPLETED",
  cancelled: "TERMINATED",
  rejected: "TERMINATED",
};

function orderStatus(o: GatewayOrder, d: DeliverySnapshot | undefined): string {
  switch (o.state) {
    case "selected":
    case "initialized":
      return "CREATED";
    case "cancelled":
      return "CANCELLED";
    case "rejected":
      return "REJECTED";
    case "settled":
      return d && d.deliveredWh < d.filledWh ? "PARTIALLYFULFILLED" : "COMPLETED";
    case "confirmed":
      return d && d.status !== "PENDING" ? "INPROGRESS" : "CONFIRMED";
  }
}

function delivery(o: GatewayOrder, d: DeliverySnapshot, lineMeter?: number) {
  const lines = lineMeter === undefined ? d.bySeller : d.bySeller.filter((s) => s.meterId === lineMeter);
  const delivered = lines.reduce((a, s) => a + s.deliveredWh, 0n);
  return {
    "@context": pack("EnergyTradeDelivery"),
    "@type": "EnergyTradeDelivery",
    deliveryStatus: d.status,
    deliveryMode: "GRID_INJECTION",
    deliveredQuantity: kwh(lineMeter === undefined ? d.deliveredWh : delivered),
    deliveryStartTime: iso(o.window.start),
    deliveryEndTime: d.status === "COMPLETED" || d.status === "FAILED" ? iso(o.window.end) : null,
    meterReadings: lines
      .filter((s) => s.reportedAt !== undefined)
      .map((s) => ({
        timestamp: iso(s.reportedAt!),
        sourceReading: kwh(s.exportedWh ?? 0n),
        energyFlow: kwh(s.deliveredWh),
      })),
    settlementCycleId: o.lines
      .map((l) => `market-${l.marketId}`)
      .filter((v, i, a) => a.indexOf(v) === i)
      .join(","),
    lastUpdated: iso(d.at),
  };
}

/** The Beckn Order for a gateway order (on_select, on_init, on_confirm, on_status, on_cancel, on_update). */
export function becknOrder(o: GatewayOrder, p: Presentation, d?: DeliverySnapshot) {
  const totalBase = o.lines.reduce((a, l) => a + l.valueBase, 0n);
  const filledWh = d?.filledWh ?? o.lines.reduce((a, l) => a + l.amountWh, 0n);
  const settledCycles = o.lines.map((l) => l.marketId).filter((v, i, a) => a.indexOf(v) === i);
  return {
    "@context": CORE_CONTEXT,
    "@type": "beckn:Order",
    "beckn:id": o.orderId,
    "beckn:orderStatus": orderStatus(o, d),
    "beckn:seller": providerId(o.seller),
    "beckn:buyer": o.buyer,
    "beckn:orderItems": o.lines.map((l) => ({
      "beckn:lineId": l.lineId,
      "beckn:orderedItem": l.entry.itemId,
      "beckn:quantity": { unitQuantity: kwh(l.amountWh), unitText: "kWh", unitCode: "KWH" },
      "beckn:acceptedOffer": catalogOffer(l.entry, p),
      "beckn:price": {
        currency: p.currency,
        value: money(l.valueBase, p.quoteDecimals),
        components: [
          {
            type: "UNIT",
            value: money(l.entry.priceBase, p.quoteDecimals),
            currency: p.currency,
            description: "price per kWh",
          },
        ],
      },
      "beckn:orderItemAttributes": {
        "@context": pack("EnergyOrderItem", "v0.1"),
        "@type": "EnergyOrderItem",
        providerAttributes: {
          "@context": pack("EnergyCustomer", "v0.1"),
          "@type": "EnergyCustomer",
          meterId: meterUri(l.entry.meterId),
        },
        ...(d ? { fulfillmentAttributes: delivery(o, d, l.entry.meterId) } : {}),
      },
    })),
    "beckn:orderValue": { currency: p.currency, value: money(totalBase, p.quoteDecimals) },
    "beckn:payment": {
      "@context": CORE_CONTEXT,
      "@type": "beckn:Payment",
      "beckn:id": `payment-${o.orderId}`,
      "beckn:paymentStatus": o.payment.status,
      "beckn:amount": { currency: p.currency, value: money(o.payment.amountBase, p.quoteDecimals) },
      ...(o.payment.txHash ? { "beckn:txnRef": o.payment.txHash } : {}),
      ...(o.payment.paidAt ? { "beckn:paidAt": iso(o.payment.paidAt) } : {}),
      "beckn:acceptedPaymentMethod": ["WALLET"],
      "beckn:beneficiary": "BPP",
      "beckn:paymentAttributes": {
        "@context": "https://powershare.energy/beckn/v1/context.jsonld",
        "@type": "PowerShareMarketBalance",
        payer: o.payment.payer,
        chainId: o.payment.chainId,
        market: o.payment.market,
        token: o.payment.token,
        ...(o.payment.refundBase !== undefined
          ? { refunded: money(o.payment.refundBase, p.quoteDecimals) }
          : {}),
        note: "paid from the BAP's own deposited balance in the PowerShare market contract; the seller is paid at settlement for what the meter delivered, the rest is refunded to that balance",
      },
    },
    "beckn:fulfillment": {
      "@context": CORE_CONTEXT,
      "@type": "beckn:Fulfillment",
      "beckn:id": `fulfillment-${o.orderId}`,
      "beckn:mode": "DELIVERY",
      ...(d ? { "beckn:fulfillmentStatus": d.status, "beckn:deliveryAttributes": delivery(o, d) } : {}),
    },
    "beckn:orderAttributes": {
      "@context": pack("EnergyTradeContract"),
      "@type": "EnergyTradeContract",
      contractStatus: CONTRACT_STATUS[o.state],
      ...(new Set(o.lines.map((l) => l.entry.meterId)).size === 1
        ? { sourceMeterId: meterUri(o.lines[0]!.entry.meterId) }
        : {}),
      ...(o.targetMeterId !== undefined ? { targetMeterId: meterUri(o.targetMeterId) } : {}),
      contractedQuantity: kwh(filledWh),
      tradeStartTime: iso(o.window.start),
      tradeEndTime: iso(o.window.end),
      sourceType: o.lines[0]!.entry.sourceType,
      settlementCycles: settledCycles.map((m) => {
        const s = d?.markets.find((x) => x.marketId === m);
        return {
          cycleId: `market-${m}`,
          startTime: iso(o.lines.find((l) => l.marketId === m)!.entry.slotStart),
          endTime: iso(o.lines.find((l) => l.marketId === m)!.entry.slotEnd),
          status: s?.settled ? "SETTLED" : "PENDING",
          amount: money(
            s?.paidBase ?? o.lines.filter((l) => l.marketId === m).reduce((a, l) => a + l.valueBase, 0n),
            p.quoteDecimals,
          ),
          currency: p.currency,
        };
      }),
      lastUpdated: iso(d?.at ?? o.updatedAt),
    },
  };
}
