"use client";
import { useBlock } from "wagmi";
import { useEffect, useState } from "react";

/** Unix seconds, ticking every `ms` (0 on the server so SSR and the first render agree). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(0);
  useEffect(() => {
    setNow(Math.floor(Date.now() / 1000));
    const t = setInterval(() => setNow(Math.floor(Date.now() / 1000)), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * "Now" as the chain judges it: the wall clock, or the latest block's time when the chain runs
 * ahead (a dev chain whose time was moved forward).
 */
export function useChainNow(): number {
  const now = useNow();
  const block = useBlock({ query: { refetchInterval: 4_000 } });
  const ts = block.data ? Number(block.data.timestamp) : 0;
  return now === 0 ? 0 : Math.max(now, ts);
}
