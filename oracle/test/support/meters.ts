/**
 * Meter readings for one delivery slot: every meter reports every `stepS` seconds from the slot
 * start to just after its end, with cumulative counters. The slot's energy is the counter at the
 * slot end minus the counter at the slot start (readings sit exactly on both boundaries).
 */
import type { MqttClient } from "mqtt";
import type { Reading } from "../../src/protocol/reading.ts";
import { readingTopic } from "../../src/protocol/topics.ts";
import { signReading } from "../../src/sim/device.ts";
import type { PrivateKeyAccount } from "viem/accounts";

export interface MeterPlan {
  meterId: number;
  /** The meter's device key. */
  device: PrivateKeyAccount;
  communityId: number;
  /** Wh imported / exported during the slot, spread evenly over its steps. */
  importWh: number;
  exportWh: number;
}

export interface SlotReadings {
  readings: { communityId: number; reading: Reading }[];
  expected: Map<number, { importedWh: bigint; exportedWh: bigint }>;
}

/** Signed readings at slotStart, slotStart + step, ..., slotStart + slotLength, plus one 1 s later. */
export async function slotReadings(
  plans: MeterPlan[],
  slotStart: number,
  slotLength: number,
  stepS = 2,
): Promise<SlotReadings> {
  const steps = slotLength / stepS;
  if (!Number.isInteger(steps)) throw new Error("slot length must be a multiple of the step");
  const readings: { communityId: number; reading: Reading }[] = [];
  const expected = new Map<number, { importedWh: bigint; exportedWh: bigint }>();
  for (const p of plans) {
    const account = p.device;
    // Counters start at an arbitrary non-zero value (a meter that has been running for a while).
    let imp = 1_000 + p.meterId;
    let exp = 5_000 + p.meterId;
    let seq = 1;
    let atStart = { imp, exp };
    let atEnd = { imp, exp };
    for (let k = 0; k <= steps + 1; k++) {
      const ts = k <= steps ? (slotStart + k * stepS) * 1000 : (slotStart + slotLength + 1) * 1000;
      if (k > 0 && k <= steps) {
        // Integer split of the slot's energy over its steps (the remainder in the first step).
        imp += Math.floor(p.importWh / steps) + (k === 1 ? p.importWh % steps : 0);
        exp += Math.floor(p.exportWh / steps) + (k === 1 ? p.exportWh % steps : 0);
      } else if (k > steps) {
        imp += 1;
        exp += 1;
      }
      if (k === 0) atStart = { imp, exp };
      if (k === steps) atEnd = { imp, exp };
      readings.push({
        communityId: p.communityId,
        reading: await signReading(account, {
          meterId: p.meterId,
          seq: seq++,
          ts,
          importWh: imp,
          exportWh: exp,
        }),
      });
    }
    expected.set(p.meterId, {
      importedWh: BigInt(atEnd.imp - atStart.imp),
      exportedWh: BigInt(atEnd.exp - atStart.exp),
    });
  }
  readings.sort((a, b) => a.reading.ts - b.reading.ts || a.reading.meterId - b.reading.meterId);
  return { readings, expected };
}

/**
 * Publishes the readings (QoS 1) as time passes: a reading goes out once the wall clock is within
 * `leadMs` of its timestamp (the oracle accepts up to FUTURE_TOLERANCE_SECONDS ahead). `onProgress`
 * runs after each published reading (e.g. to restart the broker mid-stream). Resolves when every
 * reading is acknowledged.
 */
export async function streamReadings(
  client: MqttClient,
  slot: SlotReadings,
  leadMs = 1_000,
  onProgress?: (published: number, total: number) => Promise<void> | void,
): Promise<void> {
  const acks: Promise<unknown>[] = [];
  let i = 0;
  for (const { communityId, reading } of slot.readings) {
    const wait = reading.ts - leadMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    acks.push(
      client.publishAsync(readingTopic(communityId, reading.meterId), JSON.stringify(reading), { qos: 1 }),
    );
    await onProgress?.(++i, slot.readings.length);
  }
  await Promise.all(acks);
}
