/**
 * Meter certificates: the community's meter registrar (an installer) signs a meter's device key
 * and capacity for its owner (EIP-712, see @powershare/contracts `meterCertificateTypedData`); the
 * owner pastes the JSON it received here and registers the meter with
 * `DeliverySettlement.registerMeter(certificate, signature)`.
 */
import type { MeterCertificate, SignedMeterCertificate } from "@powershare/contracts";
import { getAddress, isAddress, isHex, type Address } from "viem";

export type ParsedCertificate = { ok: true; value: SignedMeterCertificate } | { ok: false; error: string };

const uint = (v: unknown, bits: number): number | null => {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 && n < 2 ** bits ? n : null;
};

/**
 * Parses `{ "certificate": { communityId, owner, kind, capacityW, deviceKey, deadline },
 * "signature": "0x…" }` and checks it is for `owner` (the connected wallet) and not expired at
 * `nowSeconds`. The chain checks the registrar's signature.
 */
export function parseSignedCertificate(text: string, owner: Address, nowSeconds: number): ParsedCertificate {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: "The certificate is not valid JSON." };
  }
  if (typeof raw !== "object" || raw === null)
    return { ok: false, error: "The certificate is not a JSON object." };
  const { certificate: c, signature } = raw as { certificate?: Record<string, unknown>; signature?: unknown };
  if (typeof c !== "object" || c === null) return { ok: false, error: 'The JSON lacks its "certificate".' };
  if (typeof signature !== "string" || !isHex(signature) || signature.length < 4)
    return { ok: false, error: 'The JSON lacks the registrar\'s "signature" (0x…).' };
  const communityId = uint(c.communityId, 32);
  const kind = uint(c.kind, 8);
  const capacityW = uint(c.capacityW, 32);
  const deadline = uint(c.deadline, 40);
  if (communityId === null || communityId === 0)
    return { ok: false, error: "The certificate's community is invalid." };
  if (kind === null || kind > 3) return { ok: false, error: "The certificate's meter kind is invalid." };
  if (capacityW === null || capacityW === 0)
    return { ok: false, error: "The certificate's capacity is invalid." };
  if (deadline === null) return { ok: false, error: "The certificate's deadline is invalid." };
  if (typeof c.owner !== "string" || !isAddress(c.owner))
    return { ok: false, error: "The certificate's owner is invalid." };
  if (typeof c.deviceKey !== "string" || !isAddress(c.deviceKey))
    return { ok: false, error: "The certificate's device key is invalid." };
  if (getAddress(c.owner) !== getAddress(owner))
    return {
      ok: false,
      error: `The certificate is for ${getAddress(c.owner)}, not for the connected wallet.`,
    };
  if (deadline < nowSeconds)
    return { ok: false, error: "The certificate has expired; ask the registrar for a new one." };
  const certificate: MeterCertificate = {
    communityId,
    owner: getAddress(c.owner),
    kind,
    capacityW,
    deviceKey: getAddress(c.deviceKey),
    deadline,
  };
  return { ok: true, value: { certificate, signature } };
}
