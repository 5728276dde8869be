/**
 * A built subgraph (build/subgraph.yaml, its wasm and ABIs) replaying an Ethereum log stream the way
 * graph-node does: blocks in order, and within a block the triggers of all data sources in log-index
 * order; a log is a trigger of a data source when it comes from the data source's address (and, as
 * graph-node filters, at or after its start block) and its topic0 is one of the manifest's event
 * handlers (signatures as graph-cli writes them: `Name(indexed type,…)`). Aggregations are rolled
 * up before each block (see aggregation.ts). A failing handler stops the replay with the block,
 * the log and the handler in the error, as a graph-node subgraph fails.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { toEventSelector, type AbiEvent, type Hex } from "viem";
import { Aggregator, parseAggregations } from "./aggregation.ts";
import type { LogLine } from "./conversion.ts";
import { newEvent, type RpcBlock, type RpcLog, type RpcTransaction } from "./ethereum.ts";
import { loadMapping, type MappingHost } from "./instance.ts";
import { parseSchema } from "./schema.ts";
import { EntityStore } from "./store.ts";

/** The YAML parser graph-cli itself reads manifests with (graph-cli is this package's dependency). */
const graphCli = createRequire(import.meta.url).resolve("@graphprotocol/graph-cli/package.json");
const YAML = createRequire(graphCli)("yaml") as { parse(text: string): unknown };

interface Manifest {
  schema: { file: string };
  dataSources: {
    name: string;
    network: string;
    source: { address: string; abi: string; startBlock?: number };
    mapping: {
      file: string;
      abis: { name: string; file: string }[];
      eventHandlers: { event: string; handler: string }[];
    };
  }[];
}

/** graph-cli's event signature of an ABI event: `Trade(indexed uint256,address,(uint32,bool))`. */
export function graphSignature(e: AbiEvent): string {
  const type = (p: { type: string; components?: readonly unknown[] }): string =>
    p.type.startsWith("tuple")
      ? `(${(p.components as { type: string }[]).map(type).join(",")})${p.type.slice(5)}`
      : p.type;
  return `${e.name}(${e.inputs.map((p) => (p.indexed ? "indexed " : "") + type(p)).join(",")})`;
}

export interface ReplayInput {
  logs: RpcLog[];
  blocks: Map<bigint, RpcBlock>;
  transactions: Map<Hex, RpcTransaction>;
}

export interface ReplayStats {
  blocks: number;
  triggers: number;
  /** Handler calls by handler name. */
  byHandler: Record<string, number>;
  ms: number;
}

interface BoundHandler {
  ds: string;
  handler: string;
  event: AbiEvent;
}

export class Subgraph {
  readonly store: EntityStore;
  readonly aggregator: Aggregator;
  readonly logs: LogLine[] = [];
  private readonly mappings = new Map<string, MappingHost>();
  /** address → topic0 → handler */
  private readonly routes = new Map<string, Map<Hex, BoundHandler>>();
  private readonly startBlocks = new Map<string, bigint>();

  /**
   * @param buildDir  graph build's output (build/subgraph.yaml …)
   * @param addresses data source name → address (overrides the manifest's: a local chain's deployment)
   */
  constructor(
    buildDir: string,
    addresses: Record<string, { address: string; startBlock?: number }> = {},
    /** Wraps each data source's mapping host, e.g. to inject a fault. */
    wrap?: (ds: string, host: MappingHost) => MappingHost,
  ) {
    const manifest = YAML.parse(readFileSync(path.join(buildDir, "subgraph.yaml"), "utf8")) as Manifest;
    const schemaFile = path.join(buildDir, manifest.schema.file);
    this.store = new EntityStore(parseSchema(schemaFile));
    this.aggregator = new Aggregator(parseAggregations(schemaFile), this.store);
    for (const ds of manifest.dataSources) {
      const at = addresses[ds.name] ?? ds.source;
      const address = at.address.toLowerCase();
      const abiFile = ds.mapping.abis.find((a) => a.name === ds.source.abi)!.file;
      const abi = JSON.parse(readFileSync(path.join(buildDir, abiFile), "utf8")) as { type: string }[];
      const events = new Map(
        abi.filter((x) => x.type === "event").map((e) => [graphSignature(e as AbiEvent), e as AbiEvent]),
      );
      const routes = new Map<Hex, BoundHandler>();
      for (const h of ds.mapping.eventHandlers) {
        const event = events.get(h.event.replace(/\s+/g, " "));
        if (!event) throw new Error(`${ds.name}: ${h.event} is not an event of the ${ds.source.abi} ABI`);
        routes.set(toEventSelector(event), { ds: ds.name, handler: h.handler, event });
      }
      this.routes.set(address, routes);
      this.startBlocks.set(address, BigInt(at.startBlock ?? 0));
      const host = loadMapping(
        path.join(buildDir, ds.mapping.file),
        this.store,
        { name: ds.name, address, network: ds.network },
        (l) => this.logs.push(l),
      );
      this.mappings.set(ds.name, wrap ? wrap(ds.name, host) : host);
    }
  }

  /** Host functions the mappings import that this host lacks (none, for this subgraph). */
  unimplemented(): string[] {
    return [...this.mappings.values()].flatMap((m) => m.unimplemented);
  }

  replay(input: ReplayInput): ReplayStats {
    const t0 = performance.now();
    const logs = [...input.logs].sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
    const stats: ReplayStats = { blocks: 0, triggers: 0, byHandler: {}, ms: 0 };
    let block: bigint | undefined;
    for (const log of logs) {
      const address = log.address.toLowerCase();
      const route = this.routes.get(address)?.get(log.topics[0]!);
      if (!route || log.blockNumber < this.startBlocks.get(address)!) continue;
      const b = input.blocks.get(log.blockNumber);
      const tx = input.transactions.get(log.transactionHash);
      if (!b || !tx)
        throw new Error(`block ${log.blockNumber} or transaction ${log.transactionHash} missing`);
      if (block !== log.blockNumber) {
        block = log.blockNumber;
        this.aggregator.beforeBlock(b.timestamp);
        this.store.startBlock();
        this.store.blockTimestamp = b.timestamp;
        stats.blocks++;
      }
      try {
        this.mappings.get(route.ds)!.run(route.handler, (mem) => newEvent(mem, route.event, log, b, tx));
      } catch (e) {
        throw new Error(
          `${route.ds}.${route.handler} failed at block ${log.blockNumber}, log ${log.logIndex} (tx ${log.transactionHash}): ${(e as Error).message}`,
          { cause: e },
        );
      }
      stats.triggers++;
      stats.byHandler[route.handler] = (stats.byHandler[route.handler] ?? 0) + 1;
    }
    stats.ms = performance.now() - t0;
    return stats;
  }
}
