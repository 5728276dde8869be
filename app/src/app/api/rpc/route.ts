/** POST /api/rpc — the browser's JSON-RPC, proxied to CHAIN_RPC_URL (one origin for the app). */
import { serverEnv } from "@/lib/server-config";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  const body = await req.text();
  try {
    const r = await fetch(serverEnv().rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      cache: "no-store",
    });
    return new Response(await r.text(), {
      status: r.status,
      headers: { "content-type": "application/json" },
    });
  } catch {
    return Response.json(
      { jsonrpc: "2.0", id: null, error: { code: -32603, message: "chain RPC unreachable" } },
      { status: 502 },
    );
  }
}
