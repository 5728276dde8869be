/** Signs in to the notifier as a dev account, as the dApp would (EIP-4361 via viem). */
import { createSiweMessage } from "viem/siwe";
import type { PrivateKeyAccount } from "viem/accounts";

export async function signIn(
  url: string,
  account: PrivateKeyAccount,
  over: Partial<Parameters<typeof createSiweMessage>[0]> = {},
): Promise<{ status: number; token?: string; error?: string; message: string }> {
  const n = (await (await fetch(`${url}/v1/auth/nonce`)).json()) as {
    nonce: string;
    domain: string;
    chainId: number;
  };
  const message = createSiweMessage({
    address: account.address,
    chainId: n.chainId,
    domain: n.domain,
    nonce: n.nonce,
    uri: `http://${n.domain}/`,
    version: "1",
    statement: "Sign in to PowerShare notifications",
    issuedAt: new Date(),
    ...over,
  });
  const signature = await account.signMessage({ message });
  const r = await fetch(`${url}/v1/auth/verify`, {
    method: "POST",
    body: JSON.stringify({ message, signature }),
  });
  const body = (await r.json()) as { token?: string; error?: string };
  return { status: r.status, ...body, message };
}

export function api(url: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as Record<string, any> };
  };
  return {
    get: (p: string) => call("GET", p),
    put: (p: string, b: unknown) => call("PUT", p, b),
    post: (p: string, b: unknown) => call("POST", p, b),
    del: (p: string) => call("DELETE", p),
  };
}
