/**
 * AssemblyScript 0.19 memory layout (the compiler graph-cli 0.98 ships, stub runtime): every managed
 * object has a 20-byte header; rtId (class id) at ptr − 8 and rtSize (payload bytes) at ptr − 4.
 * Strings are UTF-16LE; an ArrayBufferView (Uint8Array, Bytes, BigInt) is {buffer, dataStart,
 * byteLength}; an Array<T> is {buffer, dataStart, byteLength, length}. Objects are allocated with
 * the module's exported `__new(size, classId)`, class ids come from graph-ts's `id_of_type(TypeId)`.
 */
import { HostError } from "./bigint.ts";

/** graph-ts global.ts TypeId values the host allocates. */
export const TypeId = {
  String: 0,
  ArrayBuffer: 1,
  Uint8Array: 6,
  BigDecimal: 12,
  ArrayEthereumValue: 15,
  ArrayStoreValue: 16,
  ArrayString: 18,
  ArrayEventParam: 19,
  ArrayTypedMapEntryStringStoreValue: 21,
  EventParam: 23,
  EthereumTransaction: 24,
  EthereumBlock: 25,
  EthereumValue: 30,
  StoreValue: 31,
  EthereumEvent: 33,
  TypedMapEntryStringStoreValue: 34,
  TypedMapStringStoreValue: 36,
} as const;

export interface AscExports {
  memory: WebAssembly.Memory;
  __new(size: number, id: number): number;
  id_of_type(typeId: number): number;
  _start?: () => void;
}

const UTF16 = new TextDecoder("utf-16le", { fatal: true });

export class AscMemory {
  private readonly ids = new Map<number, number>();
  private readonly exports: AscExports;

  constructor(exports: AscExports) {
    this.exports = exports;
  }

  // Views over the memory's current buffer (a new buffer after the memory grows).
  private buffer?: ArrayBuffer;
  private dataView?: DataView;
  private byteView?: Uint8Array;

  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.dataView = new DataView(buffer);
      this.byteView = new Uint8Array(buffer);
    }
  }

  private get view(): DataView {
    this.refresh();
    return this.dataView!;
  }

  private get bytes(): Uint8Array {
    this.refresh();
    return this.byteView!;
  }

  classId(typeId: number): number {
    let id = this.ids.get(typeId);
    if (id === undefined) {
      id = this.exports.id_of_type(typeId);
      this.ids.set(typeId, id);
    }
    return id;
  }

  alloc(size: number, typeId: number): number {
    return this.exports.__new(size, this.classId(typeId));
  }

  // ------------------------------------------------------------ primitives

  u32(ptr: number): number {
    return this.view.getUint32(ptr, true);
  }
  i32(ptr: number): number {
    return this.view.getInt32(ptr, true);
  }
  i64(ptr: number): bigint {
    return this.view.getBigInt64(ptr, true);
  }
  u64(ptr: number): bigint {
    return this.view.getBigUint64(ptr, true);
  }
  setU32(ptr: number, v: number): void {
    this.view.setUint32(ptr, v, true);
  }
  setI32(ptr: number, v: number): void {
    this.view.setInt32(ptr, v, true);
  }
  setU64(ptr: number, v: bigint): void {
    this.view.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** The payload size recorded in an object's header. */
  rtSize(ptr: number): number {
    return this.u32(ptr - 4);
  }
  rtId(ptr: number): number {
    return this.u32(ptr - 8);
  }

  // ------------------------------------------------------------ strings

  readString(ptr: number): string {
    if (ptr === 0) throw new Error("null string pointer");
    const size = this.rtSize(ptr) & ~1;
    // graph-node's FromAscObj for String: String::from_utf16 (a lone surrogate is an error), then
    // NUL characters removed (PostgreSQL text refuses them).
    let s: string;
    try {
      s = UTF16.decode(this.bytes.subarray(ptr, ptr + size));
    } catch {
      throw new HostError("invalid UTF-16 string from the mapping (a lone surrogate)");
    }
    return s.includes("\u0000") ? s.replace(/\u0000/g, "") : s;
  }

  newString(s: string): number {
    const ptr = this.alloc(s.length * 2, TypeId.String);
    const units = new Uint16Array(this.exports.memory.buffer, ptr, s.length);
    for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
    return ptr;
  }

  // ------------------------------------------------------------ byte arrays

  /** The bytes of a Uint8Array (Bytes, Address, BigInt, ByteArray). */
  readBytes(ptr: number): Uint8Array {
    if (ptr === 0) throw new Error("null bytes pointer");
    const dataStart = this.u32(ptr + 4);
    const length = this.u32(ptr + 8);
    return this.bytes.slice(dataStart, dataStart + length);
  }

  newArrayBuffer(data: Uint8Array): number {
    const ptr = this.alloc(data.length, TypeId.ArrayBuffer);
    this.bytes.set(data, ptr);
    return ptr;
  }

  /** A Uint8Array object (what graph-node passes for Bytes, Address and BigInt). */
  newBytes(data: Uint8Array): number {
    const buffer = this.newArrayBuffer(data);
    const ptr = this.alloc(12, TypeId.Uint8Array);
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, data.length);
    return ptr;
  }

  // ------------------------------------------------------------ arrays of pointers

  readArray(ptr: number): number[] {
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    const out: number[] = [];
    for (let i = 0; i < length; i++) out.push(this.u32(dataStart + 4 * i));
    return out;
  }

  newArray(items: number[], typeId: number): number {
    const buffer = this.alloc(items.length * 4, TypeId.ArrayBuffer);
    for (let i = 0; i < items.length; i++) this.setU32(buffer + 4 * i, items[i]!);
    const ptr = this.alloc(16, typeId);
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setU32(ptr + 8, items.length * 4);
    this.setI32(ptr + 12, items.length);
    return ptr;
  }

  /** An object whose fields are all pointers (or nulls), in declaration order. */
  newObject(fields: number[], typeId: number): number {
    const ptr = this.alloc(fields.length * 4, typeId);
    fields.forEach((f, i) => this.setU32(ptr + 4 * i, f));
    return ptr;
  }

  /** {kind: i32, data: u64}: ethereum.Value and the store's Value share this layout. */
  newValue(kind: number, data: bigint | number, typeId: number): number {
    const ptr = this.alloc(16, typeId);
    this.setI32(ptr, kind);
    this.setU64(ptr + 8, BigInt(data));
    return ptr;
  }

  readValue(ptr: number): { kind: number; data: bigint; ptr: number } {
    const data = this.u64(ptr + 8);
    return { kind: this.i32(ptr), data, ptr: Number(data & 0xffffffffn) };
  }
}
