/**
 * Feeds the outbox from the chain: logs of blocks at least `confirmations` deep, decoded to events
 * and stored with the cursor in one transaction. A block hash remembered for every processed block
 * notices a reorg deeper than the confirmations: the events of the lost blocks are orphaned, their
 * unsent deliveries cancelled, and the blocks scanned again.
 */
import { parseEventLogs, type Address, type Hex } from "viem";
import type { Logger } from "pino";
import type { SdkContext } from "@powershare/contracts/sdk";
import type { NotifierStore } from "../store/notifier-store.ts";
import type { NotifierEvent } from "../events.ts";
import type { Outbox } from "../outbox.ts";
import type { NotifierMetrics } from "../metrics.ts";
import { EventDecoder, NOTIFIER_ABI, type BlockInfo, type DecodedLog } from "./event-decoder.ts";
import { LowBalanceWatch } from "./low-balance.ts";

const CURSOR = "chain";

export interface ChainSourceOptions {
  confirmations: number;
  /** Most blocks read in one poll. */
  maxRange: bigint;
  pollMs: number;
}

export class ChainSource {
  readonly decoder: EventDecoder;
  private lowBalance: LowBalanceWatch;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  lastError: string | null = null;
  lastPollAt = 0;
  head = 0n;
  confirmedTo = 0n;

  private ctx: SdkContext;
  private store: NotifierStore;
  private outbox: Outbox;
  private log: Logger;
  private metrics: NotifierMetrics;
  private opts: ChainSourceOptions;
  constructor(
    ctx: SdkContext,
    store: NotifierStore,
    outbox: Outbox,
    log: Logger,
    metrics: NotifierMetrics,
    opts: ChainSourceOptions,
  ) {
    this.ctx = ctx;
    this.store = store;
    this.outbox = outbox;
    this.log = log;
    this.metrics = metrics;
    this.opts = opts;

    this.decoder = new EventDecoder(ctx, ctx.addresses.startBlock ?? 0n);
    this.lowBalance = new LowBalanceWatch(ctx, store);
  }

  private get addresses(): Address[] {
    const a = this.ctx.addresses;
    return [a.market, a.settlement, a.governor].filter((x): x is Address => !!x);
  }

  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.pollUntilIdle().catch((err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.metrics.sourceErrors.inc();
        this.log.warn({ err: this.lastError }, "chain poll failed; retrying");
      });
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async pollUntilIdle(): Promise<void> {
    while (!this.stopped && (await this.poll())) {
      /* more confirmed blocks to read */
    }
  }

  /** Reads the next confirmed range; true when there may be more. */
  async poll(): Promise<boolean> {
    const client = this.ctx.publicClient;
    this.lastPollAt = Date.now();
    const head = await client.getBlockNumber({ cacheTime: 0 });
    this.head = head;
    this.metrics.chainHead.set(Number(head));
    const start = this.ctx.addresses.startBlock ?? 0n;
    let cursor = await this.store.cursor(CURSOR);
    if (cursor) {
      const canonical = await client.getBlock({ blockNumber: cursor.block }).catch(() => undefined);
      if (!canonical || canonical.hash !== cursor.hash) {
        cursor = await this.rewind(cursor.block);
      }
    }
    const from = cursor ? cursor.block + 1n : start;
    const confirmed = head - BigInt(this.opts.confirmations);
    this.confirmedTo = cursor?.block ?? start - 1n;
    if (confirmed < from) {
      this.lastError = null;
      return false;
    }
    const to = confirmed - from + 1n > this.opts.maxRange ? from + this.opts.maxRange - 1n : confirmed;
    const raw = await client.getLogs({ address: this.addresses, fromBlock: from, toBlock: to });
    const logs = parseEventLogs({ abi: NOTIFIER_ABI, logs: raw }) as unknown as DecodedLog[];
    const numbers = [...new Set(logs.map((l) => l.blockNumber!))];
    if (!numbers.includes(to)) numbers.push(to);
    const infos = new Map<bigint, BlockInfo>();
    await Promise.all(
      numbers.map(async (n) => {
        const b = await client.getBlock({ blockNumber: n });
        infos.set(n, { hash: b.hash!, timestamp: Number(b.timestamp) });
      }),
    );
    for (const l of logs)
      if (infos.get(l.blockNumber!)!.hash !== l.blockHash)
        throw new Error(`block ${l.blockNumber} changed while it was read (reorg in progress)`);

    const events: NotifierEvent[] = [];
    for (const n of numbers.sort((a, b) => (a < b ? -1 : 1))) {
      const blockLogs = logs.filter((l) => l.blockNumber === n);
      if (blockLogs.length === 0) continue;
      events.push(...(await this.decoder.decodeBlock(n, infos.get(n)!, blockLogs)));
      events.push(...(await this.lowBalance.check(n, infos.get(n)!, blockLogs)));
    }
    const toHash = infos.get(to)!.hash;
    const added = await this.store.db.tx(async (db) => {
      let queued = 0;
      for (const e of events) queued += await this.outbox.add(db, e);
      await this.store.setCursor(db, CURSOR, to, toHash);
      await this.store.rememberBlocks(
        db,
        [...infos.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([number, i]) => ({ number, hash: i.hash as string })),
      );
      return queued;
    });
    for (const e of events) this.metrics.events.inc({ type: e.type });
    this.confirmedTo = to;
    this.metrics.confirmedBlock.set(Number(to));
    this.lastError = null;
    if (events.length)
      this.log.debug({ from, to, events: events.length, deliveries: added }, "confirmed blocks read");
    this.outbox.kick();
    return to < confirmed;
  }

  /** Finds the newest remembered block still on the chain and orphans what came after it. */
  private async rewind(lost: bigint): Promise<{ block: bigint; hash: string } | undefined> {
    const client = this.ctx.publicClient;
    const seen = await this.store.seenBlocksFrom(0n);
    let ancestor: { block: bigint; hash: string } | undefined;
    for (const b of seen) {
      if (b.number >= lost + 1n) continue;
      const c = await client.getBlock({ blockNumber: b.number }).catch(() => undefined);
      if (c && c.hash === b.hash) {
        ancestor = { block: b.number, hash: b.hash };
        break;
      }
    }
    const keepTo = ancestor?.block ?? (this.ctx.addresses.startBlock ?? 1n) - 1n;
    const cancelled = await this.store.orphanAfter(keepTo);
    await this.store.db.tx(async (db) => {
      if (ancestor) await this.store.setCursor(db, CURSOR, ancestor.block, ancestor.hash);
      else await db.run("DELETE FROM cursors WHERE name = ?", [CURSOR]);
    });
    this.decoder.facts.marketOrders.clear();
    this.decoder.facts.members.clear();
    this.decoder.facts.takers.clear();
    this.metrics.reorgs.inc();
    this.log.warn(
      { lostFrom: String(keepTo + 1n), cancelled },
      "reorg deeper than the confirmations: re-reading the chain",
    );
    return ancestor;
  }

  health(): {
    head: string;
    confirmedTo: string;
    lagBlocks: number;
    lastError: string | null;
    lastPollAt: number;
  } {
    return {
      head: this.head.toString(),
      confirmedTo: this.confirmedTo.toString(),
      lagBlocks: Math.max(0, Number(this.head - this.confirmedTo) - this.opts.confirmations),
      lastError: this.lastError,
      lastPollAt: this.lastPollAt,
    };
  }
}

export type { Hex };
