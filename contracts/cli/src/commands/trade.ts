/** Order entry: buy, sell, cancel. */
import {
  decodeMarketId,
  formatKwh,
  formatQuote,
  InvalidInputError,
  ORDER_TYPES,
  parseKwh,
  parseMarketId,
  parseOrderId,
  parseQuote,
  priceToTick,
  type OrderTypeName,
  type Side,
} from "@powershare/contracts/sdk";
import type { Out } from "../output.ts";
import type { Session } from "../session.ts";

export interface TradeOptions {
  meter: string;
  type: string;
  dryRun?: boolean;
}

export async function trade(
  s: Session,
  out: Out,
  side: Side,
  marketText: string,
  kwh: string,
  priceText: string,
  o: TradeOptions,
): Promise<void> {
  const marketId = parseMarketId(marketText);
  const { communityId, slotStart } = decodeMarketId(marketId);
  const amountWh = parseKwh(kwh);
  if (amountWh === 0n) throw new InvalidInputError("the amount must be greater than zero");
  const pricePerKwh = parseQuote(priceText);
  if (!/^\d+$/.test(o.meter)) throw new InvalidInputError(`--meter must be a meter id, got "${o.meter}"`);
  if (!ORDER_TYPES.includes(o.type as OrderTypeName)) {
    throw new InvalidInputError(`--type must be one of ${ORDER_TYPES.join(", ")}, got "${o.type}"`);
  }
  const community = await s.ps.community(communityId);
  const tick = priceToTick(pricePerKwh, community.tickSize);
  const r = await s.ps.place(
    { communityId, slotStart, side, tick, amountWh, meterId: Number(o.meter), type: o.type as OrderTypeName },
    { dryRun: o.dryRun ?? false },
  );
  const res = r.result;
  out.print(
    { dryRun: r.simulated, marketId, side, tick, amountWh, ...res, tx: r.hash, gasUsed: r.gasUsed },
    () => {
      const lines = [
        `${r.simulated ? "[dry run] would place" : "placed"} ${side} ${formatKwh(amountWh)} kWh at ${formatQuote(pricePerKwh)} USDC/kWh (tick ${tick}) in market ${communityId}:${slotStart}`,
        `  filled ${formatKwh(res.filledWh)} kWh for ${formatQuote(res.value)} USDC; resting ${formatKwh(res.restingWh)} kWh${res.orderId ? ` as order ${res.orderId}` : ""}`,
      ];
      if (r.hash) lines.push(`  tx ${r.hash} (gas ${r.gasUsed})`);
      return lines.join("\n");
    },
  );
}

export async function cancel(s: Session, out: Out, ids: string[], o: { dryRun?: boolean }): Promise<void> {
  if (ids.length === 0) throw new InvalidInputError("give at least one order id");
  const orderIds = ids.map(parseOrderId);
  const r =
    orderIds.length === 1
      ? await s.ps.cancel(orderIds[0]!, { dryRun: o.dryRun ?? false })
      : await s.ps.cancelMany(orderIds, { dryRun: o.dryRun ?? false });
  const cancelled = r.events
    .filter((e) => e.eventName === "OrderCancelled")
    .map((e) => ({ orderId: e.args.orderId, cancelledWh: e.args.cancelledWh }));
  out.print({ dryRun: r.simulated, orderIds, cancelled, tx: r.hash }, () =>
    r.simulated
      ? `[dry run] would cancel ${orderIds.join(", ")}`
      : [
          ...cancelled.map(
            (c) => `cancelled order ${String(c.orderId)}: ${formatKwh(c.cancelledWh as bigint)} kWh`,
          ),
          `  tx ${r.hash}`,
        ].join("\n"),
  );
}
