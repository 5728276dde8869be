/**
 * ethereum.Value layout as graph-node writes it: every ABI type a future event could carry, read
 * back from a real mapping's memory (the EnergyMarket wasm's allocator and class ids).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { encodeAbiParameters, keccak256, toHex, type AbiEvent, type AbiParameter } from "viem";
import { describe, expect, it } from "vitest";
import { fromSignedBytesLE } from "./bigint.ts";
import { decodeParams, EthKind, newEthValue } from "./ethereum.ts";
import { AscMemory, TypeId, type AscExports } from "./memory.ts";

const WASM = path.resolve(import.meta.dirname, "..", "..", "build", "EnergyMarket", "EnergyMarket.wasm");

function memory(): AscMemory {
  const module = new WebAssembly.Module(readFileSync(WASM));
  const imports: Record<string, Record<string, () => never>> = {};
  for (const i of WebAssembly.Module.imports(module))
    (imports[i.module] ??= {})[i.name] = () => {
      throw new Error(`${i.module}.${i.name} called`);
    };
  const exports = new WebAssembly.Instance(module, imports).exports as unknown as AscExports;
  exports._start?.();
  return new AscMemory(exports);
}

type Read = { kind: number; value: unknown };
function read(mem: AscMemory, ptr: number): Read {
  const { kind, data, ptr: p } = mem.readValue(ptr);
  switch (kind) {
    case EthKind.INT:
    case EthKind.UINT:
      return { kind, value: fromSignedBytesLE(mem.readBytes(p)) };
    case EthKind.BOOL:
      return { kind, value: data === 1n };
    case EthKind.STRING:
      return { kind, value: mem.readString(p) };
    case EthKind.ARRAY:
    case EthKind.FIXED_ARRAY:
    case EthKind.TUPLE:
      return { kind, value: mem.readArray(p).map((x) => read(mem, x)) };
    default:
      return { kind, value: toHex(mem.readBytes(p)) };
  }
}

describe("ethereum.Value in wasm memory", () => {
  const mem = memory();
  const value = (type: string, v: unknown, components?: AbiParameter[]) =>
    read(
      mem,
      newEthValue(mem, { type, name: "x", ...(components ? { components } : {}) } as AbiParameter, v),
    );

  it("writes integers as signed little-endian BigInt, uint as UINT and int as INT", () => {
    expect(value("int256", -5n)).toEqual({ kind: EthKind.INT, value: -5n });
    expect(value("uint256", 2n ** 255n)).toEqual({ kind: EthKind.UINT, value: 2n ** 255n });
    expect(value("uint8", 255)).toEqual({ kind: EthKind.UINT, value: 255n });
  });

  it("writes addresses, bytes, bytesN, bools and strings", () => {
    const a = "0x00000000000000000000000000000000000000ff";
    expect(value("address", a)).toEqual({ kind: EthKind.ADDRESS, value: a });
    expect(value("bytes", "0x0102")).toEqual({ kind: EthKind.BYTES, value: "0x0102" });
    expect(value("bytes4", "0xdeadbeef")).toEqual({ kind: EthKind.FIXED_BYTES, value: "0xdeadbeef" });
    expect(value("bool", true)).toEqual({ kind: EthKind.BOOL, value: true });
    expect(value("string", "kWh ⚡")).toEqual({ kind: EthKind.STRING, value: "kWh ⚡" });
  });

  it("writes arrays, fixed arrays and tuples (named or positional) as Array<ethereum.Value>", () => {
    expect(value("uint32[]", [1, 2])).toEqual({
      kind: EthKind.ARRAY,
      value: [
        { kind: EthKind.UINT, value: 1n },
        { kind: EthKind.UINT, value: 2n },
      ],
    });
    expect(value("bool[2]", [true, false]).kind).toBe(EthKind.FIXED_ARRAY);
    const components = [
      { name: "a", type: "uint16" },
      { name: "b", type: "string" },
    ];
    const tuple = {
      kind: EthKind.TUPLE,
      value: [
        { kind: EthKind.UINT, value: 7n },
        { kind: EthKind.STRING, value: "x" },
      ],
    };
    expect(value("tuple", { a: 7, b: "x" }, components)).toEqual(tuple);
    expect(value("tuple", [7, "x"], components)).toEqual(tuple);
    expect(mem.rtId(newEthValue(mem, { type: "bool", name: "" }, true))).toBe(
      mem.classId(TypeId.EthereumValue),
    );
  });

  it("decodes an indexed dynamic parameter as its 32-byte topic and checks the topic count", () => {
    const event = {
      type: "event",
      name: "Named",
      inputs: [
        { name: "label", type: "string", indexed: true },
        { name: "n", type: "uint64", indexed: false },
      ],
    } as AbiEvent;
    const topic0 = keccak256(toHex("Named(string,uint64)"));
    const topic = keccak256(toHex("solar"));
    const data = encodeAbiParameters([{ type: "uint64" }], [9n]);
    const params = decodeParams(event, { topics: [topic0, topic], data });
    expect(params.map((p) => [p.name, p.param.type, p.value])).toEqual([
      ["label", "bytes32", topic],
      ["n", "uint64", 9n],
    ]);
    expect(() => decodeParams(event, { topics: [topic0], data })).toThrow(/has 1 topics, its ABI wants 2/);
  });
});
