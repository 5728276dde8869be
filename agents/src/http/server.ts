/**
 * The agents HTTP API.
 *
 *   GET  /health                                        200 {ok, agents, lastCycleAt} / 503 when cycles stopped
 *   GET  /metrics                                       prom-client text
 *   GET  /agents/status                                 every agent: counters, pending node, last notes/refusals
 *   GET  /agents/energy-trading/recommendations/:address   what an agent would do for that account's meters (dry run, reasons)
 *   POST /agents/energy-trading/process                 SIWE; run one cycle of the signed-in account's agents now
 *   GET  /agents/market-analysis[?communityId=1]        per community: price trend, expected surplus/deficit per slot
 *   POST /agents/auth/nonce                             a SIWE nonce and the domain to sign for
 *   POST /agents/session-history                        SIWE; body {limit?: 1..100}: the account's agents' past cycles
 *   POST /agents/assistant/chat                         body {message, address?}: an answer from market data (LLM when configured)
 *
 * Errors are JSON {error, message} with 400 (bad input), 401 (no or bad SIWE), 403 (not your agent),
 * 404 (unknown route or address), 413 (body too large), 500.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { NotFoundError, type AgentService } from "../service.ts";
import { AuthError, type SiweAuth } from "./siwe-auth.ts";

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const MAX_BODY = 16 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY)
      throw new HttpError(413, "body_too_large", `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "malformed_json", "the body is not valid JSON");
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new HttpError(400, "invalid_body", `${i.path.join(".") || "body"}: ${i.message}`);
  }
  return r.data;
}

const HistoryBody = z.object({ limit: z.number().int().min(1).max(100).default(20) }).strict();
const ProcessBody = z.object({ meterId: z.number().int().positive().optional() }).strict();
const ChatBody = z
  .object({
    message: z.string().trim().min(1).max(2_000),
    address: z
      .string()
      .refine((a) => isAddress(a), "not an address")
      .optional(),
  })
  .strict();

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

export interface AgentsApiOptions {
  service: AgentService;
  auth: SiweAuth;
  model?: BaseChatModel | undefined;
  /** Unhealthy when no cycle completed for this long. */
  staleAfterMs?: number;
}

export function createAgentsApi(o: AgentsApiOptions): Server {
  const { service, auth } = o;
  const staleAfterMs = o.staleAfterMs ?? 10 * 60_000;

  const signedIn = (req: IncomingMessage) => auth.verify(req.headers.authorization);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://agents.local");
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "") || "/"}`;
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(type === "application/json" ? json(body) : String(body));
    };
    const rec = /^GET \/agents\/energy-trading\/recommendations\/([^/]+)$/.exec(route);
    if (rec) {
      const a = decodeURIComponent(rec[1]!);
      if (!isAddress(a)) throw new HttpError(400, "invalid_address", `"${a}" is not an Ethereum address`);
      return send(200, {
        address: getAddress(a),
        recommendations: await service.recommendations(getAddress(a)),
      });
    }
    switch (route) {
      case "GET /health": {
        const fresh = service.lastCycleAt > 0 && Date.now() - service.lastCycleAt < staleAfterMs;
        return send(fresh || service.lastCycleAt === 0 ? 200 : 503, {
          ok: fresh || service.lastCycleAt === 0,
          agents: service.agents.length,
          lastCycleAt: service.lastCycleAt ? new Date(service.lastCycleAt).toISOString() : null,
        });
      }
      case "GET /metrics":
        return send(200, await service.registry.metrics(), service.registry.contentType);
      case "GET /agents/status":
        return send(200, { agents: await service.status() });
      case "GET /agents/market-analysis": {
        const raw = url.searchParams.get("communityId");
        let cid: number | undefined;
        if (raw !== null) {
          cid = Number(raw);
          if (!Number.isInteger(cid) || cid < 1)
            throw new HttpError(
              400,
              "invalid_community",
              `communityId must be a positive integer, got "${raw}"`,
            );
        }
        return send(200, { communities: await service.marketAnalysis(cid) });
      }
      case "POST /agents/auth/nonce":
        return send(200, { nonce: auth.nonce(), domain: auth.domain });
      case "POST /agents/energy-trading/process": {
        const body = parse(ProcessBody, await readJson(req));
        const who = await signedIn(req);
        const mine = service
          .agentsOf(who)
          .filter((m) => body.meterId === undefined || m.settings.meterId === body.meterId);
        if (mine.length === 0)
          throw new HttpError(
            403,
            "no_agent",
            `no agent trades for ${who}${body.meterId ? ` with meter ${body.meterId}` : ""}`,
          );
        const results = [];
        for (const m of mine) {
          const s = await service.cycle(m);
          results.push({
            agentId: m.settings.agentId,
            plan: s.plan,
            refused: s.verdict?.refused ?? [],
            outcome: s.outcome,
            notes: s.memory.lastNotes,
          });
        }
        return send(200, { results });
      }
      case "POST /agents/session-history": {
        const body = parse(HistoryBody, await readJson(req));
        const who = await signedIn(req);
        if (service.agentsOf(who).length === 0)
          throw new HttpError(403, "no_agent", `no agent trades for ${who}`);
        return send(200, { address: who, cycles: await service.history(who, body.limit) });
      }
      case "POST /agents/assistant/chat": {
        const body = parse(ChatBody, await readJson(req));
        return send(200, await chat(service, body.message, body.address as Address | undefined, o.model));
      }
    }
    throw new HttpError(404, "not_found", `no route ${req.method} ${url.pathname}`);
  };

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e =
        err instanceof HttpError
          ? err
          : err instanceof AuthError
            ? new HttpError(err.status, "unauthorized", err.message)
            : err instanceof NotFoundError
              ? new HttpError(404, "not_found", err.message)
              : new HttpError(500, "internal", err instanceof Error ? err.message : String(err));
      if (!res.headersSent) res.writeHead(e.status, { "content-type": "application/json" });
      res.end(json({ error: e.code, message: e.message }));
    });
  });
}

/** An answer from market data: the LLM with the facts when configured, a template otherwise. */
async function chat(
  service: AgentService,
  message: string,
  address: Address | undefined,
  model?: BaseChatModel,
) {
  const analysis = await service.marketAnalysis();
  const mine = address ? await service.recommendations(getAddress(address)).catch(() => []) : [];
  const facts = analysis.map((c) => {
    const last = c.priceTrend.slots.at(-1);
    const next = c.expectedNetWhPerSlot.slice(0, 4);
    return `Community ${c.communityId}: ${c.trades} recent trades, price ${c.priceTrend.direction}${last ? `, last ${(last.vwapPerKwh / 1e6).toFixed(3)} USDC/kWh` : ""}; expected ${next.map((s) => `${new Date(s.slotStart * 1000).toISOString().slice(11, 16)} ${s.kind} ${Math.abs(s.netWh)} Wh`).join(", ") || "no forecasts yet"}.`;
  });
  for (const r of mine)
    facts.push(
      `Meter ${r.meterId}: the agent would ${r.wouldPlace.length ? r.wouldPlace.map((p) => `${p.side} ${p.amountWh} Wh at ${(p.tick / 1000).toFixed(3)} for ${new Date(p.slotStart * 1000).toISOString().slice(11, 16)}`).join("; ") : "not trade now"}${r.refused.length ? ` (${r.refused.length} intents refused by the limits)` : ""}.`,
    );
  if (model) {
    try {
      const a = await model.invoke([
        new SystemMessage(
          "You answer questions about a local energy market using only the facts given. Be brief.",
        ),
        new HumanMessage(`Facts:\n${facts.join("\n")}\n\nQuestion: ${message}`),
      ]);
      return {
        answer: typeof a.content === "string" ? a.content : JSON.stringify(a.content),
        source: "llm",
        facts,
      };
    } catch {
      // fall through to the template
    }
  }
  return {
    answer: facts.length ? facts.join(" ") : "No market data yet: no agent has run a cycle.",
    source: "template",
    facts,
  };
}
