/**
 * A small deterministic chain for the analytics tests: one community, four traders with one meter
 * each, five trades over three delivery slots on two days, a cancel, claims, oracle reports,
 * settlement (delivered in part, in full, unreported), refunds and an executed treasury proposal,
 * every transaction at a chosen block time. The expected figures are worked out by hand in
 * test/analytics.test.ts.
 */
import type { Address, Hex } from "viem";
import { orderIdOf } from "../../src/lib/ids.ts";
import {
  accountAt,
  deliverySettlementAbi,
  energyMarketAbi,
  treasuryGovernorAbi,
  GOVERNOR_SETTINGS,
  REPORT_WINDOW,
  type Stack,
} from "./chain.ts";
import { openCommunity } from "./community.ts";

/** A community name that needs CSV quoting and a spreadsheet-formula guard. */
export const FIXTURE_COMMUNITY_NAME = '=Sunny "Solar", Street';
export const FIXTURE_FUNDS = 1_000_000_000n;

export interface Report {
  meterId: number;
  slotStart: number;
  importedWh: bigint;
  exportedWh: bigint;
}

/** Signs a report batch with the oracle key (account 9) and submits it. */
export async function submitReports(stack: Stack, reports: Report[]): Promise<Hex> {
  const oracle = accountAt(9);
  const signature = await oracle.signTypedData({
    domain: { name: "PowerShare", version: "1", chainId: 31337, verifyingContract: stack.settlement },
    types: {
      MeterReport: [
        { name: "meterId", type: "uint32" },
        { name: "slotStart", type: "uint40" },
        { name: "importedWh", type: "uint64" },
        { name: "exportedWh", type: "uint64" },
      ],
      ReportBatch: [{ name: "reports", type: "MeterReport[]" }],
    },
    primaryType: "ReportBatch",
    message: { reports },
  });
  return stack.send(stack.settlement, deliverySettlementAbi, "submitReports", [
    reports,
    [oracle.address],
    [signature],
  ]);
}

export interface Fixture {
  /** Midnight (UTC) of the first delivery day. */
  day: bigint;
  slots: [bigint, bigint, bigint];
  markets: [bigint, bigint, bigint];
  /** Block times of the trading steps t1…t10 (index 0 is t1). */
  t: bigint[];
  A: Address;
  B: Address;
  C: Address;
  D: Address;
  payee: Address;
}

export async function buildAnalyticsFixture(stack: Stack): Promise<Fixture> {
  const [A, B, C, D] = [1, 2, 3, 4].map((i) => accountAt(i).address) as [Address, Address, Address, Address];
  const payee = accountAt(20).address;
  await openCommunity(stack, [A, B, C, D], FIXTURE_COMMUNITY_NAME, FIXTURE_FUNDS);
  const meter = { [A]: 1, [B]: 2, [C]: 3, [D]: 4 } as Record<Address, number>;
  const now = await stack.now();
  const day = ((now + 3600n) / 86400n + 1n) * 86400n;
  const slots: Fixture["slots"] = [day + 36_000n, day + 36_900n, day + 86_400n + 36_000n];
  const markets = slots.map((s) => (1n << 40n) | s) as Fixture["markets"];
  const t = Array.from({ length: 10 }, (_, i) => day + 3600n + BigInt(i) * 60n);

  const at = async (time: bigint) => stack.rpc("evm_setNextBlockTimestamp", [Number(time)]);
  const { market } = stack;
  const order = async (
    time: bigint,
    who: Address,
    slot: bigint,
    isBid: boolean,
    tick: number,
    amountWh: bigint,
    orderType = 0,
  ) => {
    await at(time);
    await stack.send(
      market,
      energyMarketAbi,
      "placeOrder",
      [{ communityId: 1, slotStart: Number(slot), isBid, tick, amountWh, meterId: meter[who]!, orderType }],
      who,
    );
  };
  const [S1, S2, S3] = slots;
  const [M1, M2, M3] = markets;

  // ---- trading (day − 1 … day + 01:09)
  await order(t[0]!, A, S1, false, 100, 1000n); // t1 A asks 1000 @100
  await order(t[1]!, B, S1, false, 102, 500n); // t2 B asks 500 @102
  await order(t[2]!, C, S1, true, 105, 1200n); // t3 C bids 1200 @105: 1000 @100 + 200 @102
  await order(t[3]!, D, S1, true, 98, 300n); // t4 D bids 300 @98 (rests)
  await at(t[4]!); // t5 B cancels the rest (300) of its ask, at the front of its level
  await stack.send(market, energyMarketAbi, "cancel", [orderIdOf(M1, false, 102, 0)], B);
  await order(t[5]!, A, S1, false, 97, 100n, 1); // t6 A sells 100 IOC: 100 @98 from D
  await order(t[6]!, A, S2, false, 110, 400n); // t7 A asks 400 @110
  await order(t[7]!, C, S2, true, 110, 400n, 1); // t8 C buys 400 IOC @110
  await order(t[8]!, B, S3, false, 95, 600n); // t9 B asks 600 @95 (next day's slot)
  await order(t[9]!, D, S3, true, 95, 600n, 1); // t10 D buys 600 IOC @95

  // ---- slots S1 and S2 over: makers claim, the oracle reports
  await stack.warpTo(S2 + 901n);
  await stack.send(market, energyMarketAbi, "claim", [
    [
      orderIdOf(M1, false, 100, 0),
      orderIdOf(M1, false, 102, 0),
      orderIdOf(M1, true, 98, 0),
      orderIdOf(M2, false, 110, 0),
    ],
  ]);
  const s1 = Number(S1);
  const s2 = Number(S2);
  await submitReports(stack, [
    { meterId: 1, slotStart: s1, importedWh: 50n, exportedWh: 1000n },
    { meterId: 2, slotStart: s1, importedWh: 0n, exportedWh: 200n },
    { meterId: 3, slotStart: s1, importedWh: 1500n, exportedWh: 0n },
    { meterId: 4, slotStart: s1, importedWh: 500n, exportedWh: 0n },
    { meterId: 1, slotStart: s2, importedWh: 0n, exportedWh: 400n },
    { meterId: 3, slotStart: s2, importedWh: 400n, exportedWh: 0n },
  ]);

  // ---- settlement of S1 and S2, refunds
  await stack.warpTo(S2 + 900n + BigInt(REPORT_WINDOW) + 1n);
  await stack.send(stack.settlement, deliverySettlementAbi, "settleSellers", [M1, [1, 2]]);
  await stack.send(stack.settlement, deliverySettlementAbi, "settleSellers", [M2, [1]]);
  await stack.send(stack.settlement, deliverySettlementAbi, "claimRefund", [M1, C]);
  await stack.send(stack.settlement, deliverySettlementAbi, "claimRefund", [M1, D]);
  await stack.send(stack.settlement, deliverySettlementAbi, "claimRefund", [M2, C]);

  // ---- S3: B's meter stays silent
  await stack.warpTo(S3 + 901n);
  await stack.send(market, energyMarketAbi, "claim", [[orderIdOf(M3, false, 95, 0)]]);
  await submitReports(stack, [{ meterId: 4, slotStart: Number(S3), importedWh: 1000n, exportedWh: 0n }]);
  await stack.warpTo(S3 + 900n + BigInt(REPORT_WINDOW) + 1n);
  await stack.send(stack.settlement, deliverySettlementAbi, "settleSellers", [M3, [2]]);
  await stack.send(stack.settlement, deliverySettlementAbi, "claimRefund", [M3, D]);

  // ---- treasury: 500 to a payee, voted by three members the admin admitted (only admitted members
  // propose and vote on payouts; the traders joined by themselves)
  const { governor } = stack;
  for (const v of [A, B, C]) await stack.send(market, energyMarketAbi, "admit", [1, v]);
  await stack.send(governor, treasuryGovernorAbi as never, "propose", [1, payee, 500n, "Street lights"], A);
  for (const v of [A, B, C]) await stack.send(governor, treasuryGovernorAbi as never, "castVote", [1n, 1], v);
  await stack.warpTo((await stack.now()) + GOVERNOR_SETTINGS.votingPeriod + 1n);
  await stack.send(governor, treasuryGovernorAbi as never, "queue", [1n]);
  await stack.warpTo((await stack.now()) + GOVERNOR_SETTINGS.timelockDelay + 1n);
  await stack.send(governor, treasuryGovernorAbi as never, "execute", [1n]);
  return { day, slots, markets, t, A, B, C, D, payee };
}
