/**
 * The SDK against a real local Hardhat chain: reads, pre-checked writes, decoded contract errors,
 * the nonce queue, fee cap and replacement, and one market through claim, settlement and refund.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import {
  ContractError,
  createPowerShare,
  execute,
  InvalidInputError,
  marketIdOf,
  openSlots,
  orderValue,
  previewSellerSettlement,
  PreflightError,
  refundShare,
  TransactionError,
  TxQueue,
  certifyMeter,
  registerMeter,
  type PowerShare,
  type SdkContext,
} from "../index.ts";
import { energyMarketAbi } from "../../index.ts";
import { devAccount, REGISTRAR_INDEX, startTestStack, TEST_COMMUNITY, type TestStack } from "../testing.ts";

let stack: TestStack;
let communityId: number;
let sellerMeter: number;
let buyerMeter: number;
let slot: number;
let marketId: bigint;
const ps: Record<string, PowerShare> = {};
const SELLER = 1;
const BUYER = 2;
const THIRD = 3;
const KEEPER = 5;
const addr = (i: number): Address => devAccount(i).address;
const DEPOSIT = 1_000_000_000n; // 1,000 USDC

function client(i: number): PowerShare {
  ps[i] ??= createPowerShare({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });
  return ps[i]!;
}

async function nonce(i: number): Promise<number> {
  return stack.publicClient.getTransactionCount({ address: addr(i) });
}

beforeAll(async () => {
  stack = await startTestStack();
  communityId = await stack.createCommunity();
  sellerMeter = await stack.onboard(SELLER, communityId, DEPOSIT, 0);
  buyerMeter = await stack.onboard(BUYER, communityId, DEPOSIT, 1);
  await stack.onboard(THIRD, communityId, 0n, 1);
  const now = await stack.now();
  slot = openSlots(TEST_COMMUNITY, now)[1]!;
  marketId = marketIdOf(communityId, slot);
});

afterAll(async () => {
  await stack?.stop();
});

describe("reads", () => {
  it("reads communities, meters, markets and balances", async () => {
    const c = await client(BUYER).community(communityId);
    expect(c).toMatchObject({
      id: communityId,
      slotLength: 900,
      gateLead: 300,
      tickSize: 1000n,
      bondPerWh: 10n,
      feeBps: 100,
    });
    const all = await client(BUYER).communities({ names: true });
    expect(all.map((x) => [x.id, x.name])).toEqual([[communityId, "Test community"]]);
    const meters = await client(BUYER).meters({ owner: addr(SELLER) });
    expect(meters).toEqual([
      expect.objectContaining({ id: sellerMeter, kind: "producer", active: true, communityId }),
    ]);
    const markets = await client(BUYER).markets(communityId);
    expect(markets.length).toBe(openSlots(TEST_COMMUNITY, await stack.now()).length);
    expect(markets.every((m) => m.phase === "open")).toBe(true);
    expect(await client(BUYER).balances(addr(BUYER))).toMatchObject({
      free: DEPOSIT,
      locked: 0n,
      wallet: 0n,
    });
    await expect(client(BUYER).community(99)).rejects.toMatchObject({ code: "UNKNOWN_COMMUNITY" });
  });
});

describe("orders", () => {
  let askId: bigint;
  it("places a resting ask and shows it in the book", async () => {
    const r = await client(SELLER).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 260,
      amountWh: 1_000n,
      meterId: sellerMeter,
    });
    expect(r.simulated).toBe(false);
    expect(r.result.restingWh).toBe(1_000n);
    askId = r.result.orderId;
    expect(r.events?.map((e) => e.eventName)).toContain("OrderPlaced");
    const book = await client(BUYER).book(marketId);
    expect(book.bestAsk).toBe(260);
    expect(book.asks).toEqual([{ tick: 260, price: 260_000n, availableWh: 1_000n, orders: 1 }]);
    // bond: 1000 Wh × 10 base units
    expect(await client(SELLER).balances(addr(SELLER))).toMatchObject({
      locked: 10_000n,
      free: DEPOSIT - 10_000n,
    });
  });

  it("refuses bad orders before sending anything", async () => {
    const before = await nonce(BUYER);
    const base = {
      communityId,
      slotStart: slot,
      side: "buy" as const,
      tick: 250,
      amountWh: 500n,
      meterId: buyerMeter,
    };
    await expect(client(BUYER).place({ ...base, amountWh: 0n })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client(BUYER).place({ ...base, tick: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client(BUYER).place({ ...base, amountWh: 50n })).rejects.toMatchObject({
      code: "AMOUNT_TOO_SMALL",
    });
    await expect(client(BUYER).place({ ...base, slotStart: slot + 1 })).rejects.toMatchObject({
      code: "SLOT_NOT_ALIGNED",
    });
    await expect(client(BUYER).place({ ...base, slotStart: slot - 2 * 900 })).rejects.toMatchObject({
      code: "MARKET_CLOSED",
    });
    await expect(client(BUYER).place({ ...base, meterId: sellerMeter })).rejects.toMatchObject({
      code: "NOT_METER_OWNER",
    });
    await expect(client(BUYER).place({ ...base, meterId: 999 })).rejects.toMatchObject({
      code: "UNKNOWN_METER",
    });
    await expect(client(BUYER).place({ ...base, communityId: 42 })).rejects.toMatchObject({
      code: "UNKNOWN_COMMUNITY",
    });
    await expect(client(BUYER).place({ ...base, tick: 60_000, amountWh: 100_000n })).rejects.toMatchObject({
      code: "INSUFFICIENT_BALANCE",
    });
    await expect(client(BUYER).place({ ...base, tick: 260, type: "post-only" })).rejects.toMatchObject({
      code: "WOULD_CROSS",
    });
    expect(await nonce(BUYER)).toBe(before);
  });

  it("decodes the contract's own error when a call skips the pre-checks", async () => {
    const err = await execute(client(BUYER).ctx, {
      address: stack.addresses.market,
      abi: energyMarketAbi,
      functionName: "cancel",
      args: [askId],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).errorName).toBe("NotOrderOwner");
    expect((err as ContractError).args.account).toBe(addr(BUYER));
    expect((err as ContractError).message).toContain(`does not belong to ${addr(BUYER)}`);
  });

  it("matches an IOC bid at the maker's price and charges exactly", async () => {
    const r = await client(BUYER).place({
      communityId,
      slotStart: slot,
      side: "buy",
      tick: 265,
      amountWh: 400n,
      meterId: buyerMeter,
      type: "ioc",
    });
    expect(r.result).toEqual({
      orderId: 0n,
      filledWh: 400n,
      value: orderValue(400n, 260, 1000n),
      restingWh: 0n,
    });
    expect((await client(BUYER).balances(addr(BUYER))).free).toBe(DEPOSIT - 104_000n);
    const order = await client(BUYER).order(askId);
    expect(order).toMatchObject({
      filledWh: 400n,
      remainingWh: 600n,
      owner: addr(SELLER),
      isBid: false,
      tick: 260,
    });
    await expect(client(BUYER).cancel(askId)).rejects.toMatchObject({ code: "NOT_ORDER_OWNER" });
  });

  it("cancels one and many orders, and lists the owner's orders", async () => {
    const a = await client(SELLER).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 280,
      amountWh: 200n,
      meterId: sellerMeter,
    });
    const b = await client(SELLER).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 281,
      amountWh: 200n,
      meterId: sellerMeter,
    });
    const c = await client(SELLER).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 282,
      amountWh: 200n,
      meterId: sellerMeter,
    });
    const mine = await client(SELLER).ordersOf(addr(SELLER));
    expect(mine.map((o) => o.orderId).sort()).toEqual(
      [askId, a.result.orderId, b.result.orderId, c.result.orderId].sort(),
    );
    await client(SELLER).cancel(a.result.orderId);
    await expect(client(SELLER).cancel(a.result.orderId)).rejects.toMatchObject({
      code: "NOTHING_TO_CANCEL",
    });
    await expect(client(SELLER).cancelMany([b.result.orderId, b.result.orderId])).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    const r = await client(SELLER).cancelMany([b.result.orderId, c.result.orderId]);
    expect(r.events?.filter((e) => e.eventName === "OrderCancelled")).toHaveLength(2);
    const book = await client(SELLER).book(marketId);
    expect(book.asks.map((l) => l.tick)).toEqual([260]);
    // bond of the ask's 600 Wh rest + the 400 Wh sold stays locked; the cancelled ones are free
    expect((await client(SELLER).balances(addr(SELLER))).locked).toBe(10_000n);
  });
});

describe("batched order entry", () => {
  it("places several orders in one multicall transaction", async () => {
    const before = await nonce(SELLER);
    const r = await client(SELLER).placeMany([
      {
        communityId,
        slotStart: slot,
        side: "sell",
        tick: 300,
        amountWh: 100n,
        meterId: sellerMeter,
        type: "post-only",
      },
      {
        communityId,
        slotStart: slot,
        side: "sell",
        tick: 301,
        amountWh: 200n,
        meterId: sellerMeter,
        type: "post-only",
      },
    ]);
    expect(await nonce(SELLER)).toBe(before + 1);
    expect(r.result.map((o) => o.restingWh)).toEqual([100n, 200n]);
    expect(r.events.filter((e) => e.eventName === "OrderPlaced")).toHaveLength(2);
    await client(SELLER).cancelMany(r.result.map((o) => o.orderId));
    await expect(client(SELLER).placeMany([])).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("re-prices in one transaction: cancels and places through one multicall", async () => {
    const first = await client(SELLER).place({
      communityId,
      slotStart: slot,
      side: "sell",
      tick: 310,
      amountWh: 300n,
      meterId: sellerMeter,
      type: "post-only",
    });
    const before = await nonce(SELLER);
    const r = await client(SELLER).replace(
      [first.result.orderId],
      [
        {
          communityId,
          slotStart: slot,
          side: "sell",
          tick: 305,
          amountWh: 250n,
          meterId: sellerMeter,
          type: "post-only",
        },
      ],
    );
    expect(await nonce(SELLER)).toBe(before + 1);
    expect(r.result).toHaveLength(1);
    expect(r.result[0]!.restingWh).toBe(250n);
    expect(r.events.filter((e) => e.eventName === "OrderCancelled")).toHaveLength(1);
    expect(r.events.filter((e) => e.eventName === "OrderPlaced")).toHaveLength(1);
    const book = await client(SELLER).book(marketId);
    expect(book.asks.find((l) => l.tick === 310)).toBeUndefined();
    expect(book.asks.find((l) => l.tick === 305)?.availableWh).toBe(250n);
    // a cancel of an order already gone is refused before anything is sent
    const n = await nonce(SELLER);
    await expect(client(SELLER).replace([first.result.orderId], [])).rejects.toBeInstanceOf(PreflightError);
    await expect(client(SELLER).replace([], [])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await nonce(SELLER)).toBe(n);
    await client(SELLER).cancel(r.result[0]!.orderId);
  });
});

describe("meters (decision 0023)", () => {
  const ctx = (i: number): SdkContext => ({
    publicClient: stack.publicClient,
    walletClient: stack.wallet(i),
    addresses: stack.addresses,
  });
  const certificate = (owner: Address) => ({
    communityId,
    owner,
    kind: 3,
    capacityW: 4_000,
    deviceKey: "0x00000000000000000000000000000000000000d5" as Address,
    deadline: 2 ** 40 - 1,
  });

  it("the registrar certifies a meter and its owner registers it, once", async () => {
    const signed = await certifyMeter(ctx(REGISTRAR_INDEX), certificate(addr(THIRD)));
    const r = await registerMeter(ctx(THIRD), signed);
    const meters = await client(THIRD).meters({ owner: addr(THIRD) });
    expect(meters.find((m) => m.id === r.result)).toMatchObject({ kind: "storage", capacityW: 4_000 });
    await expect(registerMeter(ctx(THIRD), signed)).rejects.toMatchObject({ errorName: "CertificateUsed" });
  });

  it("refuses to sign for anyone but the registrar, and the contract refuses a forged certificate", async () => {
    await expect(certifyMeter(ctx(THIRD), certificate(addr(THIRD)))).rejects.toMatchObject({
      code: "NOT_REGISTRAR",
    });
    const forged = {
      certificate: {
        ...certificate(addr(THIRD)),
        deviceKey: "0x00000000000000000000000000000000000000d6" as Address,
      },
      signature: `0x${"11".repeat(65)}` as const,
    };
    const err = await registerMeter(ctx(THIRD), forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).errorName).toBe("InvalidMeterCertificate");
    expect((err as ContractError).message).toMatch(/not signed by the community's meter registrar/);
  });
});

describe("funds", () => {
  it("deposits with a permit in one transaction, and with approve as fallback", async () => {
    await stack.send(0, stack.addresses.quoteToken, (await import("../testing.ts")).testAbis.usdc, "mint", [
      addr(THIRD),
      50_000_000n,
    ]);
    const before = await nonce(THIRD);
    const p = await client(THIRD).deposit(20_000_000n);
    expect(p.method).toBe("permit");
    expect(await nonce(THIRD)).toBe(before + 1);
    const a = await client(THIRD).deposit(5_000_000n, { method: "approve" });
    expect(a.method).toBe("approve");
    expect(a.approval).toBeDefined();
    expect(await client(THIRD).balances(addr(THIRD))).toMatchObject({
      free: 25_000_000n,
      wallet: 25_000_000n,
    });
    await expect(client(THIRD).deposit(26_000_000n)).rejects.toMatchObject({
      code: "INSUFFICIENT_WALLET_BALANCE",
    });
    await expect(client(THIRD).deposit(0n)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("withdraws the free balance and refuses more", async () => {
    await client(THIRD).withdraw(5_000_000n);
    expect(await client(THIRD).balances(addr(THIRD))).toMatchObject({
      free: 20_000_000n,
      wallet: 30_000_000n,
    });
    const before = await nonce(THIRD);
    await expect(client(THIRD).withdraw(20_000_001n)).rejects.toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(await nonce(THIRD)).toBe(before);
  });
});

describe("transaction queue", () => {
  it("gives concurrent callers consecutive nonces", async () => {
    const start = await nonce(THIRD);
    const results = await Promise.all(Array.from({ length: 6 }, () => client(THIRD).withdraw(1_000n)));
    const nonces = await Promise.all(
      results.map(async (r) => (await stack.publicClient.getTransaction({ hash: r.hash! })).nonce),
    );
    expect(nonces.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5].map((k) => start + k));
    expect((await client(THIRD).balances(addr(THIRD))).free).toBe(20_000_000n - 6_000n);
  });

  it("refuses to send above the fee cap", async () => {
    const q = new TxQueue(stack.publicClient, stack.wallet(THIRD), { maxFeePerGasCap: 1n });
    const ctx = { ...client(THIRD).ctx, queue: q };
    const before = await nonce(THIRD);
    const err = await execute(ctx, {
      address: stack.addresses.market,
      abi: energyMarketAbi,
      functionName: "withdraw",
      args: [1n, addr(THIRD)],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionError);
    expect((err as TransactionError).code).toBe("FEE_CAP_EXCEEDED");
    expect(await nonce(THIRD)).toBe(before);
  });

  it("replaces a stuck transaction with higher fees", async () => {
    const q = new TxQueue(stack.publicClient, stack.wallet(THIRD), { stuckAfterMs: 300, pollMs: 50 });
    const ctx = { ...client(THIRD).ctx, queue: q };
    await stack.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      const pending = execute(ctx, {
        address: stack.addresses.market,
        abi: energyMarketAbi,
        functionName: "withdraw",
        args: [1n, addr(THIRD)],
      });
      await new Promise((r) => setTimeout(r, 1_000));
      await stack.publicClient.request({ method: "evm_mine" as never, params: [] as never });
      const r = await pending;
      expect(r.simulated).toBe(false);
      expect(r.attempts!.length).toBeGreaterThanOrEqual(2);
      expect(r.hash).toBe(r.attempts!.at(-1));
      const first = await stack.publicClient.getTransaction({ hash: r.attempts![0]! }).catch(() => undefined);
      const last = await stack.publicClient.getTransaction({ hash: r.hash! });
      if (first) expect(last.maxFeePerGas! > first.maxFeePerGas!).toBe(true);
    } finally {
      await stack.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
  });
});

describe("settlement loop", () => {
  it("claims, settles through the upkeep and refunds, to the unit", async () => {
    const k = client(KEEPER);
    await expect(k.claim([(await k.ordersOf(addr(SELLER)))[0]!.orderId])).rejects.toMatchObject({
      code: "MARKET_STILL_OPEN",
    });
    await stack.warpTo(slot - TEST_COMMUNITY.gateLead);
    const open = await k.ordersOf(addr(SELLER), { marketId });
    const sellerBefore = await k.balances(addr(SELLER));
    const claim = await k.claim(open.map((o) => o.orderId));
    expect(claim.events?.filter((e) => e.eventName === "OrderClaimed")).toHaveLength(open.length);
    // unfilled 600 Wh of the ask: bond released
    expect((await k.balances(addr(SELLER))).free).toBe(sellerBefore.free + 6_000n);
    await expect(k.claim([open[0]!.orderId])).rejects.toMatchObject({ code: "UNKNOWN_ORDER" });

    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 1);
    await stack.report([{ meterId: sellerMeter, slotStart: slot, importedWh: 0n, exportedWh: 100n }]);
    await expect(k.settle(marketId)).rejects.toMatchObject({ code: "SETTLEMENT_NOT_READY" });
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 3600);
    const check = await k.checkUpkeep(communityId);
    expect(check).toMatchObject({ upkeepNeeded: true, marketId, meterIds: [sellerMeter] });
    const sale = await k.sale(marketId, sellerMeter);
    const preview = previewSellerSettlement({
      soldWh: sale.soldWh,
      proceeds: sale.proceeds,
      bond: sale.bond,
      feeBps: 100,
      exportedWh: 100n,
    });
    const sellerPre = await k.balances(addr(SELLER));
    await k.performUpkeep(check.performData);
    const st = await k.settlement(marketId);
    expect(st).toMatchObject({
      refundPoolFinal: true,
      refundPool: preview.refund,
      sellersSettled: 1,
      complete: false,
    });
    expect((await k.balances(addr(SELLER))).free).toBe(
      sellerPre.free + preview.payout + preview.bondReleased,
    );
    expect((await k.checkUpkeep(communityId)).upkeepNeeded).toBe(false);

    const buyerPre = await k.balances(addr(BUYER));
    await k.claimRefund(marketId, addr(BUYER));
    const refund = refundShare(st.refundPool, 104_000n, st.tradedValue);
    expect((await k.balances(addr(BUYER))).free).toBe(buyerPre.free + refund);
    expect((await k.settlement(marketId)).complete).toBe(true);
    await expect(k.claimRefund(marketId, addr(BUYER))).rejects.toMatchObject({ code: "ALREADY_CLAIMED" });
    await expect(k.claimRefund(marketId, addr(THIRD))).rejects.toBeInstanceOf(PreflightError);
  });
});
