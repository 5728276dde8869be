/**
 * The pipelined backfill flush (docs/decisions/0007) writes a batch while the next one is indexed.
 * `db.delete` and `db.sql` write to the database directly, which cannot happen while a write is in
 * flight: such a batch is re-run with Ponder's in-line flush, and so is the rest of the backfill.
 * Our indexer never calls them; a fixture app (test/fixtures/pipeline-fallback) deletes every row
 * whose amount is a multiple of 3, and its tables must still come out exact.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEventLogs, type Hex } from "viem";
import {
  accountAt,
  deployStack,
  energyMarketAbi,
  INDEXER_DIR,
  startHardhatNode,
  type HardhatNode,
  type Stack,
} from "./support/chain.ts";
import { openCommunity, placeOrderCall } from "./support/community.ts";
import { freePort, startPonder, type PonderProcess } from "./support/ponder.ts";

const FIXTURE = path.join(INDEXER_DIR, "test", "fixtures", "pipeline-fallback");

describe("pipelined backfill flush, with handlers that delete rows", () => {
  let node: HardhatNode;
  let stack: Stack;
  let ponder: PonderProcess;
  const amounts: bigint[] = [];

  before(async () => {
    node = await startHardhatNode(await freePort());
    stack = await deployStack(node.url);
    const trader = accountAt(1).address;
    const meterId = (await openCommunity(stack, [trader], "Fallback Grid")).get(trader)!;
    const slotStart = Number(((await stack.now()) / 900n + 8n) * 900n);
    // Resting bids only (no trades): 5 transactions of 40 orders, amounts 1..200.
    for (let tx = 0; tx < 5; tx++) {
      const calls: Hex[] = [];
      for (let k = 0; k < 40; k++) {
        const amountWh = BigInt(tx * 40 + k + 1);
        calls.push(placeOrderCall({ slotStart, isBid: true, tick: 100 + (k % 7), amountWh, meterId }));
      }
      const hash = await stack.send(stack.market, energyMarketAbi, "multicall", [calls], trader);
      const receipt = await stack.pub.waitForTransactionReceipt({ hash });
      for (const e of parseEventLogs({ abi: energyMarketAbi, logs: receipt.logs, eventName: "OrderPlaced" }))
        amounts.push(e.args.amountWh);
    }
    // Past Ponder's 30-block finality on an unknown chain, so the orders are backfilled.
    await stack.rpc("hardhat_mine", ["0x28"]);
    ponder = await startPonder({
      rpcUrl: node.url,
      addressBook: path.join(FIXTURE, "unused-address-book.json"),
      schema: "pipeline_fallback",
      root: FIXTURE,
      env: { FIXTURE_MARKET: stack.market },
      logLevel: "debug",
    });
    await ponder.ready();
  });

  after(async () => {
    await ponder?.stop();
    await node?.stop();
  });

  it("falls back to the in-line flush and indexes every row exactly", async () => {
    assert.equal(amounts.length, 200);
    const dropped = amounts.filter((a) => a % 3n === 0n).length;
    const counts = (await (await fetch(`${ponder.url}/counts`)).json()) as Record<string, number>;
    assert.deepEqual(counts, {
      placed: amounts.length - dropped,
      placedDivisibleBy3: 0,
      orders: amounts.length,
      deleted: dropped,
    });
    assert.match(ponder.output(), /Stopped pipelining the backfill's database writes/);
    const metrics = await (await fetch(`${ponder.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /step="pipelined_write"/, "no batch was written in the background");
  });
});
