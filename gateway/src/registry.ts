/**
 * The subscriber registry: who may call the gateway and with which key. A Beckn network keeps it
 * in a registry service; here it is a local JSON file by default (the registry's `lookup` answer
 * format, one entry per subscriber and key):
 *
 *   { "subscribers": [ { "subscriber_id": "bap.example.com", "unique_key_id": "k1", "type": "BAP",
 *       "subscriber_url": "https://bap.example.com/beckn", "signing_public_key": "<base64 ed25519>",
 *       "status": "SUBSCRIBED", "valid_from": "…", "valid_until": "…" } ] }
 *
 * The file is re-read when it changes, so keys can be added or revoked without a restart.
 */
import { readFileSync, statSync } from "node:fs";
import { publicKeyObject } from "./signing.ts";

export interface Subscriber {
  subscriberId: string;
  uniqueKeyId: string;
  type: "BAP" | "BPP" | "BG" | "BREG";
  subscriberUrl: string;
  signingPublicKey: string;
  status: string;
  validFrom?: Date | undefined;
  validUntil?: Date | undefined;
}

export interface Registry {
  lookup(subscriberId: string, uniqueKeyId: string): Subscriber | undefined;
  all(): Subscriber[];
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

function parseEntry(raw: unknown, i: number): Subscriber {
  const e = raw as Record<string, unknown>;
  const where = `registry entry ${i}`;
  if (!e || typeof e !== "object") throw new RegistryError(`${where} is not an object`);
  const str = (k: string, required = true): string | undefined => {
    const v = e[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || !v) throw new RegistryError(`${where}: ${k} must be a non-empty string`);
    return v;
  };
  const type = str("type")!;
  if (!["BAP", "BPP", "BG", "BREG"].includes(type))
    throw new RegistryError(`${where}: type must be BAP, BPP, BG or BREG`);
  const key = str("signing_public_key")!;
  try {
    publicKeyObject(key);
  } catch (err) {
    throw new RegistryError(`${where}: signing_public_key: ${(err as Error).message}`);
  }
  const date = (k: string) => {
    const v = str(k, false);
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new RegistryError(`${where}: ${k} is not a date`);
    return d;
  };
  return {
    subscriberId: str("subscriber_id")!,
    uniqueKeyId: str("unique_key_id")!,
    type: type as Subscriber["type"],
    subscriberUrl: str("subscriber_url")!,
    signingPublicKey: key,
    status: str("status", false) ?? "SUBSCRIBED",
    validFrom: date("valid_from"),
    validUntil: date("valid_until"),
  };
}

export function parseRegistry(json: unknown): Subscriber[] {
  const list = (json as { subscribers?: unknown })?.subscribers;
  if (!Array.isArray(list)) throw new RegistryError('the registry must be { "subscribers": [ … ] }');
  return list.map(parseEntry);
}

/** An in-memory registry (tests, or a registry fetched elsewhere). */
export function staticRegistry(subscribers: Subscriber[], now: () => Date = () => new Date()): Registry {
  return {
    lookup(subscriberId, uniqueKeyId) {
      const t = now();
      return subscribers.find(
        (s) =>
          s.subscriberId === subscriberId &&
          s.uniqueKeyId === uniqueKeyId &&
          s.status === "SUBSCRIBED" &&
          (!s.validFrom || s.validFrom <= t) &&
          (!s.validUntil || s.validUntil > t),
      );
    },
    all: () => [...subscribers],
  };
}

/** A registry read from a JSON file, re-read when the file's mtime changes. */
export function fileRegistry(file: string): Registry {
  let mtime = -1;
  let current: Registry = staticRegistry([]);
  const refresh = () => {
    const m = statSync(file).mtimeMs;
    if (m === mtime) return;
    current = staticRegistry(parseRegistry(JSON.parse(readFileSync(file, "utf8"))));
    mtime = m;
  };
  refresh(); // a bad file at start is an error at start
  return {
    lookup(subscriberId, uniqueKeyId) {
      try {
        refresh();
      } catch {
        // keep the last good registry if the file is being rewritten
      }
      return current.lookup(subscriberId, uniqueKeyId);
    },
    all: () => current.all(),
  };
}
