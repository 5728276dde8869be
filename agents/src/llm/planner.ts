/**
 * The optional LLM planner: when LLM_BASE_URL and LLM_MODEL name an OpenAI-compatible endpoint
 * (a local Ollama, say), the decide node asks the model for a plan, with tools.
 *
 * The model is bound to read tools — the market book of an open slot, the agent's balances and its
 * resting orders (live SDK reads through the agent's own client), its forecast per slot — and to
 * `propose_plan`, whose arguments are a typed zod schema. The planner runs a bounded tool-calling
 * loop: each step the model may call read tools (their results go back as tool messages) or propose
 * the plan, which ends the loop. A model that does not call tools may answer the plan as one JSON
 * object in its text (models without tool support). Everything is bounded: steps, tool calls and a
 * deadline for the whole loop (the model's request is aborted). Garbage — prose, a wrong shape, an
 * unknown tool, no plan within the steps — or a timeout throws PlannerError, and the graph falls back
 * to the deterministic strategy. A valid plan still passes the risk node like any other: a model
 * that proposes a price outside the band or more energy than the meter can move gets refused.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { RiskLimits } from "../risk/limits.ts";
import type { DecisionInput, OwnOrder, Plan } from "../strategy/types.ts";

export const LlmPlanSchema = z.object({
  orders: z
    .array(
      z.object({
        slotStart: z.number().int().describe("start of the delivery slot (unix seconds), an open market"),
        side: z.enum(["buy", "sell"]),
        pricePerKwh: z
          .number()
          .int()
          .nonnegative()
          .describe("limit price in quote base units per kWh (190000 = 0.19 USDC)"),
        amountWh: z.number().int().positive().describe("energy in Wh"),
        reason: z.string().max(300).optional(),
      }),
    )
    .max(32),
  cancel: z
    .array(z.string().regex(/^\d+$/))
    .max(64)
    .default([])
    .describe("ids of the agent's resting orders to cancel"),
  summary: z.string().max(500).optional(),
});
export type LlmPlan = z.infer<typeof LlmPlanSchema>;

export class PlannerError extends Error {
  override name = "PlannerError";
}

/** Live reads the tools make through the agent's SDK client. */
export interface PlannerReads {
  book(
    marketId: string,
  ): Promise<{ bids: { pricePerKwh: number; wh: number }[]; asks: { pricePerKwh: number; wh: number }[] }>;
  balances(): Promise<{ free: number; locked: number; wallet: number }>;
  /** The agent's resting orders, as on chain now. */
  orders(): Promise<OwnOrder[]>;
}

/** What the decide node gives a planner besides the decision input. */
export interface PlannerContext {
  reads?: PlannerReads | undefined;
  limits?: RiskLimits | undefined;
}

/** Pulls the first JSON object out of a model's answer (models like to wrap it in prose or fences). */
export function extractJson(text: string): unknown {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) throw new PlannerError("the model's answer holds no JSON object");
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    throw new PlannerError(`the model's JSON does not parse: ${(err as Error).message}`);
  }
}

function stateView(input: DecisionInput, limits?: RiskLimits) {
  return {
    now: input.now,
    meterId: input.meterId,
    tariffs: { retailPerKwh: input.tariffs.retailPerKwh, feedInPerKwh: input.tariffs.feedInPerKwh },
    limits: limits && {
      minPricePerKwh: limits.minPricePerKwh,
      maxPricePerKwh: limits.maxPricePerKwh,
      maxWhPerSlot: limits.maxWhPerSlot,
      maxOrdersPerCycle: limits.maxOrdersPerCycle,
    },
    tickSize: input.tickSize,
    minOrderWh: input.minOrderWh,
    openMarkets: input.markets.map((m) => ({
      slotStart: m.slotStart,
      gateAt: m.gateAt,
      bestBidPerKwh: m.bestBidTick === undefined ? null : m.bestBidTick * input.tickSize,
      bestAskPerKwh: m.bestAskTick === undefined ? null : m.bestAskTick * input.tickSize,
    })),
    battery: input.battery ?? null,
  };
}

function forecastView(input: DecisionInput, fromSlot?: number, count = 8) {
  return input.forecasts
    .filter((f) => fromSlot === undefined || f.slotStart >= fromSlot)
    .slice(0, count)
    .map((f) => ({
      slotStart: f.slotStart,
      pvWh: Math.round(f.pvWh),
      loadWh: Math.round(f.loadWh),
      netWh: Math.round(f.netWh),
      marginWh: Math.round(f.marginWh),
      alreadyFilled: input.filled[String(f.slotStart)] ?? { buyWh: 0, sellWh: 0 },
    }));
}

const ordersView = (own: OwnOrder[], tickSize: number) =>
  own.map((o) => ({
    orderId: o.orderId,
    slotStart: o.slotStart,
    side: o.side,
    pricePerKwh: o.tick * tickSize,
    amountWh: o.amountWh,
    filledWh: o.filledWh,
    remainingWh: o.remainingWh,
  }));

/** The prompt of the plain (tool-less) path: the whole state and the JSON answer format. */
export function promptFor(input: DecisionInput, limits?: RiskLimits): string {
  const view = {
    ...stateView(input, limits),
    forecasts: forecastView(input),
    restingOrders: ordersView(input.own, input.tickSize),
  };
  return [
    ...RULES,
    'Answer with ONE JSON object and nothing else: {"orders":[{"slotStart":int,"side":"buy"|"sell","pricePerKwh":int,"amountWh":int,"reason":string}],"cancel":[orderId strings],"summary":string}.',
    `State: ${JSON.stringify(view)}`,
  ].join("\n");
}

const RULES = [
  "You trade electricity for one household in a local peer-to-peer market with 15-minute delivery slots.",
  "Sell only forecast surplus minus its margin (netWh > 0), buy only forecast deficit (netWh < 0).",
  "Prices are quote base units per kWh (1 USDC = 1000000); stay between the feed-in and the retail tariff and within the limits.",
];

/** Turns a validated model plan into the agent's plan (prices rounded onto the tick grid). */
export function toPlan(p: LlmPlan, input: DecisionInput, notes: string[] = []): Plan {
  const markets = new Map(input.markets.map((m) => [m.slotStart, m]));
  const place: Plan["place"] = [];
  const out = [...notes, ...(p.summary ? [`llm: ${p.summary}`] : [])];
  for (const o of p.orders) {
    const m = markets.get(o.slotStart);
    if (!m) {
      out.push(`llm proposed slot ${o.slotStart}, which is not open: dropped`);
      continue;
    }
    const tick =
      o.side === "sell"
        ? Math.ceil(o.pricePerKwh / input.tickSize)
        : Math.floor(o.pricePerKwh / input.tickSize);
    place.push({
      marketId: m.marketId,
      slotStart: o.slotStart,
      side: o.side,
      tick,
      amountWh: o.amountWh,
      reason: `llm: ${o.reason ?? "no reason given"}`,
    });
  }
  return { cancel: p.cancel, place, notes: out, source: "llm" };
}

export interface LlmPlannerOptions {
  model: BaseChatModel;
  /** Longest wait for the whole planning loop. Default 20 s. */
  timeoutMs?: number;
  /** Most model calls per plan. Default 6. */
  maxSteps?: number;
  /** Most tool calls per plan (read tools and proposals together). Default 16. */
  maxToolCalls?: number;
}

const ToolNames = {
  book: "read_market_book",
  balances: "read_balances",
  orders: "read_own_orders",
  forecast: "read_forecast",
  propose: "propose_plan",
} as const;

/** The tools bound to the model; read tools answer JSON, `propose_plan` is handled by the loop. */
export function plannerTools(input: DecisionInput, reads: PlannerReads | undefined) {
  const bySlot = new Map(input.markets.map((m) => [m.slotStart, m]));
  return [
    tool(
      async ({ slotStart }) => {
        const m = bySlot.get(slotStart);
        if (!m) return { error: `no open market for slot ${slotStart}`, openSlots: [...bySlot.keys()] };
        if (!reads) return { bestBidTick: m.bestBidTick ?? null, bestAskTick: m.bestAskTick ?? null };
        const b = await reads.book(m.marketId);
        return { slotStart, gateAt: m.gateAt, bids: b.bids.slice(0, 8), asks: b.asks.slice(0, 8) };
      },
      {
        name: ToolNames.book,
        description:
          "The order book of one open market: price levels (quote base units per kWh) with the Wh resting at each, best first.",
        schema: z.object({ slotStart: z.number().int().describe("the market's slot start (unix seconds)") }),
      },
    ),
    tool(
      async () => {
        if (!reads) throw new Error("balances are not readable here");
        return reads.balances();
      },
      {
        name: ToolNames.balances,
        description:
          "The agent's balances in quote base units: free (in the market, usable), locked (backing orders, bonds), wallet.",
        schema: z.object({}),
      },
    ),
    tool(async () => ordersView(reads ? await reads.orders() : input.own, input.tickSize), {
      name: ToolNames.orders,
      description: "The agent's resting orders, with what has filled.",
      schema: z.object({}),
    }),
    tool(async ({ fromSlot, count }) => forecastView(input, fromSlot, count ?? 8), {
      name: ToolNames.forecast,
      description:
        "The household's forecast per slot: PV, load, net (positive: surplus to sell) and the margin of error, Wh; what already filled.",
      schema: z.object({
        fromSlot: z.number().int().optional(),
        count: z.number().int().min(1).max(48).optional(),
      }),
    }),
    tool(async () => "received", {
      name: ToolNames.propose,
      description:
        "Propose the plan for this cycle (ends planning). Every order passes the household's hard risk limits before anything is sent.",
      schema: LlmPlanSchema,
    }),
  ];
}

const text = (m: BaseMessage) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content));

/** A planner for the graph's decide node. Throws PlannerError on garbage, a loop without a plan, or timeout. */
export function llmPlanner(
  o: LlmPlannerOptions,
): (input: DecisionInput, ctx?: PlannerContext) => Promise<Plan> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const maxSteps = o.maxSteps ?? 6;
  const maxToolCalls = o.maxToolCalls ?? 16;
  return async (input, ctx = {}) => {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new PlannerError(`the model did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([loop(input, ctx, ac.signal), timeout]);
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  };

  async function loop(input: DecisionInput, ctx: PlannerContext, signal: AbortSignal): Promise<Plan> {
    if (!o.model.bindTools) {
      const answer = await o.model.invoke(
        [
          new SystemMessage("You are a careful energy trading agent."),
          new HumanMessage(promptFor(input, ctx.limits)),
        ],
        { signal },
      );
      return fromText(text(answer), input, []);
    }
    const tools = plannerTools(input, ctx.reads);
    type Invoke = (args: unknown, config: { signal: AbortSignal }) => Promise<unknown>;
    const byName = new Map<string, Invoke>(
      tools.map((t) => [t.name, (args, config) => (t.invoke as Invoke).call(t, args, config)]),
    );
    const bound = o.model.bindTools(tools);
    const messages: BaseMessage[] = [
      new SystemMessage(
        [
          "You are a careful energy trading agent.",
          ...RULES,
          `Read what you need with the tools (${ToolNames.book}, ${ToolNames.balances}, ${ToolNames.orders}, ${ToolNames.forecast}), then call ${ToolNames.propose} once.`,
        ].join("\n"),
      ),
      new HumanMessage(`State: ${JSON.stringify(stateView(input, ctx.limits))}`),
    ];
    const used: string[] = [];
    let calls = 0;
    for (let step = 0; step < maxSteps; step++) {
      if (signal.aborted) throw new PlannerError("planning was aborted");
      const ai = (await bound.invoke(messages, { signal })) as AIMessage;
      messages.push(ai);
      const toolCalls = ai.tool_calls ?? [];
      if (toolCalls.length === 0) return fromText(text(ai), input, used);
      for (const call of toolCalls) {
        if (++calls > maxToolCalls)
          throw new PlannerError(`the model made more than ${maxToolCalls} tool calls without a plan`);
        const id = call.id ?? `call-${step}-${calls}`;
        if (call.name === ToolNames.propose) {
          const parsed = LlmPlanSchema.safeParse(call.args);
          if (parsed.success)
            return toPlan(parsed.data, input, used.length ? [`llm read: ${used.join(", ")}`] : []);
          messages.push(
            new ToolMessage({
              tool_call_id: id,
              status: "error",
              content: `the plan does not fit the schema: ${parsed.error.issues
                .slice(0, 3)
                .map((i) => `${i.path.join(".")}: ${i.message}`)
                .join("; ")}`,
            }),
          );
          continue;
        }
        const run = byName.get(call.name);
        if (!run) {
          messages.push(
            new ToolMessage({ tool_call_id: id, status: "error", content: `no tool named "${call.name}"` }),
          );
          continue;
        }
        used.push(call.name);
        try {
          const out = await run(call.args, { signal });
          messages.push(new ToolMessage({ tool_call_id: id, name: call.name, content: JSON.stringify(out) }));
        } catch (err) {
          messages.push(
            new ToolMessage({
              tool_call_id: id,
              name: call.name,
              status: "error",
              content: `error: ${(err as Error).message}`,
            }),
          );
        }
      }
    }
    throw new PlannerError(`the model proposed no plan within ${maxSteps} steps`);
  }
}

function fromText(answer: string, input: DecisionInput, used: string[]): Plan {
  const parsed = LlmPlanSchema.safeParse(extractJson(answer));
  if (!parsed.success)
    throw new PlannerError(
      `the model's plan does not fit the schema: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  return toPlan(parsed.data, input, used.length ? [`llm read: ${used.join(", ")}`] : []);
}

/** The configured OpenAI-compatible model, or undefined when LLM_BASE_URL / LLM_MODEL are not set. */
export async function modelFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<BaseChatModel | undefined> {
  if (!env.LLM_BASE_URL || !env.LLM_MODEL) return undefined;
  const { ChatOpenAI } = await import("@langchain/openai");
  return new ChatOpenAI({
    model: env.LLM_MODEL,
    apiKey: env.LLM_API_KEY ?? "not-needed",
    configuration: { baseURL: env.LLM_BASE_URL },
    temperature: 0,
    // the planner's own deadline bounds the whole loop; one retry of a failed request is enough
    maxRetries: 1,
  });
}
