/** Markets (created on first touch), buyers' positions and seller meters' sales. */
import { BigInt, Bytes } from "@graphprotocol/graph-ts";
import { Market, Position, Sale } from "../../generated/schema";
import { marketCommunity, marketSlot, pairId } from "./ids";
import { communityParams } from "./params";

const ZERO = BigInt.zero();

export function loadMarket(marketId: BigInt): Market {
  const id = marketId.toString();
  let m = Market.load(id);
  if (m != null) return m;
  const communityId = marketCommunity(marketId);
  const slotStart = marketSlot(marketId);
  const p = communityParams(communityId);
  m = new Market(id);
  m.community = communityId.toString();
  m.communityId = communityId;
  m.slotStart = slotStart;
  m.opensAt = slotStart.minus(p.horizon);
  m.gateAt = slotStart.minus(p.gateLead);
  m.tradedWh = ZERO;
  m.tradedValue = ZERO;
  m.resolvedAskWh = ZERO;
  m.pendingBidValue = ZERO;
  m.trades = 0;
  m.orders = 0;
  m.paidOut = ZERO;
  m.slashedIn = ZERO;
  m.settledSoldWh = ZERO;
  m.refundPool = ZERO;
  m.sellersSettled = 0;
  m.refundedPaid = ZERO;
  m.refunded = ZERO;
  m.refundPoolFinal = false;
  m.swept = ZERO;
  return m;
}

export function addToSale(marketId: BigInt, meterId: i32, seller: Bytes, wh: BigInt, value: BigInt): void {
  const id = pairId(marketId.toString(), meterId.toString());
  let s = Sale.load(id);
  if (s == null) {
    s = new Sale(id);
    s.market = marketId.toString();
    s.marketId = marketId;
    s.meterId = meterId;
    s.seller = seller;
    s.soldWh = ZERO;
    s.proceeds = ZERO;
    s.settled = false;
  }
  s.soldWh = s.soldWh.plus(wh);
  s.proceeds = s.proceeds.plus(value);
  s.save();
}

export function addToPosition(marketId: BigInt, buyer: Bytes, wh: BigInt, value: BigInt): void {
  const id = pairId(marketId.toString(), buyer.toHexString());
  let p = Position.load(id);
  if (p == null) {
    p = new Position(id);
    p.market = marketId.toString();
    p.marketId = marketId;
    p.buyer = buyer;
    p.boughtWh = ZERO;
    p.paid = ZERO;
    p.refunded = ZERO;
    p.refundClaimed = false;
  }
  p.boughtWh = p.boughtWh.plus(wh);
  p.paid = p.paid.plus(value);
  p.save();
}
