/**
 * The claim-range walk (docs/indexer.md, "How maker fills are derived"): the orders of a level
 * cover contiguous net claim ranges [s_i, s_i + size_i); a maker's fill is clamp(taken − s_i, 0, size_i).
 * A level keeps a front pointer; a trade walks from it to the new `taken`.
 */
import { BigInt, log } from "@graphprotocol/graph-ts";
import { BookLevel, MakerFill, Order } from "../../generated/schema";
import { orderIdOf } from "./ids";

export function orderStatus(o: Order): string {
  if (o.claimed) return "claimed";
  if (o.cancelledWh.gt(BigInt.zero())) return "cancelled";
  if (o.remainingWh.isZero()) return "filled";
  return o.filledWh.gt(BigInt.zero()) ? "partial" : "open";
}

/**
 * Moves the level's `taken` to newTaken, updating the fills of the orders it covers (a maker fill of
 * `tradeId` for each, unless tradeId is empty) and the front pointer. The caller saves the level.
 */
export function advanceLevel(
  level: BookLevel,
  newTaken: BigInt,
  unit: BigInt,
  tradeId: string,
  timestamp: BigInt,
): void {
  let idx = level.frontIndex;
  let start = level.frontStart;
  const price = BigInt.fromI32(level.tick).times(unit);
  while (idx < level.count) {
    const orderId = orderIdOf(level.marketId, level.isBid, level.tick, idx);
    const o = Order.load(orderId.toString());
    if (o == null) {
      log.critical("order {} missing from its level", [orderId.toString()]);
      return;
    }
    const size = o.frozen ? o.amountWh : o.amountWh.minus(o.cancelledWh);
    if (!o.frozen && size.gt(BigInt.zero()) && newTaken.gt(start)) {
      const span = newTaken.minus(start);
      const filled = span.lt(size) ? span : size;
      if (!filled.equals(o.filledWh)) {
        const delta = filled.minus(o.filledWh);
        o.filledWh = filled;
        o.filledValue = filled.times(price);
        o.remainingWh = size.minus(filled);
        o.status = orderStatus(o);
        o.updatedAt = timestamp;
        o.save();
        if (tradeId.length > 0) {
          const f = new MakerFill(tradeId + ":" + idx.toString());
          f.trade = tradeId;
          f.order = o.id;
          f.orderId = orderId;
          f.marketId = level.marketId;
          f.maker = o.owner;
          f.amountWh = delta;
          f.value = delta.times(price);
          f.timestamp = timestamp;
          f.save();
        }
      }
    }
    if (start.plus(size).gt(newTaken)) break;
    start = start.plus(size);
    idx++;
  }
  level.taken = newTaken;
  level.frontIndex = idx;
  level.frontStart = start;
}
