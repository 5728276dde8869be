/**
 * A real kill: an agent runs in a child process and is SIGKILLed (1) in act before its transaction is
 * sent — after decide and risk were checkpointed — and (2) after its transaction was mined but before
 * act's checkpoint. A new agent on the same checkpoint store (node:sqlite; PostgreSQL too when
 * DATABASE_URL is set) resumes the thread: in (1) it sends the plan once, in (2) it finds the orders
 * on chain and adopts them. Either way no order is on chain twice, and a further cycle adds none.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPowerShare } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { TradingAgent } from "../src/agent.ts";
import { openCheckpointer, type OpenCheckpointer } from "../src/graph/checkpointer.ts";
import { agentDeps, encodeSetup, type AgentSetup } from "./support/agent-setup.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const SCHEMA = `agents_kill_test_${process.pid}_${Date.now().toString(36)}`;
const CHILD = path.join(import.meta.dirname, "support", "agent-child.ts");
const dir = mkdtempSync(path.join(tmpdir(), "agent-kill-"));
let stack: TestStack;
let communityId: number;
const meters: Record<number, number> = {};

const backends: {
  name: string;
  accounts: [number, number];
  store: (f: string) => string;
  open: (f: string) => Promise<OpenCheckpointer>;
}[] = [
  {
    name: "node:sqlite",
    accounts: [11, 12],
    store: (f) => `sqlite:${path.join(dir, `${f}.sqlite`)}`,
    open: (f) => openCheckpointer({ sqlitePath: path.join(dir, `${f}.sqlite`) }),
  },
  ...(DATABASE_URL
    ? [
        {
          name: "postgres",
          accounts: [13, 14] as [number, number],
          store: () => `postgres:${SCHEMA}`,
          open: () => openCheckpointer({ databaseUrl: DATABASE_URL, schema: SCHEMA }),
        },
      ]
    : []),
];

const setup = (account: number): AgentSetup => ({
  rpcUrl: stack.url,
  addresses: stack.addresses,
  account,
  communityId,
  meterId: meters[account]!,
});

/** Resting orders of the account; two in one market and side would be a duplicate. */
async function resting(i: number): Promise<number> {
  const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  const r = (await ps.ordersOf(devAccount(i).address)).filter((o) => o.remainingWh > 0n);
  const keys = r.map((o) => `${o.marketId}:${o.isBid}`);
  if (new Set(keys).size !== keys.length) throw new Error(`duplicate resting orders: ${keys.join(", ")}`);
  return r.length;
}

/** Runs the child until it prints `marker`, then SIGKILLs it; returns the number after the marker. */
function runAndKill(s: AgentSetup, store: string, hang: string, marker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, AGENT_SETUP: encodeSetup(s), AGENT_STORE: store, AGENT_HANG: hang },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let n: number | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = new RegExp(`^${marker} (\\d+)$`, "m").exec(out);
      if (m && n === undefined) {
        n = Number(m[1]);
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (n !== undefined && signal === "SIGKILL") resolve(n);
      else reject(new Error(`the child ended (${code ?? signal}) before ${marker}: ${out}\n${err}`));
    });
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity({ minOrderWh: 10n });
  for (const b of backends)
    for (const i of b.accounts) meters[i] = await stack.onboard(i, communityId, 100_000_000n, 2);
  await stack.warpTo(Date.UTC(2027, 5, 9, 9, 50) / 1000);
});

afterAll(async () => {
  await stack?.stop();
  if (DATABASE_URL) {
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await c.end();
  }
});

describe.each(backends)("an agent process SIGKILLed mid-cycle, checkpoints on $name", (b) => {
  const [A, B] = b.accounts;

  it("killed after decide, in act before sending: the restarted agent sends its plan once", async () => {
    const planned = await runAndKill(setup(A), b.store("a"), "before-send", "ACT");
    expect(planned).toBeGreaterThan(0);
    expect(await resting(A)).toBe(0);
    const c = await b.open("a");
    try {
      const agent = new TradingAgent(agentDeps(setup(A)), c.saver);
      expect(await agent.pending()).toEqual(["act"]);
      const resumed = await agent.resume();
      expect(resumed!.outcome).toMatchObject({ ok: true, placed: planned, skippedAsDuplicate: 0 });
      expect(await resting(A)).toBe(planned);
      await agent.cycle();
      expect(await resting(A)).toBe(planned);
    } finally {
      await c.close();
    }
  });

  it("killed after its transaction was mined, before act's checkpoint: the restarted agent adopts its orders", async () => {
    const sent = await runAndKill(setup(B), b.store("b"), "after-send", "SENT");
    expect(sent).toBeGreaterThan(0);
    expect(await resting(B)).toBe(sent);
    const c = await b.open("b");
    try {
      const agent = new TradingAgent(agentDeps(setup(B)), c.saver);
      expect(await agent.pending()).toEqual(["act"]);
      const resumed = await agent.resume();
      expect(resumed!.outcome).toMatchObject({ ok: true, placed: 0, skippedAsDuplicate: sent });
      expect(await resting(B)).toBe(sent);
      await agent.cycle();
      expect(await resting(B)).toBe(sent);
    } finally {
      await c.close();
    }
  });
});
