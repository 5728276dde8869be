/** Read-only commands: communities, markets, book, orders, meters. */
import { isAddress, type Address } from "viem";
import {
  formatKwh,
  formatQuote,
  InvalidInputError,
  parseMarketId,
  tickToPrice,
  type Community,
} from "@powershare/contracts/sdk";
import { isoTime, table, type Out } from "../output.ts";
import type { Session } from "../session.ts";

const price = (tick: number | undefined, tickSize: bigint) =>
  tick === undefined ? undefined : formatQuote(tickToPrice(tick, tickSize));

export function parseCommunityId(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 0xffffffff) {
    throw new InvalidInputError(`community id must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

export function parseAddress(text: string, what = "address"): Address {
  if (!isAddress(text, { strict: false }))
    throw new InvalidInputError(`${what} must be a 0x-prefixed 20-byte address, got "${text}"`);
  return text as Address;
}

export async function communities(s: Session, out: Out): Promise<void> {
  const list = await s.ps.communities({ names: true });
  out.print({ communities: list }, () =>
    table(
      [
        "id",
        "name",
        "slot",
        "gate",
        "horizon",
        "tick (USDC/kWh)",
        "min Wh",
        "bond/kWh",
        "fee",
        "members",
        "halted",
      ],
      list.map((c: Community) => [
        c.id,
        c.name,
        `${c.slotLength / 60} min`,
        `${c.gateLead / 60} min`,
        `${c.horizon / 3600} h`,
        formatQuote(c.tickSize),
        c.minOrderWh,
        formatQuote(c.bondPerWh * 1000n),
        `${c.feeBps / 100}%`,
        c.members,
        c.halted ? "yes" : "no",
      ]),
    ),
  );
}

export async function markets(
  s: Session,
  out: Out,
  communityText: string,
  opts: { all?: boolean; limit?: string },
): Promise<void> {
  const communityId = parseCommunityId(communityText);
  const community = await s.ps.community(communityId);
  const limit = opts.limit === undefined ? 500 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError(`--limit must be a positive integer, got "${opts.limit}"`);
  const list = await s.ps.markets(communityId, { activeOnly: !opts.all, limit });
  out.print(
    { communityId, markets: list },
    () =>
      table(
        ["market", "slot (UTC)", "gate (UTC)", "best bid", "best ask", "traded kWh", "phase"],
        list.map((m) => [
          `${m.communityId}:${m.slotStart}`,
          isoTime(m.slotStart),
          isoTime(m.gateAt),
          price(m.bestBid, community.tickSize),
          price(m.bestAsk, community.tickSize),
          formatKwh(m.tradedWh),
          m.phase,
        ]),
      ) + (opts.all ? "" : "\n(markets with orders or trades; --all lists every open market)"),
  );
}

export async function book(
  s: Session,
  out: Out,
  marketText: string,
  opts: { levels?: string },
): Promise<void> {
  const marketId = parseMarketId(marketText);
  const levels = opts.levels === undefined ? 10 : Number(opts.levels);
  if (!Number.isInteger(levels) || levels < 1 || levels > 500)
    throw new InvalidInputError(`--levels must be 1..500, got "${opts.levels}"`);
  const b = await s.ps.book(marketId, { levels });
  out.print(b, () => {
    const rows: (string | bigint | number | undefined)[][] = [];
    for (const l of [...b.asks].reverse())
      rows.push(["ask", formatQuote(l.price), l.tick, formatKwh(l.availableWh)]);
    for (const l of b.bids) rows.push(["bid", formatQuote(l.price), l.tick, formatKwh(l.availableWh)]);
    const m = `market ${marketText} (${marketId})`;
    return rows.length
      ? `${m}\n${table(["side", "price (USDC/kWh)", "tick", "kWh"], rows)}`
      : `${m}: the book is empty`;
  });
}

export async function orders(s: Session, out: Out, opts: { account?: string }): Promise<void> {
  const account = opts.account ? parseAddress(opts.account, "--account") : s.ps.account;
  if (!account) throw new InvalidInputError("give --account <address> or a signing key");
  const list = await s.ps.ordersOf(account);
  out.print({ account, orders: list }, () =>
    table(
      [
        "order",
        "market",
        "side",
        "tick",
        "amount kWh",
        "filled kWh",
        "cancelled kWh",
        "resting kWh",
        "meter",
      ],
      list.map((o) => [
        o.orderId,
        `${o.communityId}:${o.slotStart}`,
        o.isBid ? "buy" : "sell",
        o.tick,
        formatKwh(o.amountWh),
        formatKwh(o.filledWh),
        formatKwh(o.cancelledWh),
        formatKwh(o.remainingWh),
        o.meterId,
      ]),
    ),
  );
}

export async function meters(
  s: Session,
  out: Out,
  opts: { owner?: string; community?: string; mine?: boolean },
): Promise<void> {
  const owner = opts.owner ? parseAddress(opts.owner, "--owner") : opts.mine ? s.ps.account : undefined;
  if (opts.mine && !owner) throw new InvalidInputError("--mine needs a signing key");
  const communityId = opts.community === undefined ? undefined : parseCommunityId(opts.community);
  const list = await s.ps.meters({ ...(owner ? { owner } : {}), ...(communityId ? { communityId } : {}) });
  out.print({ meters: list }, () =>
    table(
      ["meter", "community", "kind", "capacity kW", "owner", "active"],
      list.map((m) => [
        m.id,
        m.communityId,
        m.kind,
        (m.capacityW / 1000).toString(),
        m.owner,
        m.active ? "yes" : "no",
      ]),
    ),
  );
}
