/**
 * Forecast error tracking against meter readings: an exponentially weighted bias (actual − forecast)
 * and mean absolute error, kept apart for sunlit and dark slots (PV errors and load errors differ).
 * Plain JSON state, so that the agent's checkpointer keeps it across restarts.
 */
export interface ErrorStats {
  /** EWMA of actual − forecast, Wh. */
  bias: number;
  /** EWMA of |actual − forecast|, Wh. */
  mae: number;
  samples: number;
}

export interface ErrorTrackerState {
  sunlit: ErrorStats;
  dark: ErrorStats;
}

export const ALPHA = 0.1;

export function emptyTracker(): ErrorTrackerState {
  return { sunlit: { bias: 0, mae: 0, samples: 0 }, dark: { bias: 0, mae: 0, samples: 0 } };
}

/** Folds one observation in; non-finite inputs are ignored (a broken reading must not poison the stats). */
export function recordError(
  state: ErrorTrackerState,
  sunlit: boolean,
  forecastWh: number,
  actualWh: number,
): ErrorTrackerState {
  if (!Number.isFinite(forecastWh) || !Number.isFinite(actualWh)) return state;
  const key = sunlit ? "sunlit" : "dark";
  const s = state[key];
  const err = actualWh - forecastWh;
  // the first samples weigh more, so the tracker is useful after a few slots
  const a = Math.max(ALPHA, 1 / (s.samples + 1));
  const next: ErrorStats = {
    bias: s.bias + a * (err - s.bias),
    mae: s.mae + a * (Math.abs(err) - s.mae),
    samples: s.samples + 1,
  };
  return { ...state, [key]: next };
}
