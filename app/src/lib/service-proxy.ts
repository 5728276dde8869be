/**
 * Server-only: one handler for the app's `/api/<service>/*` routes that forward to a service
 * behind the app (indexer, notifier, agents). The path and query are passed on under the
 * service's prefix, only the named request headers travel (no cookies), and the response body is
 * streamed back — Server-Sent Events stay live (no buffering, no compression). Without a configured
 * base URL every path answers 404 with the service's sentence; a service that cannot be reached
 * answers 502 with one.
 */
import "server-only";

export interface ServiceProxy {
  /** The service's base URL from the server's configuration, or undefined when it is not set. */
  base: () => string | undefined;
  /** Upstream path prefix the catch-all path is appended to (e.g. "/agents"); default none. */
  prefix?: string;
  /** Request headers passed through (lower case). */
  headers: readonly string[];
  /** Request headers set when the browser sent none. */
  defaultHeaders?: Readonly<Record<string, string>>;
  /** Cache-Control of non-streamed answers: "no-store", or the service's own ("upstream"). */
  cacheControl: "no-store" | "upstream";
  /** JSON body of the 404 when the service is not configured. */
  notConfigured?: unknown;
  /** JSON body of the 502 when the service cannot be reached. */
  unreachable: unknown;
}

type Params = { params: Promise<{ path: string[] }> };

export function serviceProxy(o: ServiceProxy) {
  return async function proxy(req: Request, { params }: Params): Promise<Response> {
    const base = o.base();
    if (!base) return Response.json(o.notConfigured ?? { error: "not configured" }, { status: 404 });
    const { path } = await params;
    const url = new URL(req.url);
    const target = `${base}${o.prefix ?? ""}/${path.map(encodeURIComponent).join("/")}${url.search}`;
    const headers = new Headers(o.defaultHeaders);
    for (const h of o.headers) {
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
      return Response.json(o.unreachable, { status: 502 });
    }
    const out = new Headers();
    const type = r.headers.get("content-type");
    if (type) out.set("content-type", type);
    if (type?.startsWith("text/event-stream")) {
      // `no-transform` keeps Next's compression from buffering the stream.
      out.set("cache-control", "no-cache, no-transform");
      out.set("x-accel-buffering", "no");
    } else if (o.cacheControl === "no-store") out.set("cache-control", "no-store");
    else {
      const cc = r.headers.get("cache-control");
      if (cc) out.set("cache-control", cc);
    }
    return new Response(r.body, { status: r.status, headers: out });
  };
}
