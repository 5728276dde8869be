"use client";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

export type ToastKind = "pending" | "success" | "error" | "info";
export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  body?: string;
  href?: string;
}
interface ToastApi {
  push(t: Omit<Toast, "id">, id?: number): number;
  dismiss(id: number): void;
}
const Ctx = createContext<ToastApi | null>(null);
let next = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (t: Omit<Toast, "id">, id = next++) => {
      setToasts((ts) => [...ts.filter((x) => x.id !== id), { ...t, id }].slice(-4));
      if (t.kind !== "pending") setTimeout(() => dismiss(id), t.kind === "error" ? 12_000 : 6_000);
      return id;
    },
    [dismiss],
  );
  const api = useMemo(() => ({ push, dismiss }), [push, dismiss]);
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`}>
            <div className="toast-title">{t.title}</div>
            {t.body && <div className="toast-body">{t.body}</div>}
            {t.href && (
              <a href={t.href} target="_blank" rel="noreferrer">
                View on explorer
              </a>
            )}
            <button className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export function useToasts(): ToastApi {
  const c = useContext(Ctx);
  if (!c) throw new Error("useToasts outside <ToastProvider>");
  return c;
}
