/**
 * The optional LLM planner: when LLM_BASE_URL and LLM_MODEL name an OpenAI-compatible endpoint
 * (a local Ollama, say), the decide node asks the model for a plan. The model gets what the agent
 * observed (the SDK reads: open markets with best prices, its forecasts, its resting orders, tariffs,
 * limits) and must answer one JSON object in the schema below. The answer is parsed and validated
 * with zod; anything else — prose, a wrong shape, a timeout — throws, and the graph falls back to the
 * deterministic strategy. A valid plan still passes the risk node like any other: a model that
 * proposes a price outside the band or more energy than the meter can move gets refused.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { DecisionInput, Plan } from "../strategy/types.ts";

export const LlmPlanSchema = z.object({
  orders: z
    .array(
      z.object({
        slotStart: z.number().int(),
        side: z.enum(["buy", "sell"]),
        /** Limit price in quote base units per kWh (e.g. 190000 = 0.19 USDC). */
        pricePerKwh: z.number().int().nonnegative(),
        amountWh: z.number().int().positive(),
        reason: z.string().max(300).optional(),
      }),
    )
    .max(32),
  cancel: z.array(z.string().regex(/^\d+$/)).max(64).default([]),
  summary: z.string().max(500).optional(),
});
export type LlmPlan = z.infer<typeof LlmPlanSchema>;

export class PlannerError extends Error {
  override name = "PlannerError";
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

export function promptFor(input: DecisionInput): string {
  const view = {
    now: input.now,
    tariffs: { retailPerKwh: input.tariffs.retailPerKwh, feedInPerKwh: input.tariffs.feedInPerKwh },
    tickSize: input.tickSize,
    minOrderWh: input.minOrderWh,
    openMarkets: input.markets.map((m) => ({
      slotStart: m.slotStart,
      gateAt: m.gateAt,
      bestBidPerKwh: m.bestBidTick === undefined ? null : m.bestBidTick * input.tickSize,
      bestAskPerKwh: m.bestAskTick === undefined ? null : m.bestAskTick * input.tickSize,
    })),
    forecasts: input.forecasts.slice(0, 8).map((f) => ({
      slotStart: f.slotStart,
      netWh: Math.round(f.netWh),
      marginWh: Math.round(f.marginWh),
    })),
    restingOrders: input.own.map((o) => ({
      orderId: o.orderId,
      slotStart: o.slotStart,
      side: o.side,
      tick: o.tick,
      remainingWh: o.remainingWh,
    })),
    filled: input.filled,
    battery: input.battery ?? null,
  };
  return [
    "You trade electricity for one household in a local peer-to-peer market with 15-minute delivery slots.",
    "Sell only forecast surplus minus its margin (netWh > 0), buy only forecast deficit (netWh < 0).",
    "Prices are quote base units per kWh (1 USDC = 1000000); stay between the feed-in and the retail tariff.",
    'Answer with ONE JSON object and nothing else: {"orders":[{"slotStart":int,"side":"buy"|"sell","pricePerKwh":int,"amountWh":int,"reason":string}],"cancel":[orderId strings],"summary":string}.',
    `State: ${JSON.stringify(view)}`,
  ].join("\n");
}

/** Turns a validated model plan into the agent's plan (prices rounded onto the tick grid). */
export function toPlan(p: LlmPlan, input: DecisionInput): Plan {
  const markets = new Map(input.markets.map((m) => [m.slotStart, m]));
  const place: Plan["place"] = [];
  const notes: string[] = p.summary ? [`llm: ${p.summary}`] : [];
  for (const o of p.orders) {
    const m = markets.get(o.slotStart);
    if (!m) {
      notes.push(`llm proposed slot ${o.slotStart}, which is not open: dropped`);
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
  return { cancel: p.cancel, place, notes, source: "llm" };
}

export interface LlmPlannerOptions {
  model: BaseChatModel;
  /** Longest wait for an answer. Default 20 s. */
  timeoutMs?: number;
}

/** A planner for the graph's decide node. Throws PlannerError on garbage or timeout. */
export function llmPlanner(o: LlmPlannerOptions): (input: DecisionInput) => Promise<Plan> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  return async (input) => {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new PlannerError(`the model did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const answer = await Promise.race([
        o.model.invoke(
          [new SystemMessage("You are a careful energy trading agent."), new HumanMessage(promptFor(input))],
          {
            signal: ac.signal,
          },
        ),
        timeout,
      ]);
      const text = typeof answer.content === "string" ? answer.content : JSON.stringify(answer.content);
      const parsed = LlmPlanSchema.safeParse(extractJson(text));
      if (!parsed.success)
        throw new PlannerError(
          `the model's plan does not fit the schema: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        );
      return toPlan(parsed.data, input);
    } finally {
      clearTimeout(timer);
    }
  };
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
  });
}
