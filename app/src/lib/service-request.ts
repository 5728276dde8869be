/**
 * One JSON request to a service behind the app's proxy routes (the notifier, the agents): the body
 * sent as JSON, the answer parsed when it is JSON (null otherwise), never cached. `undefined` when
 * the service cannot be reached at all; each service's client words its own errors.
 */
export interface ServiceReply {
  ok: boolean;
  status: number;
  statusText: string;
  json: unknown;
}

export async function serviceRequest(
  url: string,
  opts: { method?: string; authorization?: string; body?: unknown } = {},
): Promise<ServiceReply | undefined> {
  let r: Response;
  try {
    r = await fetch(url, {
      method: opts.method ?? "GET",
      headers: {
        ...(opts.authorization ? { authorization: opts.authorization } : {}),
        ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: "no-store",
    });
  } catch {
    return undefined;
  }
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the caller words the status
  }
  return { ok: r.ok, status: r.status, statusText: r.statusText, json };
}
