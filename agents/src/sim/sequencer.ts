/**
 * Makes a simulated tick deterministic: every agent observes and decides on the same chain state, and
 * their transactions are mined in one block in an order fixed by the seed — not in the order they
 * happen to reach the node.
 *
 * Each agent's wallet sends through `transport(key)`: its `eth_sendRawTransaction` is held (the
 * agent waits in `sendTransaction`, as it would for a slow node). When every agent of the tick has
 * either finished its cycle or is held, the held transactions are sent to the node in the tick's
 * order with automine off and mined together, then each agent gets its answer (the hash, or the
 * node's refusal) and finds its receipt. An agent that acts again within the tick (a retry after a
 * revert) is held for the next round, which goes the same way. Nothing is mined during a tick
 * except these rounds, so every read an agent makes (its observation, act's checks and the SDK's
 * simulation) sees the state at the start of the tick or of its round.
 *
 * The order is a permutation of the agents per tick from `orderSeed` (a fixed household order would
 * always let the same household trade first).
 */
import type { EIP1193RequestFn, Hash, Hex, Transport } from "viem";
import { Random } from "../model/random.ts";

type Rpc = (method: string, params: unknown[]) => Promise<unknown>;

interface Held {
  key: number;
  raw: Hex;
  resolve: (hash: Hash) => void;
  reject: (err: unknown) => void;
}

export interface SequencerStats {
  ticks: number;
  rounds: number;
  blocks: number;
  transactions: number;
}

export class ActSequencer {
  readonly #rpc: Rpc;
  readonly #orderSeed: number;
  #tick: { index: number; keys: number[]; done: Set<number>; held: Map<number, Held> } | undefined;
  #releasing = false;
  #failure: unknown;
  readonly stats: SequencerStats = { ticks: 0, rounds: 0, blocks: 0, transactions: 0 };

  /** `rpc` reaches the node directly (not through a held transport). */
  constructor(rpc: Rpc, orderSeed: number) {
    this.#rpc = rpc;
    this.#orderSeed = orderSeed;
  }

  /** The order of `keys` in tick `index` (a seeded permutation). */
  order(index: number, keys: readonly number[]): number[] {
    const rng = new Random(this.#orderSeed).fork(0x5e9 + index);
    const out = [...keys].sort((a, b) => a - b);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /**
   * Runs one tick: `cycles` (key → the agent's cycle) all at once, their transactions held and
   * mined in the tick's order. Resolves when every cycle has finished.
   */
  async tick<T>(index: number, cycles: ReadonlyMap<number, () => Promise<T>>): Promise<T[]> {
    if (this.#tick) throw new Error("ActSequencer: ticks do not overlap");
    const keys = [...cycles.keys()];
    this.#tick = { index, keys: this.order(index, keys), done: new Set(), held: new Map() };
    this.#failure = undefined;
    this.stats.ticks += 1;
    try {
      const results = await Promise.all(
        [...cycles.entries()].map(([key, run]) =>
          run().finally(() => {
            this.#tick!.done.add(key);
            this.#maybeRelease();
          }),
        ),
      );
      if (this.#failure) throw this.#failure;
      return results;
    } finally {
      this.#tick = undefined;
    }
  }

  /** A transport for agent `key`'s wallet: everything goes to `base` except its sends, which are held. */
  transport(key: number, base: Transport): Transport {
    return (args) => {
      const t = base(args);
      const request = (async ({ method, params }: { method: string; params?: unknown }) => {
        if (method !== "eth_sendRawTransaction" || !this.#tick) return t.request({ method, params } as never);
        const raw = (params as [Hex])[0];
        return new Promise<Hash>((resolve, reject) => {
          const tick = this.#tick!;
          if (tick.held.has(key)) return reject(new Error(`agent ${key} sent twice in one round`));
          tick.held.set(key, { key, raw, resolve, reject });
          this.#maybeRelease();
        });
      }) as EIP1193RequestFn;
      return { ...t, request };
    };
  }

  #maybeRelease(): void {
    const tick = this.#tick;
    if (!tick || this.#releasing || tick.held.size === 0) return;
    if (tick.held.size + tick.done.size < tick.keys.length) return;
    this.#releasing = true;
    const round = tick.keys.map((k) => tick.held.get(k)).filter((h): h is Held => h !== undefined);
    tick.held = new Map();
    void this.#release(round).finally(() => {
      this.#releasing = false;
      this.#maybeRelease();
    });
  }

  /** Sends `round` in order with automine off, mines until all are in, then answers each agent. */
  async #release(round: Held[]): Promise<void> {
    this.stats.rounds += 1;
    const answers: { h: Held; hash?: Hash; err?: unknown }[] = [];
    try {
      await this.#rpc("evm_setAutomine", [false]);
      try {
        for (const h of round) {
          try {
            answers.push({ h, hash: (await this.#rpc("eth_sendRawTransaction", [h.raw])) as Hash });
          } catch (err) {
            answers.push({ h, err });
          }
        }
        const hashes = answers.flatMap((a) => (a.hash ? [a.hash] : []));
        const found: { hash: Hash; block: bigint; index: number }[] = [];
        for (let mined = 0; found.length < hashes.length; mined++) {
          if (mined === 8)
            throw new Error(`${hashes.length - found.length} transactions not mined after 8 blocks`);
          await this.#rpc("evm_mine", []);
          this.stats.blocks += 1;
          const missing = hashes.filter((x) => !found.some((f) => f.hash === x));
          const receipts = await Promise.all(
            missing.map((x) => this.#rpc("eth_getTransactionReceipt", [x]) as Promise<ReceiptLite | null>),
          );
          receipts.forEach((r, i) => {
            if (r)
              found.push({
                hash: missing[i]!,
                block: BigInt(r.blockNumber),
                index: Number(r.transactionIndex),
              });
          });
        }
        // the node mined them in the order they were sent (else the run would not be deterministic)
        const pos = (x: Hash) => {
          const f = found.find((y) => y.hash === x)!;
          return [f.block, f.index] as const;
        };
        for (let i = 1; i < hashes.length; i++) {
          const [b0, i0] = pos(hashes[i - 1]!);
          const [b1, i1] = pos(hashes[i]!);
          if (b1 < b0 || (b1 === b0 && i1 <= i0))
            throw new Error(
              `the node reordered the tick's transactions (${hashes[i]} before ${hashes[i - 1]})`,
            );
        }
        this.stats.transactions += hashes.length;
      } finally {
        await this.#rpc("evm_setAutomine", [true]);
      }
    } catch (err) {
      this.#failure ??= err;
      for (const a of answers) if (a.hash) a.err = err;
      for (const h of round) if (!answers.some((a) => a.h === h)) answers.push({ h, err });
    }
    for (const a of answers) {
      if (a.hash && a.err === undefined) a.h.resolve(a.hash);
      else a.h.reject(a.err);
    }
  }
}

interface ReceiptLite {
  blockNumber: Hex;
  transactionIndex: Hex;
}
