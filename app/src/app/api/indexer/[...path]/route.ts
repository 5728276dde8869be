/**
 * /api/indexer/* — the indexer's REST, GraphQL and SQL-over-HTTP routes proxied from INDEXER_URL,
 * streamed (live queries are server-sent events).
 */
import { serverEnv } from "@/lib/server-config";

export const dynamic = "force-dynamic";

async function proxy(req: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await params;
  const url = new URL(req.url);
  const target = `${serverEnv().indexer}/${path.map(encodeURIComponent).join("/")}${url.search}`;
  try {
    const r = await fetch(target, {
      method: req.method,
      headers: { "content-type": req.headers.get("content-type") ?? "application/json" },
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.text(),
      cache: "no-store",
      signal: req.signal,
    });
    const headers = new Headers();
    for (const h of ["content-type", "cache-control"]) {
      const v = r.headers.get(h);
      if (v) headers.set(h, v);
    }
    return new Response(r.body, { status: r.status, headers });
  } catch {
    return Response.json({ error: "indexer unreachable" }, { status: 502 });
  }
}

export { proxy as GET, proxy as POST };
