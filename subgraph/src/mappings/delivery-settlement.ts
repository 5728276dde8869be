/** DeliverySettlement: oracle reports, pooled settlement, refunds, reputation, oracle administration. */
import { Address, BigInt } from "@graphprotocol/graph-ts";
import {
  EIP712DomainChanged,
  MeterRegistrarSet,
  MeterReported,
  MeterSilent,
  OracleSignerSet,
  RefundClaimed,
  RefundPoolFinal,
  ReputationUpdated,
  RoleAdminChanged,
  RoleGranted,
  RoleRevoked,
  SaleSettled,
  ThresholdSet,
} from "../../generated/DeliverySettlement/DeliverySettlement";
import {
  Community,
  Market,
  OracleSigner,
  Position,
  RefundClaim,
  Report,
  Reputation,
  Sale,
  Silence,
} from "../../generated/schema";
import { adminEvent, roleEvent, valueEvent } from "../lib/admin";
import { pairId, scoreBps } from "../lib/ids";

export function handleMeterReported(event: MeterReported): void {
  const r = new Report(pairId(event.params.meterId.toString(), event.params.slotStart.toString()));
  r.meter = event.params.meterId.toString();
  r.meterId = event.params.meterId.toI32();
  r.slotStart = event.params.slotStart;
  r.importedWh = event.params.importedWh;
  r.exportedWh = event.params.exportedWh;
  r.blockNumber = event.block.number;
  r.timestamp = event.block.timestamp;
  r.save();
}

export function handleMeterSilent(event: MeterSilent): void {
  const s = new Silence(pairId(event.params.meterId.toString(), event.params.slotStart.toString()));
  s.meter = event.params.meterId.toString();
  s.meterId = event.params.meterId.toI32();
  s.slotStart = event.params.slotStart;
  s.blockNumber = event.block.number;
  s.timestamp = event.block.timestamp;
  s.save();
}

export function handleMeterRegistrarSet(event: MeterRegistrarSet): void {
  const c = Community.load(event.params.communityId.toString());
  if (c == null) return; // the contract refuses unknown communities; nothing to record
  c.meterRegistrar = event.params.registrar.equals(Address.zero()) ? null : event.params.registrar;
  c.save();
  const a = adminEvent(event, "MeterRegistrarSet");
  a.communityId = event.params.communityId.toI32();
  a.account = event.params.registrar;
  a.save();
}

export function handleSaleSettled(event: SaleSettled): void {
  const marketId = event.params.marketId;
  const id = pairId(marketId.toString(), event.params.meterId.toString());
  let s = Sale.load(id);
  if (s == null) {
    s = new Sale(id);
    s.market = marketId.toString();
    s.marketId = marketId;
    s.meterId = event.params.meterId.toI32();
    s.seller = event.params.seller;
    s.soldWh = event.params.soldWh;
    s.proceeds = BigInt.zero();
  }
  s.settled = true;
  s.deliveredWh = event.params.deliveredWh;
  s.reported = event.params.reported;
  s.payout = event.params.payout;
  s.fee = event.params.fee;
  s.refunded = event.params.refunded;
  s.bondSlashed = event.params.bondSlashed;
  s.settledAt = event.block.timestamp;
  s.save();
  const m = Market.load(marketId.toString());
  if (m == null) return;
  m.settledSoldWh = m.settledSoldWh.plus(event.params.soldWh);
  m.refundPool = m.refundPool.plus(event.params.refunded);
  m.sellersSettled = m.sellersSettled + 1;
  m.save();
}

export function handleRefundPoolFinal(event: RefundPoolFinal): void {
  const m = Market.load(event.params.marketId.toString());
  if (m == null) return;
  m.refundPoolFinal = true;
  m.refundPool = event.params.refundPool;
  m.save();
}

export function handleRefundClaimed(event: RefundClaimed): void {
  const marketId = event.params.marketId;
  const id = pairId(marketId.toString(), event.params.buyer.toHexString());
  const r = new RefundClaim(id);
  r.market = marketId.toString();
  r.marketId = marketId;
  r.buyer = event.params.buyer;
  r.paid = event.params.paid;
  r.refund = event.params.refund;
  r.timestamp = event.block.timestamp;
  r.save();
  const m = Market.load(marketId.toString());
  if (m != null) {
    m.refundedPaid = m.refundedPaid.plus(event.params.paid);
    m.refunded = m.refunded.plus(event.params.refund);
    m.save();
  }
  const p = Position.load(id);
  if (p != null) {
    p.refundClaimed = true;
    p.save();
  }
}

export function handleReputationUpdated(event: ReputationUpdated): void {
  const id = event.params.seller.toHexString();
  let r = Reputation.load(id);
  if (r == null) {
    r = new Reputation(id);
    r.seller = event.params.seller;
  }
  r.committedWh = event.params.committedWh;
  r.deliveredWh = event.params.deliveredWh;
  r.scoreBps = scoreBps(event.params.committedWh, event.params.deliveredWh);
  r.updatedAt = event.block.timestamp;
  r.save();
}

export function handleOracleSignerSet(event: OracleSignerSet): void {
  const id = event.params.signer.toHexString();
  let s = OracleSigner.load(id);
  if (s == null) {
    s = new OracleSigner(id);
    s.signer = event.params.signer;
  }
  s.enabled = event.params.enabled;
  s.updatedAt = event.block.timestamp;
  s.save();
}

export function handleThresholdSet(event: ThresholdSet): void {
  valueEvent(event, "ThresholdSet", BigInt.fromI32(event.params.threshold));
}

export function handleEIP712DomainChanged(event: EIP712DomainChanged): void {
  adminEvent(event, "EIP712DomainChanged").save();
}

export function handleRoleGranted(event: RoleGranted): void {
  roleEvent(event, "RoleGranted", event.params.role, event.params.account);
}

export function handleRoleRevoked(event: RoleRevoked): void {
  roleEvent(event, "RoleRevoked", event.params.role, event.params.account);
}

export function handleRoleAdminChanged(event: RoleAdminChanged): void {
  roleEvent(event, "RoleAdminChanged", event.params.role, event.params.newAdminRole);
}
