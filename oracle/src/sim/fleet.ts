/** Creates the meters file of a simulated fleet (deterministic from a seed). */
import { METER_KINDS, type MeterKind } from "../protocol/meter.ts";
import type { MetersFile } from "../directory/json-file.ts";
import { deviceAccount, ownerAccount } from "./keys.ts";

export interface FleetOptions {
  seed: string;
  meters: number;
  communities: number;
  slotLength: number;
  clock?: { epochMs: number; speed: number };
}

const CAPACITY: Record<MeterKind, number> = { producer: 6000, consumer: 4000, prosumer: 8000, storage: 5000 };
// A realistic mix: mostly households, some PV, a few batteries.
const MIX: MeterKind[] = ["consumer", "prosumer", "consumer", "producer", "consumer", "prosumer", "storage"];

export function fleetFile(o: FleetOptions): MetersFile {
  const meters = Array.from({ length: o.meters }, (_, i) => {
    const meterId = i + 1;
    const kind = MIX[i % MIX.length]!;
    return {
      meterId,
      communityId: (i % o.communities) + 1,
      owner: ownerAccount(o.seed, meterId).address,
      kind,
      capacityW: CAPACITY[kind],
      deviceKey: deviceAccount(o.seed, meterId).address,
      active: true,
    };
  });
  return {
    version: 1,
    seed: o.seed,
    ...(o.clock ? { clock: o.clock } : {}),
    communities: Array.from({ length: o.communities }, (_, c) => ({
      communityId: c + 1,
      slotLength: o.slotLength,
    })),
    meters,
  };
}

export { METER_KINDS };
