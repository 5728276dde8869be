/** OHLCV candles per market: the slot length (900 s), an hour and a day, by trade time; prices are ticks. */
import { BigInt } from "@graphprotocol/graph-ts";
import { Candle } from "../../generated/schema";

export const CANDLE_INTERVALS: i32[] = [900, 3600, 86400];

export function addToCandles(
  marketId: BigInt,
  timestamp: BigInt,
  tick: i32,
  amountWh: BigInt,
  value: BigInt,
): void {
  for (let i = 0; i < CANDLE_INTERVALS.length; i++) {
    const interval = CANDLE_INTERVALS[i];
    const size = BigInt.fromI32(interval);
    const bucketStart = timestamp.div(size).times(size);
    const id = marketId.toString() + "-" + interval.toString() + "-" + bucketStart.toString();
    let c = Candle.load(id);
    if (c == null) {
      c = new Candle(id);
      c.market = marketId.toString();
      c.marketId = marketId;
      c.interval = interval;
      c.bucketStart = bucketStart;
      c.open = tick;
      c.high = tick;
      c.low = tick;
      c.close = tick;
      c.volumeWh = BigInt.zero();
      c.value = BigInt.zero();
      c.trades = 0;
    }
    if (tick > c.high) c.high = tick;
    if (tick < c.low) c.low = tick;
    c.close = tick;
    c.volumeWh = c.volumeWh.plus(amountWh);
    c.value = c.value.plus(value);
    c.trades = c.trades + 1;
    c.save();
  }
}
