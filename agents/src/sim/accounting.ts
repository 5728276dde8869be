/**
 * The community's books after a simulation, from the chain alone (events + balances) and the
 * simulated meters: what each household paid for energy bought in the market, earned for energy
 * delivered, got back in refunds and lost in slashed bonds; what the grid still supplied and took;
 * and the check that the money on chain adds up to the unit — per household (balance change ==
 * earned + refunds − paid − slashed) and for the community (paid + slashed == earned + fees + refunds
 * + swept dust).
 */
import type { Address } from "viem";
import { deliverySettlementAbi, energyMarketAbi } from "@powershare/contracts";
import { decodeOrderId, type PowerShare } from "@powershare/contracts/sdk";
import type { Tariffs } from "../strategy/types.ts";
import type { MeterFlows } from "./physics.ts";
import type { HouseholdPlan, StrategyName } from "./scenario.ts";

export interface HomeLedger {
  account: Address;
  meterId: number;
  plan: HouseholdPlan;
  flows: Map<number, MeterFlows>;
}

export interface HomeOutcome {
  index: number;
  account: Address;
  paid: string;
  earned: string;
  refunds: string;
  slashed: string;
  balanceChange: string;
  boughtWh: number;
  soldWh: number;
  deliveredWh: number;
  gridImportWh: number;
  gridExportWh: number;
  /** Grid bill − feed-in credit + net market spending, quote base units. */
  cost: number;
}

export interface CommunityOutcome {
  strategy: StrategyName;
  communityId: number;
  households: number;
  cost: number;
  gridImportWh: number;
  gridExportWh: number;
  tradedWh: number;
  deliveredWh: number;
  trades: number;
  price: { vwapPerKwh: number; minPerKwh: number; maxPerKwh: number };
  paid: string;
  earned: string;
  fees: string;
  refunds: string;
  slashed: string;
  swept: string;
  gasUsed: number;
  refusals: number;
  actErrors: number;
  /** Where the agents' observations came from (set by the simulation). */
  observations?: { indexer: number; chain: number } | undefined;
  money: {
    householdsBalanced: boolean;
    mismatches: string[];
    communityIn: string;
    communityOut: string;
    balanced: boolean;
  };
  homes: HomeOutcome[];
}

const key = (slot: number, account: string) => `${slot}:${account.toLowerCase()}`;

export async function accountCommunity(
  ps: PowerShare,
  o: {
    strategy: StrategyName;
    communityId: number;
    homes: HomeLedger[];
    deposit: bigint;
    fromBlock: bigint;
    tariffs: Tariffs;
    gasUsed: number;
    refusals: number;
    actErrors: number;
  },
): Promise<CommunityOutcome> {
  const client = ps.ctx.publicClient;
  const cid = BigInt(o.communityId);
  const inCommunity = (marketId: bigint) => marketId >> 40n === cid;
  const slotOf = (marketId: bigint) => Number(marketId & ((1n << 40n) - 1n));
  const [marketLogs, settlementLogs] = await Promise.all([
    client.getContractEvents({
      address: ps.ctx.addresses.market,
      abi: energyMarketAbi,
      fromBlock: o.fromBlock,
      toBlock: "latest",
    }),
    client.getContractEvents({
      address: ps.ctx.addresses.settlement!,
      abi: deliverySettlementAbi,
      eventName: "SaleSettled",
      fromBlock: o.fromBlock,
      toBlock: "latest",
    }),
  ]);
  const homes = new Map(o.homes.map((h) => [h.account.toLowerCase(), h]));
  const money = new Map<string, { paid: bigint; earned: bigint; refunds: bigint; slashed: bigint }>();
  const m = (a: string) => {
    let x = money.get(a.toLowerCase());
    if (!x) money.set(a.toLowerCase(), (x = { paid: 0n, earned: 0n, refunds: 0n, slashed: 0n }));
    return x;
  };
  const bought = new Map<string, number>(); // slot:account → Wh bought
  const boughtPerSlot = new Map<number, number>();
  let fees = 0n;
  let swept = 0n;
  let trades = 0;
  let tradeValue = 0;
  let tradeWh = 0;
  let minTick = Number.POSITIVE_INFINITY;
  let maxTick = 0;
  const tickSize = Number((await ps.community(o.communityId)).tickSize);
  const addBought = (slot: number, account: string, wh: number) => {
    bought.set(key(slot, account), (bought.get(key(slot, account)) ?? 0) + wh);
    boughtPerSlot.set(slot, (boughtPerSlot.get(slot) ?? 0) + wh);
  };
  for (const l of marketLogs as unknown as { eventName: string; args: Record<string, unknown> }[]) {
    const a = l.args;
    switch (l.eventName) {
      case "Trade": {
        if (!inCommunity(a.marketId as bigint)) break;
        trades += 1;
        tradeWh += Number(a.amountWh);
        tradeValue += Number(a.value);
        minTick = Math.min(minTick, Number(a.tick));
        maxTick = Math.max(maxTick, Number(a.tick));
        if (a.takerIsBid) {
          m(a.taker as string).paid += a.value as bigint;
          addBought(slotOf(a.marketId as bigint), a.taker as string, Number(a.amountWh));
        }
        break;
      }
      case "OrderClaimed": {
        const k = decodeOrderId(a.orderId as bigint);
        if (!inCommunity(k.marketId) || !k.isBid) break;
        m(a.owner as string).paid += a.value as bigint;
        addBought(k.slotStart, a.owner as string, Number(a.filledWh));
        break;
      }
      case "SellerSettled": {
        if (!inCommunity(a.marketId as bigint)) break;
        const x = m(a.seller as string);
        x.earned += a.payout as bigint;
        x.slashed += a.bondSlashed as bigint;
        fees += a.fee as bigint;
        break;
      }
      case "BuyerRefunded": {
        if (!inCommunity(a.marketId as bigint)) break;
        m(a.buyer as string).refunds += a.amount as bigint;
        break;
      }
      case "EscrowSwept": {
        if (BigInt(a.communityId as number) === cid) swept += a.amount as bigint;
        break;
      }
    }
  }
  const sold = new Map<string, number>();
  const delivered = new Map<string, number>();
  const deliveredPerSlot = new Map<number, number>();
  for (const l of settlementLogs as unknown as { args: Record<string, unknown> }[]) {
    const a = l.args;
    if (!inCommunity(a.marketId as bigint)) continue;
    const slot = slotOf(a.marketId as bigint);
    const k = key(slot, a.seller as string);
    sold.set(k, (sold.get(k) ?? 0) + Number(a.soldWh));
    delivered.set(k, (delivered.get(k) ?? 0) + Number(a.deliveredWh));
    deliveredPerSlot.set(slot, (deliveredPerSlot.get(slot) ?? 0) + Number(a.deliveredWh));
  }

  const mismatches: string[] = [];
  const outs: HomeOutcome[] = [];
  let sumPaid = 0n;
  let sumEarned = 0n;
  let sumRefunds = 0n;
  let sumSlashed = 0n;
  for (const h of o.homes) {
    const acc = h.account.toLowerCase();
    const x = m(acc);
    const b = await ps.balances(h.account);
    const change = b.free + b.locked + b.wallet - o.deposit;
    const expected = x.earned + x.refunds - x.paid - x.slashed;
    if (change !== expected)
      mismatches.push(`household ${h.plan.index}: balance changed by ${change}, the events say ${expected}`);
    if (b.locked !== 0n)
      mismatches.push(`household ${h.plan.index}: ${b.locked} still locked after settlement`);
    let gridImportWh = 0;
    let gridExportWh = 0;
    let boughtWh = 0;
    let soldWh = 0;
    let deliveredWh = 0;
    for (const [slot, f] of h.flows) {
      const bWh = bought.get(key(slot, acc)) ?? 0;
      const bAll = boughtPerSlot.get(slot) ?? 0;
      const dAll = deliveredPerSlot.get(slot) ?? 0;
      // delivered energy reaches the buyers of the slot pro rata to what they bought
      const received = bAll > 0 ? (bWh * Math.min(dAll, bAll)) / bAll : 0;
      const dWh = delivered.get(key(slot, acc)) ?? 0;
      gridImportWh += Math.max(0, f.importedWh - received);
      gridExportWh += Math.max(0, f.exportedWh - dWh);
      boughtWh += bWh;
      soldWh += sold.get(key(slot, acc)) ?? 0;
      deliveredWh += dWh;
    }
    const cost =
      (o.tariffs.retailPerKwh * gridImportWh) / 1000 -
      (o.tariffs.feedInPerKwh * gridExportWh) / 1000 -
      Number(change);
    sumPaid += x.paid;
    sumEarned += x.earned;
    sumRefunds += x.refunds;
    sumSlashed += x.slashed;
    outs.push({
      index: h.plan.index,
      account: h.account,
      paid: String(x.paid),
      earned: String(x.earned),
      refunds: String(x.refunds),
      slashed: String(x.slashed),
      balanceChange: String(change),
      boughtWh,
      soldWh,
      deliveredWh,
      gridImportWh,
      gridExportWh,
      cost,
    });
  }
  for (const acc of money.keys())
    if (!homes.has(acc)) mismatches.push(`money moved for ${acc}, not a household`);
  const communityIn = sumPaid + sumSlashed;
  const communityOut = sumEarned + fees + sumRefunds + swept;
  return {
    strategy: o.strategy,
    communityId: o.communityId,
    households: o.homes.length,
    cost: outs.reduce((s, h) => s + h.cost, 0),
    gridImportWh: outs.reduce((s, h) => s + h.gridImportWh, 0),
    gridExportWh: outs.reduce((s, h) => s + h.gridExportWh, 0),
    tradedWh: tradeWh,
    deliveredWh: outs.reduce((s, h) => s + h.deliveredWh, 0),
    trades,
    price: {
      vwapPerKwh: tradeWh > 0 ? (tradeValue / tradeWh) * 1000 : 0,
      minPerKwh: trades > 0 ? minTick * tickSize : 0,
      maxPerKwh: trades > 0 ? maxTick * tickSize : 0,
    },
    paid: String(sumPaid),
    earned: String(sumEarned),
    fees: String(fees),
    refunds: String(sumRefunds),
    slashed: String(sumSlashed),
    swept: String(swept),
    gasUsed: o.gasUsed,
    refusals: o.refusals,
    actErrors: o.actErrors,
    money: {
      householdsBalanced: mismatches.length === 0,
      mismatches,
      communityIn: String(communityIn),
      communityOut: String(communityOut),
      balanced: communityIn === communityOut,
    },
    homes: outs,
  };
}
