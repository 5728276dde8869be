/**
 * Turns confirmed contract logs into notifier events: who is concerned, and the values their
 * messages show. Maker fills are not logged by the contract (a taker only raises a level's
 * counter), so they are read from the contract's own `order` view at the trade's block and the
 * block before it.
 */
import { decodeFunctionData, type Address, type Hex, type Log } from "viem";
import { deliverySettlementAbi, energyMarketAbi, treasuryGovernorAbi } from "@powershare/contracts";
import {
  decodeMarketId,
  decodeOrderId,
  formatKwh,
  formatQuote,
  getCommunity,
  refundShare,
  tickToPrice,
  type SdkContext,
} from "@powershare/contracts/sdk";
import type { NotifierEvent } from "../events.ts";

export type DecodedLog = Log<bigint, number, false> & { eventName: string; args: Record<string, unknown> };

const lower = (a: unknown) => String(a).toLowerCase() as Address;
const iso = (seconds: number | bigint) =>
  new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

export interface BlockInfo {
  hash: Hex;
  timestamp: number;
}

/** Caches of facts that do not change once confirmed (tick sizes, orders placed per market, members). */
class ChainFacts {
  tickSize = new Map<number, bigint>();
  /** Per market: order ids with the block they were placed in, from OrderPlaced logs. */
  marketOrders = new Map<
    bigint,
    { scannedTo: bigint; orders: { id: bigint; block: bigint; owner: Address }[] }
  >();
  members = new Map<number, { scannedTo: bigint; accounts: Set<Address> }>();
  takers = new Map<bigint, { scannedTo: bigint; buyers: Set<Address> }>();
}

export class EventDecoder {
  readonly facts = new ChainFacts();
  private ctx: SdkContext;
  private startBlock: bigint;
  constructor(ctx: SdkContext, startBlock: bigint) {
    this.ctx = ctx;
    this.startBlock = startBlock;
  }

  private get client() {
    return this.ctx.publicClient;
  }

  private async tickSize(communityId: number): Promise<bigint> {
    let t = this.facts.tickSize.get(communityId);
    if (t === undefined) {
      t = (await getCommunity(this.ctx, communityId)).tickSize;
      this.facts.tickSize.set(communityId, t);
    }
    return t;
  }

  private marketLabel(marketId: bigint): { market: string; slot: string } {
    const { communityId, slotStart } = decodeMarketId(marketId);
    return { market: `community ${communityId}`, slot: iso(slotStart) };
  }

  /** OrderPlaced logs of a market up to `toBlock` (cached, extended as blocks confirm). */
  private async ordersOfMarket(marketId: bigint, toBlock: bigint) {
    let c = this.facts.marketOrders.get(marketId);
    if (!c) {
      c = { scannedTo: this.startBlock - 1n, orders: [] };
      this.facts.marketOrders.set(marketId, c);
    }
    if (c.scannedTo < toBlock) {
      const logs = await this.client.getContractEvents({
        address: this.ctx.addresses.market,
        abi: energyMarketAbi,
        eventName: "OrderPlaced",
        args: { marketId },
        fromBlock: c.scannedTo + 1n,
        toBlock,
      });
      for (const l of logs) {
        const a = l.args as { orderId: bigint; owner: Address };
        c.orders.push({ id: a.orderId, block: l.blockNumber!, owner: lower(a.owner) });
      }
      c.scannedTo = toBlock;
    }
    return c.orders.filter((o) => o.block <= toBlock);
  }

  private async membersOf(communityId: number, toBlock: bigint): Promise<Address[]> {
    let c = this.facts.members.get(communityId);
    if (!c) {
      c = { scannedTo: this.startBlock - 1n, accounts: new Set() };
      this.facts.members.set(communityId, c);
    }
    if (c.scannedTo < toBlock) {
      const logs = await this.client.getContractEvents({
        address: this.ctx.addresses.market,
        abi: energyMarketAbi,
        eventName: "MemberJoined",
        args: { communityId },
        fromBlock: c.scannedTo + 1n,
        toBlock,
      });
      for (const l of logs) c.accounts.add(lower((l.args as { account: Address }).account));
      c.scannedTo = toBlock;
    }
    return [...c.accounts].sort();
  }

  private async buyersOf(marketId: bigint, toBlock: bigint): Promise<Address[]> {
    let c = this.facts.takers.get(marketId);
    if (!c) {
      c = { scannedTo: this.startBlock - 1n, buyers: new Set() };
      this.facts.takers.set(marketId, c);
    }
    if (c.scannedTo < toBlock) {
      const logs = await this.client.getContractEvents({
        address: this.ctx.addresses.market,
        abi: energyMarketAbi,
        eventName: "Trade",
        args: { marketId, takerIsBid: true },
        fromBlock: c.scannedTo + 1n,
        toBlock,
      });
      for (const l of logs) c.buyers.add(lower((l.args as { taker: Address }).taker));
      c.scannedTo = toBlock;
    }
    const makers = (await this.ordersOfMarket(marketId, toBlock))
      .filter((o) => decodeOrderId(o.id).isBid)
      .map((o) => o.owner);
    return [...new Set([...c.buyers, ...makers])].sort();
  }

  /** The order as the contract saw it at the end of `block` (undefined before it was placed or after its claim). */
  private async orderAt(orderId: bigint, block: bigint) {
    try {
      const r = (await this.client.readContract({
        address: this.ctx.addresses.market,
        abi: energyMarketAbi,
        functionName: "order",
        args: [orderId],
        blockNumber: block,
      })) as readonly [Address, number, bigint, bigint, bigint];
      return {
        owner: lower(r[0]),
        amountWh: BigInt(r[2]),
        cancelledWh: BigInt(r[3]),
        filledWh: BigInt(r[4]),
      };
    } catch {
      return undefined;
    }
  }

  /** The events of one block's logs (logs in chain order). */
  async decodeBlock(block: bigint, info: BlockInfo, logs: DecodedLog[]): Promise<NotifierEvent[]> {
    const out: NotifierEvent[] = [];
    const base = { block, blockHash: info.hash, occurredAt: info.timestamp * 1000 };
    const byTx = new Map<Hex, DecodedLog[]>();
    for (const l of logs) {
      const list = byTx.get(l.transactionHash!) ?? [];
      list.push(l);
      byTx.set(l.transactionHash!, list);
    }

    // Takers: one message per (transaction, taker, market, side).
    for (const [tx, txLogs] of byTx) {
      const groups = new Map<string, DecodedLog[]>();
      for (const l of txLogs.filter((x) => x.eventName === "Trade")) {
        const a = l.args as { marketId: bigint; taker: Address; takerIsBid: boolean };
        const k = `${lower(a.taker)}:${a.marketId}:${a.takerIsBid ? "buy" : "sell"}`;
        groups.set(k, [...(groups.get(k) ?? []), l]);
      }
      for (const [k, trades] of groups) {
        const [taker, marketIdText, side] = k.split(":") as [Address, string, string];
        const marketId = BigInt(marketIdText);
        const filled = trades.reduce((s, l) => s + BigInt(l.args.amountWh as bigint), 0n);
        const value = trades.reduce((s, l) => s + BigInt(l.args.value as bigint), 0n);
        const rested = txLogs
          .filter(
            (l) =>
              l.eventName === "OrderPlaced" &&
              lower(l.args.owner) === taker &&
              BigInt(l.args.marketId as bigint) === marketId,
          )
          .filter((l) => decodeOrderId(l.args.orderId as bigint).isBid === (side === "buy"))
          .reduce((s, l) => s + BigInt(l.args.amountWh as bigint), 0n);
        const asked = await this.requestedAmount(tx, marketId, side === "buy");
        const orderWh = asked ?? filled + rested;
        out.push({
          ...base,
          key: `fill:taker:${tx}:${marketId}:${side}`,
          type: "order_filled",
          recipients: [taker],
          vars: {
            side,
            role: "taker",
            filledKwh: formatKwh(filled),
            orderKwh: formatKwh(orderWh),
            completeness: filled >= orderWh ? "fully" : "partly",
            price: formatQuote(filled === 0n ? 0n : (value * 1000n) / filled),
            value: formatQuote(value),
            ...this.marketLabel(marketId),
            orderId:
              rested > 0n
                ? String(
                    txLogs.find((l) => l.eventName === "OrderPlaced" && lower(l.args.owner) === taker)?.args
                      .orderId,
                  )
                : "",
          },
        });
      }
    }

    // Makers: each level a trade touched in this block, read before and after the block.
    const levels = new Map<string, { marketId: bigint; makerIsBid: boolean; tick: number }>();
    for (const l of logs.filter((x) => x.eventName === "Trade")) {
      const a = l.args as { marketId: bigint; takerIsBid: boolean; tick: number };
      levels.set(`${a.marketId}:${!a.takerIsBid}:${a.tick}`, {
        marketId: a.marketId,
        makerIsBid: !a.takerIsBid,
        tick: Number(a.tick),
      });
    }
    for (const lv of levels.values()) {
      const candidates = (await this.ordersOfMarket(lv.marketId, block)).filter((o) => {
        const k = decodeOrderId(o.id);
        return k.isBid === lv.makerIsBid && k.tick === lv.tick;
      });
      const { communityId } = decodeMarketId(lv.marketId);
      const tickSize = await this.tickSize(communityId);
      const price = tickToPrice(lv.tick, tickSize);
      const states = await Promise.all(
        candidates.map(
          async (o) =>
            [
              o,
              await this.orderAt(o.id, block),
              o.block < block ? await this.orderAt(o.id, block - 1n) : undefined,
            ] as const,
        ),
      );
      for (const [o, after, before] of states) {
        if (!after) continue;
        const delta = after.filledWh - (before?.filledWh ?? 0n);
        if (delta <= 0n) continue;
        out.push({
          ...base,
          key: `fill:maker:${o.id}:${block}`,
          type: "order_filled",
          recipients: [after.owner],
          vars: {
            side: lv.makerIsBid ? "buy" : "sell",
            role: "maker",
            filledKwh: formatKwh(delta),
            orderKwh: formatKwh(after.amountWh),
            completeness: after.filledWh + after.cancelledWh >= after.amountWh ? "fully" : "partly",
            price: formatQuote(price),
            value: formatQuote((delta * price) / 1000n),
            ...this.marketLabel(lv.marketId),
            orderId: o.id.toString(),
          },
        });
      }
    }

    for (const l of logs) {
      const a = l.args;
      switch (l.eventName) {
        case "OrderClaimed": {
          const orderId = a.orderId as bigint;
          const k = decodeOrderId(orderId);
          const before = await this.orderAt(orderId, block - 1n);
          out.push({
            ...base,
            key: `released:${orderId}`,
            type: "order_released",
            recipients: [lower(a.owner)],
            vars: {
              side: k.isBid ? "buy" : "sell",
              filledKwh: formatKwh(BigInt(a.filledWh as bigint)),
              orderKwh: formatKwh(before?.amountWh ?? BigInt(a.filledWh as bigint)),
              released: formatQuote(BigInt(a.released as bigint)),
              value: formatQuote(BigInt(a.value as bigint)),
              ...this.marketLabel(k.marketId),
              orderId: orderId.toString(),
            },
          });
          break;
        }
        case "MeterReported": {
          const meterId = Number(a.meterId);
          const m = (await this.client.readContract({
            address: this.ctx.addresses.market,
            abi: energyMarketAbi,
            functionName: "meter",
            args: [meterId],
            blockNumber: block,
          })) as readonly [Address, ...unknown[]];
          out.push({
            ...base,
            key: `report:${meterId}:${a.slotStart}`,
            type: "meter_reported",
            recipients: [lower(m[0])],
            vars: {
              meterId: String(meterId),
              slot: iso(a.slotStart as number),
              importedKwh: formatKwh(BigInt(a.importedWh as bigint)),
              exportedKwh: formatKwh(BigInt(a.exportedWh as bigint)),
            },
          });
          break;
        }
        case "SaleSettled": {
          const marketId = a.marketId as bigint;
          const slashed = BigInt(a.bondSlashed as bigint);
          out.push({
            ...base,
            key: `settled:${marketId}:${a.meterId}`,
            type: "sale_settled",
            recipients: [lower(a.seller)],
            vars: {
              outcome: !a.reported ? "no report, buyers refunded" : slashed > 0n ? "slashed" : "paid",
              meterId: String(a.meterId),
              ...this.marketLabel(marketId),
              soldKwh: formatKwh(BigInt(a.soldWh as bigint)),
              deliveredKwh: formatKwh(BigInt(a.deliveredWh as bigint)),
              payout: formatQuote(BigInt(a.payout as bigint)),
              fee: formatQuote(BigInt(a.fee as bigint)),
              bondSlashed: formatQuote(slashed),
              refunded: formatQuote(BigInt(a.refunded as bigint)),
            },
          });
          break;
        }
        case "RefundPoolFinal": {
          const marketId = a.marketId as bigint;
          const pool = BigInt(a.refundPool as bigint);
          const traded = BigInt(a.tradedValue as bigint);
          if (pool === 0n) break;
          for (const buyer of await this.buyersOf(marketId, block)) {
            const p = (await this.client.readContract({
              address: this.ctx.addresses.market,
              abi: energyMarketAbi,
              functionName: "position",
              args: [marketId, buyer],
              blockNumber: block,
            })) as { paid: bigint };
            const refund = refundShare(pool, BigInt(p.paid), traded);
            if (refund === 0n) continue;
            out.push({
              ...base,
              key: `refund:${marketId}:${buyer}`,
              type: "refund_waiting",
              recipients: [buyer],
              vars: {
                ...this.marketLabel(marketId),
                paid: formatQuote(BigInt(p.paid)),
                refund: formatQuote(refund),
              },
            });
          }
          break;
        }
        case "ProposalCreated": {
          const communityId = Number(a.communityId);
          out.push({
            ...base,
            key: `proposal:${a.proposalId}:opened`,
            type: "proposal_opened",
            recipients: await this.membersOf(communityId, block),
            vars: this.proposalVars(a, { voteEnd: iso(a.voteEnd as bigint) }),
          });
          break;
        }
        case "ProposalQueued": {
          const created = await this.client.getContractEvents({
            address: this.ctx.addresses.governor!,
            abi: treasuryGovernorAbi,
            eventName: "ProposalCreated",
            args: { proposalId: a.proposalId as bigint },
            fromBlock: this.startBlock,
            toBlock: block,
          });
          const c = created[0]?.args as Record<string, unknown> | undefined;
          if (!c) break;
          out.push({
            ...base,
            key: `proposal:${a.proposalId}:ready`,
            type: "proposal_ready",
            recipients: await this.membersOf(Number(c.communityId), block),
            vars: this.proposalVars(c, { eta: iso(a.eta as bigint) }),
          });
          break;
        }
      }
    }
    return out;
  }

  private proposalVars(a: Record<string, unknown>, extra: Record<string, string>): Record<string, string> {
    return {
      proposalId: String(a.proposalId),
      communityId: String(a.communityId),
      amount: formatQuote(BigInt(a.amount as bigint)),
      to: String(a.to),
      description: String(a.description),
      ...extra,
    };
  }

  /** The amount a taker asked for, when its transaction was a direct placeOrder call. */
  private async requestedAmount(tx: Hex, marketId: bigint, isBid: boolean): Promise<bigint | undefined> {
    try {
      const t = await this.client.getTransaction({ hash: tx });
      const { functionName, args } = decodeFunctionData({ abi: energyMarketAbi, data: t.input });
      if (functionName !== "placeOrder") return undefined;
      const p = (
        args as unknown as [{ communityId: number; slotStart: number; isBid: boolean; amountWh: bigint }]
      )[0];
      const { communityId, slotStart } = decodeMarketId(marketId);
      if (p.communityId !== communityId || Number(p.slotStart) !== slotStart || p.isBid !== isBid)
        return undefined;
      return BigInt(p.amountWh);
    } catch {
      return undefined;
    }
  }
}

/** Every event the notifier decodes, from the three contracts. */
export const NOTIFIER_ABI = [...energyMarketAbi, ...deliverySettlementAbi, ...treasuryGovernorAbi];
