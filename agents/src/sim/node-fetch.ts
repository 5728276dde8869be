/**
 * A `fetch` for viem's HTTP transport on node:http with a keep-alive agent: the JSON-RPC requests
 * to the local node without the WHATWG fetch machinery (Request/Response objects, web streams),
 * which cost the simulation more CPU than the calls themselves. It implements only what viem's
 * transport uses: POST with a string body, an abort signal, and a response with `ok`, `status`,
 * `statusText`, `headers.get` and `text()`.
 */
import http from "node:http";

// one connection: requests reach the node in the order they are made (the run stays deterministic)
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface MiniResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  body: null;
  text(): Promise<string>;
}

export function nodeFetch(url: string | URL, init: RequestInit = {}): Promise<MiniResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init.body === "string" ? init.body : "";
    headers["content-length"] = String(Buffer.byteLength(body));
    const req = http.request(url, { method: init.method ?? "POST", headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          statusText: res.statusMessage ?? "",
          headers: {
            get: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
          },
          body: null,
          text: async () => text,
        });
      });
    });
    req.on("error", reject);
    const signal = init.signal;
    if (signal) {
      if (signal.aborted) req.destroy(signal.reason as Error);
      else signal.addEventListener("abort", () => req.destroy(signal.reason as Error), { once: true });
    }
    req.end(body);
  });
}
