/**
 * Receipts with decoded events: every log of a PowerShare contract (any ABI the contracts package
 * generates) becomes `{ eventName, args, address, logIndex }`.
 */
import { parseEventLogs, type Abi, type Address, type Hash, type Log, type TransactionReceipt } from "viem";
import * as generated from "../../generated/abis.ts";

function collectEvents(): Abi {
  const seen = new Set<string>();
  const out: Abi[number][] = [];
  for (const [name, value] of Object.entries(generated)) {
    if (!name.endsWith("Abi") || !Array.isArray(value)) continue;
    for (const item of value as Abi) {
      if (item.type !== "event") continue;
      const sig = `${item.name}(${item.inputs.map((i) => `${i.type}${i.indexed ? " indexed" : ""}`).join(",")})`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      out.push(item);
    }
  }
  return out;
}

/** Every event of every PowerShare contract. */
export const POWERSHARE_EVENTS: Abi = collectEvents();

export interface DecodedEvent {
  eventName: string;
  args: Record<string, unknown>;
  address: Address;
  logIndex: number;
}

/** Decodes the logs of PowerShare contracts; other logs are skipped. */
export function decodeEvents(logs: readonly Log[]): DecodedEvent[] {
  return parseEventLogs({ abi: POWERSHARE_EVENTS, logs: logs as Log[], strict: false }).map((l) => ({
    eventName: (l as unknown as { eventName: string }).eventName,
    args: ((l as unknown as { args: Record<string, unknown> }).args ?? {}) as Record<string, unknown>,
    address: l.address,
    logIndex: l.logIndex ?? 0,
  }));
}

/** A mined transaction with its decoded events. */
export interface TxResult {
  hash: Hash;
  receipt: TransactionReceipt;
  events: DecodedEvent[];
  gasUsed: bigint;
  /** Wei per gas actually paid. */
  effectiveGasPrice: bigint;
  /** Hashes broadcast for this nonce (more than one after a replacement). */
  attempts: Hash[];
}

export function toTxResult(receipt: TransactionReceipt, attempts: Hash[]): TxResult {
  return {
    hash: receipt.transactionHash,
    receipt,
    events: decodeEvents(receipt.logs),
    gasUsed: receipt.gasUsed,
    effectiveGasPrice: receipt.effectiveGasPrice,
    attempts,
  };
}

/** Events of one name, with typed-ish args. */
export function eventsNamed(result: { events: DecodedEvent[] }, name: string): DecodedEvent[] {
  return result.events.filter((e) => e.eventName === name);
}
