/** Order entry: place (limit / IOC / FOK / post-only), cancel, cancel many, all pre-checked. */
import { decodeFunctionResult, encodeFunctionData, type Abi, type Hex } from "viem";
import { energyMarketAbi } from "../../index.ts";
import { chainNow, requireAccount, type SdkContext } from "../context.ts";
import { InvalidInputError } from "../errors/sdk-errors.ts";
import { checkCancel, checkPlaceOrder, ORDER_TYPE_INDEX, type PlaceOrderParams } from "./checks.ts";
import { execute, type WriteOptions, type WriteResult } from "./execute.ts";

const MARKET_ABI = energyMarketAbi as unknown as Abi;

/** What a placed order did (OrderBook.OrderResult). */
export interface OrderOutcome {
  /** Non-zero when a remainder rests in the book. */
  orderId: bigint;
  filledWh: bigint;
  /** Quote paid (bid) or earned before settlement (ask) for the filled part. */
  value: bigint;
  restingWh: bigint;
}

/** Places an order after checking it; `result` is what the order did. */
export async function placeOrder(
  ctx: SdkContext,
  p: PlaceOrderParams,
  opts: WriteOptions = {},
): Promise<WriteResult<OrderOutcome>> {
  const account = requireAccount(ctx);
  await checkPlaceOrder(ctx, account.address, p);
  const raw = await execute<OrderOutcome>(
    ctx,
    {
      address: ctx.addresses.market,
      abi: MARKET_ABI,
      functionName: "placeOrder",
      args: [
        {
          communityId: p.communityId,
          slotStart: p.slotStart,
          isBid: p.side === "buy",
          tick: p.tick,
          amountWh: p.amountWh,
          meterId: p.meterId,
          orderType: ORDER_TYPE_INDEX[p.type ?? "limit"],
        },
      ],
    },
    opts,
  );
  const r = raw.result as unknown as { orderId: bigint; filledWh: bigint; value: bigint; restingWh: bigint };
  return {
    ...raw,
    result: {
      orderId: r.orderId,
      filledWh: BigInt(r.filledWh),
      value: BigInt(r.value),
      restingWh: BigInt(r.restingWh),
    },
  };
}

/** Cancels the unfilled remainder of one of the account's orders before its gate. */
export async function cancelOrder(
  ctx: SdkContext,
  orderId: bigint,
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  const account = requireAccount(ctx);
  await checkCancel(ctx, account.address, orderId);
  return execute<void>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "cancel", args: [orderId] },
    opts,
  );
}

/** Cancels several of the account's orders in one transaction (each is checked first). */
export async function cancelOrders(
  ctx: SdkContext,
  orderIds: readonly bigint[],
  opts: WriteOptions = {},
): Promise<WriteResult<void>> {
  const account = requireAccount(ctx);
  if (orderIds.length === 0) throw new InvalidInputError("no orders to cancel");
  if (new Set(orderIds).size !== orderIds.length)
    throw new InvalidInputError("the same order is listed twice");
  const now = await chainNow(ctx);
  for (const id of orderIds) await checkCancel(ctx, account.address, id, now);
  return execute<void>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "cancelMany", args: [orderIds] },
    opts,
  );
}

/**
 * Places several orders in one transaction through the market's `multicall` (each checked first,
 * as one order would be; the checks do not see the earlier orders of the same batch). Results in
 * order.
 */
export async function placeOrders(
  ctx: SdkContext,
  orders: readonly PlaceOrderParams[],
  opts: WriteOptions = {},
): Promise<WriteResult<OrderOutcome[]>> {
  const account = requireAccount(ctx);
  if (orders.length === 0) throw new InvalidInputError("no orders to place");
  await Promise.all(orders.map((p) => checkPlaceOrder(ctx, account.address, p)));
  const calls = orders.map((p) =>
    encodeFunctionData({
      abi: energyMarketAbi,
      functionName: "placeOrder",
      args: [
        {
          communityId: p.communityId,
          slotStart: p.slotStart,
          isBid: p.side === "buy",
          tick: p.tick,
          amountWh: p.amountWh,
          meterId: p.meterId,
          orderType: ORDER_TYPE_INDEX[p.type ?? "limit"],
        },
      ],
    }),
  );
  const raw = await execute<readonly Hex[]>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "multicall", args: [calls] },
    opts,
  );
  const result = raw.result.map((data) => {
    const r = decodeFunctionResult({ abi: energyMarketAbi, functionName: "placeOrder", data });
    return {
      orderId: r.orderId,
      filledWh: BigInt(r.filledWh),
      value: BigInt(r.value),
      restingWh: BigInt(r.restingWh),
    };
  });
  return { ...raw, result };
}

/**
 * Cancels some of the account's orders and places new ones in one transaction through the market's
 * `multicall` (cancels first): re-pricing a resting order costs one transaction, not two. Each cancel
 * and each order is checked first, as `cancelOrders` and `placeOrders` check them; the order checks
 * do not count what the cancels release, so the free balance must already cover the new orders.
 * `result` holds the placed orders' outcomes, in order.
 */
export async function replaceOrders(
  ctx: SdkContext,
  cancel: readonly bigint[],
  orders: readonly PlaceOrderParams[],
  opts: WriteOptions = {},
): Promise<WriteResult<OrderOutcome[]>> {
  const account = requireAccount(ctx);
  if (cancel.length === 0 && orders.length === 0) throw new InvalidInputError("nothing to cancel or place");
  if (new Set(cancel).size !== cancel.length) throw new InvalidInputError("the same order is listed twice");
  const now = await chainNow(ctx);
  await Promise.all([
    ...cancel.map((id) => checkCancel(ctx, account.address, id, now)),
    ...orders.map((p) => checkPlaceOrder(ctx, account.address, p)),
  ]);
  const calls: Hex[] = [
    ...cancel.map((id) => encodeFunctionData({ abi: energyMarketAbi, functionName: "cancel", args: [id] })),
    ...orders.map((p) => placeOrderCalldata(p)),
  ];
  const raw = await execute<readonly Hex[]>(
    ctx,
    { address: ctx.addresses.market, abi: MARKET_ABI, functionName: "multicall", args: [calls] },
    opts,
  );
  const result = raw.result.slice(cancel.length).map(decodePlaceResult);
  return { ...raw, result };
}

function placeOrderCalldata(p: PlaceOrderParams): Hex {
  return encodeFunctionData({
    abi: energyMarketAbi,
    functionName: "placeOrder",
    args: [
      {
        communityId: p.communityId,
        slotStart: p.slotStart,
        isBid: p.side === "buy",
        tick: p.tick,
        amountWh: p.amountWh,
        meterId: p.meterId,
        orderType: ORDER_TYPE_INDEX[p.type ?? "limit"],
      },
    ],
  });
}

function decodePlaceResult(data: Hex): OrderOutcome {
  const r = decodeFunctionResult({ abi: energyMarketAbi, functionName: "placeOrder", data });
  return {
    orderId: r.orderId,
    filledWh: BigInt(r.filledWh),
    value: BigInt(r.value),
    restingWh: BigInt(r.restingWh),
  };
}
