/**
 * A small process orchestrator for the local stack: services (long-running processes with a
 * readiness check) and tasks (one-shot commands), each with its own log file, stopped together.
 *
 * Every child runs in its own process group, so stopping a service also stops what it spawned
 * (`npm run x` → sh → node). Stop order is the reverse of start order.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export type Readiness =
  /** A JSON-RPC endpoint answers eth_chainId. */
  | { kind: "rpc"; url: string }
  /** An HTTP endpoint answers (any status). */
  | { kind: "http"; url: string }
  /** A line of the service's output matches. */
  | { kind: "log"; pattern: RegExp }
  /** Started is ready. */
  | { kind: "none" };

export interface ServiceSpec {
  name: string;
  /** One line for the summary: what it is. */
  description: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  ready: Readiness;
  readyTimeoutMs?: number;
  /** Failing to start, or exiting later, only warns instead of stopping the stack. */
  optional?: boolean;
  /** Echo output to the console (always written to the service's log file). */
  echo?: boolean;
  /** TCP ports the service listens on; checked free before starting. */
  ports?: number[];
  /** Where to reach it, for the summary (e.g. { rpc: "http://127.0.0.1:8545" }). */
  endpoints?: Record<string, string>;
}

export interface TaskSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  echo?: boolean;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<number | null>;
  ready: boolean;
}

const COLORS = [36, 35, 33, 32, 34, 31];
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

export class Orchestrator {
  readonly logDir: string;
  readonly #running: Running[] = [];
  readonly #tasks = new Set<ChildProcess>();
  readonly #baseEnv: NodeJS.ProcessEnv;
  #stopping = false;
  #color = 0;
  /** Called when a required service exits on its own (the stack should stop). */
  onFatal: (message: string) => void = () => {};

  constructor(opts: { logDir: string; env: NodeJS.ProcessEnv }) {
    this.logDir = opts.logDir;
    this.#baseEnv = opts.env;
    mkdirSync(this.logDir, { recursive: true });
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  get services(): readonly { spec: ServiceSpec; ready: boolean }[] {
    return this.#running;
  }

  #prefix(name: string): (line: string) => string {
    const code = COLORS[this.#color++ % COLORS.length];
    const label = name.padEnd(8);
    return useColor ? (l) => `\x1b[${code}m${label}|\x1b[0m ${l}` : (l) => `${label}| ${l}`;
  }

  #spawn(
    name: string,
    command: string,
    args: string[],
    cwd: string | undefined,
    env: Record<string, string | undefined> | undefined,
    echo: boolean,
    onLine?: (line: string) => void,
  ): { child: ChildProcess; log: WriteStream; tail: string[]; exited: Promise<number | null> } {
    const log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: "w" });
    const child = spawn(command, args, {
      cwd,
      env: { ...this.#baseEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group: Ctrl-C reaches only us; we stop children in order
    });
    const tail: string[] = [];
    const prefix = this.#prefix(name);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        log.write(line + "\n");
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (echo && !this.#stopping) console.log(prefix(line));
        onLine?.(line);
      });
    }
    const exited = new Promise<number | null>((resolve) => {
      child.once("error", (err) => {
        log.write(`spawn error: ${err.message}\n`);
        tail.push(`spawn error: ${err.message}`);
        resolve(127);
      });
      child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null)));
    });
    return { child, log, tail, exited };
  }

  /** Runs a one-shot command to completion; rejects with its last output lines if it fails. */
  async task(spec: TaskSpec): Promise<void> {
    if (this.#stopping) throw new StackError("stopping");
    const { child, log, tail, exited } = this.#spawn(
      spec.name,
      spec.command,
      spec.args,
      spec.cwd,
      spec.env,
      spec.echo ?? false,
    );
    this.#tasks.add(child);
    const code = await exited;
    this.#tasks.delete(child);
    log.end();
    if (this.#stopping) throw new StackError("stopping");
    if (code !== 0) {
      throw new StackError(
        `${spec.name} failed (exit ${code}); last output:\n  ${tail.join("\n  ")}\n` +
          `full log: ${path.join(this.logDir, `${spec.name}.log`)}`,
      );
    }
  }

  /** Starts a service and waits until it is ready. Optional services resolve false on failure. */
  async start(spec: ServiceSpec): Promise<boolean> {
    if (this.#stopping) throw new StackError("stopping");
    for (const port of spec.ports ?? []) {
      if (await portInUse(port)) {
        const msg = `${spec.name}: port ${port} is already in use (another \`npm run dev\`, or set the service's port)`;
        if (spec.optional) {
          console.warn(`! skipping ${msg}`);
          return false;
        }
        throw new StackError(msg);
      }
    }
    let logMatched = false;
    const onLine =
      spec.ready.kind === "log"
        ? (line: string) => {
            if ((spec.ready as { pattern: RegExp }).pattern.test(line)) logMatched = true;
          }
        : undefined;
    const { child, log, tail, exited } = this.#spawn(
      spec.name,
      spec.command,
      spec.args,
      spec.cwd,
      spec.env,
      spec.echo ?? false,
      onLine,
    );
    const running: Running = { spec, child, log, exited, ready: false };
    this.#running.push(running);

    let exitCode: number | null | undefined;
    void exited.then((code) => {
      exitCode = code;
      log.end();
      if (this.#stopping) return;
      const msg = `${spec.name} exited (code ${code}); last output:\n  ${tail.slice(-15).join("\n  ")}`;
      if (running.ready && !spec.optional) this.onFatal(msg);
      else if (running.ready) console.warn(`! ${msg}`);
    });

    const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
    while (!this.#stopping) {
      if (exitCode !== undefined) {
        const msg = `${spec.name} exited before it was ready (code ${exitCode}); last output:\n  ${tail.join("\n  ")}`;
        if (spec.optional) {
          console.warn(`! ${msg}`);
          return false;
        }
        throw new StackError(msg);
      }
      if (logMatched || (await probe(spec.ready))) {
        running.ready = true;
        return true;
      }
      if (Date.now() > deadline) {
        const msg = `${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 60_000) / 1000}s`;
        if (spec.optional) {
          console.warn(`! ${msg}; leaving it running (log: ${path.join(this.logDir, `${spec.name}.log`)})`);
          return false;
        }
        throw new StackError(msg);
      }
      await sleep(200);
    }
    throw new StackError("stopping");
  }

  /** SIGKILL every task and service group at once, synchronously. */
  killAllNow(): void {
    this.#stopping = true;
    for (const child of this.#tasks) killGroup(child, "SIGKILL");
    for (const r of this.#running) killGroup(r.child, "SIGKILL");
  }

  /** Stops tasks and services (reverse start order): SIGTERM to the group, SIGKILL after a grace period. */
  async stop(graceMs = 8_000): Promise<void> {
    this.#stopping = true;
    for (const child of this.#tasks) killGroup(child, "SIGTERM");
    for (const r of [...this.#running].reverse()) {
      if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
      killGroup(r.child, "SIGTERM");
      const done = await Promise.race([r.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        console.warn(`! ${r.spec.name} did not stop within ${graceMs / 1000}s; killing it`);
        killGroup(r.child, "SIGKILL");
        await r.exited;
      }
      // The group may still hold grandchildren that outlived their parent.
      killGroup(r.child, "SIGKILL");
    }
    for (const child of this.#tasks) killGroup(child, "SIGKILL");
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function probe(r: Readiness): Promise<boolean> {
  try {
    switch (r.kind) {
      case "none":
        return true;
      case "log":
        return false;
      case "rpc": {
        const res = await fetch(r.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(1_000),
        });
        const body = (await res.json()) as { result?: string };
        return typeof body.result === "string";
      }
      case "http": {
        const res = await fetch(r.url, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return true;
      }
    }
  } catch {
    return false;
  }
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function portInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(500);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}
