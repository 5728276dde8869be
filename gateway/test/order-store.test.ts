import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { GatewayOrder } from "../src/order-book-mapping.ts";
import { OrderStore } from "../src/order-store.ts";
import { kwhToWh, meterIdFromUri } from "../src/order-book-mapping.ts";
import { BecknBusinessError } from "../src/protocol-errors.ts";

const order = (id: string, state: GatewayOrder["state"]): GatewayOrder => ({
  bapId: "bap.a",
  transactionId: "t",
  orderId: id,
  state,
  seller: "0xabc",
  buyer: {},
  lines: [],
  window: { start: 1, end: 2 },
  payment: {
    status: "PENDING",
    amountBase: 123_456_789_012_345_678_901n,
    chainId: 31337,
    market: "0x1",
    token: "0x2",
  },
  createdAt: 1,
  updatedAt: 1,
});

describe("order store", () => {
  it("keeps orders across a restart, bigints included, and lists those still followed", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gw-orders-")), "orders.json");
    const a = new OrderStore(file);
    a.put(order("o1", "confirmed"));
    a.put(order("o2", "initialized"));
    expect(JSON.parse(readFileSync(file, "utf8"))).toHaveLength(2);
    const b = new OrderStore(file);
    expect(b.get("bap.a", "o1")!.payment.amountBase).toBe(123_456_789_012_345_678_901n);
    expect(b.following().map((o) => o.orderId)).toEqual(["o1"]);
    expect(b.get("bap.b", "o1")).toBeUndefined(); // another BAP's id space
    expect(b.count()).toEqual({ confirmed: 1, initialized: 1 });
  });
});

describe("quantities and meters", () => {
  it("takes kWh to whole Wh and refuses the rest", () => {
    expect(kwhToWh(0.4, "line")).toBe(400n);
    expect(kwhToWh(15, "line")).toBe(15_000n);
    expect(() => kwhToWh(0.0004, "line")).toThrow(BecknBusinessError);
    expect(() => kwhToWh(-1, "line")).toThrow(/positive/);
    expect(() => kwhToWh("1" as unknown as number, "line")).toThrow(/positive/);
  });
  it("reads der://meter/{id} only", () => {
    expect(meterIdFromUri("der://meter/12")).toBe(12);
    expect(meterIdFromUri("der://meter/98765456")).toBe(98765456);
    expect(meterIdFromUri("meter/12")).toBeUndefined();
    expect(meterIdFromUri(12)).toBeUndefined();
  });
});
