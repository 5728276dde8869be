import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifyMessage, type Hex } from "viem";
import { parseSiweMessage } from "viem/siwe";
import { Assistant } from "@/components/Assistant";
import { agentsSessions } from "@/hooks/useAgents";
import { siweToken } from "@/lib/agents-api";
import { ACCOUNT, appConfig, harness } from "./support/app-harness";

/** The agents API's answers for these tests; the SIWE token is checked as the service checks it. */
interface Call {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}
let calls: Call[];
let hasAgent: boolean;
const nonces = new Set<string>();

async function agentsFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const url = new URL(String(input), "http://localhost");
  const path = url.pathname.replace("/api/agents", "");
  const method = init.method ?? "GET";
  const auth = new Headers(init.headers).get("authorization");
  const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
  calls.push({ method, path, auth, body });
  const json = (status: number, b: unknown) => new Response(JSON.stringify(b), { status });
  if (path === "/status")
    return json(200, {
      agents: [
        {
          agentId: "a1",
          account: ACCOUNT.address,
          communityId: 1,
          meterId: 1,
          strategy: "ramp",
          planner: "strategy",
          cycles: 3,
          ordersPlaced: 2,
          ordersCancelled: 0,
          intentsRefused: 1,
          actErrors: 0,
          lastNotes: [],
          lastRefusals: [],
        },
      ],
    });
  if (path === "/market-analysis")
    return json(200, {
      communities: [
        {
          communityId: 1,
          trades: 4,
          agents: 1,
          priceTrend: { direction: "rising", slots: [{ slotStart: 0, vwapPerKwh: 255_000, tradedWh: 1000 }] },
          expectedNetWhPerSlot: [{ slotStart: 43_200, netWh: 1500, kind: "surplus" }],
        },
      ],
    });
  if (path.startsWith("/energy-trading/recommendations/"))
    return hasAgent
      ? json(200, {
          recommendations: [
            {
              meterId: 1,
              communityId: 1,
              forecasts: [],
              wouldPlace: [
                {
                  side: "sell",
                  tick: 260,
                  amountWh: "1500",
                  slotStart: 43_200,
                  reason: "PV surplus at the ramp price",
                },
              ],
              wouldCancel: [],
              refused: [
                {
                  intent: { side: "sell", tick: 400, amountWh: 900, slotStart: 44_100 },
                  reason: "price outside the community's band",
                },
              ],
              notes: ["PV surplus ahead"],
            },
          ],
        })
      : json(404, { error: "not_found", message: `no active meter is registered to ${ACCOUNT.address}` });
  if (path === "/assistant/chat") {
    const m = (body as { message: string }).message;
    if (!m.trim()) return json(400, { error: "invalid_body", message: "message: Too small" });
    return json(200, {
      answer: "Prices are rising.",
      source: "template",
      facts: ["Community 1: 4 recent trades"],
    });
  }
  if (path === "/auth/nonce" && method === "POST") {
    const nonce = `n${nonces.size}abcdefghij`;
    nonces.add(nonce);
    return json(200, { nonce, domain: window.location.host });
  }
  if (path === "/energy-trading/process" || path === "/session-history") {
    if (!auth?.startsWith("SIWE "))
      return json(401, { error: "unauthorized", message: "this action needs Sign-In with Ethereum" });
    const t = JSON.parse(atob(auth.slice(5).replace(/-/g, "+").replace(/_/g, "/"))) as {
      message: string;
      signature: Hex;
    };
    const m = parseSiweMessage(t.message);
    if (
      m.domain !== window.location.host ||
      !nonces.has(m.nonce!) ||
      !(await verifyMessage({ address: m.address!, message: t.message, signature: t.signature }))
    )
      return json(401, { error: "unauthorized", message: "the SIWE signature does not verify" });
    if (!hasAgent) return json(403, { error: "no_agent", message: `no agent trades for ${m.address}` });
    if (path === "/session-history")
      return json(200, {
        address: m.address,
        cycles: [
          {
            agentId: "a1",
            createdAt: "2026-12-02T12:00:00Z",
            plan: { place: [{ side: "sell", tick: 261, amountWh: 500, slotStart: 43_200 }] },
            refused: [],
          },
        ],
      });
    return json(200, {
      results: [
        {
          agentId: "a1",
          plan: { place: [{ side: "sell", tick: 262, amountWh: 700, slotStart: 43_200 }] },
          refused: [],
          notes: ["placed"],
        },
      ],
    });
  }
  return json(404, { error: "not_found", message: `no route ${method} ${url.pathname}` });
}

beforeEach(() => {
  calls = [];
  hasAgent = true;
  sessionStorage.clear();
  vi.stubGlobal("fetch", agentsFetch);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});
const agentsConfig = () => appConfig({ agentsUrl: "/api/agents" });

describe("the AI Assistant page", () => {
  it("says so when the server has no agents service", async () => {
    const { Wrapper } = await harness({ config: appConfig({ agentsUrl: undefined }) });
    render(<Assistant />, { wrapper: Wrapper });
    expect(screen.getByTestId("assistant-off").textContent).toMatch(/no agents service is configured/);
    expect(calls).toEqual([]);
  });

  it("answers a question from market data, with the connected address", async () => {
    const { Wrapper } = await harness({ config: agentsConfig() });
    render(<Assistant />, { wrapper: Wrapper });
    fireEvent.change(screen.getByLabelText("Your question"), { target: { value: "Sell now?" } });
    fireEvent.click(screen.getByTestId("assistant-ask"));
    const answer = await screen.findByTestId("assistant-answer");
    expect(answer.textContent).toContain("Prices are rising.");
    expect(answer.textContent).toContain("Community 1: 4 recent trades");
    expect(calls.find((c) => c.path === "/assistant/chat")!.body).toEqual({
      message: "Sell now?",
      address: ACCOUNT.address,
    });
  });

  it("shows what an agent would do, the analysis and the status", async () => {
    const { Wrapper } = await harness({ config: agentsConfig() });
    render(<Assistant />, { wrapper: Wrapper });
    const rec = await screen.findByTestId("recommendation");
    expect(rec.textContent).toContain(
      "Would sell 1.5 kWh at 0.260 for 12:00 UTC — PV surplus at the ramp price",
    );
    expect(within(rec).getByTestId("recommendation-refused").textContent).toBe(
      "Refused by the risk limits: sell 0.9 kWh at 0.400 for 12:15 UTC — price outside the community's band",
    );
    expect((await screen.findByTestId("analysis")).textContent).toMatch(
      /Price rising, last 0\.255 USDC\/kWh · 4 recent trades/,
    );
    expect(within(await screen.findByTestId("agents-status")).getByText("a1")).toBeTruthy();
  });

  it("an account without meters gets the service's sentence", async () => {
    hasAgent = false;
    const { Wrapper } = await harness({ config: agentsConfig() });
    render(<Assistant />, { wrapper: Wrapper });
    expect((await screen.findByTestId("recommendations-error")).textContent).toBe(
      `no active meter is registered to ${ACCOUNT.address}`,
    );
  });

  it("signs in with Ethereum, runs the account's agents and shows their history; a refusal is its sentence", async () => {
    const { Wrapper } = await harness({ config: agentsConfig() });
    render(<Assistant />, { wrapper: Wrapper });
    fireEvent.click(await screen.findByTestId("agents-sign-in"));
    fireEvent.click(await screen.findByTestId("agents-process"));
    expect((await screen.findByTestId("agents-result")).textContent).toContain("sell 0.7 kWh at 0.262");
    const token = agentsSessions.read(ACCOUNT.address)!.token;
    expect(calls.find((c) => c.path === "/energy-trading/process")!.auth).toBe(`SIWE ${token}`);
    fireEvent.click(screen.getByTestId("agents-history"));
    expect((await screen.findByTestId("agents-history-list")).textContent).toContain("sell 0.5 kWh at 0.261");

    hasAgent = false;
    fireEvent.click(screen.getByTestId("agents-process"));
    await waitFor(() =>
      expect(screen.getByTestId("agents-error").textContent).toBe(`no agent trades for ${ACCOUNT.address}`),
    );
  });

  it("the token is the signed message and signature, base64url JSON", () => {
    const t = siweToken("héllo\nworld", "0xabc");
    expect(t).not.toMatch(/[+/=]/);
    expect(
      JSON.parse(
        new TextDecoder().decode(
          Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
        ),
      ),
    ).toEqual({
      message: "héllo\nworld",
      signature: "0xabc",
    });
  });
});
