/**
 * The agent graph on a real local chain: a full cycle places the ramp strategy's orders through the
 * SDK; an agent stopped between decide and act (interruptBefore act, its checkpointer closed) and
 * restarted from its checkpoint sends its plan once; an agent that dies after its transaction but
 * before act's checkpoint is restarted, re-runs act, finds its orders on chain and adopts them — no
 * duplicate order in either case. Both on node:sqlite and, when DATABASE_URL is set, on PostgreSQL
 * (a schema unique to this run, dropped afterwards).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPowerShare } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { AgentIO, SharedReads } from "../src/chain/agent-io.ts";
import pg from "pg";
import { NodeSqliteSaver } from "../src/graph/sqlite-checkpointer.ts";
import { openCheckpointer, type OpenCheckpointer } from "../src/graph/checkpointer.ts";
import type { AgentDeps, AgentSettings } from "../src/graph/agent-graph.ts";
import { TradingAgent } from "../src/agent.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { llmPlanner } from "../src/llm/planner.ts";
import { TEST_HOUSEHOLD } from "./support/agent-setup.ts";

let stack: TestStack;
let communityId: number;
const meters: Record<number, number> = {};
let dir: string;
const JUNE_NOON = Date.UTC(2027, 5, 9, 9, 50) / 1000;
const DATABASE_URL = process.env.DATABASE_URL;
const SCHEMA = `agents_graph_test_${process.pid}_${Date.now().toString(36)}`;

/** Each backend with the two dev accounts its tests trade from. */
const backends: {
  name: string;
  accounts: [number, number];
  open: (file: string) => Promise<OpenCheckpointer>;
}[] = [
  {
    name: "node:sqlite",
    accounts: [1, 2],
    open: (file) => openCheckpointer({ sqlitePath: path.join(dir, `${file}.sqlite`) }),
  },
  ...(DATABASE_URL
    ? [
        {
          name: "postgres",
          accounts: [4, 5] as [number, number],
          open: () => openCheckpointer({ databaseUrl: DATABASE_URL, schema: SCHEMA }),
        },
      ]
    : []),
];

function deps(i: number, extra: Partial<AgentDeps> = {}): AgentDeps {
  const ps = createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });
  const settings: AgentSettings = {
    agentId: `agent-${i}`,
    communityId,
    meterId: meters[i]!,
    ...TEST_HOUSEHOLD,
    limits: {
      minPricePerKwh: 80_000,
      maxPricePerKwh: 300_000,
      maxExposurePerSlot: 10_000_000,
      minFreeBalance: 1_000_000,
      maxOrdersPerCycle: 8,
      maxWhPerSlot: 2_500,
    },
  };
  return {
    io: new AgentIO(ps, devAccount(i).address, new SharedReads(ps)),
    strategy: new RampStrategy(),
    settings,
    ...extra,
  };
}

/**
 * The account's resting orders on chain. A later cycle may re-price (cancel and replace) as the ramp
 * moves with the chain's clock, which keeps the count; a duplicate adds a second resting order to a
 * market and side, which this refuses outright.
 */
async function ordersOnChain(i: number): Promise<number> {
  const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  const resting = (await ps.ordersOf(devAccount(i).address)).filter((o) => o.remainingWh > 0n);
  const keys = resting.map((o) => `${o.marketId}:${o.isBid ? "buy" : "sell"}`);
  if (new Set(keys).size !== keys.length)
    throw new Error(`account ${i} has two resting orders in one market and side: ${keys.join(", ")}`);
  return resting.length;
}

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity({ minOrderWh: 10n });
  for (const i of [1, 2, 3, ...(DATABASE_URL ? [4, 5] : [])])
    meters[i] = await stack.onboard(i, communityId, 100_000_000n, 2);
  await stack.warpTo(JUNE_NOON);
  dir = mkdtempSync(path.join(tmpdir(), "agent-graph-"));
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

describe.each(backends)("agent graph on a local chain, checkpoints on $name", ({ accounts, open }) => {
  const [A, B] = accounts;

  it("stopped between decide and act, restarted from its checkpoint, sends its plan once", async () => {
    const first = await open("a");
    const a = new TradingAgent(deps(A), first.saver, { interruptBefore: ["act"] });
    const s = await a.cycle();
    expect(await a.pending()).toEqual(["act"]);
    const planned = s.verdict!.approved.place.length;
    expect(planned).toBeGreaterThan(0);
    expect(s.verdict!.approved.place.every((p) => p.side === "sell")).toBe(true);
    expect(await ordersOnChain(A)).toBe(0);
    await first.close(); // the process is gone: nothing of it survives but the store

    const second = await open("a");
    const b = new TradingAgent(deps(A), second.saver);
    expect(await b.pending()).toEqual(["act"]);
    const done = await b.cycle(); // resumes act first, then runs a fresh cycle
    expect(await ordersOnChain(A)).toBe(planned);
    // the fresh cycle may re-price (cancel and replace) as the ramp moves with the clock: net of
    // cancellations the agent placed its plan once
    expect(done.memory.placed - done.memory.cancelled).toBe(planned);
    expect(Object.keys(done.memory.orders)).toHaveLength(done.memory.placed);
    // the fresh cycle found its orders at the right price and size: nothing sent twice
    await b.cycle();
    expect(await ordersOnChain(A)).toBe(planned);
    expect(await b.pending()).toEqual([]);
    await second.close();
  });

  it("dies after its transaction but before act's checkpoint, and adopts its orders on restart", async () => {
    const first = await open("c");
    const c = new TradingAgent(
      deps(B, {
        afterSend: () => {
          throw new Error("killed after send");
        },
      }),
      first.saver,
    );
    await expect(c.cycle()).rejects.toThrow(/killed after send/);
    const sent = await ordersOnChain(B);
    expect(sent).toBeGreaterThan(0);
    expect(await c.pending()).toEqual(["act"]);
    await first.close();

    const second = await open("c");
    const d = new TradingAgent(deps(B), second.saver);
    const resumed = await d.resume();
    expect(resumed!.outcome).toMatchObject({ ok: true, placed: 0, skippedAsDuplicate: sent });
    expect(Object.keys(resumed!.memory.orders)).toHaveLength(sent);
    expect(await ordersOnChain(B)).toBe(sent);
    await d.cycle();
    expect(await ordersOnChain(B)).toBe(sent);
    await second.close();
  });
});

describe("agent graph with an LLM planner", () => {
  it("an LLM planner's garbage falls back to the strategy; its out-of-limit plan is refused and nothing is sent", async () => {
    const saver = new NodeSqliteSaver(path.join(dir, "llm.sqlite"));
    const garbage = new TradingAgent(
      deps(3, {
        planner: llmPlanner({ model: new FakeListChatModel({ responses: ["sell everything now!"] }) }),
      }),
      saver,
      { interruptBefore: ["act"] },
    );
    const g = await garbage.cycle();
    expect(g.plan!.source).toBe("ramp");
    expect(g.plan!.notes.join()).toMatch(/planner failed/);
    await saver.deleteThread("agent-3");
    const wild = JSON.stringify({
      orders: [
        {
          slotStart: g.observation!.markets[0]!.slotStart,
          side: "sell",
          pricePerKwh: 9_000_000,
          amountWh: 999_999,
        },
      ],
    });
    const bold = new TradingAgent(
      deps(3, { planner: llmPlanner({ model: new FakeListChatModel({ responses: [wild] }) }) }),
      saver,
    );
    const b = await bold.cycle();
    expect(b.plan!.source).toBe("llm");
    expect(b.verdict!.approved.place).toEqual([]);
    expect(b.verdict!.refused).toHaveLength(1);
    expect(b.outcome).toBeNull();
    expect(await ordersOnChain(3)).toBe(0);
    saver.close();
  });
});
