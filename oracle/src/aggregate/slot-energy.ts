/**
 * Per-slot energy from cumulative counters.
 *
 * The counter value at a boundary B is the reading at B if there is one, else the linear
 * interpolation between the last reading before B and the first reading after it, rounded down to a
 * whole Wh. A slot's energy is counter(end) - counter(start). Because every slot uses the same
 * rounded boundary values, consecutive slots add up exactly to the counter difference: no Wh is lost
 * or counted twice at a boundary.
 */

export interface CounterPoint {
  ts: number;
  importWh: number;
  exportWh: number;
}

/** The readings around one boundary: the last at or before it and the first after it. */
export interface Boundary {
  atOrBefore: CounterPoint | undefined;
  after: CounterPoint | undefined;
}

export type BoundaryValue =
  | { kind: "value"; importWh: number; exportWh: number }
  /** No reading after the boundary yet: wait for one. */
  | { kind: "pending" }
  /** No reading at or before the boundary: the meter had not reported yet. */
  | { kind: "before-first" }
  /** The readings around the boundary are too far apart to interpolate. */
  | { kind: "gap"; spanMs: number };

const interpolate = (a: number, b: number, t0: number, t1: number, t: number): number => {
  // floor(a + (b - a) * (t - t0) / (t1 - t0)) in exact integer arithmetic
  const num = BigInt(a) * BigInt(t1 - t0) + BigInt(b - a) * BigInt(t - t0);
  return Number(num / BigInt(t1 - t0));
};

export function counterAt(boundaryMs: number, b: Boundary, maxGapMs: number): BoundaryValue {
  const prev = b.atOrBefore;
  if (!prev) return { kind: "before-first" };
  if (prev.ts === boundaryMs) return { kind: "value", importWh: prev.importWh, exportWh: prev.exportWh };
  const next = b.after;
  if (!next) return { kind: "pending" };
  const span = next.ts - prev.ts;
  if (span > maxGapMs) return { kind: "gap", spanMs: span };
  return {
    kind: "value",
    importWh: interpolate(prev.importWh, next.importWh, prev.ts, next.ts, boundaryMs),
    exportWh: interpolate(prev.exportWh, next.exportWh, prev.ts, next.ts, boundaryMs),
  };
}

export type SlotEnergy =
  | { kind: "ready"; importedWh: number; exportedWh: number }
  | { kind: "pending" }
  | { kind: "no-data" }
  | { kind: "gap"; boundary: "start" | "end"; spanMs: number };

/**
 * Energy in [slotStartMs, slotEndMs). `firstInSlot` is the first reading after the start (used when
 * the meter's first reading ever falls inside the slot: energy is counted from that reading).
 */
export function slotEnergy(
  start: Boundary,
  end: Boundary,
  slotStartMs: number,
  slotEndMs: number,
  maxGapMs: number,
): SlotEnergy {
  const e = counterAt(slotEndMs, end, maxGapMs);
  if (e.kind === "before-first") return { kind: "no-data" };
  if (e.kind === "gap") return { kind: "gap", boundary: "end", spanMs: e.spanMs };
  if (e.kind === "pending") return { kind: "pending" };
  let s = counterAt(slotStartMs, start, maxGapMs);
  if (s.kind === "before-first") {
    const first = start.after;
    if (!first || first.ts > slotEndMs) return { kind: "no-data" };
    s = { kind: "value", importWh: first.importWh, exportWh: first.exportWh };
  }
  if (s.kind === "gap") return { kind: "gap", boundary: "start", spanMs: s.spanMs };
  if (s.kind === "pending") return { kind: "pending" };
  return {
    kind: "ready",
    importedWh: Math.max(0, e.importWh - s.importWh),
    exportedWh: Math.max(0, e.exportWh - s.exportWh),
  };
}

export function slotStartOf(tsMs: number, slotLengthS: number): number {
  return Math.floor(tsMs / 1000 / slotLengthS) * slotLengthS;
}
