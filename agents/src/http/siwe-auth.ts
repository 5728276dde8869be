/**
 * Sign-In with Ethereum for the agents API (EIP-4361, viem/siwe): the client asks for a nonce,
 * signs a SIWE message for this service's domain with its wallet, and sends
 * `Authorization: SIWE <base64url(JSON {message, signature})>` with per-user requests. A nonce is
 * good for one sign-in within its expiry; the sign-in then holds until the message's expirationTime
 * (or 1 h). Smart-contract wallets are verified through the public client (ERC-1271/6492).
 */
import { randomBytes } from "node:crypto";
import type { Address } from "viem";
import { generateSiweNonce, parseSiweMessage } from "viem/siwe";
import type { AnyPublicClient } from "@powershare/contracts/sdk";

export class AuthError extends Error {
  override name = "AuthError";
  readonly status: number;
  constructor(message: string, status = 401) {
    super(message);
    this.status = status;
  }
}

export class SiweAuth {
  readonly #nonces = new Map<string, number>();
  readonly #sessions = new Map<string, { address: Address; expires: number }>();
  readonly domain: string;
  readonly #client: AnyPublicClient;
  readonly #nonceTtlMs: number;
  constructor(client: AnyPublicClient, domain: string, nonceTtlMs = 10 * 60_000) {
    this.#client = client;
    this.domain = domain;
    this.#nonceTtlMs = nonceTtlMs;
  }

  nonce(): string {
    const n = generateSiweNonce();
    this.#nonces.set(n, Date.now() + this.#nonceTtlMs);
    if (this.#nonces.size > 10_000)
      for (const [k, exp] of this.#nonces) if (exp < Date.now()) this.#nonces.delete(k);
    return n;
  }

  /** The signed-in address of a request, or an AuthError saying why not. */
  async verify(header: string | undefined): Promise<Address> {
    if (!header)
      throw new AuthError("this action needs Sign-In with Ethereum: send Authorization: SIWE <token>");
    const [scheme, token] = header.split(" ");
    if (scheme !== "SIWE" || !token) throw new AuthError('the Authorization header must be "SIWE <token>"');
    const cached = this.#sessions.get(token);
    if (cached) {
      if (cached.expires > Date.now()) return cached.address;
      this.#sessions.delete(token);
      throw new AuthError("the sign-in has expired; sign in again");
    }
    let body: { message?: unknown; signature?: unknown };
    try {
      body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as typeof body;
    } catch {
      throw new AuthError("the SIWE token is not base64url-encoded JSON {message, signature}");
    }
    if (
      typeof body.message !== "string" ||
      typeof body.signature !== "string" ||
      !/^0x[0-9a-fA-F]+$/.test(body.signature)
    )
      throw new AuthError("the SIWE token needs a message string and a 0x signature");
    const fields = parseSiweMessage(body.message);
    if (!fields.address || !fields.nonce) throw new AuthError("the SIWE message has no address or nonce");
    if (fields.domain !== this.domain)
      throw new AuthError(`the SIWE message is for ${fields.domain ?? "no domain"}, not ${this.domain}`);
    const exp = this.#nonces.get(fields.nonce);
    if (exp === undefined || exp < Date.now())
      throw new AuthError("the SIWE nonce is unknown, used or expired; ask /agents/auth/nonce");
    const ok = await this.#client.verifySiweMessage({
      message: body.message,
      signature: body.signature as `0x${string}`,
      domain: this.domain,
      nonce: fields.nonce,
    });
    if (!ok) throw new AuthError("the SIWE signature does not verify");
    this.#nonces.delete(fields.nonce);
    const expires = fields.expirationTime ? fields.expirationTime.getTime() : Date.now() + 3_600_000;
    this.#sessions.set(token, { address: fields.address, expires });
    return fields.address;
  }
}

export const randomId = () => randomBytes(8).toString("hex");
