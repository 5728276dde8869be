/**
 * `meter certify` (the community's meter registrar signs a meter's device key and capacity for its
 * owner) and `meter register` (the owner registers the meter with that certificate); decision 0023.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { certifyMeter, InvalidInputError, registerMeter } from "@powershare/contracts/sdk";
import type { MeterCertificate, SignedMeterCertificate } from "@powershare/contracts";
import type { Out } from "../output.ts";
import type { Session } from "../session.ts";
import { parseAddress } from "./read.ts";

const KINDS = ["producer", "consumer", "prosumer", "storage"] as const;

function int(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new InvalidInputError(`${what} must be a whole number, got "${text}"`);
  return Number(text);
}

export async function certify(
  s: Session,
  out: Out,
  o: {
    community: string;
    owner: string;
    kind: string;
    capacityW: string;
    deviceKey: string;
    days: string;
    out?: string;
  },
): Promise<void> {
  const kind = KINDS.indexOf(o.kind as (typeof KINDS)[number]);
  if (kind < 0) throw new InvalidInputError(`--kind must be one of ${KINDS.join(", ")}, got "${o.kind}"`);
  const certificate: MeterCertificate = {
    communityId: int(o.community, "--community", 2 ** 32 - 1),
    owner: parseAddress(o.owner, "--owner"),
    kind,
    capacityW: int(o.capacityW, "--capacity-w", 2 ** 32 - 1),
    deviceKey: parseAddress(o.deviceKey, "--device-key"),
    deadline: (await s.ps.now()) + int(o.days, "--days", 3650) * 86_400,
  };
  const signed = await certifyMeter(s.ps.ctx, certificate);
  const json = JSON.stringify(signed, null, 2);
  if (o.out) writeFileSync(o.out, json + "\n");
  out.print(signed, () => (o.out ? `certificate written to ${o.out}` : json));
}

export async function register(s: Session, out: Out, file: string, o: { dryRun?: boolean }): Promise<void> {
  let signed: SignedMeterCertificate;
  try {
    signed = JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8")) as SignedMeterCertificate;
  } catch {
    throw new InvalidInputError(`cannot read a certificate JSON from ${file}`);
  }
  if (!signed?.certificate || typeof signed.signature !== "string")
    throw new InvalidInputError(`${file} is not a meter certificate ({ certificate, signature })`);
  const r = await registerMeter(s.ps.ctx, signed, { dryRun: o.dryRun ?? false });
  out.print(
    { meterId: r.result, dryRun: r.simulated, tx: r.hash, certificate: signed.certificate },
    () =>
      `${r.simulated ? "[dry run] would register" : "registered"} meter #${r.result} in community ${signed.certificate.communityId}` +
      `${r.hash ? `\n  tx ${r.hash}` : ""}`,
  );
}
