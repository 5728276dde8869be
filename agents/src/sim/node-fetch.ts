/**
 * A `fetch` for viem's HTTP transport on node:http with a keep-alive agent: the JSON-RPC requests
 * to the local node without the WHATWG fetch machinery (Request/Response objects, web streams),
 * which cost the simulation more CPU than the calls themselves. It implements only what viem's
 * transport uses: POST with a string body, an abort signal, and a response with `ok`, `status`,
 * `statusText`, `headers.get` and `text()`.
 */
import http from "node:http";
import { decodeFunctionData, multicall3Abi } from "viem";

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

/** `nodeFetch` that counts the JSON-RPC calls it carries by method (eth_call by its selector). */
export function countingFetch(counts: Record<string, number>): typeof nodeFetch {
  return (url, init = {}) => {
    if (typeof init.body === "string") {
      const body = JSON.parse(init.body) as unknown;
      const calls = (Array.isArray(body) ? body : [body]) as { method: string; params?: unknown[] }[];
      counts["http_requests"] = (counts["http_requests"] ?? 0) + 1;
      counts["http_request_kb"] = (counts["http_request_kb"] ?? 0) + init.body.length / 1024;
      const keys = calls.map((c) => {
        let k = c.method;
        if (k === "eth_call")
          k += `:${String((c.params?.[0] as { data?: string } | undefined)?.data ?? "").slice(0, 10)}`;
        counts[k] = (counts[k] ?? 0) + 1;
        counts[`${k} up kB`] = (counts[`${k} up kB`] ?? 0) + JSON.stringify(c).length / 1024;
        if (k === "eth_call:0x82ad56cb" && process.env.POWERSHARE_SIM_RPC_STATS === "2") {
          const data = (c.params?.[0] as { data: `0x${string}` }).data;
          const { args } = decodeFunctionData({ abi: multicall3Abi, data });
          const seen = new Set<string>();
          for (const sub of args[0] as readonly { target: string; callData: string }[]) {
            const sk = `  sub ${sub.callData.slice(0, 10)}`;
            counts[sk] = (counts[sk] ?? 0) + 1;
            const full = sub.target + sub.callData;
            if (seen.has(full)) counts["  sub duplicates"] = (counts["  sub duplicates"] ?? 0) + 1;
            seen.add(full);
            counts["  sub total"] = (counts["  sub total"] ?? 0) + 1;
          }
        }
        return k;
      });
      return nodeFetch(url, init).then(async (res) => {
        const text = await res.text();
        counts["http_response_kb"] = (counts["http_response_kb"] ?? 0) + text.length / 1024;
        const parsed = JSON.parse(text) as unknown;
        const answers = Array.isArray(parsed) ? parsed : [parsed];
        answers.forEach((a: unknown, i) => {
          const k = `${keys[i] ?? "?"} down kB`;
          counts[k] = (counts[k] ?? 0) + JSON.stringify(a).length / 1024;
        });
        return res;
      });
    }
    return nodeFetch(url, init);
  };
}
