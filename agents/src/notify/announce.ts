/**
 * What an agent did, told to its owner through the notifier's hook:
 *
 * - `announceWrites(ps, …)` wraps the agent's PowerShare client so that each write it sends and
 *   gets mined — orders placed, cancelled or replaced, deposits, withdrawals, claims of orders and
 *   refunds — is announced once, keyed by the agent and the transaction hash (a dry run announces
 *   nothing). Whatever sends through the client (the graph's act node, a future claim step) is
 *   covered without the graph knowing about notifications.
 * - `announceRefusals(…)` tells the intents the risk limits refused in a cycle, keyed by the agent,
 *   the market and the intent, so a refusal repeated cycle after cycle is told once.
 *
 * The announcement is composed after the write returned and sent in the background: trading never
 * waits for it, and a notifier that is down only delays it (hook-client.ts retries).
 */
import type { Address, Hex } from "viem";
import {
  decodeMarketId,
  decodeOrderId,
  formatQuote,
  type PlaceOrderParams,
  type PowerShare,
} from "@powershare/contracts/sdk";
import type { Refusal } from "../risk/limits.ts";
import type { AgentAction, NotifierHookClient } from "./hook-client.ts";

export interface AnnounceTarget {
  agentId: string;
  /** Who is told: the agent's owner and the agent's own wallet. */
  recipients: readonly Address[];
}

const slotTime = (slotStart: number) =>
  new Date(slotStart * 1000).toISOString().slice(0, 16).replace("T", " ");

/** The price of `tick` in USDC per kWh, from the community's tick size (read once per community). */
function pricer(ps: PowerShare) {
  const tickSizes = new Map<number, Promise<bigint>>();
  return async (communityId: number, tick: number): Promise<string> => {
    let t = tickSizes.get(communityId);
    if (!t) {
      t = ps.community(communityId).then((c) => c.tickSize);
      t.catch(() => tickSizes.delete(communityId));
      tickSizes.set(communityId, t);
    }
    return `${formatQuote(BigInt(tick) * (await t))} USDC/kWh`;
  };
}

async function describeOrders(
  price: ReturnType<typeof pricer>,
  placed: readonly PlaceOrderParams[],
  outcomes: readonly { orderId: bigint; filledWh: bigint; restingWh: bigint }[],
): Promise<string[]> {
  return Promise.all(
    placed.map(async (p, i) => {
      const o = outcomes[i];
      const fill =
        o === undefined
          ? ""
          : o.filledWh > 0n
            ? `, ${o.filledWh} Wh filled at once${o.restingWh > 0n ? `, ${o.restingWh} Wh resting` : ""}`
            : ", resting";
      return `${p.side} ${p.amountWh} Wh at ${await price(p.communityId, p.tick)} for the ${slotTime(p.slotStart)} UTC slot (community ${p.communityId}, meter ${p.meterId}${o && o.orderId !== 0n ? `, order ${o.orderId}` : ""}${fill})`;
    }),
  );
}

function describeCancels(ids: readonly bigint[]): string[] {
  return ids.map((id) => {
    try {
      const k = decodeOrderId(id);
      return `order ${id} (${k.isBid ? "buy" : "sell"} at tick ${k.tick}, ${slotTime(k.slotStart)} UTC slot)`;
    } catch {
      return `order ${id}`;
    }
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * `ps` with its writes announced to `target`'s recipients through `hook`. Reads, dry runs and
 * failed writes are untouched and announce nothing.
 */
export function announceWrites(ps: PowerShare, hook: NotifierHookClient, target: AnnounceTarget): PowerShare {
  const price = pricer(ps);
  const tell = (
    hash: Hex | undefined,
    compose: () => Promise<Omit<AgentAction, "key" | "agent" | "recipients">>,
  ) => {
    if (!hash) return; // a dry run
    hook.announceLater(
      compose().then((a) => ({
        ...a,
        detail: `${a.detail} Transaction ${hash}.`,
        key: `${target.agentId}:tx:${hash}`,
        agent: target.agentId,
        recipients: target.recipients,
      })),
    );
  };
  return {
    ...ps,
    place: async (p, o) => {
      const r = await ps.place(p, o);
      tell(r.hash, async () => ({
        action: `placed a ${p.side} order`,
        detail: `${(await describeOrders(price, [p], [r.result]))[0]}.`,
      }));
      return r;
    },
    placeMany: async (orders, o) => {
      const r = await ps.placeMany(orders, o);
      tell(r.hash, async () => ({
        action: `placed ${plural(orders.length, "order")}`,
        detail: `${(await describeOrders(price, orders, r.result)).join("; ")}.`,
      }));
      return r;
    },
    replace: async (cancel, orders, o) => {
      const r = await ps.replace(cancel, orders, o);
      tell(r.hash, async () => {
        const placed = await describeOrders(price, orders, r.result);
        return {
          action:
            orders.length === 0
              ? `cancelled ${plural(cancel.length, "order")}`
              : cancel.length === 0
                ? `placed ${plural(orders.length, "order")}`
                : `replaced ${plural(cancel.length, "order")} with ${plural(orders.length, "new one", "new ones")}`,
          detail: [
            cancel.length > 0 ? `Cancelled ${describeCancels(cancel).join(", ")}.` : "",
            placed.length > 0 ? `Placed ${placed.join("; ")}.` : "",
          ]
            .filter(Boolean)
            .join(" "),
        };
      });
      return r;
    },
    cancel: async (orderId, o) => {
      const r = await ps.cancel(orderId, o);
      tell(r.hash, async () => ({
        action: "cancelled an order",
        detail: `Cancelled ${describeCancels([orderId])[0]}.`,
      }));
      return r;
    },
    cancelMany: async (orderIds, o) => {
      const r = await ps.cancelMany(orderIds, o);
      tell(r.hash, async () => ({
        action: `cancelled ${plural(orderIds.length, "order")}`,
        detail: `Cancelled ${describeCancels(orderIds).join(", ")}.`,
      }));
      return r;
    },
    deposit: async (amount, o) => {
      const r = await ps.deposit(amount, o);
      tell(r.deposit.hash, async () => ({
        action: `deposited ${formatQuote(amount)} USDC`,
        detail: `Moved ${formatQuote(amount)} USDC from the agent's wallet into its market balance.`,
      }));
      return r;
    },
    withdraw: async (amount, to, o) => {
      const r = await ps.withdraw(amount, to, o);
      tell(r.hash, async () => ({
        action: `withdrew ${formatQuote(amount)} USDC`,
        detail: `Withdrew ${formatQuote(amount)} USDC of the free market balance to ${to ?? "the agent's wallet"}.`,
      }));
      return r;
    },
    claim: async (orderIds, o) => {
      const r = await ps.claim(orderIds, o);
      tell(r.hash, async () => ({
        action: `claimed ${plural(orderIds.length, "order")}`,
        detail: `Claimed the proceeds and released locks of ${describeCancels(orderIds).join(", ")}.`,
      }));
      return r;
    },
    claimRefund: async (marketId, buyer, o) => {
      const r = await ps.claimRefund(marketId, buyer, o);
      tell(r.hash, async () => {
        const m = decodeMarketId(marketId);
        return {
          action: "claimed a refund",
          detail: `Claimed ${buyer}'s refund of the ${slotTime(m.slotStart)} UTC slot (community ${m.communityId}).`,
        };
      });
      return r;
    },
  };
}

/** Tells the intents the risk limits refused; each distinct intent once (keyed by market and intent). */
export function announceRefusals(
  hook: NotifierHookClient,
  target: AnnounceTarget,
  refused: readonly Refusal[],
): void {
  for (const r of refused) {
    const i = r.intent;
    hook.announce({
      key: `${target.agentId}:refused:${i.marketId}:${i.side}:${i.tick}:${i.amountWh}`,
      agent: target.agentId,
      action: `a ${i.side} order was refused by the risk limits`,
      detail: `The plan wanted to ${i.side} ${i.amountWh} Wh at tick ${i.tick} for the ${slotTime(i.slotStart)} UTC slot (${i.reason}); the risk limits refused it: ${r.reason}. Nothing was sent.`,
      recipients: target.recipients,
    });
  }
}
