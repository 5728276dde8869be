"use client";
/** Candles across a community's slots with lightweight-charts (loaded only where a chart is shown). */
import { useEffect, useRef } from "react";
import { useTheme } from "./theme";

export interface SlotCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export default function CandleChart({ candles, label }: { candles: SlotCandle[]; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    let dispose = () => {};
    let cancelled = false;
    void import("lightweight-charts").then(({ createChart, CandlestickSeries, ColorType }) => {
      if (cancelled || !el.current) return;
      const dark = theme === "dark";
      const chart = createChart(el.current, {
        autoSize: true,
        layout: {
          background: { type: ColorType.Solid, color: "transparent" },
          textColor: dark ? "#a3b1a8" : "#4d5a52",
          attributionLogo: false,
        },
        grid: {
          vertLines: { color: dark ? "#2d3932" : "#e6e9e6" },
          horzLines: { color: dark ? "#2d3932" : "#e6e9e6" },
        },
        timeScale: { timeVisible: true, secondsVisible: false },
        rightPriceScale: { borderVisible: false },
      });
      const series = chart.addSeries(CandlestickSeries, {
        upColor: "#16a34a",
        downColor: "#dc2626",
        wickUpColor: "#16a34a",
        wickDownColor: "#dc2626",
        borderVisible: false,
        priceFormat: { type: "price", precision: 3, minMove: 0.001 },
      });
      series.setData(candles.map((c) => ({ ...c, time: c.time as never })));
      chart.timeScale().fitContent();
      dispose = () => chart.remove();
    });
    return () => {
      cancelled = true;
      dispose();
    };
  }, [candles, theme]);
  return <div ref={el} className="chart" role="img" aria-label={label} data-testid="candles" />;
}
