// @vitest-environment node
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.mock("server-only", () => ({}));
const { GET, PUT } = await import("@/app/api/notifier/[...path]/route");
const { appConfig } = await import("@/lib/server-config");

/** The upstream notifier: records what reaches it; /stream sends one event, waits, sends another. */
let upstream: Server;
let url: string;
const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
let release: () => void = () => {};

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url?.startsWith("/v1/accounts/0xabc/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write('event: notification\ndata: {"id":"1"}\n\n');
        release = () => res.end('event: notification\ndata: {"id":"2"}\n\n');
        return;
      }
      if (req.url === "/v1/accounts/0xabc/preferences" && req.method === "PUT") {
        res.writeHead(400, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: '"x" is not a valid email address' }));
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  vi.unstubAllEnvs();
});

const params = (...path: string[]) => ({ params: Promise.resolve({ path }) });

describe("/api/notifier/*", () => {
  it("without NOTIFIER_URL: 404 with a sentence, and the app config says there is no notifier", async () => {
    vi.stubEnv("NOTIFIER_URL", "");
    const r = await GET(new Request("http://app/api/notifier/v1/meta"), params("v1", "meta"));
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({
      error: "notifications are not configured on this server (NOTIFIER_URL is not set)",
    });
    expect(appConfig().notifierUrl).toBeUndefined();
  });

  it("passes the bearer token, the body and the notifier's refusal through", async () => {
    vi.stubEnv("NOTIFIER_URL", `${url}/`);
    expect(appConfig().notifierUrl).toBe("/api/notifier");
    const r = await PUT(
      new Request("http://app/api/notifier/v1/accounts/0xabc/preferences", {
        method: "PUT",
        headers: { authorization: "Bearer tok", "content-type": "application/json", cookie: "secret=1" },
        body: JSON.stringify({ email: "x" }),
      }),
      params("v1", "accounts", "0xabc", "preferences"),
    );
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: '"x" is not a valid email address' });
    const got = seen.at(-1)!;
    expect(got).toMatchObject({
      method: "PUT",
      url: "/v1/accounts/0xabc/preferences",
      body: '{"email":"x"}',
    });
    expect(got.headers.authorization).toBe("Bearer tok");
    expect(got.headers.cookie).toBeUndefined();
    expect(r.headers.get("cache-control")).toBe("no-store");
  });

  it("streams Server-Sent Events as they come, with the query's token", async () => {
    vi.stubEnv("NOTIFIER_URL", url);
    const r = await GET(
      new Request("http://app/api/notifier/v1/accounts/0xabc/stream?token=t%2B1"),
      params("v1", "accounts", "0xabc", "stream"),
    );
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(seen.at(-1)!.url).toBe("/v1/accounts/0xabc/stream?token=t%2B1");
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    // The first event arrives while the upstream stream is still open.
    expect(dec.decode((await reader.read()).value)).toContain('data: {"id":"1"}');
    release();
    let rest = "";
    for (let c = await reader.read(); !c.done; c = await reader.read()) rest += dec.decode(c.value);
    expect(rest).toContain('data: {"id":"2"}');
  });

  it("an unreachable notifier is a 502 with a sentence", async () => {
    vi.stubEnv("NOTIFIER_URL", "http://127.0.0.1:1");
    const r = await GET(new Request("http://app/api/notifier/v1/meta"), params("v1", "meta"));
    expect(r.status).toBe(502);
    expect((await r.json()).error).toMatch(/unreachable/);
  });
});
