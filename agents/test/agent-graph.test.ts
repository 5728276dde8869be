/**
 * The agent graph on a real local chain: a full cycle places the ramp strategy's orders through the
 * SDK; an agent stopped between decide and act (interruptBefore act, process state dropped) and
 * restarted from its node:sqlite checkpoint sends its plan once; an agent that dies after its
 * transaction but before act's checkpoint is restarted, re-runs act, finds its orders on chain and
 * adopts them — no duplicate order in either case.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPowerShare } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { AgentIO, SharedReads } from "../src/chain/agent-io.ts";
import { NodeSqliteSaver } from "../src/graph/sqlite-checkpointer.ts";
import type { AgentDeps, AgentSettings } from "../src/graph/agent-graph.ts";
import { TradingAgent } from "../src/agent.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { llmPlanner } from "../src/llm/planner.ts";

let stack: TestStack;
let communityId: number;
const meters: Record<number, number> = {};
let dir: string;
const JUNE_NOON = Date.UTC(2027, 5, 9, 9, 50) / 1000;

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
    household: {
      site: { latitude: 52.52, longitude: 13.4 },
      annualKwh: 3500,
      pv: { kWp: 8, performanceRatio: 0.8 },
    },
    clouds: { cloudFactor: () => 1 },
    tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
    windowSlots: 4,
    lookaheadSlots: 8,
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

async function ordersOnChain(i: number): Promise<number> {
  const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  return (await ps.ordersOf(devAccount(i).address)).length;
}

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity({ minOrderWh: 10n });
  for (const i of [1, 2, 3]) meters[i] = await stack.onboard(i, communityId, 100_000_000n, 2);
  await stack.warpTo(JUNE_NOON);
  dir = mkdtempSync(path.join(tmpdir(), "agent-graph-"));
});

afterAll(async () => {
  await stack?.stop();
});

describe("agent graph on a local chain", () => {
  it("stopped between decide and act, restarted from its checkpoint, sends its plan once", async () => {
    const file = path.join(dir, "a.sqlite");
    const saverA = new NodeSqliteSaver(file);
    const a = new TradingAgent(deps(1), saverA, { interruptBefore: ["act"] });
    const s = await a.cycle();
    expect(await a.pending()).toEqual(["act"]);
    const planned = s.verdict!.approved.place.length;
    expect(planned).toBeGreaterThan(0);
    expect(s.verdict!.approved.place.every((p) => p.side === "sell")).toBe(true);
    expect(await ordersOnChain(1)).toBe(0);
    saverA.close(); // the process is gone: nothing of it survives but the sqlite file

    const saverB = new NodeSqliteSaver(file);
    const b = new TradingAgent(deps(1), saverB);
    expect(await b.pending()).toEqual(["act"]);
    const done = await b.cycle(); // resumes act first, then runs a fresh cycle
    expect(await ordersOnChain(1)).toBe(planned);
    expect(done.memory.placed).toBe(planned);
    expect(Object.keys(done.memory.orders)).toHaveLength(planned);
    // the fresh cycle found its orders at the right price and size: nothing sent twice
    await b.cycle();
    expect(await ordersOnChain(1)).toBe(planned);
    expect(await b.pending()).toEqual([]);
    saverB.close();
  });

  it("dies after its transaction but before act's checkpoint, and adopts its orders on restart", async () => {
    const file = path.join(dir, "c.sqlite");
    const saverC = new NodeSqliteSaver(file);
    const c = new TradingAgent(
      deps(2, {
        afterSend: () => {
          throw new Error("killed after send");
        },
      }),
      saverC,
    );
    await expect(c.cycle()).rejects.toThrow(/killed after send/);
    const sent = await ordersOnChain(2);
    expect(sent).toBeGreaterThan(0);
    expect(await c.pending()).toEqual(["act"]);
    saverC.close();

    const saverD = new NodeSqliteSaver(file);
    const d = new TradingAgent(deps(2), saverD);
    const resumed = await d.resume();
    expect(resumed!.outcome).toMatchObject({ ok: true, placed: 0, skippedAsDuplicate: sent });
    expect(Object.keys(resumed!.memory.orders)).toHaveLength(sent);
    expect(await ordersOnChain(2)).toBe(sent);
    await d.cycle();
    expect(await ordersOnChain(2)).toBe(sent);
    saverD.close();
  });

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
