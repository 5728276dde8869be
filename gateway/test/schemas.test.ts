/**
 * The gateway's own message schemas (decision 0053), without a chain: requests shaped as the
 * implementation guide's examples pass; malformed requests fail with a path; the answers the gateway
 * builds (catalog, order at every state, delivery) validate, attribute packs included, and a stray
 * or misspelt field in an answer fails — so the flow test's "every callback validates" can fail.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { becknOrder, catalogs, type Presentation } from "../src/beckn-objects.ts";
import type { CatalogEntry } from "../src/catalog.ts";
import type { DeliverySnapshot, GatewayOrder } from "../src/order-book-mapping.ts";
import { SchemaValidator, type RequestAction } from "../src/schemas.ts";

const v = new SchemaValidator();
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "guide-shaped");
const fixture = (action: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, `${action}-request.json`), "utf8")) as Record<string, any>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

const P: Presentation = {
  bppId: "bpp.powershare.test",
  bppUri: "http://127.0.0.1:9480/beckn",
  currency: "USDC",
  quoteDecimals: 6,
};
const SLOT = Date.UTC(2026, 5, 11, 11, 0) / 1000;
const entry = (ask: bigint, meterId: number): CatalogEntry => ({
  itemId: `ps-ask-${ask}`,
  offerId: `ps-offer-${ask}`,
  askOrderId: ask,
  marketId: 77n,
  communityId: 1,
  communityName: "Kiez",
  slotStart: SLOT,
  slotEnd: SLOT + 900,
  opensAt: SLOT - 86_400,
  gateAt: SLOT - 300,
  seller: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  meterId,
  sourceType: "SOLAR",
  availableWh: 1_500n,
  minOrderWh: 100n,
  tick: 250,
  tickSize: 1_000n,
  priceBase: 250_000n,
  reputation: { scoreBps: 9_500, committedWh: 10_000n, deliveredWh: 9_800n },
});
const order = (state: GatewayOrder["state"]): GatewayOrder => ({
  bapId: "bap.test",
  transactionId: "t1",
  orderId: "ps-order-1",
  state,
  seller: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  buyer: { "@context": "https://example.org/ctx.jsonld", "@type": "beckn:Buyer", "beckn:id": "buyer-1" },
  targetMeterId: 9,
  lines: [{ lineId: "a", entry: entry(5n, 3), marketId: 77n, amountWh: 1_000n, valueBase: 250_000n }],
  window: { start: SLOT, end: SLOT + 900 },
  payment: {
    status: state === "confirmed" || state === "settled" ? "COMPLETED" : "PENDING",
    amountBase: 250_000n,
    payer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    chainId: 31337,
    market: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    token: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    ...(state === "confirmed" || state === "settled"
      ? { txHash: `0x${"ab".repeat(32)}`, paidAt: SLOT - 600 }
      : {}),
    ...(state === "settled" ? { refundBase: 50_000n } : {}),
  },
  createdAt: SLOT - 700,
  updatedAt: SLOT - 600,
});
const delivered: DeliverySnapshot = {
  at: SLOT + 1_200,
  status: "COMPLETED",
  filledWh: 1_000n,
  deliveredWh: 800n,
  bySeller: [
    {
      meterId: 3,
      seller: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      filledWh: 1_000n,
      deliveredWh: 800n,
      exportedWh: 800n,
      reportedAt: SLOT + 960,
      settled: true,
    },
  ],
  markets: [{ marketId: 77n, settled: true, paidBase: 200_000n, refundBase: 50_000n }],
  settled: true,
};
const callback = (action: "on_discover" | "on_confirm" | "on_status", message: unknown) => ({
  context: {
    version: "2.0.0",
    action,
    bap_id: "bap.test",
    bap_uri: "http://127.0.0.1:1/cb",
    bpp_id: P.bppId,
    bpp_uri: P.bppUri,
    transaction_id: "t1",
    message_id: "m1",
    timestamp: "2026-06-11T10:00:00Z",
  },
  message,
});

describe("requests", () => {
  it("accepts each request shaped as the guide's examples", () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith("-request.json"));
    expect(files).toHaveLength(5);
    for (const f of files) {
      const body = JSON.parse(readFileSync(path.join(FIXTURES, f), "utf8")) as any;
      expect(v.request(body.context.action as RequestAction, body), f).toEqual([]);
    }
  });

  it("refuses malformed requests, naming the field", () => {
    const cases: [RequestAction, (b: any) => void, RegExp][] = [
      ["confirm", (b) => delete b.message.order["beckn:orderItems"], /orderItems/],
      ["confirm", (b) => (b.message.order["beckn:orderItems"] = []), /orderItems/],
      ["confirm", (b) => (b.message.order["beckn:orderStatus"] = "MAYBE"), /orderStatus/],
      ["confirm", (b) => (b.message.order["@type"] = "beckn:Invoice"), /@type/],
      [
        "confirm",
        (b) => (b.message.order["beckn:orderItems"][0]["beckn:quantity"].unitQuantity = -1),
        /unitQuantity/,
      ],
      ["init", (b) => delete b.message.order["beckn:buyer"]["beckn:id"], /buyer/],
      ["select", (b) => (b.context.timestamp = "yesterday"), /timestamp/],
      ["select", (b) => (b.context.version = "1.1.0"), /version/],
      ["discover", (b) => (b.message.filters = { type: "xpath", expression: "//item" }), /filters/],
      ["status", (b) => (b.message.order = {}), /order/],
    ];
    for (const [action, spoil, where] of cases) {
      const body = clone(fixture(action));
      spoil(body);
      const problems = v.request(action, body);
      expect(problems.length, `${action}: ${where}`).toBeGreaterThan(0);
      expect(problems.map((p) => `${p.path} ${p.message}`).join("; ")).toMatch(where);
    }
  });
});

describe("answers", () => {
  it("the catalog and the order at each state validate, packs included", () => {
    const cats = catalogs([entry(5n, 3), entry(6n, 4)], P);
    const onDiscover = callback("on_discover", { catalogs: cats });
    expect(v.callback("on_discover", onDiscover)).toEqual([]);
    expect(v.packsIn(onDiscover)).toEqual(["EnergyResource", "EnergyTradeOffer"]);
    expect(v.catalogs(cats)).toEqual([]);
    for (const state of ["selected", "initialized", "confirmed", "cancelled", "rejected"] as const) {
      expect(
        v.callback("on_confirm", callback("on_confirm", { order: becknOrder(order(state), P) })),
        state,
      ).toEqual([]);
    }
    const settled = callback("on_status", { order: becknOrder(order("settled"), P, delivered) });
    expect(v.callback("on_status", settled)).toEqual([]);
    expect(v.packsIn(settled)).toEqual([
      "EnergyOrderItem",
      "EnergyTradeContract",
      "EnergyTradeDelivery",
      "EnergyTradeOffer",
    ]);
  });

  it("a stray or wrong field in an answer fails", () => {
    const spoiled: [string, (o: any) => void, RegExp][] = [
      ["stray core field", (o) => (o["beckn:colour"] = "red"), /colour/],
      ["order status", (o) => (o["beckn:orderStatus"] = "DONE"), /orderStatus/],
      ["payment status", (o) => (o["beckn:payment"]["beckn:paymentStatus"] = "PAID"), /paymentStatus/],
      [
        "pack field",
        (o) => (o["beckn:orderAttributes"].contractStatus = "SIGNED"),
        /orderAttributes\/contractStatus/,
      ],
      [
        "delivery pack",
        (o) => (o["beckn:fulfillment"]["beckn:deliveryAttributes"].deliveredQuantity = -3),
        /deliveredQuantity/,
      ],
      [
        "stray pack field",
        (o) => (o["beckn:orderItems"][0]["beckn:acceptedOffer"]["beckn:offerAttributes"].discount = 1),
        /discount/,
      ],
    ];
    for (const [what, spoil, where] of spoiled) {
      const o = becknOrder(order("settled"), P, delivered) as any;
      spoil(o);
      const problems = v.callback("on_status", callback("on_status", { order: o }));
      expect(problems.length, what).toBeGreaterThan(0);
      expect(problems.map((p) => `${p.path} ${p.message}`).join("; "), what).toMatch(where);
    }
    const cats = catalogs([entry(5n, 3)], P) as any[];
    cats[0]["beckn:items"][0]["beckn:itemAttributes"].sourceType = "COAL";
    expect(v.catalogs(cats).map((p) => p.path)).toContain("/0/beckn:items/0/beckn:itemAttributes/sourceType");
  });

  it("ACK and NACK", () => {
    expect(v.ack({ transactionId: "t", timestamp: "2026-06-11T10:00:00Z", ackStatus: "ACK" })).toEqual([]);
    expect(
      v.ack({
        transactionId: "t",
        timestamp: "2026-06-11T10:00:00Z",
        ackStatus: "NACK",
        error: { code: "30016", message: "invalid signature" },
      }),
    ).toEqual([]);
    expect(
      v.ack({ transactionId: "t", timestamp: "2026-06-11T10:00:00Z", ackStatus: "NACK" }).length,
    ).toBeGreaterThan(0);
    expect(
      v.ack({
        transactionId: "t",
        timestamp: "2026-06-11T10:00:00Z",
        ackStatus: "ACK",
        error: { code: "1", message: "x" },
      }).length,
    ).toBeGreaterThan(0);
  });
});
