// @vitest-environment node
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.mock("server-only", () => ({}));
const { GET, POST } = await import("@/app/api/indexer/[...path]/route");

let upstream: Server;
const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=2" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  vi.stubEnv("INDEXER_URL", `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`);
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
  vi.unstubAllEnvs();
});
const params = (...path: string[]) => ({ params: Promise.resolve({ path }) });

describe("/api/indexer/* (the shared service proxy)", () => {
  it("passes path, query and body on, JSON by default, keeping the indexer's Cache-Control", async () => {
    const r = await POST(
      new Request("http://app/api/indexer/graphql?x=1", {
        method: "POST",
        body: "{}",
        headers: { cookie: "c=1" },
      }),
      params("graphql"),
    );
    expect(await r.json()).toEqual({ ok: true });
    expect(r.headers.get("cache-control")).toBe("max-age=2");
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/graphql?x=1", body: "{}" });
    expect(seen.at(-1)!.headers["content-type"]).toBe("text/plain;charset=UTF-8"); // as the browser sent it
    expect(seen.at(-1)!.headers.cookie).toBeUndefined();
    const g = await GET(
      new Request("http://app/api/indexer/accounts/0xAb/claimables"),
      params("accounts", "0xAb", "claimables"),
    );
    expect(g.status).toBe(200);
    expect(seen.at(-1)!.url).toBe("/accounts/0xAb/claimables");
    expect(seen.at(-1)!.headers["content-type"]).toBe("application/json"); // none sent: JSON
  });
  it("answers 502 with a sentence when the indexer cannot be reached", async () => {
    vi.stubEnv("INDEXER_URL", "http://127.0.0.1:9");
    const r = await GET(new Request("http://app/api/indexer/ready"), params("ready"));
    expect(r.status).toBe(502);
    expect(await r.json()).toEqual({ error: "indexer unreachable" });
  });
});
