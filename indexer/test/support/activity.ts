/**
 * Scripted random activity over the whole protocol: communities, members, meters, deposits, many
 * limit / IOC orders through `multicall` batches (crossing, so trades fill makers partly and
 * fully), cancels at and behind the front, claims after the gate, signed meter reports,
 * settlement (directly and through the keeper), refund claims, withdrawals, meter transfers and
 * treasury proposals (executed, cancelled, defeated). Deterministic for a seed.
 */
import { decodeEventLog, encodeAbiParameters, encodeFunctionData, type Address, type Hex } from "viem";
import { SILENCE_TYPES } from "@powershare/contracts";
import { COMMUNITY_PARAMS } from "./community.ts";
import {
  accountAt,
  deliverySettlementAbi,
  energyMarketAbi,
  mockUsdcAbi,
  registerMeter,
  settlementKeeperAbi,
  treasuryGovernorAbi,
  GOVERNOR_SETTINGS,
  type Stack,
} from "./chain.ts";

/** Small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ActivityOptions {
  /** Orders to place in total. */
  orders: number;
  /** Orders per multicall transaction. */
  batch?: number;
  traders?: number;
  seed?: number;
  /** Share of orders that cross the spread (trades). */
  crossShare?: number;
  /** Share of resting orders to try to cancel each round. */
  cancelShare?: number;
  /** Run the post-trading lifecycle (gate, claims, reports, settlement, refunds, governance). */
  lifecycle?: boolean;
  log?: (line: string) => void;
}

export interface ActivityResult {
  traders: Address[];
  communities: number[];
  markets: bigint[];
  orderIds: bigint[];
  /** (market, side, tick) of every level that got an order. */
  levels: { marketId: bigint; isBid: boolean; tick: number }[];
  /** The market left unclaimed and unsettled (views still answer for its orders). */
  openMarket: bigint;
  meters: { meterId: number; owner: Address; communityId: number }[];
  proposals: number;
  slots: bigint[];
  txs: number;
}

const OrderType = { Limit: 0, ImmediateOrCancel: 1 } as const;

export async function runActivity(stack: Stack, opts: ActivityOptions): Promise<ActivityResult> {
  const log = opts.log ?? (() => {});
  const rand = rng(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const batch = opts.batch ?? 60;
  const T = opts.traders ?? 8;
  const admin = accountAt(0).address;
  const traders = Array.from({ length: T }, (_, i) => accountAt(i + 1).address);
  const { market, settlement, governor } = stack;
  let txs = 0;
  const send = async (
    to: Address,
    abi: typeof energyMarketAbi | readonly unknown[],
    fn: string,
    args: readonly unknown[],
    from?: Address,
  ) => {
    txs++;
    return stack.send(to, abi as never, fn, args, from);
  };

  // ------------------------------------------------------------ funding, communities, meters
  const FUNDS = 10n ** 13n;
  for (const t of traders) {
    await send(stack.usdc, mockUsdcAbi, "mint", [t, FUNDS]);
    await send(stack.usdc, mockUsdcAbi, "approve", [market, FUNDS], t);
    await send(market, energyMarketAbi, "deposit", [FUNDS / 2n], t);
  }
  const communityParams = [
    { ...COMMUNITY_PARAMS, horizon: 2 * 86400 },
    {
      ...COMMUNITY_PARAMS,
      horizon: 2 * 86400,
      tickSize: 2000n,
      minOrderWh: 10n,
      bondPerKwh: 3000n,
      feeBps: 250,
    },
  ] as const;
  const communities = [1, 2];
  await send(market, energyMarketAbi, "createCommunity", ["Solar Street", communityParams[0]]);
  await send(market, energyMarketAbi, "createCommunity", ["Harbour Microgrid", communityParams[1]]);
  await send(market, energyMarketAbi, "setAdmissionRequired", [2, true]);
  await send(market, energyMarketAbi, "setCommunityFee", [1, 150]);
  const meters: ActivityResult["meters"] = [];
  let meterId = 0;
  for (const c of communities) {
    for (const t of traders) {
      // Community 1: members join by themselves, then the admin admits them (a vote on the
      // treasury); community 2 requires admission.
      if (c === 1) await send(market, energyMarketAbi, "join", [1], t);
      await send(market, energyMarketAbi, "admit", [c, t]);
    }
    for (const t of traders) {
      txs++;
      await registerMeter(stack, t, {
        communityId: c,
        kind: 2,
        capacityW: 5000 + meterId,
        deviceKey: accountAt(30 + meterId).address,
      });
      meters.push({ meterId: ++meterId, owner: t, communityId: c });
    }
  }
  const meterOf = (t: Address, c: number) =>
    meters.find((m) => m.owner === t && m.communityId === c)!.meterId;

  // ------------------------------------------------------------ markets and orders
  const now = await stack.now();
  const S0 = ((now + 7200n) / 900n + 1n) * 900n;
  const slots = [0n, 1n, 2n, 3n].map((k) => S0 + k * 900n);
  const marketId = (c: number, s: bigint) => (BigInt(c) << 40n) | s;
  const markets = communities.flatMap((c) => slots.map((s) => marketId(c, s)));
  const openMarket = marketId(2, slots[3]!);
  const levelCount = new Map<string, number>();
  const levels: ActivityResult["levels"] = [];
  const orderIds: bigint[] = [];
  const ownerOf = new Map<bigint, Address>();
  const crossShare = opts.crossShare ?? 0.35;
  const cancelShare = opts.cancelShare ?? 0.15;

  const orderTopic = (logs: readonly { topics: readonly Hex[]; data: Hex }[]) => {
    const ids: bigint[] = [];
    for (const l of logs) {
      try {
        const ev = decodeEventLog({ abi: energyMarketAbi, topics: l.topics as never, data: l.data });
        if (ev.eventName === "OrderPlaced") ids.push(ev.args.orderId);
      } catch {
        // other contract's log
      }
    }
    return ids;
  };

  let placed = 0;
  let round = 0;
  while (placed < opts.orders) {
    round++;
    const roundIds: bigint[] = [];
    for (const t of traders) {
      if (placed >= opts.orders) break;
      const calls: Hex[] = [];
      for (let i = 0; i < batch && placed < opts.orders; i++) {
        const c = pick(communities);
        const slotStart = pick(slots);
        const mId = marketId(c, slotStart);
        const isBid = rand() < 0.5;
        const cross = rand() < crossShare;
        // Bids rest at 90..100 and asks at 100..110; crossing orders reach into the other side.
        const tick = isBid ? (cross ? int(100, 108) : int(90, 100)) : cross ? int(92, 100) : int(100, 110);
        const key = `${mId}:${isBid}:${tick}`;
        const n = levelCount.get(key) ?? 0;
        if (n >= 500) continue;
        if (n === 0) levels.push({ marketId: mId, isBid, tick });
        levelCount.set(key, n + 1);
        const amountWh = BigInt(c === 1 ? int(1, 3000) : int(10, 3000));
        const orderType = rand() < 0.12 ? OrderType.ImmediateOrCancel : OrderType.Limit;
        calls.push(
          encodeFunctionData({
            abi: energyMarketAbi,
            functionName: "placeOrder",
            args: [
              {
                communityId: c,
                slotStart: Number(slotStart),
                isBid,
                tick,
                amountWh,
                meterId: meterOf(t, c),
                orderType,
              },
            ],
          }),
        );
        placed++;
      }
      if (calls.length === 0) continue;
      const hash = await send(market, energyMarketAbi, "multicall", [calls], t);
      const receipt = await stack.pub.getTransactionReceipt({ hash });
      for (const id of orderTopic(receipt.logs)) {
        roundIds.push(id);
        ownerOf.set(id, t);
      }
    }
    orderIds.push(...roundIds);
    // Cancels: some of this round's and earlier resting orders, front and behind alike.
    const candidates = orderIds
      .filter(() => rand() < cancelShare / 2)
      .concat(roundIds.filter(() => rand() < cancelShare));
    const unique = [...new Set(candidates)];
    const views = await stack.readMany<readonly [Address, number, bigint, bigint, bigint]>(
      "order",
      unique.map((id) => [id]),
    );
    const byOwner = new Map<Address, bigint[]>();
    unique.forEach((id, i) => {
      const [, , amount, cancelled, filled] = views[i]!;
      if (amount - cancelled - filled > 0n) {
        const o = ownerOf.get(id)!;
        byOwner.set(o, [...(byOwner.get(o) ?? []), id]);
      }
    });
    for (const [o, ids] of byOwner) {
      for (let i = 0; i < ids.length; i += 150)
        await send(market, energyMarketAbi, "cancelMany", [ids.slice(i, i + 150)], o);
    }
    // Money moving in and out now and then.
    const t = pick(traders);
    await send(market, energyMarketAbi, "withdraw", [BigInt(int(1, 1_000_000)), accountAt(40).address], t);
    await send(market, energyMarketAbi, "deposit", [BigInt(int(1, 1_000_000))], pick(traders));
    log(
      `round ${round}: ${placed} orders placed, ${orderIds.length} rested, ${[...byOwner.values()].flat().length} cancelled`,
    );
  }

  // ------------------------------------------------------------ a level rolls to generation 1
  // (OrderBook._enqueue) in a market of its own that stays open (not claimed or settled): 512 asks,
  // two taken, the rest cancelled (behind the front, then at it), then three more asks in the fresh
  // generation, the middle one cancelled, and a bid that fills across the hole.
  const rollMarket = marketId(2, slots[3]! + 900n);
  {
    const c = 2;
    const slotStart = slots[3]! + 900n;
    const mId = rollMarket;
    const tick = 130;
    const [maker, taker] = [traders[0]!, traders[1]!];
    const ask = (amountWh: bigint) =>
      encodeFunctionData({
        abi: energyMarketAbi,
        functionName: "placeOrder",
        args: [
          {
            communityId: c,
            slotStart: Number(slotStart),
            isBid: false,
            tick,
            amountWh,
            meterId: meterOf(maker, c),
            orderType: OrderType.Limit,
          },
        ],
      });
    const placeAsks = async (n: number, amountWh: bigint) => {
      const ids: bigint[] = [];
      for (let i = 0; i < n; i += 128) {
        const calls = Array.from({ length: Math.min(128, n - i) }, () => ask(amountWh));
        const hash = await send(market, energyMarketAbi, "multicall", [calls], maker);
        ids.push(...orderTopic((await stack.pub.getTransactionReceipt({ hash })).logs));
      }
      for (const id of ids) ownerOf.set(id, maker);
      orderIds.push(...ids);
      return ids;
    };
    const bid = (amountWh: bigint) =>
      send(
        market,
        energyMarketAbi,
        "placeOrder",
        [
          {
            communityId: c,
            slotStart: Number(slotStart),
            isBid: true,
            tick,
            amountWh,
            meterId: meterOf(taker, c),
            orderType: OrderType.ImmediateOrCancel,
          },
        ],
        taker,
      );
    levels.push({ marketId: mId, isBid: false, tick });
    const first = await placeAsks(512, 10n);
    await bid(20n);
    // Behind the front first (every third), then the rest from the front.
    const behind = first.slice(2).filter((_, i) => i % 3 === 1);
    const rest = first.slice(2).filter((_, i) => i % 3 !== 1);
    for (const ids of [behind, rest]) {
      for (let i = 0; i < ids.length; i += 150)
        await send(market, energyMarketAbi, "cancelMany", [ids.slice(i, i + 150)], maker);
    }
    const second = await placeAsks(3, 10n);
    await send(market, energyMarketAbi, "cancel", [second[1]!], maker);
    await bid(15n);
    placed += 515;
    log(`level ${mId}/ask/${tick}: generation 1 after 512 orders, 510 cancelled`);
  }

  const result: ActivityResult = {
    traders,
    communities,
    markets,
    orderIds,
    levels,
    openMarket,
    meters,
    proposals: 0,
    slots,
    txs: 0,
  };
  if (opts.lifecycle === false) {
    result.txs = txs;
    return result;
  }

  // ------------------------------------------------------------ gate: claims
  await stack.warpTo(slots[3]! - 300n);
  const views = await stack.readMany<readonly [Address, number, bigint, bigint, bigint]>(
    "order",
    orderIds.map((id) => [id]),
  );
  // Orders with a fill must be claimed before settlement; of the others, leave some unclaimed.
  const toClaim = orderIds.filter(
    (id, i) => id >> 40n !== openMarket && id >> 40n !== rollMarket && (views[i]![4] > 0n || rand() < 0.7),
  );
  for (let i = 0; i < toClaim.length; i += 200) {
    await send(market, energyMarketAbi, "claim", [toClaim.slice(i, i + 200)], pick(traders));
  }
  log(`claimed ${toClaim.length} of ${orderIds.length} orders`);

  // ------------------------------------------------------------ slot ends: signed reports
  await stack.warpTo(slots[3]! + 901n);
  const settled = markets.filter((m) => m !== openMarket);
  const sellersOf = new Map<bigint, number[]>();
  const reports: { meterId: number; slotStart: number; importedWh: bigint; exportedWh: bigint }[] = [];
  const silent: { slotStart: number; meterId: number }[] = [];
  for (const m of settled) {
    const [sellers] = await stack.read<readonly [readonly number[], bigint]>(
      market,
      energyMarketAbi,
      "marketSellers",
      [m, 0n, 10_000n],
    );
    sellersOf.set(m, [...sellers]);
    for (const meter of sellers) {
      if (rand() < 0.15) {
        // Unreported. Odd meters: the oracle was down (full refund, reputation untouched); even
        // meters: the oracles attest the meter was silent (settled as delivering nothing).
        if (meter % 2 === 0) silent.push({ slotStart: Number(m & 0xffffffffffn), meterId: meter });
        continue;
      }
      const sale = await stack.read<{ soldWh: number | bigint }>(market, energyMarketAbi, "sale", [m, meter]);
      reports.push({
        meterId: meter,
        slotStart: Number(m & 0xffffffffffn),
        importedWh: BigInt(int(0, 5000)),
        exportedWh: (BigInt(sale.soldWh) * BigInt(int(0, 130))) / 100n,
      });
    }
  }
  const oracle = accountAt(9);
  for (let i = 0; i < reports.length; i += 40) {
    const chunk = reports.slice(i, i + 40);
    const signature = await oracle.signTypedData({
      domain: { name: "PowerShare", version: "1", chainId: 31337, verifyingContract: settlement },
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
      message: { reports: chunk },
    });
    await send(
      settlement,
      deliverySettlementAbi,
      "submitReports",
      [chunk, [oracle.address], [signature]],
      admin,
    );
  }
  const silentSlots = new Map<number, number[]>();
  for (const x of silent) silentSlots.set(x.slotStart, [...(silentSlots.get(x.slotStart) ?? []), x.meterId]);
  for (const [slotStart, meterIds] of silentSlots) {
    const signature = await oracle.signTypedData({
      domain: { name: "PowerShare", version: "1", chainId: 31337, verifyingContract: settlement },
      types: SILENCE_TYPES,
      primaryType: "SilenceBatch",
      message: { slotStart, meterIds },
    });
    await send(
      settlement,
      deliverySettlementAbi,
      "attestSilence",
      [slotStart, meterIds, [oracle.address], [signature]],
      admin,
    );
  }
  log(`submitted ${reports.length} reports, ${silent.length} silence attestations`);

  // ------------------------------------------------------------ settlement and refunds
  await stack.warpTo(slots[3]! + 900n + 3601n);
  for (const [k, m] of settled.entries()) {
    const sellers = sellersOf.get(m)!;
    if (sellers.length === 0) continue;
    if (k === 0) {
      // Through the Automation-compatible keeper.
      const performData = encodeAbiParameters([{ type: "uint256" }, { type: "uint32[]" }], [m, sellers]);
      await send(stack.keeper, settlementKeeperAbi as never, "performUpkeep", [performData], pick(traders));
    } else {
      await send(settlement, deliverySettlementAbi, "settleSellers", [m, sellers], pick(traders));
    }
  }
  let refundClaims = 0;
  for (const [k, m] of settled.entries()) {
    const totals = await stack.read<{ tradedWh: bigint }>(market, energyMarketAbi, "marketTotals", [m]);
    if (totals.tradedWh === 0n) continue;
    for (const b of traders) {
      const pos = await stack.read<{ paid: bigint }>(market, energyMarketAbi, "position", [m, b]);
      if (pos.paid === 0n) continue;
      if (k === settled.length - 1 && rand() < 0.5) continue; // left claimable
      await send(settlement, deliverySettlementAbi, "claimRefund", [m, b], pick(traders));
      refundClaims++;
    }
  }
  log(`settled ${settled.length} markets, ${refundClaims} refunds claimed`);

  // ------------------------------------------------------------ withdrawals, meters
  for (const t of traders.slice(0, 4)) {
    const [free] = await stack.read<readonly [bigint, bigint]>(market, energyMarketAbi, "balanceOf", [t]);
    if (free > 0n) await send(market, energyMarketAbi, "withdraw", [free / 3n, t], t);
  }
  await send(market, energyMarketAbi, "transferMeter", [meterOf(traders[0]!, 1), traders[1]!], traders[0]!);
  await send(market, energyMarketAbi, "deactivateMeter", [meterOf(traders[2]!, 2)], traders[2]!);

  // Meter registrars: community 1 hands certification to an installer; community 2 sets one and
  // goes back to its admin (zero address).
  const installer = accountAt(T + 3).address;
  await send(settlement, deliverySettlementAbi, "setMeterRegistrar", [1, installer]);
  await send(settlement, deliverySettlementAbi, "setMeterRegistrar", [2, installer]);
  await send(settlement, deliverySettlementAbi, "setMeterRegistrar", [
    2,
    "0x0000000000000000000000000000000000000000",
  ]);

  // ------------------------------------------------------------ governance
  const treasury = await stack.read<bigint>(market, energyMarketAbi, "treasuryBalance", [1]);
  const amount = treasury / 4n > 0n ? treasury / 4n : 1n;
  await send(
    governor,
    treasuryGovernorAbi as never,
    "propose",
    [1, traders[4]!, amount, "Community battery"],
    traders[0]!,
  );
  await send(
    governor,
    treasuryGovernorAbi as never,
    "propose",
    [1, traders[5]!, 1n, "Withdrawn idea"],
    traders[1]!,
  );
  await send(
    governor,
    treasuryGovernorAbi as never,
    "propose",
    [1, traders[6]!, 2n, "Unpopular"],
    traders[2]!,
  );
  const votes: [number, number, number][] = [
    [1, 0, 1],
    [1, 1, 1],
    [1, 2, 2],
    [1, 3, 1],
    [1, 4, 0],
    [3, 0, 0],
    [3, 1, 0],
    [3, 3, 1],
  ];
  for (const [p, t, s] of votes)
    await send(governor, treasuryGovernorAbi as never, "castVote", [p, s], traders[t]!);
  await send(governor, treasuryGovernorAbi as never, "cancel", [2], traders[1]!);
  await stack.warpTo((await stack.now()) + GOVERNOR_SETTINGS.votingPeriod + 1n);
  await send(governor, treasuryGovernorAbi as never, "queue", [1], admin);
  await stack.warpTo((await stack.now()) + GOVERNOR_SETTINGS.timelockDelay + 1n);
  await send(governor, treasuryGovernorAbi as never, "execute", [1], admin);
  log(`governance: 3 proposals (executed, cancelled, defeated)`);

  result.proposals = 3;
  result.txs = txs;
  return result;
}
