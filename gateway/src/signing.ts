/**
 * Beckn message signing: an ed25519 signature over the BLAKE2b-512 digest of the body, carried in
 * the `Authorization` header (Beckn's "Signing Beckn APIs in HTTP" draft):
 *
 *   Authorization: Signature keyId="{subscriber_id}|{unique_key_id}|ed25519",algorithm="ed25519",
 *     created="{unix}",expires="{unix}",headers="(created) (expires) digest",signature="{base64}"
 *
 * where the signed string is
 *
 *   (created): {created}\n(expires): {expires}\ndigest: BLAKE-512={base64(blake2b512(body))}
 *
 * Keys are raw ed25519 keys in base64: a 32-byte public key, and a 32-byte private seed (the 64-byte
 * seed‖public form of libsodium and the Beckn tooling is accepted too). Node's crypto only.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";

export type SignatureFailure =
  | "missing"
  | "malformed"
  | "unsupported-algorithm"
  | "expired"
  | "not-yet-valid"
  | "unknown-subscriber"
  | "replayed"
  | "bad-signature";

export class SignatureError extends Error {
  readonly reason: SignatureFailure;
  constructor(reason: SignatureFailure, message: string) {
    super(message);
    this.name = "SignatureError";
    this.reason = reason;
  }
}

export interface SigningKey {
  subscriberId: string;
  uniqueKeyId: string;
  /** base64 of the 32-byte seed (or 64-byte seed‖public). */
  privateKey: string;
}

export interface AuthorizationParams {
  subscriberId: string;
  uniqueKeyId: string;
  algorithm: string;
  created: number;
  expires: number;
  headers: string;
  signature: string;
}

/** base64(BLAKE2b-512(body)). */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash("blake2b512").update(body).digest("base64");
}

export function signingString(created: number, expires: number, digest: string): string {
  return `(created): ${created}\n(expires): ${expires}\ndigest: BLAKE-512=${digest}`;
}

function decodeKey(b64: string, what: string): Buffer {
  if (typeof b64 !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64.trim())) {
    throw new Error(`${what} must be base64`);
  }
  return Buffer.from(b64.trim(), "base64");
}

const b64url = (b: Buffer) => b.toString("base64url");

/** A Node KeyObject for a raw ed25519 private key (32-byte seed or 64-byte seed‖public). */
export function privateKeyObject(privateKeyB64: string): KeyObject {
  const raw = decodeKey(privateKeyB64, "the ed25519 private key");
  if (raw.length !== 32 && raw.length !== 64) {
    throw new Error(`the ed25519 private key must be 32 or 64 bytes, got ${raw.length}`);
  }
  const seed = raw.subarray(0, 32);
  // The public half is derived from the seed; JWK import needs it, so derive it first.
  const pub = createPublicKey(
    createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64url(seed), x: "" }, format: "jwk" }),
  );
  const x = pub.export({ format: "jwk" }).x!;
  return createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64url(seed), x }, format: "jwk" });
}

export function publicKeyObject(publicKeyB64: string): KeyObject {
  const raw = decodeKey(publicKeyB64, "the ed25519 public key");
  if (raw.length !== 32) throw new Error(`the ed25519 public key must be 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(raw) }, format: "jwk" });
}

/** The base64 raw public key of a base64 raw private key. */
export function publicKeyOf(privateKeyB64: string): string {
  const jwk = createPublicKey(privateKeyObject(privateKeyB64)).export({ format: "jwk" });
  return Buffer.from(jwk.x!, "base64url").toString("base64");
}

/** A fresh ed25519 key pair as base64 raw keys (seed, public). */
export function generateSigningKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  return {
    privateKey: Buffer.from(jwk.d!, "base64url").toString("base64"),
    publicKey: Buffer.from(jwk.x!, "base64url").toString("base64"),
  };
}

/** The `Authorization` header value for `body`, valid from `created` for `ttlSeconds`. */
export function authorizationHeader(
  body: string,
  key: SigningKey,
  opts: { created?: number; ttlSeconds?: number } = {},
): string {
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  const expires = created + (opts.ttlSeconds ?? 300);
  const signature = sign(
    null,
    Buffer.from(signingString(created, expires, bodyDigest(body))),
    privateKeyObject(key.privateKey),
  ).toString("base64");
  return (
    `Signature keyId="${key.subscriberId}|${key.uniqueKeyId}|ed25519",algorithm="ed25519",` +
    `created="${created}",expires="${expires}",headers="(created) (expires) digest",signature="${signature}"`
  );
}

/** Parses the header's parameters; throws SignatureError("missing" | "malformed" | "unsupported-algorithm"). */
export function parseAuthorization(header: string | undefined): AuthorizationParams {
  if (!header || !header.trim())
    throw new SignatureError("missing", "the request has no Authorization header");
  const m = /^\s*Signature\s+(.*)$/s.exec(header);
  if (!m) throw new SignatureError("malformed", 'the Authorization header must start with "Signature "');
  const params = new Map<string, string>();
  const re = /\s*([a-zA-Z]+)="([^"]*)"\s*(,|$)/gy;
  let match: RegExpExecArray | null;
  let last = 0;
  const rest = m[1]!;
  while (last < rest.length && (match = re.exec(rest))) {
    if (params.has(match[1]!))
      throw new SignatureError("malformed", `the Authorization header repeats ${match[1]}`);
    params.set(match[1]!, match[2]!);
    last = re.lastIndex;
  }
  if (last !== rest.length)
    throw new SignatureError("malformed", 'the Authorization header\'s parameters are not key="value" pairs');
  for (const k of ["keyId", "created", "expires", "headers", "signature"]) {
    if (!params.has(k)) throw new SignatureError("malformed", `the Authorization header has no ${k}`);
  }
  const keyId = params.get("keyId")!.split("|");
  if (keyId.length !== 3 || !keyId[0] || !keyId[1]) {
    throw new SignatureError("malformed", 'keyId must be "subscriber_id|unique_key_id|algorithm"');
  }
  const algorithm = params.get("algorithm") ?? keyId[2]!;
  if (algorithm !== "ed25519" || keyId[2] !== "ed25519") {
    throw new SignatureError(
      "unsupported-algorithm",
      `signature algorithm ${algorithm} is not supported (ed25519 only)`,
    );
  }
  const created = Number(params.get("created"));
  const expires = Number(params.get("expires"));
  if (!Number.isSafeInteger(created) || !Number.isSafeInteger(expires) || expires <= created) {
    throw new SignatureError(
      "malformed",
      "created and expires must be unix seconds with expires after created",
    );
  }
  if (params.get("headers") !== "(created) (expires) digest") {
    throw new SignatureError("malformed", 'headers must be "(created) (expires) digest"');
  }
  return {
    subscriberId: keyId[0],
    uniqueKeyId: keyId[1],
    algorithm,
    created,
    expires,
    headers: params.get("headers")!,
    signature: params.get("signature")!,
  };
}

/**
 * Checks the signature of `body` against `publicKeyB64`; throws SignatureError("expired" |
 * "not-yet-valid" | "bad-signature"). `skewSeconds` tolerates clocks a little apart.
 */
export function verifySignature(
  body: string | Uint8Array,
  auth: AuthorizationParams,
  publicKeyB64: string,
  opts: { now?: number; skewSeconds?: number } = {},
): void {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.skewSeconds ?? 30;
  if (now > auth.expires + skew) {
    throw new SignatureError(
      "expired",
      `the signature expired at ${new Date(auth.expires * 1000).toISOString()}`,
    );
  }
  if (auth.created > now + skew) {
    throw new SignatureError("not-yet-valid", `the signature is created in the future (${auth.created})`);
  }
  const ok = verify(
    null,
    Buffer.from(signingString(auth.created, auth.expires, bodyDigest(body))),
    publicKeyObject(publicKeyB64),
    Buffer.from(auth.signature, "base64"),
  );
  if (!ok)
    throw new SignatureError(
      "bad-signature",
      "the signature does not match the body and the subscriber's key",
    );
}
