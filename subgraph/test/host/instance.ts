/**
 * A data source's compiled mapping, run as graph-node runs it: one fresh wasm instance per trigger
 * (module compiled once), `_start` called to initialise the module's globals, then the handler with
 * the event's pointer. The imports are every graph-node host function a graph-ts 0.38 mapping can
 * declare, by module ("index", "numbers", "conversion", "datasource", "json", "ethereum", "yaml",
 * "env"). The ones this host implements are listed in `IMPLEMENTED`; a mapping that imports any other
 * links, and fails with a HostError naming the function if it calls it.
 */
import { readFileSync } from "node:fs";
import { keccak256 } from "viem";
import { bigDecimalImports } from "./bigdecimal.ts";
import { bigIntImports, HostError } from "./bigint.ts";
import { conversionImports, logImports, type LogLine } from "./conversion.ts";
import { AscMemory, type AscExports } from "./memory.ts";
import { newEntity, storeImports, type EntityStore } from "./store.ts";

export interface DataSourceInfo {
  name: string;
  address: string;
  network: string;
  /** DataSourceContext entries (dataSource.context()); none for a manifest data source. */
  context?: Map<string, import("./store.ts").StoreValue>;
}

export interface MappingHost {
  readonly store: EntityStore;
  /** Every import the module declares that this host does not implement (module.name). */
  readonly unimplemented: string[];
  /** Runs one handler on an event object the builder writes into the fresh instance's memory. */
  run(handler: string, buildEvent: (mem: AscMemory) => number): void;
}

/** Host functions by wasm import module; what graph-node implements that a mapping may use. */
function hostFunctions(
  mem: () => AscMemory,
  store: EntityStore,
  ds: DataSourceInfo,
  log: (line: LogLine) => void,
): Record<string, Record<string, (...args: number[]) => unknown>> {
  const conversions = conversionImports(mem) as Record<string, (...a: number[]) => unknown>;
  const { "crypto.keccak256": _keccak, ...typeConversion } = conversions;
  void _keccak;
  const logs = logImports(mem, log);
  return {
    env: { abort: logs.abort },
    index: {
      ...(storeImports(mem, store) as Record<string, (...a: number[]) => unknown>),
      "crypto.keccak256": (p: number) => mem().newBytes(keccak256(mem().readBytes(p), "bytes")),
      "log.log": logs["log.log"],
    },
    numbers: { ...bigIntImports(mem), ...bigDecimalImports(mem) } as Record<
      string,
      (...a: number[]) => unknown
    >,
    conversion: typeConversion,
    datasource: {
      "dataSource.address": () => mem().newBytes(Buffer.from(ds.address.slice(2), "hex")),
      "dataSource.network": () => mem().newString(ds.network),
      "dataSource.context": () => newEntity(mem(), ds.context ?? new Map()),
    },
  };
}

export const IMPLEMENTED = Object.entries(
  hostFunctions(
    () => {
      throw new Error("listing only");
    },
    undefined as never,
    { name: "", address: "0x", network: "" },
    () => {},
  ),
).flatMap(([mod, fns]) => Object.keys(fns).map((f) => `${mod}.${f}`));

export function loadMapping(
  wasmFile: string,
  store: EntityStore,
  ds: DataSourceInfo,
  log: (line: LogLine) => void = () => {},
): MappingHost {
  const module = new WebAssembly.Module(readFileSync(wasmFile));
  let current: AscMemory | undefined;
  const mem = () => {
    if (!current) throw new HostError("host function called outside a handler");
    return current;
  };
  const provided = hostFunctions(mem, store, ds, log);
  const imports: WebAssembly.Imports = {};
  const unimplemented: string[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    const fn = provided[imp.module]?.[imp.name];
    (imports[imp.module] ??= {})[imp.name] =
      fn ??
      (() => {
        throw new HostError(`host function ${imp.module}.${imp.name} is not implemented by this host`);
      });
    if (!fn) unimplemented.push(`${imp.module}.${imp.name}`);
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  return {
    store,
    unimplemented,
    run(handler, buildEvent) {
      if (!exported.has(handler)) throw new HostError(`${ds.name}: the mapping exports no ${handler}`);
      const instance = new WebAssembly.Instance(module, imports);
      const exports = instance.exports as unknown as AscExports & Record<string, (p: number) => void>;
      current = new AscMemory(exports);
      try {
        exports._start?.();
        const event = buildEvent(current);
        exports[handler]!(event);
      } finally {
        current = undefined;
      }
    },
  };
}
