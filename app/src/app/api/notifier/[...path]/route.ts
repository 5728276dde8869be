/**
 * /api/notifier/* — the notifier's API (SIWE sign-in, each address's preferences, webhooks,
 * deliveries, in-app notifications and their live stream) proxied from NOTIFIER_URL. The bearer
 * token is passed through; responses are streamed, so the in-app Server-Sent Events stream stays
 * live (no buffering, no compression). Without NOTIFIER_URL every path answers 404 with a sentence.
 */
import { serverEnv } from "@/lib/server-config";

export const dynamic = "force-dynamic";

const PASSED_HEADERS = ["authorization", "content-type", "accept", "last-event-id"];

async function proxy(req: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const base = serverEnv().notifier;
  if (!base)
    return Response.json(
      { error: "notifications are not configured on this server (NOTIFIER_URL is not set)" },
      { status: 404 },
    );
  const { path } = await params;
  const url = new URL(req.url);
  const target = `${base}/${path.map(encodeURIComponent).join("/")}${url.search}`;
  const headers = new Headers();
  for (const h of PASSED_HEADERS) {
    const v = req.headers.get(h);
    if (v) headers.set(h, v);
  }
  let r: Response;
  try {
    r = await fetch(target, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.text(),
      cache: "no-store",
      signal: req.signal,
    });
  } catch {
    return Response.json({ error: "the notifier is unreachable; try again in a moment" }, { status: 502 });
  }
  const out = new Headers();
  const type = r.headers.get("content-type");
  if (type) out.set("content-type", type);
  if (type?.startsWith("text/event-stream")) {
    // `no-transform` keeps Next's compression from buffering the stream.
    out.set("cache-control", "no-cache, no-transform");
    out.set("x-accel-buffering", "no");
  } else out.set("cache-control", "no-store");
  return new Response(r.body, { status: r.status, headers: out });
}

export { proxy as GET, proxy as POST, proxy as PUT, proxy as DELETE };
