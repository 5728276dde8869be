/**
 * The indexer reads' validation, against canned answers (the agents' tests run them against a real
 * indexer): well-formed rows come back typed and sorted; anything malformed is an IndexerError.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  IndexerError,
  indexedBooks,
  indexedReports,
  indexedSettledSales,
  indexerStatus,
  marketIdOf,
} from "../index.ts";

const URL_ = "http://indexer.test";
function answer(body: unknown, status = 200) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status })),
  );
}
afterEach(() => vi.unstubAllGlobals());

const M = marketIdOf(1, 1_800_000_000);

describe("indexer reads", () => {
  it("parses status, books (best first), reports and settled sales", async () => {
    answer({ hardhat: { id: 31337, block: { number: 42, timestamp: 1_800_000_000 } } });
    expect(await indexerStatus(URL_)).toEqual({ block: 42n, timestamp: 1_800_000_000 });
    const level = (isBid: boolean, tick: number, available: string) => ({
      marketId: M.toString(),
      isBid,
      tick,
      available,
    });
    answer({
      data: {
        bookLevelss: {
          items: [
            level(true, 100, "5"),
            level(true, 120, "7"),
            level(false, 300, "1"),
            level(false, 250, "2"),
          ],
        },
      },
    });
    const b = (await indexedBooks(URL_, [M])).get(M)!;
    expect(b.bids.map((l) => l.tick)).toEqual([120, 100]);
    expect(b.asks).toEqual([
      { tick: 250, availableWh: 2n },
      { tick: 300, availableWh: 1n },
    ]);
    answer({
      data: {
        reportss: {
          items: [{ meterId: 3, slotStart: "1800000000", importedWh: "10", exportedWh: "700" }],
        },
      },
    });
    expect(await indexedReports(URL_, 3, 1_800_000_000, 1_800_000_000)).toEqual([
      { meterId: 3, slotStart: 1_800_000_000, importedWh: 10n, exportedWh: 700n },
    ]);
    const sale = {
      marketId: M.toString(),
      meterId: 3,
      soldWh: "1000",
      deliveredWh: "600",
      reported: true,
      payout: "118800",
      fee: "1200",
      refunded: "80000",
      bondSlashed: null,
    };
    answer({ data: { saless: { items: [sale] } } });
    const [s] = await indexedSettledSales(URL_, 1, 3, 1_799_999_100, 1_800_000_000);
    expect(s).toMatchObject({ slotStart: 1_800_000_000, soldWh: 1000n, deliveredWh: 600n, bondSlashed: 0n });
  });

  it("refuses malformed answers", async () => {
    const cases: [unknown, number, () => Promise<unknown>][] = [
      ["<html>", 200, () => indexerStatus(URL_)],
      [{ errors: [{ message: "boom" }] }, 200, () => indexedBooks(URL_, [M])],
      [{ data: { bookLevelss: { items: "x" } } }, 200, () => indexedBooks(URL_, [M])],
      [
        { data: { bookLevelss: { items: [{ marketId: "5", isBid: true, tick: 1, available: "1" }] } } },
        200,
        () => indexedBooks(URL_, [M]),
      ],
      [
        {
          data: {
            reportss: { items: [{ meterId: 3, slotStart: "1800000000", importedWh: "-1", exportedWh: "0" }] },
          },
        },
        200,
        () => indexedReports(URL_, 3, 1_800_000_000, 1_800_000_000),
      ],
      [
        {
          data: {
            reportss: { items: [{ meterId: 4, slotStart: "1800000000", importedWh: "1", exportedWh: "0" }] },
          },
        },
        200,
        () => indexedReports(URL_, 3, 1_800_000_000, 1_800_000_000),
      ],
      [{}, 503, () => indexerStatus(URL_)],
    ];
    for (const [body, status, call] of cases) {
      answer(body, status);
      await expect(call()).rejects.toBeInstanceOf(IndexerError);
    }
  });
});
