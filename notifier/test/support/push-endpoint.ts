/**
 * A local Web Push endpoint for tests: a push service stand-in that records what arrives, a
 * browser-side key pair, and the RFC 8291 (aes128gcm, RFC 8188) decryption a browser does.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  verify,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";

export interface PushReceived {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A self-signed certificate for 127.0.0.1 (test only): the notifier is given it as an extra CA. */
export const PUSH_TLS_CERT = new URL("./push-tls.crt", import.meta.url);
const TLS_KEY = new URL("./push-tls.key", import.meta.url);

const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();

/** Decrypts an aes128gcm Web Push message body with the subscriber's private key and auth secret. */
export function decryptWebPush(
  body: Buffer,
  uaPrivate: Buffer,
  uaPublic: Buffer,
  authSecret: Buffer,
): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (ciphertext.length > rs) throw new Error("more than one record");
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(uaPrivate);
  const ecdhSecret = ecdh.computeSecret(asPublic);
  // RFC 8291 §3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0 || ua_public || as_public, 32)
  const prkKey = hmac(authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), uaPublic, asPublic, Buffer.from([1])]);
  const ikm = hmac(prkKey, keyInfo);
  // RFC 8188 §2.2-2.3: CEK and NONCE from HKDF(salt, IKM).
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const d = createDecipheriv("aes-128-gcm", cek, nonce);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
  // Padding: the last record ends with a 0x02 delimiter followed by zeros.
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw new Error("bad padding delimiter");
  return plain.subarray(0, end).toString("utf8");
}

/** Checks the VAPID Authorization header (RFC 8292): `vapid t=<ES256 JWT>, k=<public key>`. */
export function verifyVapid(
  header: string,
  expectedPublicKey: string,
  audience: string,
): Record<string, unknown> {
  const m = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header);
  if (!m) throw new Error(`not a VAPID authorization header: ${header}`);
  const [jwt, k] = [m[1]!, m[2]!];
  if (k !== expectedPublicKey) throw new Error("VAPID key is not the notifier's");
  const [h, p, s] = jwt.split(".") as [string, string, string];
  const pub = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: pub.subarray(1, 33).toString("base64url"),
      y: pub.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  if (!ok) throw new Error("VAPID JWT signature does not verify");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
  if (claims.aud !== audience) throw new Error(`VAPID audience ${String(claims.aud)} is not ${audience}`);
  return claims;
}

export interface PushEndpoint {
  url: string;
  received: PushReceived[];
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  decrypt(r: PushReceived): string;
  /** Next N requests answer this status. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startPushEndpoint(): Promise<PushEndpoint> {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const uaPublic = ecdh.getPublicKey();
  const uaPrivate = ecdh.getPrivateKey();
  const auth = randomBytes(16);
  const received: PushReceived[] = [];
  let failing = { n: 0, status: 500 };
  const server: Server = createServer(
    { key: readFileSync(TLS_KEY), cert: readFileSync(PUSH_TLS_CERT) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (failing.n > 0) {
          failing.n--;
          res.writeHead(failing.status).end();
          return;
        }
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(201).end();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    subscription: {
      endpoint: `${url}/push/sub-1`,
      keys: { p256dh: uaPublic.toString("base64url"), auth: auth.toString("base64url") },
    },
    decrypt: (r) => decryptWebPush(r.body, uaPrivate, uaPublic, auth),
    failNext(n, status) {
      failing = { n, status };
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Encrypts like a push sender would (used to test the decryption on its own). */
export function encryptForTest(plaintext: string, uaPublic: Buffer, authSecret: Buffer): Buffer {
  const as = createECDH("prime256v1");
  as.generateKeys();
  const salt = randomBytes(16);
  const ecdhSecret = as.computeSecret(uaPublic);
  const ikm = hmac(
    hmac(authSecret, ecdhSecret),
    Buffer.concat([Buffer.from("WebPush: info\0"), uaPublic, as.getPublicKey(), Buffer.from([1])]),
  );
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const c = createCipheriv("aes-128-gcm", cek, nonce);
  const ct = Buffer.concat([
    c.update(Buffer.concat([Buffer.from(plaintext), Buffer.from([2])])),
    c.final(),
    c.getAuthTag(),
  ]);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(4096, 16);
  header[20] = 65;
  return Buffer.concat([header, as.getPublicKey(), ct]);
}
