/**
 * Verifies device signatures inline or on a pool of worker threads. Requests made in the same tick
 * are sent to a worker as one message, so the per-message cost of postMessage is amortised.
 */
import { Worker } from "node:worker_threads";
import { DeviceSignatureChecker, type SignatureTask } from "./device-signature.ts";

export interface SignatureVerifier {
  verify(task: SignatureTask): Promise<boolean>;
  close(): Promise<void>;
}

export class InlineSignatureVerifier implements SignatureVerifier {
  readonly #checker = new DeviceSignatureChecker();
  async verify(task: SignatureTask): Promise<boolean> {
    return this.#checker.check(task);
  }
  async close(): Promise<void> {}
}

interface PendingBatch {
  resolves: ((ok: boolean) => void)[];
  rejects: ((err: unknown) => void)[];
}

interface PoolWorker {
  worker: Worker;
  inflight: Map<number, PendingBatch>;
  load: number;
}

export class WorkerPoolSignatureVerifier implements SignatureVerifier {
  readonly #workers: PoolWorker[] = [];
  readonly #maxBatch: number;
  #nextId = 1;
  #queue: SignatureTask[] = [];
  #queueResolves: ((ok: boolean) => void)[] = [];
  #queueRejects: ((err: unknown) => void)[] = [];
  #scheduled = false;

  constructor(size: number, maxBatch = 256) {
    this.#maxBatch = maxBatch;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./verify-worker.ts", import.meta.url));
      const pw: PoolWorker = { worker, inflight: new Map(), load: 0 };
      worker.on("message", (msg: { id: number; results: Uint8Array }) => {
        const batch = pw.inflight.get(msg.id);
        if (!batch) return;
        pw.inflight.delete(msg.id);
        pw.load -= batch.resolves.length;
        batch.resolves.forEach((resolve, i) => resolve(msg.results[i] === 1));
      });
      worker.on("error", (err) => {
        for (const batch of pw.inflight.values()) batch.rejects.forEach((reject) => reject(err));
        pw.inflight.clear();
        pw.load = 0;
      });
      worker.unref();
      this.#workers.push(pw);
    }
  }

  verify(task: SignatureTask): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push(task);
      this.#queueResolves.push(resolve);
      this.#queueRejects.push(reject);
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const tasks = this.#queue;
    const batch: PendingBatch = { resolves: this.#queueResolves, rejects: this.#queueRejects };
    this.#queue = [];
    this.#queueResolves = [];
    this.#queueRejects = [];
    let target = this.#workers[0]!;
    for (const w of this.#workers) if (w.load < target.load) target = w;
    const id = this.#nextId++;
    target.inflight.set(id, batch);
    target.load += tasks.length;
    target.worker.postMessage({ id, tasks });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

export function createSignatureVerifier(workers: number): SignatureVerifier {
  return workers > 0 ? new WorkerPoolSignatureVerifier(workers) : new InlineSignatureVerifier();
}
