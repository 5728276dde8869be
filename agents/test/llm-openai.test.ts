/**
 * The planner with the real ChatOpenAI client (what LLM_BASE_URL / LLM_MODEL configure) against a local
 * OpenAI-compatible /v1/chat/completions that answers with tool calls: the tools reach the endpoint
 * as JSON-schema functions, tool results come back as `tool` messages, and the proposal becomes the
 * plan. An endpoint that never answers is aborted at the planner's deadline.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llmPlanner, modelFromEnv } from "../src/llm/planner.ts";
import type { DecisionInput } from "../src/strategy/types.ts";

const S = 1_800_000_000;
const INPUT: DecisionInput = {
  now: S - 2000,
  slotLength: 900,
  tickSize: 1000,
  minOrderWh: 10,
  tariffs: { retailPerKwh: 300_000, feedInPerKwh: 80_000 },
  meterId: 1,
  markets: [{ marketId: "m1", slotStart: S, opensAt: S - 172800, gateAt: S - 300, bestAskTick: 250 }],
  forecasts: [{ slotStart: S, pvWh: 900, loadWh: 100, netWh: 800, marginWh: 60, sunlit: true }],
  own: [],
  filled: {},
  measuredNet: {},
};

interface ChatRequest {
  model: string;
  messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }[];
  tools?: {
    type: string;
    function: { name: string; parameters: { properties?: Record<string, unknown> } };
  }[];
}

let server: Server;
let base: string;
const requests: ChatRequest[] = [];
let hang = false;

const completion = (message: Record<string, unknown>) => ({
  id: `chatcmpl-${requests.length}`,
  object: "chat.completion",
  created: Math.floor(Date.now() / 1000),
  model: "fake-model",
  choices: [
    { index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: "tool_calls" },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

const call = (id: string, name: string, args: unknown) => ({
  id,
  type: "function",
  function: { name, arguments: JSON.stringify(args) },
});

async function body(req: IncomingMessage): Promise<string> {
  let s = "";
  for await (const c of req) s += c;
  return s;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const r = JSON.parse(await body(req)) as ChatRequest;
    requests.push(r);
    if (hang) return; // never answers
    const tools = r.messages.filter((m) => m.role === "tool");
    const answer =
      tools.length === 0
        ? completion({ tool_calls: [call("c1", "read_forecast", {}), call("c2", "read_balances", {})] })
        : completion({
            tool_calls: [
              call("c3", "propose_plan", {
                orders: [
                  { slotStart: S, side: "sell", pricePerKwh: 240_000, amountWh: 700, reason: "surplus" },
                ],
                summary: "sell",
              }),
            ],
          });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("LLM planner with ChatOpenAI against an OpenAI-compatible endpoint", () => {
  it("sends the tools as functions, returns tool results, and takes the proposed plan", async () => {
    const model = await modelFromEnv({ LLM_BASE_URL: base, LLM_MODEL: "fake-model" });
    expect(model).toBeDefined();
    const reads = {
      book: async () => ({ bids: [], asks: [] }),
      balances: async () => ({ free: 7_000_000, locked: 0, wallet: 0 }),
      orders: async () => [],
    };
    const plan = await llmPlanner({ model: model! })(INPUT, { reads });
    expect(requests).toHaveLength(2);
    expect(requests[0]!.model).toBe("fake-model");
    expect(requests[0]!.tools!.map((t) => t.function.name)).toEqual([
      "read_market_book",
      "read_balances",
      "read_own_orders",
      "read_forecast",
      "propose_plan",
    ]);
    const propose = requests[0]!.tools!.find((t) => t.function.name === "propose_plan")!;
    expect(Object.keys(propose.function.parameters.properties ?? {})).toEqual(
      expect.arrayContaining(["orders", "cancel", "summary"]),
    );
    const toolMsgs = requests[1]!.messages.filter((m) => m.role === "tool");
    expect(toolMsgs.map((m) => m.tool_call_id)).toEqual(["c1", "c2"]);
    expect(JSON.parse(toolMsgs[1]!.content!)).toEqual({ free: 7_000_000, locked: 0, wallet: 0 });
    expect(JSON.parse(toolMsgs[0]!.content!)[0]).toMatchObject({ slotStart: S, netWh: 800 });
    expect(plan.place).toEqual([
      expect.objectContaining({ marketId: "m1", side: "sell", tick: 240, amountWh: 700 }),
    ]);
  });

  it("aborts an endpoint that never answers at the deadline", async () => {
    hang = true;
    const model = await modelFromEnv({ LLM_BASE_URL: base, LLM_MODEL: "fake-model" });
    const started = Date.now();
    await expect(llmPlanner({ model: model!, timeoutMs: 400 })(INPUT, {})).rejects.toThrow(
      /did not answer within 400 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
