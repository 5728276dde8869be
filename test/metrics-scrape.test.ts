/**
 * Every long-running service of the stack exposes Prometheus metrics and a health endpoint: the
 * oracle, the indexer (Ponder), the keeper, the agents, the notifier and the Beckn gateway are started against
 * one private chain, each /health answers 200 and each /metrics parses as the Prometheus text
 * format (test/support/prometheus-text.ts) with the service's own metric families in it.
 * docs/operations.md scrapes the same endpoints.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  devAccount,
  freePort,
  REPORT_WINDOW,
  startTestStack,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { startPonder, type PonderProcess } from "../indexer/test/support/ponder.ts";
import {
  chainOracleEnv,
  startOracleProcess,
  type OracleProcess,
} from "../oracle/test/support/oracle-process.ts";
import { parsePrometheusText } from "./support/prometheus-text.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Service {
  name: string;
  url: string;
  /** Metric families the service must expose. */
  families: string[];
}

async function healthy(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url}/health not 200 within ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe("every service's /metrics and /health", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let ponder: PonderProcess | undefined;
  let oracle: OracleProcess | undefined;
  const children: ChildProcess[] = [];
  const services: Service[] = [];

  const spawnService = (args: string[], env: Record<string, string>) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(child);
    return child;
  };

  before(async () => {
    stack = await startTestStack();
    const dir = mkdtempSync(path.join(tmpdir(), "metrics-scrape-"));
    const book = path.join(dir, "book.json");
    writeFileSync(book, JSON.stringify(stack.addressBook));
    const chain = { POWERSHARE_RPC_URL: stack.url, POWERSHARE_ADDRESS_BOOK: book };

    ponder = await startPonder({
      rpcUrl: stack.url,
      addressBook: book,
      schema: `scrape_${process.pid}`,
      logLevel: "warn",
    });
    await ponder.ready(180_000);
    services.push({
      name: "indexer",
      url: ponder.url,
      families: ["ponder_indexing_completed_events", "ponder_sync_block", "ponder_indexing_timestamp"],
    });

    const oraclePort = await freePort();
    oracle = await startOracleProcess(
      chainOracleEnv(
        {
          test: "scrape",
          stack: { market: stack.addresses.market, settlement: stack.addresses.settlement },
          dataRoot: dir,
          graceSeconds: 2,
          reportWindowSeconds: REPORT_WINDOW,
          sessions: [],
        },
        "oracle",
        stack.url,
        { HTTP_PORT: String(oraclePort), BROKER_PORT: String(await freePort()) },
      ),
    );
    services.push({
      name: "oracle",
      url: `http://127.0.0.1:${oraclePort}`,
      families: ["oracle_readings_accepted_total", "oracle_reports_posted_total"],
    });

    const keeperPort = await freePort();
    spawnService(
      [
        path.join(ROOT, "contracts", "cli", "bin", "powershare.ts"),
        "keeper",
        "--interval",
        "1",
        "--port",
        String(keeperPort),
      ],
      {
        ...chain,
        POWERSHARE_INDEXER_URL: ponder.url,
        POWERSHARE_PRIVATE_KEY: devAccount(8).privateKey,
      },
    );
    services.push({
      name: "keeper",
      url: `http://127.0.0.1:${keeperPort}`,
      families: ["powershare_keeper_actions_total", "powershare_keeper_markets_pending"],
    });

    const notifierPort = await freePort();
    const hookToken = `scrape-${process.pid}-${Date.now()}`;
    spawnService([path.join(ROOT, "notifier", "bin", "notifier.ts")], {
      ...chain,
      NOTIFIER_HOOK_TOKEN: hookToken,
      NOTIFIER_PORT: String(notifierPort),
      NOTIFIER_SQLITE: path.join(dir, "notifier.sqlite"),
      NOTIFIER_POLL_MS: "200",
    });
    services.push({
      name: "notifier",
      url: `http://127.0.0.1:${notifierPort}`,
      families: [
        "powershare_notifier_delivery_attempts",
        "powershare_notifier_confirmed_block",
        "powershare_notifier_deliveries",
      ],
    });

    const gatewayBin = path.join(ROOT, "gateway", "bin", "gateway.ts");
    if (existsSync(gatewayBin)) {
      const gatewayPort = await freePort();
      spawnService([gatewayBin, "--dev", "--port", String(gatewayPort)], {
        ...chain,
        POWERSHARE_CHAIN: "31337",
        POWERSHARE_INDEXER_URL: ponder.url,
        GATEWAY_DATA_DIR: path.join(dir, "gateway"),
      });
      services.push({
        name: "gateway",
        url: `http://127.0.0.1:${gatewayPort}`,
        families: ["powershare_gateway_requests_total"],
      });
    }
    const agentsMain = path.join(ROOT, "agents", "src", "main.ts");
    if (existsSync(agentsMain)) {
      const communityId = await stack.createCommunity();
      const meterId = await stack.onboard(4, communityId, 10_000_000n, 2);
      const agentsFile = path.join(dir, "agents.json");
      writeFileSync(agentsFile, JSON.stringify([{ privateKey: devAccount(4).privateKey, meterId }]));
      const agentsPort = await freePort();
      spawnService([agentsMain], {
        ...chain,
        POWERSHARE_CHAIN: "31337",
        AGENTS_FILE: agentsFile,
        AGENTS_PORT: String(agentsPort),
        AGENTS_DB: path.join(dir, "agents.sqlite"),
        AGENTS_INTERVAL_S: "5",
        // the agents announce their actions through the notifier's hook, as in npm run dev
        NOTIFIER_URL: `http://127.0.0.1:${notifierPort}`,
        NOTIFIER_HOOK_TOKEN: hookToken,
      });
      services.push({
        name: "agents",
        url: `http://127.0.0.1:${agentsPort}`,
        families: [
          "agents_cycles_total",
          "agents_orders_placed_total",
          "agents_notify_sent_total",
          "agents_notify_failed_total",
          "agents_notify_pending",
        ],
      });
    }
    for (const s of services) await healthy(s.url, 90_000);
  });

  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await oracle?.kill("SIGKILL");
    await ponder?.stop();
    await stack?.stop();
  });

  const scraped = new Set<string>();

  it("scrapes and parses each one", async () => {
    // every long-running service of the stack, none left out
    assert.deepEqual(services.map((s) => s.name).sort(), [
      "agents",
      "gateway",
      "indexer",
      "keeper",
      "notifier",
      "oracle",
    ]);
    for (const s of services) {
      const r = await fetch(`${s.url}/metrics`);
      assert.equal(r.status, 200, `${s.name} /metrics`);
      assert.match(r.headers.get("content-type") ?? "", /text\/plain/, `${s.name} content type`);
      const families = parsePrometheusText(await r.text());
      for (const k of families.keys()) scraped.add(k);
      for (const want of s.families)
        assert.ok(
          [...families.keys()].some((k) => k === want || k.startsWith(want)),
          `${s.name} exposes ${want} (has ${[...families.keys()].slice(0, 40).join(", ")})`,
        );
    }
  });

  it("alerts and dashboard in docs/operations use only metrics the services expose", () => {
    const docs = ["alerts.yml", "grafana-dashboard.json"].map((f) =>
      readFileSync(path.join(ROOT, "docs", "operations", f), "utf8"),
    );
    const used = new Set(
      docs.flatMap((d) =>
        [...d.matchAll(/\b((?:oracle|ponder|powershare|agents)_[a-z_]+)\b/g)].map((m) => m[1]!),
      ),
    );
    assert.ok(used.size > 20, `found ${used.size} metric names in the docs`);
    const known = (name: string) =>
      scraped.has(name) ||
      ["_bucket", "_sum", "_count", "_total"].some(
        (x) => name.endsWith(x) && scraped.has(name.slice(0, -x.length)),
      );
    const unknown = [...used].filter((n) => !known(n));
    assert.deepEqual(
      unknown,
      [],
      `metrics named in docs/operations that no service exposes: ${unknown.join(", ")}`,
    );
  });
});
