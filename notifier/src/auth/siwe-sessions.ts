/**
 * Sign-In with Ethereum (EIP-4361) with viem's siwe utilities: the notifier issues a nonce, the
 * wallet signs a message naming this notifier's domain, the nonce and the chain; the notifier
 * checks every field, verifies the signature (EOA, or ERC-1271 / ERC-6492 contract wallets through
 * the chain) and answers a bearer token bound to that address.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import { generateSiweNonce, parseSiweMessage, verifySiweMessage } from "viem/siwe";
import type { AnyPublicClient } from "@powershare/contracts/sdk";
import type { NotifierStore } from "../store/notifier-store.ts";

export class AuthError extends Error {
  readonly status: number;
  constructor(message: string, status = 401) {
    super(message);
    this.status = status;
  }
}

export interface SiweOptions {
  /** The domain (host[:port]) the messages must name. */
  domain: string;
  chainId: number;
  sessionTtlMs: number;
  nonceTtlMs: number;
}

const hashToken = (t: string) => createHash("sha256").update(t).digest("hex");

export class SiweSessions {
  private store: NotifierStore;
  private client: AnyPublicClient;
  readonly opts: SiweOptions;
  constructor(store: NotifierStore, client: AnyPublicClient, opts: SiweOptions) {
    this.store = store;
    this.client = client;
    this.opts = opts;
  }

  async nonce(): Promise<string> {
    const n = generateSiweNonce();
    await this.store.addNonce(n);
    return n;
  }

  async signIn(
    message: unknown,
    signature: unknown,
    now = new Date(),
  ): Promise<{ token: string; address: Address; expiresAt: number }> {
    if (typeof message !== "string" || message.length === 0 || message.length > 4096)
      throw new AuthError("message must be the EIP-4361 text the wallet signed", 400);
    if (typeof signature !== "string" || !/^0x[0-9a-fA-F]+$/.test(signature))
      throw new AuthError("signature must be a 0x-prefixed hex string", 400);
    const m = parseSiweMessage(message);
    if (!m.address || !m.domain || !m.nonce || !m.uri || !m.version || !m.chainId || !m.issuedAt)
      throw new AuthError("the message is not a complete Sign-In with Ethereum message (EIP-4361)", 400);
    if (m.domain !== this.opts.domain)
      throw new AuthError(`the message is for ${m.domain}, not for this notifier (${this.opts.domain})`);
    if (m.chainId !== this.opts.chainId)
      throw new AuthError(`the message is for chain ${m.chainId}, not ${this.opts.chainId}`);
    if (m.expirationTime && m.expirationTime.getTime() <= now.getTime())
      throw new AuthError("the message has expired");
    if (m.notBefore && m.notBefore.getTime() > now.getTime())
      throw new AuthError("the message is not valid yet");
    const ok = await verifySiweMessage(this.client, {
      message,
      signature: signature as Hex,
      domain: this.opts.domain,
      nonce: m.nonce,
      address: m.address,
      time: now,
    }).catch(() => false);
    if (!ok) throw new AuthError(`the signature was not made by ${m.address}`);
    // Spend the nonce only for a good signature, so nobody can burn someone else's.
    if (!(await this.store.useNonce(m.nonce, this.opts.nonceTtlMs, now.getTime())))
      throw new AuthError("the nonce was not issued by this notifier, has expired, or was already used");
    const token = randomBytes(32).toString("base64url");
    const address = m.address.toLowerCase() as Address;
    const expiresAt = now.getTime() + this.opts.sessionTtlMs;
    await this.store.addSession(hashToken(token), address, expiresAt);
    return { token, address, expiresAt };
  }

  /** The address a bearer token belongs to; throws AuthError when missing, unknown or expired. */
  async address(token: string | undefined): Promise<Address> {
    if (!token)
      throw new AuthError("sign in first: send Authorization: Bearer <token> from POST /v1/auth/verify");
    const a = await this.store.session(hashToken(token));
    if (!a) throw new AuthError("the session token is unknown or expired; sign in again");
    return a;
  }

  async signOut(token: string): Promise<void> {
    await this.store.dropSession(hashToken(token));
  }
}
