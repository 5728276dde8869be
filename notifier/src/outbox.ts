/**
 * The outbox: an event is stored once, and one delivery per recipient, channel and target (email
 * address, webhook, push subscription, phone, in-app) is queued in the same transaction, according
 * to each recipient's preferences at that moment.
 */
import type { Address } from "viem";
import { CHANNELS, type Channel, type HookEvent, type NotifierEvent } from "./events.ts";
import type { Database } from "./store/database.ts";
import type { NewDelivery, NotifierStore } from "./store/notifier-store.ts";
import { formatQuote } from "@powershare/contracts/sdk";

export class Outbox {
  private listeners = new Set<() => void>();

  private store: NotifierStore;
  constructor(store: NotifierStore) {
    this.store = store;
  }

  /** Called after new deliveries are queued (the dispatcher wakes up). */
  onQueued(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  kick(): void {
    for (const fn of this.listeners) fn();
  }

  /** The deliveries an event makes for one recipient. */
  async targets(db: Database, address: Address, e: NotifierEvent): Promise<NewDelivery[]> {
    const prefs = await this.store.preferences(address, db);
    const wanted: readonly Channel[] = prefs?.subscriptions[e.type] ?? CHANNELS;
    const out: NewDelivery[] = [];
    for (const channel of wanted) {
      switch (channel) {
        case "inapp":
          out.push({ address, channel, target: "inapp" });
          break;
        case "email":
          if (prefs?.email) out.push({ address, channel, target: prefs.email });
          break;
        case "sms":
          if (prefs?.phone) out.push({ address, channel, target: prefs.phone });
          break;
        case "webhook":
          for (const w of await this.store.webhooks(address, db))
            out.push({ address, channel, target: w.id });
          break;
        case "push":
          for (const p of await this.store.pushSubscriptions(address, db))
            out.push({ address, channel, target: p.id });
          break;
      }
    }
    return out;
  }

  /** Stores the event and queues its deliveries (once: a second call with the same key adds nothing). */
  async add(db: Database, e: NotifierEvent): Promise<number> {
    const isNew = await this.store.addEvent(db, e);
    if (!isNew) return 0;
    let n = 0;
    for (const a of new Set(e.recipients.map((r) => r.toLowerCase() as Address)))
      n += await this.store.addDeliveries(db, e, await this.targets(db, a, e));
    return n;
  }

  /** The typed hook for services (agents, balance watchers): an event published once per key. */
  async publish(h: HookEvent): Promise<{ key: string; deliveries: number }> {
    const address = h.address.toLowerCase() as Address;
    const vars: Record<string, string> =
      h.type === "agent_action"
        ? { agent: h.agent, action: h.action, detail: h.detail }
        : { free: formatQuote(h.free), threshold: formatQuote(h.threshold) };
    const e: NotifierEvent = {
      key: `hook:${h.type}:${address}:${h.key}`,
      type: h.type,
      recipients: [address],
      vars,
      block: 0n,
      blockHash: null,
      occurredAt: Date.now(),
    };
    const deliveries = await this.store.db.tx((db) => this.add(db, e));
    this.kick();
    return { key: e.key, deliveries };
  }
}
