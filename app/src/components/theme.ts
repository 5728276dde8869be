"use client";
import { useSyncExternalStore } from "react";

export type Theme = "light" | "dark";
import { THEME_KEY as KEY } from "@/lib/theme-script";

const listeners = new Set<() => void>();
function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}
const read = (): Theme => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, read, () => "light");
}

export function setTheme(t: Theme | "system") {
  if (t === "system") {
    localStorage.removeItem(KEY);
    t = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  } else localStorage.setItem(KEY, t);
  document.documentElement.dataset.theme = t;
  listeners.forEach((l) => l());
}
