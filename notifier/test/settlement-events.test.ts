/**
 * The rest of a market's life told to the people concerned, from the chain: the seller's order
 * released at the gate, the meter report, the sale settled with a slashed bond, the buyer's refund
 * waiting, the buyer's balance falling below the threshold it chose, and a treasury proposal
 * opened and ready to execute for the community's members.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { Address } from "viem";
import { energyMarketAbi, treasuryGovernorAbi } from "@powershare/contracts";
import { compiledArtifact } from "@powershare/contracts/testing";
import { marketIdOf } from "@powershare/contracts/sdk";
import { devAccount, REPORT_WINDOW, TEST_COMMUNITY } from "@powershare/contracts/sdk/testing";
import { startNotifier, type RunningNotifier } from "../src/notifier.ts";
import { startMarket, until, type Market } from "./support/chain.ts";

const SELLER = 1;
const BUYER = 2;
const addr = (i: number) => devAccount(i).address.toLowerCase() as Address;

let m: Market;
let n: RunningNotifier;
let governor: Address;

beforeAll(async () => {
  m = await startMarket({ seller: [SELLER], buyer: [BUYER] });
  const w = m.stack.wallet(0);
  const art = compiledArtifact("governance/TreasuryGovernor.sol/TreasuryGovernor.json");
  const hash = await w.deployContract({
    abi: art.abi,
    bytecode: art.bytecode,
    args: [m.stack.addresses.market, 0n, 600n, 5_000n, 60n, 3_600n],
    account: w.account!,
    chain: m.stack.chain,
  });
  governor = (await m.stack.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  await m.stack.send(0, m.stack.addresses.market, energyMarketAbi, "setTreasuryGovernor", [governor]);
  n = await startNotifier({
    publicClient: m.stack.publicClient,
    addresses: { ...m.stack.addresses, governor },
    chainId: 31337,
    sqlitePath: path.join(mkdtempSync(path.join(tmpdir(), "notifier-settle-")), "n.sqlite"),
    confirmations: 1,
    pollMs: 50,
    port: 0,
    logger: pino({ level: "silent" }),
  });
});

afterAll(async () => {
  await n?.stop();
  await m?.stack.stop();
});

async function told(address: Address, type: string) {
  return until(`${type} for ${address}`, async () => {
    const rows = await n.store.db.all(
      "SELECT e.vars FROM deliveries d JOIN events e ON e.key = d.event_key WHERE d.address = ? AND d.event_type = ? AND d.status = 'sent'",
      [address, type],
    );
    return rows.length ? rows.map((r) => JSON.parse(String(r.vars)) as Record<string, string>) : undefined;
  });
}

describe("settlement, refunds, balances and governance", () => {
  it("tells each step to the address it concerns", async () => {
    // The buyer wants to hear when its free balance drops below 99.9 USDC (it has 100).
    await n.store.setPreferences({
      address: addr(BUYER),
      email: null,
      phone: null,
      subscriptions: {},
      lowBalanceThreshold: 99_900_000n,
    });
    const slot = await m.slot();
    const marketId = marketIdOf(m.communityId, slot);
    const p = { communityId: m.communityId, slotStart: slot };
    const ask = await m
      .client(SELLER)
      .place({ ...p, side: "sell", tick: 300, amountWh: 1_000n, meterId: m.meters[SELLER]! });
    await m
      .client(BUYER)
      .place({ ...p, side: "buy", tick: 300, amountWh: 600n, meterId: m.meters[BUYER]!, type: "ioc" });

    // Gate: the maker is claimed; at the slot's end the oracle reports 300 Wh of the 600 sold.
    await m.stack.warpTo(slot - TEST_COMMUNITY.gateLead);
    await m.client(5).claim([ask.result.orderId]);
    await m.stack.warpTo(slot + TEST_COMMUNITY.slotLength + 1);
    await m.stack.report([{ meterId: m.meters[SELLER]!, slotStart: slot, importedWh: 0n, exportedWh: 300n }]);
    await m.stack.warpTo(slot + TEST_COMMUNITY.slotLength + REPORT_WINDOW + 1);
    await m.client(5).settle(marketId);

    // The admin admits both (only admitted members vote on payouts); a member proposes a treasury
    // payment; both vote for it; it is queued.
    for (const i of [SELLER, BUYER])
      await m.stack.send(0, m.stack.addresses.market, energyMarketAbi, "admit", [m.communityId, addr(i)]);
    await m.stack.send(SELLER, governor, treasuryGovernorAbi, "propose", [
      m.communityId,
      addr(SELLER),
      1n,
      "solar panels for the school",
    ]);
    await m.stack.send(SELLER, governor, treasuryGovernorAbi, "castVote", [1n, 1]);
    await m.stack.send(BUYER, governor, treasuryGovernorAbi, "castVote", [1n, 1]);
    await m.stack.warpTo((await m.stack.now()) + 601);
    await m.stack.send(BUYER, governor, treasuryGovernorAbi, "queue", [1n]);
    await m.mine(1);

    const [low] = await told(addr(BUYER), "low_balance");
    expect(low).toEqual({ free: "99.82", threshold: "99.9" });
    const [released] = await told(addr(SELLER), "order_released");
    expect(released).toMatchObject({
      side: "sell",
      filledKwh: "0.6",
      orderKwh: "1",
      value: "0.18",
      orderId: ask.result.orderId.toString(),
    });
    const [report] = await told(addr(SELLER), "meter_reported");
    expect(report).toMatchObject({ meterId: String(m.meters[SELLER]), exportedKwh: "0.3", importedKwh: "0" });
    const [sale] = await told(addr(SELLER), "sale_settled");
    expect(sale).toMatchObject({ outcome: "slashed", soldKwh: "0.6", deliveredKwh: "0.3" });
    expect(Number(sale!.bondSlashed)).toBeGreaterThan(0);
    const [refund] = await told(addr(BUYER), "refund_waiting");
    expect(refund).toMatchObject({ paid: "0.18" });
    expect(Number(refund!.refund)).toBeGreaterThanOrEqual(0.09); // the undelivered half, plus the slashed bond
    for (const who of [SELLER, BUYER]) {
      const [opened] = await told(addr(who), "proposal_opened");
      expect(opened).toMatchObject({
        proposalId: "1",
        description: "solar panels for the school",
        amount: "0.000001",
      });
      const [ready] = await told(addr(who), "proposal_ready");
      expect(ready).toMatchObject({ proposalId: "1", communityId: String(m.communityId) });
    }
    // Nobody else was told about the seller's sale, and the seller heard of no refund.
    const strangers = await n.store.db.all(
      "SELECT address FROM deliveries WHERE event_type = 'sale_settled'",
    );
    expect(strangers.map((r) => r.address)).toEqual([addr(SELLER)]);
    expect(
      await n.store.db.all(
        "SELECT address FROM deliveries WHERE event_type = 'refund_waiting' AND address = ?",
        [addr(SELLER)],
      ),
    ).toEqual([]);
  });
});
