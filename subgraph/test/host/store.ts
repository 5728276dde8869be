/**
 * The entity store: store.get / get_in_block / set / remove over an in-memory map, with graph-node's
 * checks (the id field, required fields, unknown fields, value kinds against the schema, immutable
 * entities never changed, timeseries ids assigned by the store). Entities cross the wasm boundary as
 * graph-ts `Entity` (TypedMap<string, Value>): an `entries` array of {key, value} entries.
 */
import { fromSignedBytesLE, HostError, toSignedBytesLE } from "./bigint.ts";
import { newDecimal, readDecimal, Dec, type Decimal } from "./bigdecimal.ts";
import { TypeId, type AscMemory } from "./memory.ts";
import type { EntityDef } from "./schema.ts";

/** graph-ts store ValueKind. */
export const Kind = {
  STRING: 0,
  INT: 1,
  BIGDECIMAL: 2,
  BOOL: 3,
  ARRAY: 4,
  NULL: 5,
  BYTES: 6,
  BIGINT: 7,
  INT8: 8,
  TIMESTAMP: 9,
} as const;

export type StoreValue =
  | { kind: 0; value: string }
  | { kind: 1; value: number }
  | { kind: 2; value: Decimal }
  | { kind: 3; value: boolean }
  | { kind: 4; value: StoreValue[] }
  | { kind: 5; value: null }
  | { kind: 6; value: Uint8Array }
  | { kind: 7; value: bigint }
  | { kind: 8; value: bigint }
  | { kind: 9; value: bigint };

export type EntityData = Map<string, StoreValue>;

const SCALAR_KIND: Record<string, number> = {
  ID: Kind.STRING,
  String: Kind.STRING,
  Int: Kind.INT,
  Int8: Kind.INT8,
  BigInt: Kind.BIGINT,
  BigDecimal: Kind.BIGDECIMAL,
  Bytes: Kind.BYTES,
  Boolean: Kind.BOOL,
  Timestamp: Kind.TIMESTAMP,
};

// ------------------------------------------------------------ wasm <-> host values

export function readStoreValue(mem: AscMemory, ptr: number): StoreValue {
  const { kind, data, ptr: p } = mem.readValue(ptr);
  switch (kind) {
    case Kind.STRING:
      return { kind, value: mem.readString(p) };
    case Kind.INT:
      return { kind, value: Number(BigInt.asIntN(32, data)) };
    case Kind.BIGDECIMAL:
      return { kind, value: readDecimal(mem, p) };
    case Kind.BOOL:
      return { kind, value: data !== 0n };
    case Kind.ARRAY:
      return { kind, value: mem.readArray(p).map((v) => readStoreValue(mem, v)) };
    case Kind.NULL:
      return { kind, value: null };
    case Kind.BYTES:
      return { kind, value: mem.readBytes(p) };
    case Kind.BIGINT:
      return { kind, value: fromSignedBytesLE(mem.readBytes(p)) };
    case Kind.INT8:
    case Kind.TIMESTAMP:
      return { kind, value: BigInt.asIntN(64, data) };
    default:
      throw new HostError(`unknown store value kind ${kind}`);
  }
}

export function newStoreValue(mem: AscMemory, v: StoreValue): number {
  const mk = (data: bigint | number) => mem.newValue(v.kind, data, TypeId.StoreValue);
  switch (v.kind) {
    case Kind.STRING:
      return mk(mem.newString(v.value));
    case Kind.INT:
      return mk(BigInt.asUintN(32, BigInt(v.value)));
    case Kind.BIGDECIMAL:
      return mk(newDecimal(mem, v.value));
    case Kind.BOOL:
      return mk(v.value ? 1 : 0);
    case Kind.ARRAY:
      return mk(
        mem.newArray(
          v.value.map((x) => newStoreValue(mem, x)),
          TypeId.ArrayStoreValue,
        ),
      );
    case Kind.NULL:
      return mk(0);
    case Kind.BYTES:
      return mk(mem.newBytes(v.value));
    case Kind.BIGINT:
      return mk(mem.newBytes(toSignedBytesLE(v.value)));
    case Kind.INT8:
    case Kind.TIMESTAMP:
      return mk(v.value);
  }
}

export function readEntity(mem: AscMemory, ptr: number): EntityData {
  const out: EntityData = new Map();
  for (const entry of mem.readArray(mem.u32(ptr))) {
    out.set(mem.readString(mem.u32(entry)), readStoreValue(mem, mem.u32(entry + 4)));
  }
  return out;
}

export function newEntity(mem: AscMemory, data: EntityData): number {
  const entries = [...data].map(([k, v]) =>
    mem.newObject([mem.newString(k), newStoreValue(mem, v)], TypeId.TypedMapEntryStringStoreValue),
  );
  return mem.newObject(
    [mem.newArray(entries, TypeId.ArrayTypedMapEntryStringStoreValue)],
    TypeId.TypedMapStringStoreValue,
  );
}

// ------------------------------------------------------------ the store

function sameValue(a: StoreValue, b: StoreValue): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === Kind.BYTES) return Buffer.from(a.value).equals(Buffer.from((b as typeof a).value));
  if (a.kind === Kind.BIGDECIMAL) return Dec.equals(a.value, (b as typeof a).value);
  if (a.kind === Kind.ARRAY) {
    const bv = (b as typeof a).value;
    return a.value.length === bv.length && a.value.every((x, i) => sameValue(x, bv[i]!));
  }
  return a.value === (b as { value: unknown }).value;
}

export class EntityStore {
  readonly entities = new Map<string, Map<string, EntityData>>();
  /** Entities written in the current block (for get_in_block). */
  private inBlock = new Map<string, Set<string>>();
  private nextTimeseriesId = new Map<string, bigint>();
  writes = 0;

  readonly schema: Map<string, EntityDef>;

  constructor(schema: Map<string, EntityDef>) {
    this.schema = schema;
  }

  private def(type: string): EntityDef {
    const d = this.schema.get(type);
    if (!d) throw new HostError(`Entity type ${type} is not defined in the schema`);
    if (d.aggregation) throw new HostError(`Aggregation ${type} cannot be written by a mapping`);
    return d;
  }

  startBlock(): void {
    this.inBlock = new Map();
  }

  get(type: string, id: string): EntityData | undefined {
    this.def(type);
    return this.entities.get(type)?.get(id);
  }

  getInBlock(type: string, id: string): EntityData | undefined {
    return this.inBlock.get(type)?.has(id) ? this.get(type, id) : undefined;
  }

  /** The block being processed: its timestamp (unix seconds) stamps timeseries points. */
  blockTimestamp = 0n;

  /**
   * graph-node's store.set is an update (EntityOp::Update): the given fields are merged into the
   * stored entity, a null removes a field, then the merged entity is validated against the schema.
   * A timeseries point gets the next id of its type and the block's timestamp (microseconds),
   * whatever the mapping set.
   */
  set(type: string, id: string, data: EntityData): void {
    const def = this.def(type);
    const idField = def.fields.get("id")!;
    if (def.timeseries) {
      const next = this.nextTimeseriesId.get(type) ?? 1n;
      this.nextTimeseriesId.set(type, next + 1n);
      id = next.toString();
      data = new Map(data)
        .set("id", { kind: Kind.INT8, value: next })
        .set("timestamp", { kind: Kind.TIMESTAMP, value: this.blockTimestamp * 1_000_000n });
    } else {
      const given = data.get("id");
      if (given === undefined) {
        data = new Map(data).set(
          "id",
          idField.type === "Bytes"
            ? { kind: Kind.BYTES, value: Buffer.from(id.slice(2), "hex") }
            : { kind: Kind.STRING, value: id },
        );
      } else {
        const text =
          given.kind === Kind.BYTES ? `0x${Buffer.from(given.value).toString("hex")}` : String(given.value);
        if (text !== id)
          throw new HostError(
            `Value of id attribute '${text}' conflicts with ID passed to store.set '${id}'`,
          );
      }
    }
    for (const [name, v] of data) {
      const f = def.fields.get(name);
      if (!f) throw new HostError(`Entity ${type}[${id}]: unknown field '${name}'`);
      if (f.derived)
        throw new HostError(`Entity ${type}[${id}]: field '${name}' is derived and cannot be set`);
      if (v.kind === Kind.NULL) continue;
      const want = f.list ? Kind.ARRAY : (SCALAR_KIND[f.type] ?? this.referenceKind(f.type));
      if (v.kind !== want)
        throw new HostError(
          `Entity ${type}[${id}]: the value of field '${name}' has kind ${v.kind}, the schema wants ${f.type}`,
        );
    }
    let table = this.entities.get(type);
    if (!table) this.entities.set(type, (table = new Map()));
    const prev = table.get(id);
    const merged: EntityData = new Map(prev ?? []);
    for (const [k, v] of data) {
      if (v.kind === Kind.NULL) merged.delete(k);
      else merged.set(k, v);
    }
    for (const f of def.fields.values()) {
      if (f.required && !f.derived && !merged.has(f.name))
        throw new HostError(`Entity ${type}[${id}]: missing value for non-nullable field '${f.name}'`);
    }
    if (prev && def.immutable) {
      const same =
        prev.size === merged.size && [...merged].every(([k, v]) => prev.has(k) && sameValue(prev.get(k)!, v));
      if (!same) throw new HostError(`Immutable entity ${type}[${id}] cannot be updated`);
    }
    table.set(id, merged);
    let ids = this.inBlock.get(type);
    if (!ids) this.inBlock.set(type, (ids = new Set()));
    ids.add(id);
    this.writes++;
  }

  /** A reference field holds the referenced entity's id: a string, or Bytes/Int8 for such ids. */
  private referenceKind(type: string): number {
    const target = this.schema.get(type);
    if (!target) throw new HostError(`type ${type} is not defined in the schema`);
    const idType = target.fields.get("id")!.type;
    return SCALAR_KIND[idType] ?? Kind.STRING;
  }

  /**
   * store.loadRelated(type, id, field): the entities of the derived field's type whose reference
   * field (the @derivedFrom field) points at id.
   */
  loadRelated(type: string, id: string, field: string): EntityData[] {
    const def = this.def(type);
    const f = def.fields.get(field);
    if (!f || !f.derived || !f.derivedFrom)
      throw new HostError(`Entity ${type}: '${field}' is not a derived field`);
    const out: EntityData[] = [];
    for (const e of this.entities.get(f.type)?.values() ?? []) {
      const v = e.get(f.derivedFrom);
      if (!v) continue;
      const matches = (x: StoreValue) =>
        x.kind === Kind.BYTES ? `0x${Buffer.from(x.value).toString("hex")}` === id : String(x.value) === id;
      if (v.kind === Kind.ARRAY ? v.value.some(matches) : matches(v)) out.push(e);
    }
    return out;
  }

  remove(type: string, id: string): void {
    const def = this.def(type);
    if (def.immutable) throw new HostError(`Immutable entity ${type}[${id}] cannot be removed`);
    this.entities.get(type)?.delete(id);
    this.inBlock.get(type)?.delete(id);
  }

  /** Plain rows of a type: Bytes as lowercase 0x-hex, BigInt/Int8/Timestamp as bigint, BigDecimal as string. */
  rows(type: string): Record<string, unknown>[] {
    return [...(this.entities.get(type)?.values() ?? [])].map((e) => {
      const row: Record<string, unknown> = {};
      for (const [k, v] of e) row[k] = plain(v);
      return row;
    });
  }
}

export function plain(v: StoreValue): unknown {
  switch (v.kind) {
    case Kind.BYTES:
      return `0x${Buffer.from(v.value).toString("hex")}`;
    case Kind.BIGDECIMAL:
      return Dec.toString(v.value);
    case Kind.ARRAY:
      return v.value.map(plain);
    default:
      return v.value;
  }
}

export function storeImports(mem: () => AscMemory, store: EntityStore) {
  const str = (p: number) => mem().readString(p);
  return {
    "store.get": (type: number, id: number) => {
      const e = store.get(str(type), str(id));
      return e ? newEntity(mem(), e) : 0;
    },
    "store.get_in_block": (type: number, id: number) => {
      const e = store.getInBlock(str(type), str(id));
      return e ? newEntity(mem(), e) : 0;
    },
    "store.set": (type: number, id: number, data: number) =>
      store.set(str(type), str(id), readEntity(mem(), data)),
    "store.remove": (type: number, id: number) => store.remove(str(type), str(id)),
    "store.loadRelated": (type: number, id: number, field: number) =>
      mem().newArray(
        store.loadRelated(str(type), str(id), str(field)).map((e) => newEntity(mem(), e)),
        TypeId.ArrayTypedMapEntryStringStoreValue, // graph-ts: idof<Array<Entity>>
      ),
  };
}
