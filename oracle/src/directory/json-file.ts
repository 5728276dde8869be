/** A MeterDirectory read from a JSON file (the simulator writes it; tests and development use it). */
import { readFileSync, unwatchFile, watchFile, writeFileSync, renameSync } from "node:fs";
import { z } from "zod";
import { getAddress } from "viem";
import { METER_KINDS, type MeterInfo } from "../protocol/meter.ts";
import type { MeterDirectory } from "./directory.ts";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")
  .transform((a) => getAddress(a));
const uint32 = z.number().int().nonnegative().max(0xffff_ffff);

export const metersFileSchema = z.object({
  version: z.literal(1),
  /** Seed the simulator derived the device keys from (never the keys themselves). */
  seed: z.string().optional(),
  /** Scaled simulation clock shared by the simulator and the oracle. */
  clock: z.object({ epochMs: z.number().int(), speed: z.number().positive() }).optional(),
  communities: z.array(z.object({ communityId: uint32, slotLength: z.number().int().positive() })),
  meters: z.array(
    z.object({
      meterId: uint32,
      communityId: uint32,
      owner: address,
      kind: z.enum(METER_KINDS),
      capacityW: uint32,
      deviceKey: address,
      active: z.boolean(),
    }),
  ),
});

export type MetersFile = z.infer<typeof metersFileSchema>;

export function parseMetersFile(json: unknown): MetersFile {
  const parsed = metersFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid meters file: ${issues.join("; ")}`);
  }
  return parsed.data;
}

export function readMetersFile(path: string): MetersFile {
  return parseMetersFile(JSON.parse(readFileSync(path, "utf8")));
}

/** Writes atomically (temp file + rename) so a watching oracle never reads half a file. */
export function writeMetersFile(path: string, data: MetersFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n");
  renameSync(tmp, path);
}

export class StaticMeterDirectory implements MeterDirectory {
  #meters = new Map<number, MeterInfo>();
  #slotLengths = new Map<number, number>();
  readonly defaultSlotLength: number;

  constructor(data: MetersFile, defaultSlotLength = 900) {
    this.defaultSlotLength = defaultSlotLength;
    this.load(data);
  }

  load(data: MetersFile): void {
    this.#meters = new Map(data.meters.map((m) => [m.meterId, { ...m }]));
    this.#slotLengths = new Map(data.communities.map((c) => [c.communityId, c.slotLength]));
  }

  get(meterId: number): MeterInfo | undefined {
    return this.#meters.get(meterId);
  }
  all(): MeterInfo[] {
    return [...this.#meters.values()];
  }
  slotLength(communityId: number): number {
    return this.#slotLengths.get(communityId) ?? this.defaultSlotLength;
  }
  async close(): Promise<void> {}
}

/** Reads the file at start and reloads it when it changes (polling, so it works on every filesystem). */
export class JsonFileMeterDirectory extends StaticMeterDirectory {
  readonly path: string;
  #onError: (err: unknown) => void;

  constructor(path: string, options: { defaultSlotLength?: number; onError?: (err: unknown) => void } = {}) {
    super(readMetersFile(path), options.defaultSlotLength);
    this.path = path;
    this.#onError = options.onError ?? (() => {});
    watchFile(path, { interval: 500 }, () => this.reload());
  }

  reload(): void {
    try {
      this.load(readMetersFile(this.path));
    } catch (err) {
      this.#onError(err);
    }
  }

  override async close(): Promise<void> {
    unwatchFile(this.path);
  }
}
