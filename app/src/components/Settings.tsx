"use client";
import { useId } from "react";
import { ORDER_TYPES, useSettings } from "@/hooks/useSettings";
import { setTheme, useTheme } from "./theme";

export function Settings() {
  const id = useId();
  const [s, update] = useSettings();
  const theme = useTheme();
  return (
    <div className="panel" style={{ maxWidth: 560 }}>
      <div className="field">
        <label htmlFor={`${id}-ot`}>Default order type</label>
        <select
          id={`${id}-ot`}
          value={s.orderType}
          onChange={(e) => update({ orderType: Number(e.target.value) as 0 | 1 | 2 | 3 })}
        >
          {ORDER_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-sl`}>
          Slippage guard for immediate-or-cancel (ticks beyond the best price)
        </label>
        <input
          id={`${id}-sl`}
          type="number"
          min={0}
          max={100}
          value={s.slippageTicks}
          onChange={(e) => update({ slippageTicks: Math.max(0, Number(e.target.value) || 0) })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-th`}>Theme</label>
        <select id={`${id}-th`} value={theme} onChange={(e) => setTheme(e.target.value as "light" | "dark")}>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </div>
      <button className="btn btn-secondary" onClick={() => setTheme("system")}>
        Follow the system theme
      </button>
    </div>
  );
}
