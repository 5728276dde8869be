/**
 * The Sign-In with Ethereum (EIP-4361) message the dApp asks the wallet to sign for the notifier:
 * it names the page's host as its domain, the notifier's nonce and the chain. A notifier that
 * expects another domain or chain is refused here, with a sentence, before the wallet opens.
 */
import type { Address } from "viem";
import { createSiweMessage } from "viem/siwe";
import type { NotifierNonce } from "./notifier-api";

export const SIGN_IN_STATEMENT =
  "Sign in to PowerShare notifications: read and change my notification settings.";

export class SignInRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignInRefused";
  }
}

export function signInMessage(p: {
  address: Address;
  /** Who the sign-in is for, in the refusals (default the notifier and NOTIFIER_SIWE_DOMAIN). */
  service?: { name: string; domainSetting: string };
  statement?: string;
  /** The page's host (host[:port]) and origin, as the browser reports them. */
  host: string;
  origin: string;
  chainId: number;
  nonce: Pick<NotifierNonce, "nonce" | "domain"> & { chainId?: number };
  now?: Date;
  /** How long the signed message may be used to sign in (default 10 min). */
  validForMs?: number;
}): string {
  const service = p.service ?? { name: "notifier", domainSetting: "NOTIFIER_SIWE_DOMAIN" };
  if (p.nonce.domain !== p.host)
    throw new SignInRefused(
      `The ${service.name} accepts sign-ins for ${p.nonce.domain}, but this page is ${p.host}: its operator must set ${service.domainSetting}=${p.host}.`,
    );
  if (p.nonce.chainId !== undefined && p.nonce.chainId !== p.chainId)
    throw new SignInRefused(
      `The ${service.name} runs on chain ${p.nonce.chainId}, this dApp on chain ${p.chainId}; they must be the same.`,
    );
  const now = p.now ?? new Date();
  return createSiweMessage({
    address: p.address,
    chainId: p.chainId,
    domain: p.host,
    nonce: p.nonce.nonce,
    uri: p.origin,
    version: "1",
    statement: p.statement ?? SIGN_IN_STATEMENT,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + (p.validForMs ?? 10 * 60_000)),
  });
}

/** True when a wallet error means the user declined (EIP-1193 code 4001, anywhere in its causes). */
export function isWalletRejection(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; cause?: unknown; name?: unknown } | undefined, i = 0;
    e && i < 10;
    i++
  ) {
    if (e.code === 4001 || e.name === "UserRejectedRequestError") return true;
    e = e.cause as typeof e;
  }
  return false;
}
