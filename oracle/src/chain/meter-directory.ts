/**
 * MeterDirectory read from the market contract: loads every meter registered since `fromBlock`,
 * then follows MeterRegistered / MeterDeactivated / MeterTransferred and re-reads `meter(id)` for
 * each, so the cache is the contract's state. A lookup of an unknown meter triggers a background
 * read (at most once per minute per id): its readings are rejected until the meter is known. Each
 * community's slot length is read from the contract with its first meter.
 */
import { getAddress, type Address, type PublicClient, type WatchContractEventReturnType } from "viem";
import type { Logger } from "../log/logger.ts";
import { meterKindFromIndex, type MeterInfo } from "../protocol/meter.ts";
import type { MeterDirectory } from "../directory/directory.ts";
import { marketAbi } from "./abi.ts";

export interface ChainMeterDirectoryOptions {
  publicClient: PublicClient;
  market: Address;
  logger: Logger;
  fromBlock?: bigint;
  /** Slot length used for a community whose meters have not been read yet. */
  slotLength: number;
  pollingIntervalMs?: number;
}

const ZERO = "0x0000000000000000000000000000000000000000";

export class ChainMeterDirectory implements MeterDirectory {
  readonly #o: ChainMeterDirectoryOptions;
  readonly #meters = new Map<number, MeterInfo>();
  readonly #lastMiss = new Map<number, number>();
  readonly #slotLengths = new Map<number, number>();
  #unwatch: WatchContractEventReturnType[] = [];

  private constructor(o: ChainMeterDirectoryOptions) {
    this.#o = o;
  }

  static async start(o: ChainMeterDirectoryOptions): Promise<ChainMeterDirectory> {
    const d = new ChainMeterDirectory(o);
    const logs = await o.publicClient.getContractEvents({
      address: o.market,
      abi: marketAbi,
      eventName: "MeterRegistered",
      fromBlock: o.fromBlock ?? 0n,
      toBlock: "latest",
    });
    const ids = [...new Set(logs.map((l) => l.args.meterId).filter((id): id is number => id !== undefined))];
    await Promise.all(ids.map((id) => d.refresh(id)));
    o.logger.info("chain_directory_loaded", { meters: d.#meters.size });
    const onLogs = (logs: readonly { args: { meterId?: number } }[]) => {
      for (const l of logs) if (l.args.meterId !== undefined) void d.refresh(l.args.meterId);
    };
    const watch = {
      address: o.market,
      abi: marketAbi,
      pollingInterval: o.pollingIntervalMs ?? 4_000,
    } as const;
    d.#unwatch = [
      o.publicClient.watchContractEvent({ ...watch, eventName: "MeterRegistered", onLogs }),
      o.publicClient.watchContractEvent({ ...watch, eventName: "MeterDeactivated", onLogs }),
      o.publicClient.watchContractEvent({ ...watch, eventName: "MeterTransferred", onLogs }),
    ];
    return d;
  }

  async refresh(meterId: number): Promise<MeterInfo | undefined> {
    try {
      const [owner, communityId, kind, active, capacityW, deviceKey] =
        await this.#o.publicClient.readContract({
          address: this.#o.market,
          abi: marketAbi,
          functionName: "meter",
          args: [meterId],
        });
      if (owner === ZERO) return undefined;
      if (!this.#slotLengths.has(communityId)) {
        const [slotLength] = await this.#o.publicClient.readContract({
          address: this.#o.market,
          abi: marketAbi,
          functionName: "meterSlotLengths",
          args: [[meterId]],
        });
        if (slotLength !== undefined && slotLength > 0n)
          this.#slotLengths.set(communityId, Number(slotLength));
      }
      const info: MeterInfo = {
        meterId,
        communityId,
        owner: getAddress(owner),
        kind: meterKindFromIndex(kind),
        active,
        capacityW,
        deviceKey: getAddress(deviceKey),
      };
      this.#meters.set(meterId, info);
      return info;
    } catch (err) {
      this.#o.logger.warn("chain_directory_refresh_failed", { meterId, err });
      return undefined;
    }
  }

  get(meterId: number): MeterInfo | undefined {
    const m = this.#meters.get(meterId);
    if (!m) {
      const last = this.#lastMiss.get(meterId) ?? 0;
      if (Date.now() - last > 60_000) {
        this.#lastMiss.set(meterId, Date.now());
        void this.refresh(meterId);
      }
    }
    return m;
  }

  all(): MeterInfo[] {
    return [...this.#meters.values()];
  }

  /** The community's slot length as the contract has it (a community's slot length never changes). */
  slotLength(communityId: number): number {
    return this.#slotLengths.get(communityId) ?? this.#o.slotLength;
  }

  async close(): Promise<void> {
    for (const u of this.#unwatch) u();
  }
}
