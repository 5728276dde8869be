/**
 * Analytics routes against a hand-computed fixture chain (test/support/analytics-fixture.ts): the
 * indexer (PGlite, and PostgreSQL when DATABASE_URL is set) syncs it and every figure must be the
 * one worked out below by hand. CSV exports stream in pages of 2 rows here (ANALYTICS_CSV_PAGE).
 *
 * The fixture (community 1: tick 1,000 base units/kWh, so a trade's value = Wh × tick; fee 1 %;
 * bond 1 base unit/Wh; members A, B, C, D and the admin who created it; meters 1–4):
 *   S1 (day 1, 10:00): t1 A asks 1000@100; t2 B asks 500@102; t3 C bids 1200@105 → 1000@100
 *       (100,000) + 200@102 (20,400); t4 D bids 300@98; t5 B cancels its 300 left; t6 A sells 100
 *       IOC → 100@98 (9,800) from D.
 *   S2 (day 1, 10:15): A asks 400@110; C buys 400 IOC → 400@110 (44,000).
 *   S3 (day 2, 10:00): B asks 600@95; D buys 600 IOC → 600@95 (57,000).
 *   Reports: S1 A exp 1000 imp 50, B exp 200, C imp 1500, D imp 500; S2 A exp 400, C imp 400;
 *   S3 D imp 1000 (B silent).
 *   Settlement M1: A sold 1100 for 109,800, delivered 1000 → gross ⌊109,800·1000/1100⌋ = 99,818,
 *     fee ⌊998.18⌋ = 998, payout 98,820, bond 1100 slashed 100, refund 10,082; B sold 200 for
 *     20,400, all delivered → fee 204, payout 20,196. Pool 10,082: C ⌊10,082·120,400/130,200⌋ =
 *     9,323, D ⌊10,082·9,800/130,200⌋ = 758, 1 swept to the treasury.
 *   M2: A 400 delivered → fee 440, payout 43,560. M3: B unreported → pool 57,000, all to D.
 *   Treasury: fees 998 + 204 + 440 = 1,642, swept 1, paid out 500 (executed proposal) → 1,143.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { deployStack, startHardhatNode, type HardhatNode } from "./support/chain.ts";
import { buildAnalyticsFixture, type Fixture } from "./support/analytics-fixture.ts";
import { freePort, startPonder, type PonderProcess } from "./support/ponder.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const SCHEMA = `analytics_test_${process.pid}_${Date.now().toString(36)}`;

async function dropSchema(databaseUrl: string | undefined): Promise<void> {
  if (!databaseUrl) return;
  const pg = await import("pg");
  const c = new pg.default.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  } finally {
    await c.end();
  }
}

const PASSES: { name: string; databaseUrl?: string }[] = [
  { name: "PGlite" },
  ...(DATABASE_URL ? [{ name: "PostgreSQL", databaseUrl: DATABASE_URL }] : []),
];

for (const { name, databaseUrl } of PASSES)
  describe(`analytics routes (${name})`, () => {
    let node: HardhatNode;
    let ponder: PonderProcess;
    let fx: Fixture;
    let dir: string;

    const get = async (p: string) => {
      const r = await fetch(`${ponder.url}/analytics${p}`);
      return { status: r.status, type: r.headers.get("content-type") ?? "", text: await r.text() };
    };
    const getJson = async (p: string) => {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      return JSON.parse(r.text) as Record<string, unknown>;
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "ps-analytics-test-"));
      node = await startHardhatNode(await freePort());
      const stack = await deployStack(node.url);
      fx = await buildAnalyticsFixture(stack);
      const book = path.join(dir, "book.json");
      stack.writeAddressBook(book);
      ponder = await startPonder({
        rpcUrl: node.url,
        addressBook: book,
        databaseUrl,
        schema: SCHEMA,
        env: { ANALYTICS_CSV_PAGE: "2", GOVERNOR_GRACE_PERIOD: String(7 * 24 * 3600) },
      });
      await ponder.ready();
      await ponder.waitForBlock(Number(await stack.pub.getBlockNumber()));
    });

    after(async () => {
      await ponder?.stop();
      await node?.stop();
      await dropSchema(databaseUrl).catch(() => {});
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const m1Row = () => ({
      slotStart: String(fx.slots[0]),
      marketId: String(fx.markets[0]),
      trades: 3,
      tradedWh: "1300",
      tradedValue: "130200",
      vwap: 100153.846153, // 130,200 / 1.3 kWh
      low: "98000",
      high: "102000",
      bestBid: "98000", // D's 200 left at 98; B's ask level emptied by the cancel
      bestAsk: null,
      spread: null,
      availableBidWh: "200",
      availableAskWh: "0",
      restingBidWh: "300",
      filledBidWh: "100",
      cancelledBidWh: "0",
      restingAskWh: "1500",
      filledAskWh: "1200",
      cancelledAskWh: "300",
      bidFillRate: 0.333333,
      askFillRate: 0.8,
      fillRate: 0.722222, // 1300 / 1800
    });
    const single = (slot: bigint, market: bigint, wh: string, value: string, vwap: number, px: string) => ({
      slotStart: String(slot),
      marketId: String(market),
      trades: 1,
      tradedWh: wh,
      tradedValue: value,
      vwap,
      low: px,
      high: px,
      bestBid: null,
      bestAsk: null,
      spread: null,
      availableBidWh: "0",
      availableAskWh: "0",
      restingBidWh: "0",
      filledBidWh: "0",
      cancelledBidWh: "0",
      restingAskWh: wh,
      filledAskWh: wh,
      cancelledAskWh: "0",
      bidFillRate: null,
      askFillRate: 1,
      fillRate: 1,
    });

    it("computes volume, VWAP, closing spread and fill rate per delivery slot", async () => {
      const r = await getJson("/market/slots?community=1");
      assert.deepEqual(r.slots, [
        m1Row(),
        single(fx.slots[1], fx.markets[1], "400", "44000", 110000, "110000"),
        single(fx.slots[2], fx.markets[2], "600", "57000", 95000, "95000"),
      ]);
      assert.equal(r.nextCursor, null);
      // Pagination: one slot a page, the cursor chains them.
      const p1 = await getJson("/market/slots?community=1&limit=2");
      assert.equal((p1.slots as unknown[]).length, 2);
      assert.equal(p1.nextCursor, String(fx.slots[1]));
      const p2 = await getJson(`/market/slots?community=1&limit=2&cursor=${p1.nextCursor}`);
      assert.deepEqual(
        (p2.slots as { marketId: string }[]).map((s) => s.marketId),
        [String(fx.markets[2])],
      );
      assert.equal(p2.nextCursor, null);
      // A window of delivery slots: [S2, S3) holds S2 only.
      const w = await getJson(`/market/slots?community=1&from=${fx.slots[1]}&to=${fx.slots[2]}`);
      assert.deepEqual(
        (w.slots as { marketId: string }[]).map((s) => s.marketId),
        [String(fx.markets[1])],
      );
    });

    it("computes volume, VWAP, price range and fill rate per day of delivery", async () => {
      const r = await getJson("/market/days?community=1");
      assert.deepEqual(r.days, [
        {
          day: String(fx.day),
          markets: 2,
          marketsTraded: 2,
          trades: 4,
          tradedWh: "1700",
          tradedValue: "174200",
          vwap: 102470.588235, // 174,200 / 1.7 kWh
          low: "98000",
          high: "110000",
          restingBidWh: "300",
          filledBidWh: "100",
          cancelledBidWh: "0",
          restingAskWh: "1900",
          filledAskWh: "1600",
          cancelledAskWh: "300",
          bidFillRate: 0.333333,
          askFillRate: 0.842105, // 1600 / 1900
          fillRate: 0.772727, // 1700 / 2200
        },
        {
          day: String(fx.day + 86400n),
          markets: 1,
          marketsTraded: 1,
          trades: 1,
          tradedWh: "600",
          tradedValue: "57000",
          vwap: 95000,
          low: "95000",
          high: "95000",
          restingBidWh: "0",
          filledBidWh: "0",
          cancelledBidWh: "0",
          restingAskWh: "600",
          filledAskWh: "600",
          cancelledAskWh: "0",
          bidFillRate: null,
          askFillRate: 1,
          fillRate: 1,
        },
      ]);
      const p1 = await getJson("/market/days?community=1&limit=1");
      assert.equal(p1.nextCursor, String(fx.day + 86400n));
      const p2 = await getJson(`/market/days?community=1&limit=1&cursor=${p1.nextCursor}`);
      assert.deepEqual(
        (p2.days as { day: string }[]).map((d) => d.day),
        [String(fx.day + 86400n)],
      );
      assert.equal(p2.nextCursor, null);
    });

    it("summarises one market with its opening and closing price and settlement", async () => {
      const r = await getJson(`/market/${fx.markets[0]}`);
      const { slotStart: _s, marketId: _m, ...stats } = m1Row();
      assert.deepEqual(
        { ...r, now: undefined, opensAt: undefined },
        {
          marketId: String(fx.markets[0]),
          communityId: 1,
          slotStart: String(fx.slots[0]),
          opensAt: undefined,
          gateAt: String(fx.slots[0] - 300n),
          now: undefined,
          status: "closed",
          open: "100000",
          close: "98000",
          ...stats,
          settlement: {
            salesSettled: 2,
            settledSoldWh: "1300",
            reportedSoldWh: "1300",
            deliveredWh: "1200",
            deliveryRate: 0.923076, // 1200 / 1300
            refundPool: "10082",
            refundPoolFinal: true,
          },
        },
      );
      assert.equal(r.opensAt, String(fx.slots[0] - 7n * 86400n));
    });

    it("replays depth and spread over time, with fills and the cancel at their block times", async () => {
      const [t1, , , , , t6] = fx.t as [bigint, bigint, bigint, bigint, bigint, bigint];
      const r = await getJson(`/market/${fx.markets[0]}/depth?step=60&from=${t1}&to=${t6 + 60n}`);
      const sample = (k: number, bid: string, ask: string, bb: number | null, ba: number | null) => ({
        time: String(t1 + BigInt(k) * 60n),
        bidDepthWh: bid,
        askDepthWh: ask,
        bestBidTick: bb,
        bestAskTick: ba,
        bestBid: bb === null ? null : String(bb * 1000),
        bestAsk: ba === null ? null : String(ba * 1000),
        spread: bb !== null && ba !== null ? String((ba - bb) * 1000) : null,
      });
      assert.deepEqual(r.depth, [
        sample(0, "0", "1000", null, 100), // A's ask
        sample(1, "0", "1500", null, 100), // + B's
        sample(2, "0", "300", null, 102), // C took 1000 @100 and 200 @102
        sample(3, "300", "300", 98, 102), // D's bid: spread 4 ticks
        sample(4, "300", "0", 98, null), // B cancelled
        sample(5, "200", "0", 98, null), // A's IOC took 100 of D's bid
      ]);
      assert.equal(r.nextCursor, null);
      // Paginated samples chain by cursor.
      const p1 = await getJson(`/market/${fx.markets[0]}/depth?step=60&from=${t1}&to=${t6 + 60n}&limit=4`);
      assert.equal(p1.nextCursor, String(t1 + 240n));
      const p2 = await getJson(
        `/market/${fx.markets[0]}/depth?step=60&from=${t1}&to=${t6 + 60n}&limit=4&cursor=${p1.nextCursor}`,
      );
      assert.deepEqual([...(p1.depth as unknown[]), ...(p2.depth as unknown[])], r.depth);
      // By default the series runs from the first order to the gate: nothing rests from then on.
      const all = await getJson(`/market/${fx.markets[0]}/depth?step=3600&limit=1000`);
      const series = all.depth as { time: string; bidDepthWh: string }[];
      assert.equal(series[0]!.time, String(t1));
      assert.ok(BigInt(series.at(-1)!.time) < fx.slots[0] - 300n);
      assert.equal(series.at(-1)!.bidDepthWh, "200");
    });

    it("computes a seller's energy, earnings, delivery rate and prices against the community's", async () => {
      const r = await getJson(`/users/${fx.A}`);
      const { byCommunity, ...total } = r;
      const expected = {
        trades: 3,
        boughtWh: "0",
        paid: "0",
        refunds: "0",
        soldWh: "1500", // 1000 maker + 100 taker in S1, 400 maker in S2
        proceeds: "153800", // 100,000 + 9,800 + 44,000
        payout: "142380", // 98,820 + 43,560
        fees: "1438", // 998 + 440
        bondSlashed: "100",
        salesSettled: 2,
        salesReported: 2,
        reportedSoldWh: "1500",
        unreportedSoldWh: "0",
        deliveredWh: "1400",
        netSpend: "0",
        netEarnings: "142280",
        deliveryRate: 0.933333, // 1400 / 1500
        avgBuyPrice: null,
        avgSellPrice: 102533.333333, // 153,800 / 1.5 kWh
        communityVwap: 100521.73913, // 231,200 / 2.3 kWh
        buyPriceVsCommunity: null,
        sellPriceVsCommunity: 1.020012,
        retailCost: "0",
        savings: "0",
        feedInValue: "112000", // 1.4 kWh × 80,000
        gainOverFeedIn: "30280",
      };
      assert.deepEqual(total, {
        account: fx.A.toLowerCase(),
        communityId: null,
        from: "0",
        to: null,
        tariff: "300000",
        feedInTariff: "80000",
        ...expected,
      });
      assert.deepEqual(byCommunity, [{ communityId: 1, ...expected }]);
    });

    it("computes a buyer's spend, refunds and savings against a given retail tariff", async () => {
      const r = await getJson(`/users/${fx.C}?tariff=250000&community=1`);
      assert.equal(r.boughtWh, "1600");
      assert.equal(r.paid, "164400");
      assert.equal(r.refunds, "9323");
      assert.equal(r.netSpend, "155077");
      assert.equal(r.avgBuyPrice, 102750);
      assert.equal(r.buyPriceVsCommunity, 1.022167); // 102,750 / 100,521.73913
      assert.equal(r.retailCost, "400000"); // 1.6 kWh × 250,000
      assert.equal(r.savings, "235600");
      assert.equal(r.communityId, 1);
      // D over day 1 only: its maker fill of 100 @98 and its refund share.
      const d = await getJson(`/users/${fx.D}?from=${fx.day}&to=${fx.day + 86400n}`);
      assert.deepEqual(
        [d.trades, d.boughtWh, d.paid, d.refunds, d.netSpend, d.communityVwap, d.savings],
        [1, "100", "9800", "758", "9042", 102470.588235, "20200"],
      );
      // D over both days: + 600 @95, fully refunded (B's meter was silent).
      const d2 = await getJson(`/users/${fx.D}`);
      assert.deepEqual([d2.boughtWh, d2.paid, d2.refunds, d2.netSpend], ["700", "66800", "57758", "9042"]);
      // B: S1 delivered in full, S3 unreported.
      const b = await getJson(`/users/${fx.B}`);
      assert.deepEqual(
        [b.soldWh, b.proceeds, b.payout, b.fees, b.reportedSoldWh, b.unreportedSoldWh, b.deliveryRate],
        ["800", "77400", "20196", "204", "200", "600", 1],
      );
      // An address that never traded: zeros, not an error.
      const none = await getJson(`/users/0x${"11".repeat(20)}`);
      assert.deepEqual([none.trades, none.boughtWh, none.byCommunity], [0, "0", []]);
    });

    it("lists a user's figures per market, paginated", async () => {
      const p1 = await getJson(`/users/${fx.C}/markets?limit=1`);
      const rows1 = p1.markets as Record<string, unknown>[];
      assert.equal(rows1.length, 1);
      assert.deepEqual(
        [rows1[0]!.marketId, rows1[0]!.boughtWh, rows1[0]!.paid, rows1[0]!.refunds, rows1[0]!.communityVwap],
        [String(fx.markets[0]), "1200", "120400", "9323", 100153.846153],
      );
      assert.equal(p1.nextCursor, String(fx.markets[0]));
      const p2 = await getJson(`/users/${fx.C}/markets?limit=1&cursor=${p1.nextCursor}`);
      const rows2 = p2.markets as Record<string, unknown>[];
      assert.deepEqual(
        [rows2[0]!.marketId, rows2[0]!.boughtWh, rows2[0]!.paid, rows2[0]!.refunds, rows2[0]!.savings],
        [String(fx.markets[1]), "400", "44000", "0", "76000"], // 0.4 kWh × 300,000 − 44,000
      );
      assert.equal(p2.nextCursor, null);
    });

    it("computes a community's members, traded energy, self-sufficiency, treasury and proposals", async () => {
      const r = await getJson("/communities/1");
      assert.deepEqual(
        { ...r, now: undefined },
        {
          communityId: 1,
          name: '=Sunny "Solar", Street',
          from: "0",
          to: null,
          now: undefined,
          members: 5, // the four traders and the admin who created it
          newMembers: 5,
          admissionRequired: false,
          meters: { meters: 4, activeMeters: 4, producer: 0, consumer: 0, prosumer: 4, storage: 0 },
          market: {
            markets: 3,
            marketsTraded: 3,
            trades: 5,
            traders: 4,
            tradedWh: "2300",
            tradedValue: "231200",
            vwap: 100521.73913,
            fillRate: 0.821428, // 2300 / 2800
          },
          energy: {
            reports: 7,
            importedWh: "3450", // 50 + 1500 + 500 + 400 + 1000
            exportedWh: "1600",
            tradedWh: "2300",
            deliveredWh: "1600",
            selfSufficiency: 0.666666, // 2300 / 3450
            deliveredSelfSufficiency: 0.463768, // 1600 / 3450
          },
          settlement: {
            salesSettled: 4,
            reportedSoldWh: "1700",
            unreportedSoldWh: "600",
            deliveredWh: "1600",
            deliveryRate: 0.941176,
            payout: "162576", // 98,820 + 20,196 + 43,560
            fees: "1642",
            bondSlashed: "100",
            refundPool: "67082", // 10,082 + 57,000
          },
          treasury: {
            balance: "1143",
            feesIn: "1642",
            sweptIn: "1",
            paidOut: "500",
            period: { fees: "1642", swept: "1" },
          },
          proposals: {
            proposals: 1,
            pending: 0,
            active: 0,
            succeeded: 0,
            queued: 0,
            executed: 1,
            defeated: 0,
            canceled: 0,
            expired: 0,
            executedAmount: "500",
          },
        },
      );
      // Day 2 only: one slot, D's consumption of 1000, nothing delivered.
      const d2 = await getJson(`/communities/1?from=${fx.day + 86400n}&to=${fx.day + 2n * 86400n}`);
      const e = d2.energy as Record<string, unknown>;
      assert.deepEqual(
        [e.importedWh, e.tradedWh, e.selfSufficiency, e.deliveredSelfSufficiency],
        ["1000", "600", 0.6, 0],
      );
    });

    it("computes platform totals and lists communities", async () => {
      const r = await getJson("/platform");
      assert.deepEqual(
        { ...r, now: undefined },
        {
          now: undefined,
          communities: 1,
          members: 5,
          memberAccounts: 5,
          meters: { meters: 4, activeMeters: 4, producer: 0, consumer: 0, prosumer: 4, storage: 0 },
          market: {
            markets: 3,
            marketsTraded: 3,
            orders: 5,
            trades: 5,
            traders: 4,
            tradedWh: "2300",
            tradedValue: "231200",
            vwap: 100521.73913,
            fillRate: 0.821428,
          },
          energy: { reports: 7, importedWh: "3450", exportedWh: "1600", selfSufficiency: 0.666666 },
          settlement: {
            salesSettled: 4,
            reportedSoldWh: "1700",
            deliveredWh: "1600",
            deliveryRate: 0.941176,
            payout: "162576",
            bondSlashed: "100",
          },
          // 4 × 10^9 deposited; the treasury's 1,643 (fees + dust) left the traders' balances.
          money: { accounts: 4, deposited: "4000000000", withdrawn: "0", free: "3999998357", locked: "0" },
          treasury: { balance: "1143", feesIn: "1642", sweptIn: "1", paidOut: "500" },
          proposals: { proposals: 1, executed: 1, executedAmount: "500" },
        },
      );
      const l = await getJson("/platform/communities");
      assert.equal((l.communities as { tradedWh: string }[])[0]!.tradedWh, "2300");
    });

    it("streams CSV with units in the header, RFC 4180 quoting and a formula guard", async () => {
      const r = await get("/market/slots?community=1&format=csv");
      assert.equal(r.status, 200);
      assert.match(r.type, /^text\/csv/);
      const lines = r.text.split("\r\n");
      assert.equal(
        lines[0],
        "slotStart [unix s],marketId,trades [count],tradedWh [Wh],tradedValue [quote base units]," +
          "vwap [quote base units/kWh],low [quote base units/kWh],high [quote base units/kWh]," +
          "bestBid [quote base units/kWh],bestAsk [quote base units/kWh],spread [quote base units/kWh]," +
          "availableBidWh [Wh],availableAskWh [Wh],restingBidWh [Wh],filledBidWh [Wh],cancelledBidWh [Wh]," +
          "restingAskWh [Wh],filledAskWh [Wh],cancelledAskWh [Wh],bidFillRate [ratio],askFillRate [ratio]," +
          "fillRate [ratio]",
      );
      assert.equal(
        lines[1],
        `${fx.slots[0]},${fx.markets[0]},3,1300,130200,100153.846153,98000,102000,98000,,,200,0,300,100,0,1500,1200,300,0.333333,0.8,0.722222`,
      );
      assert.equal(lines.length, 5); // header, 3 slots, the empty string after the last CRLF
      assert.equal(lines[4], "");

      const c = await get("/platform/communities?format=csv");
      assert.equal(c.text.split("\r\n")[1]!.split(",")[1], `"'=Sunny ""Solar""`);
      assert.ok(c.text.includes(`,"'=Sunny ""Solar"", Street",`));

      // A summary is one row; nested figures are dotted columns.
      const s = await get("/communities/1?format=csv");
      const [head, row] = s.text.split("\r\n") as [string, string];
      const cols = head.split(",");
      const vals = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((v) => v.replace(/,$/, ""));
      const at = (col: string) => vals[cols.indexOf(col)];
      assert.equal(at("energy.selfSufficiency [ratio]"), "0.666666");
      assert.equal(at("treasury.balance [quote base units]"), "1143");
      assert.equal(at("proposals.executedAmount [quote base units]"), "500");
    });

    it("streams every page of a CSV export, or `limit` rows; JSON pages chain by cursor", async () => {
      const all = await get("/communities/1/trades?format=csv");
      const lines = all.text.split("\r\n").filter(Boolean);
      assert.equal(lines.length, 6); // header + 5 trades, fetched 2 a page
      assert.ok(lines[0]!.startsWith("id,marketId,slotStart [unix s],timestamp [unix s]"));
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(",").slice(-3).join(",")),
        ["1000,100000", "200,20400", "100,9800", "400,44000", "600,57000"].map(
          (x, i) => ["100000", "102000", "98000", "110000", "95000"][i] + "," + x,
        ),
      );
      const three = await get("/communities/1/trades?format=csv&limit=3");
      assert.equal(three.text.split("\r\n").filter(Boolean).length, 4);

      const ids: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 5; page++) {
        const p: Record<string, unknown> = await getJson(
          `/communities/1/trades?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
        ids.push(...(p.trades as { id: string }[]).map((t) => t.id));
        cursor = p.nextCursor as string | null;
        if (!cursor) break;
      }
      assert.equal(ids.length, 5);
      assert.deepEqual(ids, [...ids].sort());
      // The day-2 window holds S3's trade only.
      const d2 = await getJson(`/communities/1/trades?from=${fx.day + 86400n}`);
      assert.deepEqual(
        (d2.trades as { amountWh: string }[]).map((t) => t.amountWh),
        ["600"],
      );
    });

    it("answers bad input with a 400 and a sentence", async () => {
      const cases: [string, RegExp][] = [
        ["/users/0xabc", /address must be a 0x-prefixed 20-byte hex address\./],
        [`/users/${fx.A}?community=9`, /Community 9 does not exist\./],
        ["/communities/9", /Community 9 does not exist\./],
        ["/communities/abc", /community must be a positive integer id/],
        ["/market/slots", /community: Required\./],
        [
          "/market/slots?community=1&from=2026-12-02&to=2026-12-01",
          /The date range is empty: from must be before to\./,
        ],
        ["/market/slots?community=1&from=yesterday", /from must be unix seconds or an ISO 8601 date/],
        ["/market/slots?community=1&format=xml", /format must be json or csv/],
        ["/market/slots?community=1&limit=0", /limit must be at least 1/],
        ["/market/slots?community=1&cursor=abc", /cursor is not a cursor this route returned\./],
        ["/market/days?community=1&to=2026-13-45", /to must be unix seconds or an ISO 8601 date/],
        ["/market/123", /marketId must be communityId << 40/],
        [`/market/${(1n << 40n) | 5n}`, /Market \d+ has no orders or trades\./],
        [`/market/${fx.markets[0]}/depth?step=0`, /step must be between 1 s and 7 days/],
        [`/users/${fx.C}?tariff=-1`, /tariff must be a non-negative integer/],
        ["/communities/1/trades?cursor=%27%3B--", /cursor is not a cursor this route returned\./],
      ];
      for (const [p, message] of cases) {
        const r = await get(p);
        assert.equal(r.status, 400, `${p}: ${r.status} ${r.text}`);
        const body = JSON.parse(r.text) as { error: string };
        assert.match(body.error, message, p);
        assert.match(body.error, /\.$/, `${p}: a sentence`);
      }
      // ISO dates are accepted: 2026-12-01 is 1796083200.
      const iso = await getJson("/market/slots?community=1&from=2026-12-01&to=2026-12-01T01:00:00Z");
      assert.equal(iso.from, "1796083200");
    });
  });
