/** A simulated meter's signing device: builds signed reading payloads. */
import type { PrivateKeyAccount } from "viem/accounts";
import { readingDigest, type Reading, type UnsignedReading } from "../protocol/reading.ts";

export async function signReading(device: PrivateKeyAccount, r: UnsignedReading): Promise<Reading> {
  const sig = await device.signMessage({ message: { raw: readingDigest(r) } });
  return { ...r, sig };
}
