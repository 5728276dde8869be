/**
 * The wasm host on the compiled mappings: its imports cover every host function the four wasm files
 * import; ethereum events (indexed, string and tuple parameters, block and transaction) reach the
 * handlers as graph-node builds them; store.set merges like graph-node's EntityOp::Update;
 * loadRelated, timeseries ids/timestamps and the hour/day rollups; failures name the handler.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { encodeAbiParameters, encodeEventTopics, type AbiEvent, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { Aggregator, parseAggregations } from "./aggregation.ts";
import type { RpcBlock, RpcLog, RpcTransaction } from "./ethereum.ts";
import { IMPLEMENTED } from "./instance.ts";
import { parseSchema } from "./schema.ts";
import { EntityStore, Kind, type EntityData, type StoreValue } from "./store.ts";
import { Subgraph } from "./subgraph.ts";

const BUILD = path.resolve(import.meta.dirname, "..", "..", "build");
const MARKET = "0x00000000000000000000000000000000000000aa" as Hex;
const ADMIN = "0x1111111111111111111111111111111111111111" as Hex;
const abi = JSON.parse(
  readFileSync(path.join(BUILD, "EnergyMarket/EnergyMarket.json"), "utf8"),
) as AbiEvent[];
const ev = (name: string) => abi.find((x) => x.type === "event" && x.name === name)!;

function chainOf(events: { name: string; args: Record<string, unknown>; block: number; ts: number }[]) {
  const logs: RpcLog[] = [];
  const blocks = new Map<bigint, RpcBlock>();
  const transactions = new Map<Hex, RpcTransaction>();
  events.forEach((e, i) => {
    const event = ev(e.name);
    const topics = encodeEventTopics({ abi: [event], eventName: e.name, args: e.args } as never) as Hex[];
    const plain = event.inputs.filter((p) => !p.indexed);
    const data = encodeAbiParameters(plain, plain.map((p) => e.args[p.name!]) as never);
    const hash = `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
    logs.push({
      address: MARKET,
      topics,
      data,
      logIndex: i,
      blockNumber: BigInt(e.block),
      transactionHash: hash,
      transactionLogIndex: 0,
    });
    transactions.set(hash, {
      hash,
      transactionIndex: 0,
      from: ADMIN,
      to: MARKET,
      value: 0n,
      gas: 1n,
      gasPrice: 1n,
      input: "0x",
      nonce: i,
    });
    blocks.set(BigInt(e.block), {
      hash: `0x${e.block.toString(16).padStart(64, "0")}`,
      parentHash: `0x${"0".repeat(64)}`,
      sha3Uncles: `0x${"0".repeat(64)}`,
      miner: ADMIN,
      stateRoot: `0x${"0".repeat(64)}`,
      transactionsRoot: `0x${"0".repeat(64)}`,
      receiptsRoot: `0x${"0".repeat(64)}`,
      number: BigInt(e.block),
      gasUsed: 0n,
      gasLimit: 30_000_000n,
      timestamp: BigInt(e.ts),
      difficulty: 0n,
      totalDifficulty: null,
      size: null,
      baseFeePerGas: 7n,
    });
  });
  return { logs, blocks, transactions };
}

const PARAMS = {
  slotLength: 900,
  gateLead: 300,
  horizon: 86400,
  tickSize: 1000n,
  minOrderWh: 1n,
  bondPerKwh: 5000n,
  feeBps: 100,
  priceFeed: "0x2222222222222222222222222222222222222222",
  bandBps: 0,
  maxFeedAge: 0,
};

describe("wasm host", () => {
  it("implements every host function the compiled mappings import", () => {
    const imports = readdirSync(BUILD, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => {
        const m = new WebAssembly.Module(readFileSync(path.join(BUILD, d.name, `${d.name}.wasm`)));
        return WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}`);
      });
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((i) => !IMPLEMENTED.includes(i))).toEqual([]);
  });

  it("decodes indexed, string and tuple parameters into the entities", () => {
    const sg = new Subgraph(BUILD, { EnergyMarket: { address: MARKET } });
    const stats = sg.replay(
      chainOf([
        {
          name: "CommunityCreated",
          args: { communityId: 7, admin: ADMIN, name: "Solar Street ☀", params: PARAMS },
          block: 5,
          ts: 1_000,
        },
        { name: "CommunityFeeChanged", args: { communityId: 7, feeBps: 250 }, block: 6, ts: 1_012 },
        { name: "MemberJoined", args: { communityId: 7, account: ADMIN }, block: 6, ts: 1_012 },
      ]),
    );
    expect(stats.triggers).toBe(3);
    const c = Object.fromEntries([...sg.store.get("Community", "7")!].map(([k, v]) => [k, v.value]));
    expect(c).toMatchObject({
      name: "Solar Street ☀",
      slotLength: 900,
      horizon: 86400,
      tickSize: 1000n,
      bondPerWh: 5n,
      feeBps: 250,
      members: 1,
      createdBlock: 5n,
      createdAt: 1000n,
    });
    expect(Buffer.from(c.admin as Uint8Array).toString("hex")).toBe(ADMIN.slice(2));
    const member = sg.store.get("Member", `7-${ADMIN}`)!;
    expect(member.get("joinedAt")!.value).toBe(1012n);
    expect(sg.store.loadRelated("Community", "7", "memberList")).toEqual([member]);
  });

  it("drops NUL characters from strings the mapping stores, as graph-node does for PostgreSQL", () => {
    const sg = new Subgraph(BUILD, { EnergyMarket: { address: MARKET } });
    sg.replay(
      chainOf([
        {
          name: "CommunityCreated",
          args: { communityId: 1, admin: ADMIN, name: "Grid\u0000 One\u0000", params: PARAMS },
          block: 1,
          ts: 1,
        },
      ]),
    );
    expect(sg.store.get("Community", "1")!.get("name")!.value).toBe("Grid One");
  });

  it("fails a handler with its name, block and log, as a subgraph fails", () => {
    const sg = new Subgraph(BUILD, { EnergyMarket: { address: MARKET } });
    // A member of a community never created: the mapping's store.set is fine, but OrderPlaced
    // on an unknown community logs a critical error, which aborts the handler.
    const chain = chainOf([
      {
        name: "OrderPlaced",
        args: {
          orderId: (9n << 80n) | 1n,
          marketId: 9n << 40n,
          owner: ADMIN,
          meterId: 1,
          amountWh: 5n,
          queueStart: 0n,
        },
        block: 3,
        ts: 10,
      },
    ]);
    expect(() => sg.replay(chain)).toThrow(
      /EnergyMarket.handleOrderPlaced failed at block 3, log 0 .*community 9 not indexed/,
    );
    expect(sg.logs.at(-1)).toMatchObject({ level: "critical", message: "community 9 not indexed" });
  });
});

describe("entity store (graph-node semantics)", () => {
  const store = () => new EntityStore(parseSchema(path.join(BUILD, "schema.graphql")));
  const v = (kind: number, value: unknown) => ({ kind, value }) as StoreValue;
  const reputation = (): EntityData =>
    new Map([
      ["seller", v(Kind.BYTES, new Uint8Array(20))],
      ["committedWh", v(Kind.BIGINT, 10n)],
      ["deliveredWh", v(Kind.BIGINT, 8n)],
      ["scoreBps", v(Kind.INT, 9000)],
      ["updatedAt", v(Kind.BIGINT, 1n)],
    ]);

  it("merges a set into the stored entity and unsets null fields", () => {
    const s = store();
    s.set("Reputation", "0xab", reputation());
    s.set("Reputation", "0xab", new Map([["scoreBps", v(Kind.INT, 5)]]));
    expect(s.get("Reputation", "0xab")!.get("committedWh")!.value).toBe(10n);
    expect(s.get("Reputation", "0xab")!.get("scoreBps")!.value).toBe(5);
    expect(() => s.set("Reputation", "0xab", new Map([["scoreBps", v(Kind.NULL, null)]]))).toThrow(
      /missing value for non-nullable field 'scoreBps'/,
    );
  });

  it("refuses unknown fields, wrong kinds, conflicting ids, derived fields and changed immutables", () => {
    const s = store();
    expect(() => s.set("Reputation", "0x1", new Map([...reputation(), ["nope", v(Kind.INT, 1)]]))).toThrow(
      /unknown field 'nope'/,
    );
    expect(() =>
      s.set("Reputation", "0x1", new Map([...reputation(), ["scoreBps", v(Kind.BIGINT, 1n)]])),
    ).toThrow(/has kind 7, the schema wants Int/);
    expect(() =>
      s.set("Reputation", "0x1", new Map([...reputation(), ["id", v(Kind.STRING, "0x2")]])),
    ).toThrow(/conflicts with ID/);
    expect(() => s.set("Community", "1", new Map([["memberList", v(Kind.ARRAY, [])]]))).toThrow(/derived/);
    const vote = new Map([
      ["proposal", v(Kind.STRING, "1")],
      ["proposalId", v(Kind.BIGINT, 1n)],
      ["voter", v(Kind.BYTES, new Uint8Array(20))],
      ["support", v(Kind.INT, 1)],
      ["timestamp", v(Kind.BIGINT, 5n)],
    ]);
    s.set("Vote", "1-0x0", vote);
    s.set("Vote", "1-0x0", vote); // the same values: allowed
    expect(() => s.set("Vote", "1-0x0", new Map([...vote, ["support", v(Kind.INT, 0)]]))).toThrow(
      /Immutable entity Vote/,
    );
    expect(() => s.remove("Vote", "1-0x0")).toThrow(/cannot be removed/);
    expect(() => s.set("MarketStats", "1", new Map())).toThrow(/cannot be written by a mapping/);
  });

  it("numbers timeseries points and stamps them with the block time; rolls up finished hours and days", () => {
    const s = store();
    const agg = new Aggregator(parseAggregations(path.join(BUILD, "schema.graphql")), s);
    const point = (tick: number, wh: bigint) =>
      new Map([
        ["id", v(Kind.INT8, 0n)],
        ["timestamp", v(Kind.TIMESTAMP, 42n)],
        ["market", v(Kind.STRING, "m1")],
        ["community", v(Kind.STRING, "1")],
        ["amountWh", v(Kind.BIGINT, wh)],
        ["value", v(Kind.BIGINT, wh * BigInt(tick))],
        ["tick", v(Kind.INT, tick)],
      ]);
    const at = (ts: bigint, tick: number, wh: bigint) => {
      agg.beforeBlock(ts);
      s.blockTimestamp = ts;
      s.set("TradePoint", "0", point(tick, wh));
    };
    at(3600n, 100, 10n);
    at(3700n, 90, 5n);
    at(7100n, 120, 1n);
    expect(s.get("TradePoint", "2")!.get("timestamp")!.value).toBe(3_700_000_000n);
    expect(agg.rows.get("MarketStats_hour")).toBeUndefined(); // the hour is not over
    at(7200n, 95, 2n); // first block of the next hour: 3600..7199 rolled up, this point not in it
    const [row] = agg.rows.get("MarketStats_hour")!;
    expect(Object.fromEntries([...row!].map(([k, x]) => [k, x.value]))).toEqual({
      id: 3n, // the largest id of its points
      timestamp: 3_600_000_000n,
      market: "m1",
      volumeWh: 16n,
      value: 1570n,
      trades: 3n,
      high: 120,
      low: 90,
      open: 100,
      close: 120,
    });
    expect(agg.rows.get("MarketStats_day")).toBeUndefined();
    at(86400n, 100, 1n);
    expect(agg.rows.get("MarketStats_day")![0]!.get("volumeWh")!.value).toBe(18n);
    expect(agg.rows.get("CommunityStats_hour")!.map((r) => r.get("trades")!.value)).toEqual([3n, 1n]);
  });
});
