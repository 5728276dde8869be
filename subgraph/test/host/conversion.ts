/** typeConversion.*, crypto.keccak256 and log.log / abort, as graph-node implements them. */
import { bytesToHex, hexToBytes, keccak256 } from "viem";
import { fromSignedBytesLE, HostError } from "./bigint.ts";
import type { AscMemory } from "./memory.ts";

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let s = "";
  while (n > 0n) {
    s = B58[Number(n % 58n)] + s;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    s = "1" + s;
  }
  return s;
}

export function conversionImports(mem: () => AscMemory) {
  return {
    // graph-node: String::from_utf8_lossy, trailing NULs removed.
    "typeConversion.bytesToString": (p: number) =>
      mem().newString(new TextDecoder().decode(mem().readBytes(p)).replace(/\u0000+$/, "")),
    "typeConversion.bytesToHex": (p: number) => mem().newString(bytesToHex(mem().readBytes(p))),
    "typeConversion.bigIntToString": (p: number) =>
      mem().newString(fromSignedBytesLE(mem().readBytes(p)).toString()),
    // graph-node: "0x0" for zero, else the big-endian MAGNITUDE without leading zeros (no sign).
    "typeConversion.bigIntToHex": (p: number) => {
      const v = fromSignedBytesLE(mem().readBytes(p));
      return mem().newString(`0x${(v < 0n ? -v : v).toString(16)}`);
    },
    "typeConversion.stringToH160": (p: number) => {
      const s = mem().readString(p);
      const hex = s.replace(/^(0x)+/, ""); // trim_start_matches("0x")
      if (!/^[0-9a-fA-F]{40}$/.test(hex))
        throw new HostError(`Failed to convert string to Address/H160: '${s}'`);
      return mem().newBytes(hexToBytes(`0x${hex}`));
    },
    "typeConversion.bytesToBase58": (p: number) => mem().newString(base58(mem().readBytes(p))),
    "crypto.keccak256": (p: number) => mem().newBytes(keccak256(mem().readBytes(p), "bytes")),
  };
}

/** graph-ts log.Level: 0 critical (aborts the handler, as graph-node fails the subgraph), 1 error, 2 warning, 3 info, 4 debug. */
export const LEVELS = ["critical", "error", "warning", "info", "debug"] as const;

export interface LogLine {
  level: (typeof LEVELS)[number];
  message: string;
}

export class CriticalLog extends HostError {}

export function logImports(mem: () => AscMemory, sink: (line: LogLine) => void) {
  return {
    "log.log": (level: number, msg: number) => {
      const line = { level: LEVELS[level] ?? "debug", message: mem().readString(msg) };
      sink(line);
      if (level === 0) throw new CriticalLog(`Critical error logged in mapping: ${line.message}`);
    },
    abort: (msg: number, file: number, line: number, col: number) => {
      const m = mem();
      const text = msg ? m.readString(msg) : "abort";
      const where = file ? m.readString(file) : "?";
      throw new HostError(`Mapping aborted at ${where}, line ${line}, column ${col}, with message: ${text}`);
    },
  };
}
