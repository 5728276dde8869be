/**
 * The agents service's HTTP API as the dApp calls it (through /api/agents): typed requests whose
 * refusals ({error, message}) become an AgentsError carrying the service's sentence, and the
 * Sign-In with Ethereum token it takes (`Authorization: SIWE <base64url(JSON {message, signature})>`).
 */
import type { Address } from "viem";
import { serviceRequest } from "./service-request";

export class AgentsError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "AgentsError";
    this.status = status;
    this.code = code;
  }
}

export interface AgentStatus {
  agentId: string;
  account: Address;
  communityId: number;
  meterId: number;
  strategy: string;
  planner: "llm" | "strategy";
  cycles: number;
  ordersPlaced: number;
  ordersCancelled: number;
  intentsRefused: number;
  actErrors: number;
  lastNotes: string[];
  lastRefusals: unknown[];
}
export interface PlannedOrder {
  side: "buy" | "sell";
  tick: number;
  amountWh: number | string;
  slotStart: number;
  /** Why the strategy wants it. */
  reason?: string;
}
/** An intent the risk limits refused, with the limit's reason. */
export interface Refusal {
  intent: PlannedOrder;
  reason: string;
}
export interface Recommendation {
  meterId: number;
  communityId: number;
  forecasts: { slotStart: number; pvWh: number; loadWh: number; netWh: number; marginWh: number }[];
  wouldPlace: PlannedOrder[];
  wouldCancel: unknown[];
  refused: Refusal[];
  notes: string[];
}
export interface CommunityAnalysis {
  communityId: number;
  trades: number;
  priceTrend: {
    direction: "rising" | "falling" | "flat" | "unknown";
    slots: { slotStart: number; vwapPerKwh: number; tradedWh: number }[];
  };
  expectedNetWhPerSlot: { slotStart: number; netWh: number; kind: "surplus" | "deficit" }[];
  agents: number;
}
export interface ChatAnswer {
  answer: string;
  source: "llm" | "template";
  facts: string[];
}
export interface CycleResult {
  agentId: string;
  plan?: { place?: PlannedOrder[]; cancel?: unknown[]; notes?: string[] } | null;
  refused: unknown[];
  outcome?: unknown;
  notes?: string[];
}
export interface HistoryEntry {
  agentId: string;
  createdAt?: string;
  chainTime?: number;
  plan?: { source?: string; place?: PlannedOrder[]; cancel?: unknown[]; notes?: string[] } | null;
  refused: unknown[];
  outcome?: unknown;
}

export async function agentsRequest<T>(
  base: string,
  path: string,
  opts: { method?: string; token?: string; body?: unknown } = {},
): Promise<T> {
  const r = await serviceRequest(`${base}${path}`, {
    method: opts.method,
    authorization: opts.token ? `SIWE ${opts.token}` : undefined,
    body: opts.body,
  });
  if (!r)
    throw new AgentsError(0, "unreachable", "the agents service cannot be reached; check your connection");
  if (!r.ok) {
    const o = (r.json ?? {}) as { error?: unknown; message?: unknown };
    const message =
      typeof o.message === "string" && o.message
        ? o.message
        : typeof o.error === "string" && o.error
          ? o.error
          : `the agents service answered ${r.status} ${r.statusText}`.trim();
    throw new AgentsError(r.status, typeof o.error === "string" ? o.error : "http", message);
  }
  return r.json as T;
}

/** The token the agents API takes: the signed message and its signature, base64url JSON. */
export function siweToken(message: string, signature: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ message, signature }));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** USDC per kWh from a tick of 0.001 USDC (the demo community's tick size). */
export const tickPrice = (tick: number) => (tick / 1000).toFixed(3);
export const hhmm = (unix: number) => new Date(unix * 1000).toISOString().slice(11, 16);
