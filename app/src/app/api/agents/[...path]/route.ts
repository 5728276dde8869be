/**
 * /api/agents/* — the agents service's HTTP API (`/agents/*`: status, recommendations, market
 * analysis, assistant chat, SIWE nonce, process, session history) proxied from AGENTS_URL, the
 * SIWE Authorization header passed through. Without AGENTS_URL every path answers 404 with a sentence.
 */
import { serverEnv } from "@/lib/server-config";

export const dynamic = "force-dynamic";

async function proxy(req: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const base = serverEnv().agents;
  if (!base)
    return Response.json(
      {
        error: "not_configured",
        message: "the AI assistant is not configured on this server (AGENTS_URL is not set)",
      },
      { status: 404 },
    );
  const { path } = await params;
  const url = new URL(req.url);
  const target = `${base}/agents/${path.map(encodeURIComponent).join("/")}${url.search}`;
  const headers = new Headers();
  for (const h of ["authorization", "content-type", "accept"]) {
    const v = req.headers.get(h);
    if (v) headers.set(h, v);
  }
  try {
    const r = await fetch(target, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.text(),
      cache: "no-store",
      signal: req.signal,
    });
    const out = new Headers({ "cache-control": "no-store" });
    const type = r.headers.get("content-type");
    if (type) out.set("content-type", type);
    return new Response(r.body, { status: r.status, headers: out });
  } catch {
    return Response.json(
      { error: "unreachable", message: "the agents service is unreachable; try again in a moment" },
      { status: 502 },
    );
  }
}

export { proxy as GET, proxy as POST };
