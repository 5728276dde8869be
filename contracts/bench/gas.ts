/**
 * Gas benchmark of the market core: receipt gasUsed (21,000 base included) per operation.
 * Run: `npm run bench:gas` (root) — prints a table and writes docs/benchmarks/gas.json.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { maxUint256, parseSignature, type Hash } from "viem";
import {
  PERMIT_TYPES,
  REPORT_TYPES,
  meterCertificateTypedData,
  reportDomain,
  type MeterReport,
} from "../typed-data.ts";

const here = dirname(fileURLToPath(import.meta.url));
const outFile = resolve(here, "../../docs/benchmarks/gas.json");

const { viem, networkHelpers } = await network.connect();
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const [deployer, ...traders] = wallets;
if (!deployer) throw new Error("no accounts");

const usdc = await viem.deployContract("MockUSDC");
const market = await viem.deployContract("EnergyMarket", [
  usdc.address,
  deployer.account.address,
  deployer.account.address,
]);

// Set-up shortcut: the deployer holds the settlement contract's role and registers the bench's
// meters directly; `register_meter` below measures the certified path.
await market.write.grantRole([await market.read.SETTLER_ROLE(), deployer.account.address]);

const gasOf = async (hash: Promise<Hash>): Promise<bigint> => {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error("transaction reverted");
  return receipt.gasUsed;
};

const results: Record<string, number> = {};
const record = (key: string, gas: bigint | number) => {
  results[key] = Number(gas);
};

const slotLength = 900;
// One community with a bond, no price band (the band's feed read is measured separately).
const communityParams = {
  slotLength,
  gateLead: 300,
  horizon: 172800,
  tickSize: 1000n,
  minOrderWh: 1n,
  bondPerKwh: 10000n,
  feeBps: 100,
  priceFeed: "0x0000000000000000000000000000000000000000",
  bandBps: 0,
  maxFeedAge: 0,
} as const;
await market.write.createCommunity(["bench", communityParams]);
const communityId = 1;

const meters = new Map<string, number>();
for (const w of wallets) {
  const m = market.write;
  if (w !== deployer) await m.join([communityId], { account: w.account });
  await m.registerMeter([w.account.address, communityId, 2, 10_000, w.account.address]);
  meters.set(w.account.address, Number(await market.read.meterCount()));
  await usdc.write.mint([w.account.address, 10n ** 15n]);
  await usdc.write.approve([market.address, maxUint256], { account: w.account });
}

// deposit (warm: the account already holds a balance, as for any returning trader)
await market.write.deposit([10n ** 12n], { account: deployer.account });
record("deposit", await gasOf(market.write.deposit([10n ** 9n], { account: deployer.account })));

// deposit_permit
{
  const owner = traders[0]!;
  await market.write.deposit([10n ** 12n], { account: owner.account });
  const nonce = await usdc.read.nonces([owner.account.address]);
  const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
  const signature = await owner.signTypedData({
    domain: {
      name: "PowerShare Test USD",
      version: "1",
      chainId: await publicClient.getChainId(),
      verifyingContract: usdc.address,
    },
    types: PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner: owner.account.address, spender: market.address, value: 10n ** 9n, nonce, deadline },
  });
  const { v, r, s } = parseSignature(signature);
  record(
    "deposit_permit",
    await gasOf(
      market.write.depositWithPermit([10n ** 9n, deadline, Number(v), r, s], { account: owner.account }),
    ),
  );
}
for (const w of traders.slice(1)) await market.write.deposit([10n ** 12n], { account: w.account });

record("withdraw", await gasOf(market.write.withdraw([10n ** 6n, deployer.account.address])));

// Each scenario trades in a fresh market (its own delivery slot).
const now = await networkHelpers.time.latest();
let nextSlot = (Math.floor(now / slotLength) + 4) * slotLength;
const freshSlot = () => {
  nextSlot += slotLength;
  return nextSlot;
};

type Side = "bid" | "ask";
const place = (
  w: (typeof wallets)[number],
  slot: number,
  side: Side,
  tick: number,
  amountWh: bigint,
  orderType = 0,
) =>
  market.write.placeOrder(
    [
      {
        communityId,
        slotStart: slot,
        isBid: side === "bid",
        tick,
        amountWh,
        meterId: meters.get(w.account.address)!,
        orderType,
      },
    ],
    { account: w.account },
  );

// Makers: one ask already rests elsewhere in the book so the bitmap is warm, as in a live market.
{
  const slot = freshSlot();
  await place(traders[1]!, slot, "ask", 255, 1000n); // same bitmap word: a live book near the touch
  record("make_new_level", await gasOf(place(traders[2]!, slot, "ask", 250, 1000n)));
  record("make_join_level", await gasOf(place(traders[3]!, slot, "ask", 250, 1000n)));
  // A level's fresh bitmap word costs one more zero-to-non-zero write.
  record("make_new_level_fresh_word", await gasOf(place(traders[2]!, slot, "ask", 1000, 1000n)));
  // cancel: the order at the front of a level without holes (the constant-gas path) ...
  const head = (await market.getEvents.OrderPlaced({}, { fromBlock: 0n })).find(
    (e) => e.args.owner?.toLowerCase() === traders[2]!.account.address.toLowerCase(),
  )!.args.orderId!;
  record("cancel", await gasOf(market.write.cancel([head], { account: traders[2]!.account })));
  // ... an order behind the front, the first hole of its level (three fresh tree words) ...
  await place(traders[4]!, slot, "ask", 250, 1000n);
  await place(traders[5]!, slot, "ask", 250, 1000n);
  const [behind, behind2] = (await market.getEvents.OrderPlaced({}, { fromBlock: 0n }))
    .slice(-2)
    .map((e) => e.args.orderId!);
  record(
    "cancel_behind_front_first",
    await gasOf(market.write.cancel([behind!], { account: traders[4]!.account })),
  );
  // ... and a later hole in the same level (tree words already written).
  record(
    "cancel_behind_front",
    await gasOf(market.write.cancel([behind2!], { account: traders[5]!.account })),
  );
}

// Takers: n makers at one price, one IOC bid taking them all.
const makersAt = async (slot: number, n: number, ticks: (i: number) => number) => {
  for (let i = 0; i < n; i++)
    await place(traders[1 + (i % (traders.length - 1))]!, slot, "ask", ticks(i), 100n);
};
for (const n of [1, 10, 100]) {
  const slot = freshSlot();
  await place(traders[0]!, slot, "ask", 300, 100n); // a deeper level stays in the book
  await makersAt(slot, n, () => 250);
  record(`take_same_price_n${n}`, await gasOf(place(deployer, slot, "bid", 250, BigInt(n) * 100n, 1)));
}
for (const l of [1, 5, 20]) {
  const slot = freshSlot();
  await place(traders[0]!, slot, "ask", 400, 100n);
  await makersAt(slot, l, (i) => 250 + i);
  record(`take_cross_levels_l${l}`, await gasOf(place(deployer, slot, "bid", 250 + l, BigInt(l) * 100n, 1)));
}

// claim_maker: a filled ask maker claims after the gate.
{
  const slot = freshSlot();
  await place(traders[1]!, slot, "ask", 250, 1000n);
  const orderId = (await market.getEvents.OrderPlaced({}, { fromBlock: "latest" }))[0]!.args.orderId!;
  await place(deployer, slot, "bid", 250, 600n, 1);
  await networkHelpers.time.increaseTo(slot - 300);
  record("claim_maker", await gasOf(market.write.claim([[orderId]], { account: traders[1]!.account })));
}

// ---------------------------------------------------------------- delivery
const reportWindow = 600;
const settlement = await viem.deployContract("DeliverySettlement", [
  market.address,
  deployer.account.address,
  reportWindow,
]);
await market.write.grantRole([await market.read.SETTLER_ROLE(), settlement.address]);
const oracleKeys = wallets
  .slice(-3)
  .sort((a, b) => (BigInt(a.account.address) < BigInt(b.account.address) ? -1 : 1));
for (const o of oracleKeys) await settlement.write.setOracleSigner([o.account.address, true]);
const chainId = await publicClient.getChainId();

// register_meter: an owner registers its meter with the community registrar's certificate (the
// deployer, the community's admin, certifies by default).
{
  const certificate = {
    communityId,
    owner: traders[0]!.account.address,
    kind: 2,
    capacityW: 10_000,
    deviceKey: "0x00000000000000000000000000000000000000d1",
    deadline: 2 ** 40 - 1,
  } as const;
  const signature = await deployer.signTypedData({
    account: deployer.account,
    ...meterCertificateTypedData(chainId, settlement.address, certificate),
  });
  record(
    "register_meter",
    await gasOf(settlement.write.registerMeter([certificate, signature], { account: traders[0]!.account })),
  );
}
type Report = MeterReport;
const sign = (signer: (typeof wallets)[number], reports: Report[]) =>
  signer.signTypedData({
    account: signer.account,
    domain: reportDomain(chainId, settlement.address),
    types: REPORT_TYPES,
    primaryType: "ReportBatch",
    message: { reports },
  });
const submit = async (reports: Report[], k: number) => {
  await settlement.write.setThreshold([k]);
  const signers = oracleKeys.slice(0, k);
  const signatures = await Promise.all(signers.map((s) => sign(s, reports)));
  return gasOf(settlement.write.submitReports([reports, signers.map((s) => s.account.address), signatures]));
};

// create_community
record("create_community", await gasOf(market.write.createCommunity(["bench-2", communityParams])));

// 100 more meters so a batch covers 100 distinct meters, as the oracle posts them.
const firstMeter = Number(await market.read.meterCount()) + 1;
for (let i = 0; i < 100; i++)
  await market.write.registerMeter([
    deployer.account.address,
    communityId,
    2,
    10_000,
    deployer.account.address,
  ]);
const meterIds = Array.from({ length: 100 }, (_, i) => firstMeter + i);

// A settled market: trade, gate, claims, reports, deadline.
const settleSlot = freshSlot();
const askMakers = [traders[1]!, traders[2]!];
const askIds: bigint[] = [];
for (const w of askMakers) {
  await place(w, settleSlot, "ask", 250, 1000n);
  askIds.push((await market.getEvents.OrderPlaced({}, { fromBlock: "latest" }))[0]!.args.orderId!);
}
await place(traders[3]!, settleSlot, "bid", 250, 1500n, 1);
await place(traders[4]!, settleSlot, "bid", 250, 500n, 1);
await networkHelpers.time.increaseTo(settleSlot + slotLength);
const reportsFor = (slot: number, ids: number[]): Report[] =>
  ids.map((meterId, i) => ({
    meterId,
    slotStart: slot,
    importedWh: BigInt(i),
    exportedWh: 900n + BigInt(i),
  }));
record(
  "report_batch1_k1",
  await submit(reportsFor(settleSlot, [meters.get(askMakers[0]!.account.address)!]), 1),
);
await submit(reportsFor(settleSlot, [meters.get(askMakers[1]!.account.address)!]), 1);
record(
  "report_per_meter_batch100_k1",
  Math.round(Number(await submit(reportsFor(settleSlot, meterIds), 1)) / 100),
);
const settleSlot2 = settleSlot + slotLength;
await networkHelpers.time.increaseTo(settleSlot2 + slotLength);
record(
  "report_per_meter_batch100_k3",
  Math.round(Number(await submit(reportsFor(settleSlot2, meterIds), 3)) / 100),
);
await market.write.claim([askIds]);
if ((await networkHelpers.time.latest()) < settleSlot + slotLength + reportWindow) {
  await networkHelpers.time.increaseTo(settleSlot + slotLength + reportWindow);
}
const settleMarket = (BigInt(communityId) << 40n) | BigInt(settleSlot);
record(
  "settle_seller",
  await gasOf(settlement.write.settleSeller([settleMarket, meters.get(askMakers[0]!.account.address)!])),
);
await settlement.write.settleSeller([settleMarket, meters.get(askMakers[1]!.account.address)!]);
record("claim_buyer", await gasOf(settlement.write.claimRefund([settleMarket, traders[3]!.account.address])));

// The same trade for a returning seller in a community that has settled before: the seller's
// delivery record and bond factor and the community treasury are non-zero words by then (a first
// settlement writes them fresh). Everything per market (totals, sale, seller list, escrow flows,
// settlement progress, refund progress) is still fresh: this is again the first trade of a market.
{
  const now2 = await networkHelpers.time.latest();
  const slot = (Math.floor(now2 / slotLength) + 4) * slotLength;
  const ids: bigint[] = [];
  for (const w of askMakers) {
    await place(w, slot, "ask", 250, 1000n);
    ids.push((await market.getEvents.OrderPlaced({}, { fromBlock: "latest" }))[0]!.args.orderId!);
  }
  await place(traders[3]!, slot, "bid", 250, 1500n, 1);
  await place(traders[4]!, slot, "bid", 250, 500n, 1);
  await networkHelpers.time.increaseTo(slot + slotLength);
  await submit(
    reportsFor(
      slot,
      askMakers.map((w) => meters.get(w.account.address)!),
    ),
    1,
  );
  await market.write.claim([ids]);
  await networkHelpers.time.increaseTo(slot + slotLength + reportWindow);
  const marketId = (BigInt(communityId) << 40n) | BigInt(slot);
  record(
    "settle_seller_returning",
    await gasOf(settlement.write.settleSeller([marketId, meters.get(askMakers[0]!.account.address)!])),
  );
  await settlement.write.settleSeller([marketId, meters.get(askMakers[1]!.account.address)!]);
  record(
    "claim_buyer_returning",
    await gasOf(settlement.write.claimRefund([marketId, traders[3]!.account.address])),
  );
}

// Settlement with the maker's claim and the buyer's refund folded in (decision 0028): one resting
// ask, one taking bid, partial delivery (900 of 1,000 Wh, so the refund pool is non-zero), then
// one `settleSale` that claims the ask, settles the seller and refunds the buyer.
const foldedTrade = async (
  seller: (typeof wallets)[number],
  buyer: (typeof wallets)[number],
  community: number,
): Promise<bigint> => {
  const now3 = await networkHelpers.time.latest();
  const slot = (Math.floor(now3 / slotLength) + 4) * slotLength;
  const sellerMeter = meters.get(seller.account.address)!;
  await market.write.placeOrder(
    [
      {
        communityId: community,
        slotStart: slot,
        isBid: false,
        tick: 250,
        amountWh: 1000n,
        meterId: sellerMeter,
        orderType: 0,
      },
    ],
    { account: seller.account },
  );
  const orderId = (await market.getEvents.OrderPlaced({}, { fromBlock: "latest" }))[0]!.args.orderId!;
  await market.write.placeOrder(
    [
      {
        communityId: community,
        slotStart: slot,
        isBid: true,
        tick: 250,
        amountWh: 1000n,
        meterId: meters.get(buyer.account.address)!,
        orderType: 1,
      },
    ],
    { account: buyer.account },
  );
  await networkHelpers.time.increaseTo(slot + slotLength);
  await submit(reportsFor(slot, [sellerMeter]), 1);
  await networkHelpers.time.increaseTo(slot + slotLength + reportWindow);
  const marketId = (BigInt(community) << 40n) | BigInt(slot);
  const gas = await gasOf(
    settlement.write.settleSale([marketId, sellerMeter, [orderId], [buyer.account.address]]),
  );
  if (!(await settlement.read.refundClaimed([marketId, buyer.account.address])))
    throw new Error("folded settlement did not refund the buyer");
  return gas;
};
// The seller's first settlement in a community whose treasury is still empty (community 2, its
// members and meters set up here): its delivery record, bond factor and the treasury are fresh.
{
  const [seller, buyer] = [traders[6]!, traders[7]!];
  for (const w of [seller, buyer]) {
    await market.write.join([2], { account: w.account });
    await market.write.registerMeter([w.account.address, 2, 2, 10_000, w.account.address]);
    meters.set(w.account.address, Number(await market.read.meterCount()));
  }
  record("settle_sale_folded", await foldedTrade(seller, buyer, 2));
}
// The same for a returning seller (settled before) in a community that has received fees.
record("settle_sale_folded_returning", await foldedTrade(askMakers[0]!, traders[3]!, communityId));

// One matched trade's whole life (decision 0028): a resting ask joining a level, the take, two
// meter reports (seller and buyer, in batches of 100, k = 3) and the one settlement transaction
// that claims the ask, settles the seller and refunds the buyer. Every transaction of the trade is
// counted; nothing is deferred to another transaction. Chain capacity: matched trades one Polygon
// chain settles per 15-minute slot at 45M gas per 2 s block (450 blocks).
const sum = (keys: readonly string[]) => keys.reduce((total, k) => total + results[k]!, 0);
const tradeParts = [
  "make_join_level",
  "take_same_price_n1",
  "report_per_meter_batch100_k3",
  "report_per_meter_batch100_k3",
] as const;
const perSlot = (gas: number) => Math.floor((45_000_000 * (900 / 2)) / gas);
record("lifecycle_per_trade", sum(tradeParts) + results.settle_sale_folded!);
record("chain_trades_per_slot", perSlot(results.lifecycle_per_trade!));
record("lifecycle_per_trade_returning", sum(tradeParts) + results.settle_sale_folded_returning!);
record("chain_trades_per_slot_returning", perSlot(results.lifecycle_per_trade_returning!));
// The same trade through the separate calls (maker claim, seller settlement, buyer refund), as
// before 0028; still supported.
record(
  "lifecycle_per_trade_separate_calls",
  sum([...tradeParts, "claim_maker", "settle_seller", "claim_buyer"]),
);
record(
  "lifecycle_per_trade_separate_calls_returning",
  sum([...tradeParts, "claim_maker", "settle_seller_returning", "claim_buyer_returning"]),
);

const previous = existsSync(outFile)
  ? (JSON.parse(readFileSync(outFile, "utf8")) as Record<string, number>)
  : {};
const merged = { ...previous, ...results };
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(merged, null, 2) + "\n");
console.table(Object.entries(results).map(([operation, gasUsed]) => ({ operation, gasUsed })));
console.log(`wrote ${outFile}`);
