// @vitest-environment node
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.mock("server-only", () => ({}));
const { GET, POST } = await import("@/app/api/agents/[...path]/route");
const { appConfig } = await import("@/lib/server-config");

let upstream: Server;
let url: string;
const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const status = req.url === "/agents/session-history" ? 401 : 200;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        JSON.stringify(status === 200 ? { agents: [] } : { error: "unauthorized", message: "no SIWE" }),
      );
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  vi.unstubAllEnvs();
});
const params = (...path: string[]) => ({ params: Promise.resolve({ path }) });

describe("/api/agents/*", () => {
  it("without AGENTS_URL: 404 with a sentence; the app config has no assistant", async () => {
    vi.stubEnv("AGENTS_URL", "");
    const r = await GET(new Request("http://app/api/agents/status"), params("status"));
    expect(r.status).toBe(404);
    expect((await r.json()).message).toBe(
      "the AI assistant is not configured on this server (AGENTS_URL is not set)",
    );
    expect(appConfig().agentsUrl).toBeUndefined();
  });

  it("maps /api/agents/<path> to /agents/<path>, passing the SIWE header, the body and the refusal", async () => {
    vi.stubEnv("AGENTS_URL", `${url}/`);
    expect(appConfig().agentsUrl).toBe("/api/agents");
    const ok = await GET(
      new Request("http://app/api/agents/market-analysis?communityId=1"),
      params("market-analysis"),
    );
    expect(await ok.json()).toEqual({ agents: [] });
    expect(seen.at(-1)!.url).toBe("/agents/market-analysis?communityId=1");
    const r = await POST(
      new Request("http://app/api/agents/session-history", {
        method: "POST",
        headers: { authorization: "SIWE abc", "content-type": "application/json", cookie: "c=1" },
        body: '{"limit":5}',
      }),
      params("session-history"),
    );
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: "unauthorized", message: "no SIWE" });
    expect(seen.at(-1)).toMatchObject({
      method: "POST",
      url: "/agents/session-history",
      body: '{"limit":5}',
    });
    expect(seen.at(-1)!.headers.authorization).toBe("SIWE abc");
    expect(seen.at(-1)!.headers.cookie).toBeUndefined();
  });

  it("an unreachable service is a 502 with a sentence", async () => {
    vi.stubEnv("AGENTS_URL", "http://127.0.0.1:1");
    const r = await GET(new Request("http://app/api/agents/status"), params("status"));
    expect(r.status).toBe(502);
    expect((await r.json()).message).toMatch(/unreachable/);
  });
});
