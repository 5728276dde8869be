/**
 * The ethereum.Event a handler receives, built in wasm memory as graph-node builds it
 * (chain/ethereum/src/runtime/abi.rs): {address, logIndex, transactionLogIndex, logType, block,
 * transaction, parameters, receipt}. Parameters are decoded with the event's ABI in ABI order, each
 * an ethereum.Value {kind, data}: integers as BigInt (signed for intN), addresses and bytes as
 * Bytes, tuples and arrays as Array<ethereum.Value>. An indexed parameter of a dynamic type
 * (string, bytes, array, tuple) is its topic, a FIXED_BYTES of 32, as ethabi decodes it.
 * `receipt` is null (the manifest asks for no receipts) and so is `logType` (not an Ethereum field).
 */
import { decodeAbiParameters, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { toSignedBytesLE } from "./bigint.ts";
import { HostError } from "./bigint.ts";
import { TypeId, type AscMemory } from "./memory.ts";

/** graph-ts ethereum.ValueKind. */
export const EthKind = {
  ADDRESS: 0,
  FIXED_BYTES: 1,
  BYTES: 2,
  INT: 3,
  UINT: 4,
  BOOL: 5,
  STRING: 6,
  FIXED_ARRAY: 7,
  ARRAY: 8,
  TUPLE: 9,
} as const;

export interface RpcBlock {
  hash: Hex;
  parentHash: Hex;
  sha3Uncles: Hex;
  miner: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  number: bigint;
  gasUsed: bigint;
  gasLimit: bigint;
  timestamp: bigint;
  difficulty: bigint;
  totalDifficulty: bigint | null;
  size: bigint | null;
  baseFeePerGas: bigint | null;
}

export interface RpcTransaction {
  hash: Hex;
  transactionIndex: number;
  from: Hex;
  to: Hex | null;
  value: bigint;
  gas: bigint;
  gasPrice: bigint;
  input: Hex;
  nonce: number;
}

export interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  logIndex: number;
  blockNumber: bigint;
  transactionHash: Hex;
  /** Position of the log within its transaction. */
  transactionLogIndex: number;
}

/** 0x-hex → bytes (strict: an odd length or a non-hex digit is an error). */
function hexToBytes(hex: Hex): Uint8Array {
  const out = Buffer.from(hex.slice(2), "hex"); // stops at the first non-hex digit
  if (!hex.startsWith("0x") || out.length * 2 !== hex.length - 2)
    throw new HostError(`not a byte string: ${hex.slice(0, 80)}`);
  return out;
}

const isDynamic = (p: AbiParameter): boolean =>
  p.type === "string" || p.type === "bytes" || p.type.endsWith("]") || p.type.startsWith("tuple");

function bytesValue(mem: AscMemory, kind: number, hex: Hex): number {
  return mem.newValue(kind, mem.newBytes(hexToBytes(hex)), TypeId.EthereumValue);
}

/** One decoded ABI value as an ethereum.Value in wasm memory. */
export function newEthValue(mem: AscMemory, p: AbiParameter, v: unknown): number {
  const t = p.type;
  const array = /^(.*)\[(\d*)\]$/.exec(t);
  if (array) {
    const inner = { ...p, type: array[1]! } as AbiParameter;
    const items = (v as unknown[]).map((x) => newEthValue(mem, inner, x));
    const kind = array[2] === "" ? EthKind.ARRAY : EthKind.FIXED_ARRAY;
    return mem.newValue(kind, mem.newArray(items, TypeId.ArrayEthereumValue), TypeId.EthereumValue);
  }
  if (t === "tuple") {
    const components = (p as { components: readonly AbiParameter[] }).components;
    const items = components.map((c, i) =>
      newEthValue(mem, c, Array.isArray(v) ? v[i] : (v as Record<string, unknown>)[c.name!]),
    );
    return mem.newValue(EthKind.TUPLE, mem.newArray(items, TypeId.ArrayEthereumValue), TypeId.EthereumValue);
  }
  if (t === "address") return bytesValue(mem, EthKind.ADDRESS, v as Hex);
  if (t === "bool") return mem.newValue(EthKind.BOOL, v ? 1 : 0, TypeId.EthereumValue);
  if (t === "string") return mem.newValue(EthKind.STRING, mem.newString(v as string), TypeId.EthereumValue);
  if (t === "bytes") return bytesValue(mem, EthKind.BYTES, v as Hex);
  if (/^bytes\d+$/.test(t)) return bytesValue(mem, EthKind.FIXED_BYTES, v as Hex);
  const int = /^(u?)int\d*$/.exec(t);
  if (int) {
    const kind = int[1] === "u" ? EthKind.UINT : EthKind.INT;
    return mem.newValue(
      kind,
      mem.newBytes(toSignedBytesLE(BigInt(v as bigint | number))),
      TypeId.EthereumValue,
    );
  }
  throw new HostError(`ABI type ${t} is not supported by this host`);
}

/** Decodes a log with its event ABI into (name, param, value) in ABI order, as ethabi's parse_log. */
export function decodeParams(event: AbiEvent, log: Pick<RpcLog, "topics" | "data">) {
  const inputs = event.inputs;
  const indexed = inputs.filter((p) => p.indexed);
  const plain = inputs.filter((p) => !p.indexed);
  if (log.topics.length !== indexed.length + (event.anonymous ? 0 : 1))
    throw new HostError(
      `log of ${event.name} has ${log.topics.length} topics, its ABI wants ${indexed.length + 1}`,
    );
  const data = decodeAbiParameters(plain, log.data);
  let t = event.anonymous ? 0 : 1;
  let d = 0;
  return inputs.map((p) => {
    if (p.indexed) {
      const topic = log.topics[t++]!;
      if (isDynamic(p))
        return { name: p.name ?? "", param: { type: "bytes32" } as AbiParameter, value: topic };
      return { name: p.name ?? "", param: p, value: decodeAbiParameters([p], topic)[0] };
    }
    return { name: p.name ?? "", param: p, value: data[d++] };
  });
}

const big = (mem: AscMemory, v: bigint | number) => mem.newBytes(toSignedBytesLE(BigInt(v)));
const bytes = (mem: AscMemory, h: Hex) => mem.newBytes(hexToBytes(h));

export function newBlock(mem: AscMemory, b: RpcBlock): number {
  return mem.newObject(
    [
      bytes(mem, b.hash),
      bytes(mem, b.parentHash),
      bytes(mem, b.sha3Uncles),
      bytes(mem, b.miner),
      bytes(mem, b.stateRoot),
      bytes(mem, b.transactionsRoot),
      bytes(mem, b.receiptsRoot),
      big(mem, b.number),
      big(mem, b.gasUsed),
      big(mem, b.gasLimit),
      big(mem, b.timestamp),
      big(mem, b.difficulty),
      big(mem, b.totalDifficulty ?? 0n),
      b.size === null ? 0 : big(mem, b.size),
      b.baseFeePerGas === null ? 0 : big(mem, b.baseFeePerGas),
    ],
    TypeId.EthereumBlock,
  );
}

export function newTransaction(mem: AscMemory, tx: RpcTransaction): number {
  return mem.newObject(
    [
      bytes(mem, tx.hash),
      big(mem, tx.transactionIndex),
      bytes(mem, tx.from),
      tx.to === null ? 0 : bytes(mem, tx.to),
      big(mem, tx.value),
      big(mem, tx.gas),
      big(mem, tx.gasPrice),
      bytes(mem, tx.input),
      big(mem, tx.nonce),
    ],
    TypeId.EthereumTransaction,
  );
}

/** The ethereum.Event for one log; returns its pointer. */
export function newEvent(
  mem: AscMemory,
  event: AbiEvent,
  log: RpcLog,
  block: RpcBlock,
  tx: RpcTransaction,
): number {
  const params = decodeParams(event, log).map(({ name, param, value }) =>
    mem.newObject([mem.newString(name), newEthValue(mem, param, value)], TypeId.EventParam),
  );
  return mem.newObject(
    [
      bytes(mem, log.address),
      big(mem, log.logIndex),
      big(mem, log.transactionLogIndex),
      0, // logType
      newBlock(mem, block),
      newTransaction(mem, tx),
      mem.newArray(params, TypeId.ArrayEventParam),
      0, // receipt
    ],
    TypeId.EthereumEvent,
  );
}
