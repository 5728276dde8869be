/**
 * The agents HTTP API on a local chain: status, recommendations (dry run, nothing sent), market
 * analysis, Sign-In with Ethereum for per-user actions, and clear 4xx errors for bad input (unknown
 * address, malformed body, missing or replayed SIWE, someone else's agent) — with nothing sent.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { MemorySaver } from "@langchain/langgraph";
import { createSiweMessage } from "viem/siwe";
import { createPowerShare } from "@powershare/contracts/sdk";
import { devAccount, startTestStack, type TestStack } from "@powershare/contracts/sdk/testing";
import { TradingAgent } from "../src/agent.ts";
import { AgentIO } from "../src/chain/agent-io.ts";
import type { AgentDeps, AgentSettings } from "../src/graph/agent-graph.ts";
import { createAgentsApi } from "../src/http/server.ts";
import { SiweAuth } from "../src/http/siwe-auth.ts";
import { AgentService } from "../src/service.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { TEST_HOUSEHOLD } from "./support/agent-setup.ts";

let stack: TestStack;
let base: string;
let server: ReturnType<typeof createAgentsApi>;
let service: AgentService;
const DOMAIN = "agents.test";
const OWNER = 1;
const STRANGER = 2;

const template = (): Omit<AgentSettings, "agentId" | "meterId" | "communityId"> => ({
  ...TEST_HOUSEHOLD,
  limits: {
    minPricePerKwh: 80_000,
    maxPricePerKwh: 300_000,
    maxExposurePerSlot: 10_000_000,
    minFreeBalance: 1_000_000,
    maxOrdersPerCycle: 8,
    maxWhPerSlot: 2_500,
  },
});

async function orders(i: number) {
  const ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  return (await ps.ordersOf(devAccount(i).address)).length;
}

async function newNonce(): Promise<string> {
  return ((await (await fetch(`${base}/agents/auth/nonce`, { method: "POST" })).json()) as { nonce: string })
    .nonce;
}

async function siwe(
  i: number,
  nonce?: string,
  o: { expirationTime?: Date; domain?: string; signer?: number } = {},
): Promise<string> {
  const n = nonce ?? (await newNonce());
  const account = devAccount(i);
  const message = createSiweMessage({
    domain: o.domain ?? DOMAIN,
    address: account.address,
    uri: `https://${DOMAIN}`,
    version: "1",
    chainId: 31337,
    nonce: n,
    ...(o.expirationTime ? { expirationTime: o.expirationTime } : {}),
  });
  const signature = await devAccount(o.signer ?? i).signMessage({ message });
  return `SIWE ${Buffer.from(JSON.stringify({ message, signature })).toString("base64url")}`;
}

const post = (path: string, body: unknown, auth?: string) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  stack = await startTestStack();
  const cid = await stack.createCommunity({ minOrderWh: 10n });
  const meter = await stack.onboard(OWNER, cid, 100_000_000n, 2);
  await stack.onboard(STRANGER, cid, 10_000_000n, 1);
  await stack.warpTo(Date.UTC(2027, 5, 9, 9, 50) / 1000);
  const ps = createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(OWNER),
    addresses: stack.addresses,
  });
  const deps: AgentDeps = {
    io: new AgentIO(ps, devAccount(OWNER).address),
    strategy: new RampStrategy(),
    settings: { ...template(), agentId: "owner-agent", communityId: cid, meterId: meter },
  };
  const readPs = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
  service = new AgentService(
    readPs,
    [
      {
        agent: new TradingAgent(deps, new MemorySaver()),
        account: devAccount(OWNER).address,
        settings: deps.settings,
        deps,
      },
    ],
    pino({ level: "silent" }),
    () => template(),
  );
  server = createAgentsApi({ service, auth: new SiweAuth(stack.publicClient, DOMAIN) });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await stack?.stop();
});

describe("agents HTTP API", () => {
  it("reports status, health and metrics", async () => {
    const s = (await (await fetch(`${base}/agents/status`)).json()) as {
      agents: { agentId: string; cycles: number }[];
    };
    expect(s.agents).toEqual([expect.objectContaining({ agentId: "owner-agent", cycles: 0 })]);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/agents_cycles_total/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("recommends without sending, and answers 400/404 for bad or unknown addresses", async () => {
    const r = await fetch(`${base}/agents/energy-trading/recommendations/${devAccount(OWNER).address}`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      recommendations: { wouldPlace: { side: string; reason: string }[] }[];
    };
    expect(body.recommendations[0]!.wouldPlace.length).toBeGreaterThan(0);
    expect(body.recommendations[0]!.wouldPlace[0]!.reason).toMatch(/forecast surplus/);
    // an account with a meter but no agent of this service gets a dry run too
    const s = await fetch(`${base}/agents/energy-trading/recommendations/${devAccount(STRANGER).address}`);
    expect(s.status).toBe(200);
    expect(await orders(OWNER)).toBe(0);
    const bad = await fetch(`${base}/agents/energy-trading/recommendations/0x1234`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/not an Ethereum address/);
    const unknown = await fetch(`${base}/agents/energy-trading/recommendations/${devAccount(17).address}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/no active meter/);
  });

  it("runs a cycle only for the signed-in owner of the agent", async () => {
    expect((await post("/agents/energy-trading/process", {})).status).toBe(401);
    expect((await post("/agents/energy-trading/process", {}, "Bearer x")).status).toBe(401);
    expect((await post("/agents/energy-trading/process", {}, "SIWE bm90IGpzb24")).status).toBe(401);
    expect((await post("/agents/energy-trading/process", "{not json", await siwe(OWNER))).status).toBe(400);
    expect((await post("/agents/energy-trading/process", { meterId: "one" }, await siwe(OWNER))).status).toBe(
      400,
    );
    expect((await post("/agents/energy-trading/process", { extra: 1 }, await siwe(OWNER))).status).toBe(400);
    const stranger = await post("/agents/energy-trading/process", {}, await siwe(STRANGER));
    expect(stranger.status).toBe(403);
    expect(await orders(OWNER)).toBe(0);
    // a nonce the service never issued
    const forged = await post(
      "/agents/energy-trading/process",
      {},
      await siwe(OWNER, "aaaaaaaaaaaaaaaaaaaaaaaa"),
    );
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { message: string }).message).toMatch(/nonce/);
    expect(await orders(OWNER)).toBe(0);

    const token = await siwe(OWNER);
    const ok = await post("/agents/energy-trading/process", {}, token);
    expect(ok.status).toBe(200);
    const r = (await ok.json()) as { results: { outcome: { placed: number } }[] };
    expect(r.results[0]!.outcome.placed).toBeGreaterThan(0);
    expect(await orders(OWNER)).toBe(r.results[0]!.outcome.placed);

    const h = await post("/agents/session-history", { limit: 5 }, token);
    expect(h.status).toBe(200);
    expect(((await h.json()) as { cycles: unknown[] }).cycles.length).toBeGreaterThan(0);
    expect((await post("/agents/session-history", { limit: 0 }, token)).status).toBe(400);
  });

  it("analyses the market and answers chat from market data", async () => {
    const a = await fetch(`${base}/agents/market-analysis`);
    expect(a.status).toBe(200);
    const body = (await a.json()) as { communities: { expectedNetWhPerSlot: unknown[] }[] };
    expect(body.communities[0]!.expectedNetWhPerSlot.length).toBeGreaterThan(0);
    expect((await fetch(`${base}/agents/market-analysis?communityId=x`)).status).toBe(400);
    expect((await post("/agents/assistant/chat", { message: "" })).status).toBe(400);
    expect((await post("/agents/assistant/chat", { message: "hi", address: "0x12" })).status).toBe(400);
    const c = await post("/agents/assistant/chat", {
      message: "Should I sell now?",
      address: devAccount(OWNER).address,
    });
    expect(c.status).toBe(200);
    const answer = (await c.json()) as { source: string; answer: string };
    expect(answer.source).toBe("template");
    expect(answer.answer).toMatch(/Community \d+/);
  });

  it("refuses expired, replayed, wrong-domain and forged sign-ins and oversize bodies: clear 4xx, nothing sent", async () => {
    const before = await orders(OWNER);
    const expectError = async (r: Response, status: number, message: RegExp) => {
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await r.json()) as { error: string; message: string };
      expect(body.message).toMatch(message);
    };
    // a message whose expirationTime has passed
    await expectError(
      await post(
        "/agents/energy-trading/process",
        {},
        await siwe(OWNER, undefined, { expirationTime: new Date(Date.now() - 60_000) }),
      ),
      401,
      /does not verify/,
    );
    // a sign-in that expires while in use: good once, then refused
    const short = await siwe(OWNER, undefined, { expirationTime: new Date(Date.now() + 2_500) });
    expect((await post("/agents/session-history", {}, short)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_000));
    await expectError(await post("/agents/energy-trading/process", {}, short), 401, /expired; sign in again/);
    // a nonce already used by another sign-in
    const nonce = await newNonce();
    expect((await post("/agents/session-history", {}, await siwe(OWNER, nonce))).status).toBe(200);
    await expectError(
      await post("/agents/energy-trading/process", {}, await siwe(OWNER, nonce)),
      401,
      /nonce is unknown, used or expired/,
    );
    // signed for another site
    await expectError(
      await post(
        "/agents/energy-trading/process",
        {},
        await siwe(OWNER, undefined, { domain: "evil.example" }),
      ),
      401,
      /for evil\.example, not agents\.test/,
    );
    // the owner's address signed by someone else's key
    await expectError(
      await post("/agents/energy-trading/process", {}, await siwe(OWNER, undefined, { signer: STRANGER })),
      401,
      /does not verify/,
    );
    // no sign-in at all for the history; a token that is not base64url JSON
    await expectError(await post("/agents/session-history", {}), 401, /needs Sign-In with Ethereum/);
    await expectError(
      await post("/agents/session-history", {}, "SIWE %%%"),
      401,
      /not base64url-encoded JSON/,
    );
    // bodies: too large, wrong types, unknown fields, not JSON
    await expectError(
      await post(
        "/agents/energy-trading/process",
        { meterId: 1, pad: "x".repeat(20_000) },
        await siwe(OWNER),
      ),
      413,
      /larger than 16384 bytes/,
    );
    await expectError(
      await post("/agents/session-history", { limit: "ten" }, await siwe(OWNER)),
      400,
      /limit/,
    );
    await expectError(
      await post("/agents/energy-trading/process", { meterId: -3 }, await siwe(OWNER)),
      400,
      /meterId/,
    );
    await expectError(await post("/agents/assistant/chat", "[1,2"), 400, /not valid JSON/);
    await expectError(
      await post("/agents/assistant/chat", { message: "hi", admin: true }),
      400,
      /admin|Unrecognized/i,
    );
    // an unknown address: 404 with the reason, and a meter the owner's agent does not trade
    await expectError(
      await fetch(`${base}/agents/energy-trading/recommendations/${devAccount(18).address}`),
      404,
      /no active meter is registered/,
    );
    await expectError(
      await post("/agents/energy-trading/process", { meterId: 999 }, await siwe(OWNER)),
      403,
      /with meter 999/,
    );
    expect(await orders(OWNER)).toBe(before);
  });
});
