"use client";
import { useCallback, useSyncExternalStore } from "react";

export interface Settings {
  orderType: 0 | 1 | 2 | 3;
  /** IOC slippage guard in ticks beyond the best price. */
  slippageTicks: number;
  energyUnit: "kWh" | "Wh";
}
const KEY = "powershare.settings";
const DEFAULTS: Settings = { orderType: 0, slippageTicks: 5, energyUnit: "kWh" };
const listeners = new Set<() => void>();
let cache: { raw: string | null; value: Settings } | undefined;

function read(): Settings {
  const raw = typeof localStorage === "undefined" ? null : localStorage.getItem(KEY);
  if (cache && cache.raw === raw) return cache.value;
  let value = DEFAULTS;
  try {
    if (raw) value = { ...DEFAULTS, ...(JSON.parse(raw) as Partial<Settings>) };
  } catch {
    // keep defaults
  }
  cache = { raw, value };
  return value;
}

export function useSettings(): [Settings, (patch: Partial<Settings>) => void] {
  const settings = useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    read,
    () => DEFAULTS,
  );
  const update = useCallback((patch: Partial<Settings>) => {
    localStorage.setItem(KEY, JSON.stringify({ ...read(), ...patch }));
    listeners.forEach((l) => l());
  }, []);
  return [settings, update];
}

export const ORDER_TYPES = [
  { value: 0, label: "Limit", hint: "rests in the book until the gate" },
  { value: 1, label: "Immediate or cancel", hint: "fills what it can now, the rest is dropped" },
  { value: 2, label: "Fill or kill", hint: "fills completely now or not at all" },
  { value: 3, label: "Post only", hint: "only rests; refused if it would trade" },
] as const;
