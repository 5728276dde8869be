/** DeliverySettlement (reports, pooled settlement, refunds, reputation) and SettlementKeeper. */
import { ponder } from "ponder:registry";
import { zeroAddress } from "viem";
import {
  communities,
  markets,
  positions,
  refundClaims,
  reports,
  reputation,
  sales,
  silences,
  upkeeps,
} from "ponder:schema";
import { scoreBps } from "./lib/ids.ts";

ponder.on("DeliverySettlement:MeterReported", async ({ event, context }) => {
  await context.db.insert(reports).values({
    meterId: event.args.meterId,
    slotStart: BigInt(event.args.slotStart),
    importedWh: event.args.importedWh,
    exportedWh: event.args.exportedWh,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("DeliverySettlement:MeterSilent", async ({ event, context }) => {
  await context.db.insert(silences).values({
    meterId: event.args.meterId,
    slotStart: BigInt(event.args.slotStart),
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
  });
});

ponder.on("DeliverySettlement:MeterRegistrarSet", async ({ event, context }) => {
  const { communityId, registrar } = event.args;
  await context.db
    .update(communities, { id: communityId })
    .set({ meterRegistrar: registrar === zeroAddress ? null : registrar });
});

ponder.on("DeliverySettlement:SaleSettled", async ({ event, context }) => {
  const { marketId, meterId, seller, soldWh, deliveredWh, reported, payout, fee, refunded } = event.args;
  await context.db
    .insert(sales)
    .values({ marketId, meterId, seller, soldWh, proceeds: 0n, settled: true })
    .onConflictDoUpdate({
      settled: true,
      deliveredWh,
      reported,
      payout,
      fee,
      refunded,
      bondSlashed: event.args.bondSlashed,
      settledAt: event.block.timestamp,
    });
  await context.db.update(markets, { id: marketId }).set((m) => ({
    settledSoldWh: m.settledSoldWh + soldWh,
    refundPool: m.refundPool + refunded,
    sellersSettled: m.sellersSettled + 1,
  }));
});

ponder.on("DeliverySettlement:RefundPoolFinal", async ({ event, context }) => {
  await context.db
    .update(markets, { id: event.args.marketId })
    .set({ refundPoolFinal: true, refundPool: event.args.refundPool });
});

ponder.on("DeliverySettlement:RefundClaimed", async ({ event, context }) => {
  const { marketId, buyer, paid, refund } = event.args;
  await context.db
    .insert(refundClaims)
    .values({ marketId, buyer, paid, refund, timestamp: event.block.timestamp });
  await context.db.update(markets, { id: marketId }).set((m) => ({
    refundedPaid: m.refundedPaid + paid,
    refunded: m.refunded + refund,
  }));
  await context.db.update(positions, { marketId, buyer }).set({ refundClaimed: true });
});

ponder.on("DeliverySettlement:ReputationUpdated", async ({ event, context }) => {
  const { seller, committedWh, deliveredWh } = event.args;
  const row = {
    committedWh,
    deliveredWh,
    scoreBps: scoreBps(committedWh, deliveredWh),
    updatedAt: event.block.timestamp,
  };
  await context.db
    .insert(reputation)
    .values({ seller, ...row })
    .onConflictDoUpdate(row);
});

ponder.on("SettlementKeeper:UpkeepPerformed", async ({ event, context }) => {
  await context.db.insert(upkeeps).values({
    id: event.id,
    marketId: event.args.marketId,
    sellers: Number(event.args.sellers),
    timestamp: event.block.timestamp,
  });
});
