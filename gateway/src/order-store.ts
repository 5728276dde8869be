/**
 * The gateway's record of Beckn orders (selection, quote, confirmation, on-chain transaction, last
 * delivery state sent), by BAP and order id. Kept in memory and, when a file is given, written
 * through to it (atomically) so that a restart keeps following confirmed orders.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GatewayOrder } from "./order-book-mapping.ts";

const replacer = (_k: string, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v);
const reviver = (_k: string, v: unknown) =>
  v && typeof v === "object" && "$bigint" in (v as object) && Object.keys(v as object).length === 1
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

export class OrderStore {
  private readonly orders = new Map<string, GatewayOrder>();

  private readonly file: string | undefined;
  constructor(file?: string) {
    this.file = file;
    if (file && existsSync(file)) {
      const list = JSON.parse(readFileSync(file, "utf8"), reviver) as GatewayOrder[];
      for (const o of list) this.orders.set(OrderStore.key(o.bapId, o.orderId), o);
    }
  }

  static key(bapId: string, orderId: string): string {
    return `${bapId}\u0000${orderId}`;
  }

  get(bapId: string, orderId: string): GatewayOrder | undefined {
    return this.orders.get(OrderStore.key(bapId, orderId));
  }

  put(order: GatewayOrder): void {
    this.orders.set(OrderStore.key(order.bapId, order.orderId), order);
    this.flush();
  }

  /** Orders whose delivery or settlement may still change. */
  following(): GatewayOrder[] {
    return [...this.orders.values()].filter((o) => o.state === "confirmed");
  }

  count(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const o of this.orders.values()) c[o.state] = (c[o.state] ?? 0) + 1;
    return c;
  }

  private flush(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.orders.values()], replacer));
    renameSync(tmp, this.file);
  }
}
