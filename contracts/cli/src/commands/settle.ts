/** claim (own orders and refunds) and settle (a market's sellers, then its buyers' refunds). */
import {
  formatQuote,
  InvalidInputError,
  parseMarketId,
  parseOrderId,
  PreflightError,
} from "@powershare/contracts/sdk";
import type { Out } from "../output.ts";
import type { Session } from "../session.ts";

export async function claim(s: Session, out: Out, ids: string[], o: { all?: boolean }): Promise<void> {
  const account = s.ps.account!;
  if (!o.all && ids.length === 0)
    throw new InvalidInputError("give order ids, or --all to claim everything claimable");
  if (o.all && ids.length) throw new InvalidInputError("give either order ids or --all, not both");
  let orderIds = ids.map(parseOrderId);
  let refunds: bigint[] = [];
  let source = "args";
  if (o.all) {
    const c = await s.ps.claimables(account);
    source = c.source;
    orderIds = c.orders.map((x) => x.orderId);
    refunds = c.refunds.map((r) => r.marketId);
  }
  const before = await s.ps.balances(account);
  const txs: string[] = [];
  if (orderIds.length) {
    for (let i = 0; i < orderIds.length; i += 40) {
      const r = await s.ps.claim(orderIds.slice(i, i + 40));
      txs.push(r.hash!);
    }
  }
  for (const m of refunds) txs.push((await s.ps.claimRefund(m, account)).hash!);
  const after = await s.ps.balances(account);
  out.print(
    { account, source, orders: orderIds, refunds, txs, balance: after, credited: after.free - before.free },
    () =>
      orderIds.length + refunds.length === 0
        ? "nothing to claim"
        : `claimed ${orderIds.length} order(s) and ${refunds.length} refund(s) in ${txs.length} tx; free balance ${formatQuote(before.free)} → ${formatQuote(after.free)} USDC`,
  );
}

export async function settle(
  s: Session,
  out: Out,
  marketText: string,
  o: { noRefunds?: boolean },
): Promise<void> {
  const marketId = parseMarketId(marketText);
  const st = await s.ps.settlement(marketId);
  if (st.tradedWh === 0n)
    throw new PreflightError("NOTHING_TO_SETTLE", `market ${marketText} traded nothing`);
  let settled = 0;
  const txs: string[] = [];
  const unsettled = [];
  for (const m of st.sellers) if (!(await s.ps.sale(marketId, m)).settled) unsettled.push(m);
  for (let i = 0; i < unsettled.length; i += 20) {
    const r = await s.ps.settle(marketId, unsettled.slice(i, i + 20));
    settled += r.events.filter((e) => e.eventName === "SaleSettled").length;
    txs.push(r.hash!);
  }
  let refunded = 0;
  if (!o.noRefunds) {
    const work = await s.ps.settlementWork();
    const after = await s.ps.settlement(marketId);
    if (after.refundPoolFinal && after.refundPool > 0n) {
      for (const buyer of work.buyers.get(marketId) ?? []) {
        if (await s.ps.refundClaimed(marketId, buyer)) continue;
        if ((await s.ps.position(marketId, buyer)).paid === 0n) continue;
        txs.push((await s.ps.claimRefund(marketId, buyer)).hash!);
        refunded++;
      }
    }
  }
  const final = await s.ps.settlement(marketId);
  out.print(
    { marketId, settled, refunded, txs, settlement: final },
    () =>
      `market ${marketText}: settled ${settled} seller meter(s), paid ${refunded} refund(s); refund pool ${formatQuote(final.refundPool)} USDC, ${final.complete ? "complete" : "not complete"}`,
  );
}
