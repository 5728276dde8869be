/**
 * An agent's actions reach its owner through the notifier, end to end on a local chain: the agent's
 * cycle places orders through its announcing PowerShare client and the risk limits refuse an intent;
 * the hook client posts each action to a real notifier (`POST /v1/hooks/events`, bearer token),
 * through a proxy that fails the first requests (the client retries with backoff while the agent's
 * cycle has long returned); the owner's signed webhook and the agent's in-app feed receive them, each
 * once, a repeated cycle and a repeated key adding nothing. A wrong token is refused (401) and not
 * retried; a dry run announces nothing.
 */
import { mkdtempSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { createPowerShare, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import {
  devAccount,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { startNotifier, type RunningNotifier } from "../../notifier/src/notifier.ts";
import { verifyWebhook } from "../../notifier/src/channels/webhook.ts";
import { api, signIn } from "../../notifier/test/support/siwe-client.ts";
import { TradingAgent } from "../src/agent.ts";
import { AgentIO, SharedReads } from "../src/chain/agent-io.ts";
import type { AgentDeps, AgentSettings } from "../src/graph/agent-graph.ts";
import { NodeSqliteSaver } from "../src/graph/sqlite-checkpointer.ts";
import { announceRefusals, announceWrites, type AnnounceTarget } from "../src/notify/announce.ts";
import { NotifierHookClient } from "../src/notify/hook-client.ts";
import { AgentService, type ManagedAgent } from "../src/service.ts";
import { RampStrategy } from "../src/strategy/ramp.ts";
import { TEST_HOUSEHOLD } from "./support/agent-setup.ts";

const AGENT = 1;
const OWNER = 6;
const TOKEN = "agents-hook-token-for-tests";
const JUNE_NOON = Date.UTC(2027, 5, 9, 9, 50) / 1000;
const addr = (i: number) => devAccount(i).address.toLowerCase() as Address;
const silent = pino({ level: "silent" });

interface Hit {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let stack: TestStack;
let notifier: RunningNotifier;
let receiver: Server;
let receiverUrl: string;
const hits: Hit[] = [];
let proxy: Server;
let proxyUrl: string;
/** Requests the proxy answers 503 before it forwards to the notifier. */
let failNext = 0;
let proxied = 0;
let communityId: number;
let meterId: number;
let secret: string;

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity({ minOrderWh: 10n });
  meterId = await stack.onboard(AGENT, communityId, 100_000_000n, 2);
  await stack.warpTo(JUNE_NOON);
  const dir = mkdtempSync(path.join(tmpdir(), "agents-notify-"));
  notifier = await startNotifier({
    publicClient: stack.publicClient,
    addresses: stack.addresses,
    chainId: 31337,
    sqlitePath: path.join(dir, "notifier.sqlite"),
    confirmations: 1,
    pollMs: 100,
    port: 0,
    allowPrivateWebhooks: true,
    retry: { baseMs: 100, maxAttempts: 4 },
    hookToken: TOKEN,
    logger: silent,
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push({ path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(204).end();
    });
  });
  receiverUrl = await listen(receiver);
  // Stands between the agents and the notifier: answers 503 to the next `failNext` requests.
  proxy = createServer((req, res) => {
    proxied += 1;
    if (failNext > 0) {
      failNext -= 1;
      req.resume();
      res.writeHead(503).end("notifier restarting");
      return;
    }
    const up = new URL(req.url ?? "/", notifier.url);
    const fwd = request(up, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    fwd.on("error", () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  proxyUrl = await listen(proxy);
  // The owner signs in to the notifier and registers a webhook, as the dApp's settings page does.
  const owner = await signIn(notifier.url, devAccount(OWNER));
  expect(owner.status).toBe(200);
  const wh = await api(notifier.url, owner.token).post(`/v1/accounts/${addr(OWNER)}/webhooks`, {
    url: `${receiverUrl}/owner`,
  });
  expect(wh.status).toBe(201);
  secret = wh.body.secret as string;
}, 180_000);

afterAll(async () => {
  await notifier?.stop();
  for (const s of [receiver, proxy]) {
    s?.closeAllConnections();
    await new Promise((r) => (s ? s.close(() => r(undefined)) : r(undefined)));
  }
  await stack?.stop();
});

function agentSettings(): AgentSettings {
  return {
    agentId: `agent-${AGENT}`,
    communityId,
    meterId,
    ...TEST_HOUSEHOLD,
    limits: {
      minPricePerKwh: 80_000,
      maxPricePerKwh: 300_000,
      maxExposurePerSlot: 10_000_000,
      minFreeBalance: 1_000_000,
      // one order a cycle: the strategy's other intents are refused by the risk limits
      maxOrdersPerCycle: 1,
      maxWhPerSlot: 2_500,
    },
  };
}

const ownerHits = () =>
  hits
    .filter((h) => h.path === "/owner")
    .map((h) => ({ ...h, json: JSON.parse(h.body) as Record<string, any> }))
    .filter((h) => h.json.type === "agent_action");

describe("agent actions → notifier hook → owner's channels", () => {
  let hook: NotifierHookClient;
  let service: AgentService;
  let signer: PowerShare;
  let announcing: PowerShare;
  const target: AnnounceTarget = { agentId: `agent-${AGENT}`, recipients: [addr(OWNER), addr(AGENT)] };
  const registry = new Registry();

  it("a real cycle's orders and refusals are delivered to the owner once, after retries", async () => {
    hook = new NotifierHookClient({ url: proxyUrl, token: TOKEN, baseDelayMs: 100, log: silent }).register(
      registry,
    );
    signer = createPowerShare({
      publicClient: stack.publicClient,
      walletClient: stack.wallet(AGENT),
      addresses: stack.addresses,
    });
    announcing = announceWrites(signer, hook, target);
    const deps: AgentDeps = {
      io: new AgentIO(announcing, devAccount(AGENT).address, new SharedReads(signer)),
      strategy: new RampStrategy(),
      settings: agentSettings(),
    };
    const dir = mkdtempSync(path.join(tmpdir(), "agents-notify-saver-"));
    const saver = new NodeSqliteSaver(path.join(dir, "a.sqlite"));
    const m: ManagedAgent = {
      agent: new TradingAgent(deps, saver),
      account: devAccount(AGENT).address,
      settings: deps.settings,
      deps,
    };
    service = new AgentService(signer, [m], silent, () => undefined, {
      onCycle: (_m, s) => announceRefusals(hook, target, s.verdict?.refused ?? []),
    });

    failNext = 3; // the notifier is "down" for the first three requests
    const s = await service.cycle(m);
    // the agent traded and returned while its announcements were still waiting for the notifier
    expect(s.outcome?.ok).toBe(true);
    expect(s.outcome?.placed).toBe(1);
    expect(s.verdict!.refused.length).toBeGreaterThan(0);
    expect(hook.pending).toBeGreaterThan(0);
    const hash = s.outcome!.hash as Hex;
    expect((await stack.publicClient.getTransactionReceipt({ hash })).status).toBe("success");

    expect(await hook.drain(20_000)).toBe(true);
    expect(failNext).toBe(0);
    const refusals = s.verdict!.refused.length;
    // one action for the placement and one per refusal, to two recipients each, + 3 failed tries
    expect(proxied).toBe(3 + 2 * (1 + refusals));

    const got = await until("the owner's webhooks", () => {
      const h = ownerHits();
      return h.length >= 1 + refusals && h;
    });
    for (const h of got) expect(verifyWebhook(secret, h.headers, h.body)).toBe(true);
    const placed = got.find((h) => h.json.data.action === "placed 1 order")!;
    expect(placed).toBeDefined();
    expect(placed.json.address).toBe(addr(OWNER));
    expect(placed.json.data.agent).toBe(`agent-${AGENT}`);
    expect(placed.json.data.detail).toContain(hash);
    expect(placed.json.data.detail).toMatch(/^sell \d+ Wh at 0\.\d+ USDC\/kWh for the .* UTC slot/);
    expect(placed.json.message.subject).toBe(`Agent agent-${AGENT}: placed 1 order`);
    const refused = got.filter((h) => /refused by the risk limits/.test(h.json.data.action));
    expect(refused).toHaveLength(refusals);
    expect(refused[0]!.json.data.detail).toContain(`more than 1 orders in one cycle`);

    // the agent's own address: the same actions in its in-app feed, delivered
    const agentSession = await signIn(notifier.url, devAccount(AGENT));
    const feed = await until("the agent's in-app deliveries", async () => {
      const r = await api(notifier.url, agentSession.token).get(
        `/v1/accounts/${addr(AGENT)}/deliveries?limit=100`,
      );
      const list = (r.body.deliveries ?? r.body) as { eventType: string; channel: string; status: string }[];
      const mine = list.filter((d) => d.eventType === "agent_action" && d.channel === "inapp");
      return mine.length >= 1 + refusals && mine.every((d) => d.status === "sent") && mine;
    });
    expect(feed).toHaveLength(1 + refusals);
  });

  it("tells each action once: a repeated refusal and a re-sent key add nothing", async () => {
    const before = ownerHits().length;
    const sentBefore = (await registry.getSingleMetric("agents_notify_sent_total")!.get()).values[0]!.value;
    // the same cycle's refusals again (what the next cycle would refuse) and the placement's key again
    const s = await service.agents[0]!.agent.state();
    announceRefusals(hook, target, s!.verdict!.refused);
    const hash = s!.outcome!.hash!;
    hook.announce({
      key: `${target.agentId}:tx:${hash}`,
      agent: target.agentId,
      action: "placed 1 order",
      detail: "again",
      recipients: target.recipients,
    });
    expect(await hook.drain(20_000)).toBe(true);
    const sentAfter = (await registry.getSingleMetric("agents_notify_sent_total")!.get()).values[0]!.value;
    expect(sentAfter).toBeGreaterThan(sentBefore); // the notifier accepted them (202)…
    await new Promise((r) => setTimeout(r, 1000));
    expect(ownerHits()).toHaveLength(before); // …and delivered nothing twice
  });

  it("announces withdrawals and deposits, and nothing for a dry run", async () => {
    await announcing.place(
      {
        communityId,
        slotStart: openSlots(TEST_COMMUNITY, await stack.now()).at(-1)!,
        side: "sell",
        tick: 150,
        amountWh: 100n,
        meterId,
      },
      { dryRun: true },
    );
    await announcing.withdraw(2_000_000n);
    await announcing.deposit(2_000_000n);
    expect(await hook.drain(20_000)).toBe(true);
    const got = await until("the withdrawal and deposit webhooks", () => {
      const h = ownerHits().filter((x) => /^(withdrew|deposited)/.test(x.json.data.action));
      return h.length >= 2 && h;
    });
    expect(got.map((h) => h.json.data.action).sort()).toEqual(["deposited 2 USDC", "withdrew 2 USDC"]);
    // the dry run's single order would have been "placed a sell order"
    expect(ownerHits().some((h) => h.json.data.action === "placed a sell order")).toBe(false);
  });

  it("a wrong token is refused and not retried", async () => {
    const direct = await fetch(`${notifier.url}/v1/hooks/events`, {
      method: "POST",
      headers: { authorization: "Bearer not-the-token", "content-type": "application/json" },
      body: JSON.stringify({
        type: "agent_action",
        key: "x",
        address: addr(OWNER),
        agent: "intruder",
        action: "placed 99 orders",
        detail: "forged",
      }),
    });
    expect(direct.status).toBe(401);
    expect(((await direct.json()) as { error: string }).error).toMatch(/hook token/);

    const reg = new Registry();
    const wrong = new NotifierHookClient({
      url: notifier.url,
      token: "not-the-token",
      baseDelayMs: 50,
    }).register(reg);
    wrong.announce({
      key: "forged-1",
      agent: "intruder",
      action: "placed 99 orders",
      detail: "forged",
      recipients: [addr(OWNER)],
    });
    expect(await wrong.drain(10_000)).toBe(true);
    const metric = async (name: string) => (await reg.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
    expect(await metric("agents_notify_failed_total")).toBe(1);
    expect(await metric("agents_notify_retries_total")).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(ownerHits().some((h) => h.json.data.agent === "intruder")).toBe(false);
  });
});
