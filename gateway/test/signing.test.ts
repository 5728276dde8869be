import { describe, expect, it } from "vitest";
import {
  authorizationHeader,
  bodyDigest,
  generateSigningKeyPair,
  parseAuthorization,
  publicKeyOf,
  signingString,
  SignatureError,
  verifySignature,
} from "../src/signing.ts";
import { createHash } from "node:crypto";

const key = generateSigningKeyPair();
const signer = { subscriberId: "bap.example.com", uniqueKeyId: "k1", privateKey: key.privateKey };
const reason = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SignatureError);
    return (err as SignatureError).reason;
  }
  throw new Error("did not throw");
};

describe("Beckn signatures", () => {
  it("digests with BLAKE2b-512 and signs the (created) (expires) digest string", () => {
    expect(bodyDigest("abc")).toBe(createHash("blake2b512").update("abc").digest("base64"));
    expect(Buffer.from(bodyDigest("{}"), "base64")).toHaveLength(64);
    expect(signingString(1, 2, "ZGln")).toBe("(created): 1\n(expires): 2\ndigest: BLAKE-512=ZGln");
  });

  it("round-trips a header and accepts the 64-byte seed‖public key form", () => {
    const body = '{"context":{},"message":{}}';
    const h = authorizationHeader(body, signer, { created: 1_700_000_000, ttlSeconds: 60 });
    const p = parseAuthorization(h);
    expect(p).toMatchObject({
      subscriberId: "bap.example.com",
      uniqueKeyId: "k1",
      created: 1_700_000_000,
      expires: 1_700_000_060,
    });
    verifySignature(body, p, key.publicKey, { now: 1_700_000_010 });
    const long = Buffer.concat([
      Buffer.from(key.privateKey, "base64"),
      Buffer.from(key.publicKey, "base64"),
    ]).toString("base64");
    expect(publicKeyOf(long)).toBe(key.publicKey);
    verifySignature(
      body,
      parseAuthorization(authorizationHeader(body, { ...signer, privateKey: long })),
      key.publicKey,
    );
  });

  it("refuses tampered bodies, other keys, expired and future signatures", () => {
    const body = '{"a":1}';
    const p = parseAuthorization(authorizationHeader(body, signer, { created: 1000, ttlSeconds: 60 }));
    expect(reason(() => verifySignature('{"a":2}', p, key.publicKey, { now: 1001 }))).toBe("bad-signature");
    expect(reason(() => verifySignature(body, p, generateSigningKeyPair().publicKey, { now: 1001 }))).toBe(
      "bad-signature",
    );
    expect(reason(() => verifySignature(body, p, key.publicKey, { now: 1061 + 31 }))).toBe("expired");
    expect(reason(() => verifySignature(body, p, key.publicKey, { now: 1000 - 31 }))).toBe("not-yet-valid");
  });

  it("refuses malformed headers with a reason", () => {
    expect(reason(() => parseAuthorization(undefined))).toBe("missing");
    expect(reason(() => parseAuthorization("Bearer x"))).toBe("malformed");
    expect(reason(() => parseAuthorization('Signature keyId="a|b|ed25519",created="1"'))).toBe("malformed");
    expect(
      reason(() =>
        parseAuthorization(
          'Signature keyId="a|b|rsa",algorithm="rsa",created="1",expires="2",headers="(created) (expires) digest",signature="x"',
        ),
      ),
    ).toBe("unsupported-algorithm");
    expect(
      reason(() =>
        parseAuthorization(
          'Signature keyId="a|b|ed25519",created="5",expires="2",headers="(created) (expires) digest",signature="x"',
        ),
      ),
    ).toBe("malformed");
  });
});
