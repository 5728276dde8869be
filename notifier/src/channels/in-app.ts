/**
 * In-app notifications: stored per address (the dApp lists them) and pushed live to every open
 * Server-Sent Events stream of that address.
 */
import type { ServerResponse } from "node:http";
import type { Address } from "viem";
import type { ChannelSender, Message, SendResult } from "./channel.ts";
import type { NotifierStore } from "../store/notifier-store.ts";

export class InAppSender implements ChannelSender {
  readonly channel = "inapp" as const;
  private streams = new Map<Address, Set<ServerResponse>>();

  private store: NotifierStore;
  constructor(store: NotifierStore) {
    this.store = store;
  }

  get clients(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.size;
    return n;
  }

  /** Keeps `res` open as an SSE stream of `address`'s notifications. */
  attach(address: Address, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": connected\n\n");
    const set = this.streams.get(address) ?? new Set();
    set.add(res);
    this.streams.set(address, set);
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    res.on("close", () => {
      clearInterval(ping);
      set.delete(res);
      if (set.size === 0) this.streams.delete(address);
    });
  }

  async send(m: Message): Promise<SendResult> {
    const createdAt = await this.store.addInApp({
      id: m.delivery.id,
      address: m.delivery.address,
      eventKey: m.event.key,
      eventType: m.event.type,
      title: m.rendered.subject,
      body: m.rendered.text,
    });
    const data = JSON.stringify({
      id: m.delivery.id,
      type: m.event.type,
      event: m.event.key,
      title: m.rendered.subject,
      body: m.rendered.text,
      createdAt,
    });
    for (const res of this.streams.get(m.delivery.address) ?? [])
      res.write(`id: ${m.delivery.id}\nevent: notification\ndata: ${data}\n\n`);
    return { ok: true };
  }

  async close(): Promise<void> {
    for (const set of this.streams.values()) for (const res of set) res.end();
    this.streams.clear();
  }
}
