/**
 * Household load from the BDEW standard load profile H25 (the 2025 revision of H0): a quarter-hourly
 * profile per month and day type (Saturday, Sunday/holiday, workday), vendored from oemof/demandlib
 * (MIT) in data/h25.csv — see data/README.md. The table's values are scaled so that one calendar year
 * (2025, as the table is laid out) sums to the household's annual consumption. Local time is
 * Europe/Berlin by default, as the profile is. Public holidays are not modelled (they count as their
 * weekday).
 */
import { readFileSync } from "node:fs";

const DAY_TYPES = ["SA", "FT", "WT"] as const;
type DayType = (typeof DAY_TYPES)[number];

/** values[month 0..11][dayType][quarter 0..95], in the table's own unit. */
let table: number[][][] | undefined;

function loadTable(): number[][][] {
  if (table) return table;
  const csv = readFileSync(new URL("./data/h25.csv", import.meta.url), "utf8")
    .trim()
    .split("\n");
  const rows = csv.slice(2).map((line) => line.split(","));
  if (rows.length !== 96) throw new Error(`h25.csv: expected 96 quarter-hours, found ${rows.length}`);
  const t: number[][][] = Array.from({ length: 12 }, () =>
    DAY_TYPES.map(() => new Array<number>(96).fill(0)),
  );
  rows.forEach((cells, q) => {
    if (cells.length !== 37) throw new Error(`h25.csv: row ${q + 3} has ${cells.length} cells, expected 37`);
    for (let m = 0; m < 12; m++) {
      for (let d = 0; d < 3; d++) {
        const v = Number(cells[1 + m * 3 + d]);
        if (!Number.isFinite(v) || v < 0) throw new Error(`h25.csv: bad value at row ${q + 3}`);
        t[m]![d]![q] = v;
      }
    }
  });
  table = t;
  return t;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

interface LocalTime {
  month: number;
  dayType: DayType;
  quarter: number;
}

const localCache = new Map<string, LocalTime>();

export function localTime(timeSec: number, timeZone = "Europe/Berlin"): LocalTime {
  const key = `${timeZone}|${Math.floor(timeSec / 900)}`;
  const hit = localCache.get(key);
  if (hit) return hit;
  if (localCache.size > 200_000) localCache.clear();
  const lt = computeLocalTime(timeSec, timeZone);
  localCache.set(key, lt);
  return lt;
}

function computeLocalTime(timeSec: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      month: "numeric",
      weekday: "short",
      hour: "numeric",
      minute: "numeric",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(timeSec * 1000)).map((p) => [p.type, p.value]));
  const month = Number(parts.month) - 1;
  const quarter = Number(parts.hour) * 4 + Math.floor(Number(parts.minute) / 15);
  const dayType: DayType = parts.weekday === "Sat" ? "SA" : parts.weekday === "Sun" ? "FT" : "WT";
  return { month, dayType, quarter };
}

let yearSum: number | undefined;

/** Sum of the table over the calendar year 2025 (UTC quarter-hours mapped to Berlin local time). */
function tableYearSum(): number {
  if (yearSum !== undefined) return yearSum;
  const t = loadTable();
  const start = Date.UTC(2025, 0, 1) / 1000;
  const end = Date.UTC(2026, 0, 1) / 1000;
  let sum = 0;
  for (let s = start; s < end; s += 900) {
    const lt = localTime(s);
    sum += t[lt.month]![DAY_TYPES.indexOf(lt.dayType)]![lt.quarter]!;
  }
  yearSum = sum;
  return sum;
}

/** Expected consumption in Wh of a household using `annualKwh` per year in the quarter-hour at `timeSec`. */
export function h25QuarterWh(timeSec: number, annualKwh: number, timeZone = "Europe/Berlin"): number {
  if (!(annualKwh >= 0) || !Number.isFinite(annualKwh))
    throw new Error(`annual consumption must be a finite number of kWh ≥ 0, got ${annualKwh}`);
  const t = loadTable();
  const lt = localTime(timeSec, timeZone);
  const v = t[lt.month]![DAY_TYPES.indexOf(lt.dayType)]![lt.quarter]!;
  return (v / tableYearSum()) * annualKwh * 1000;
}

/** Expected consumption in Wh over [startSec, startSec + seconds) (a whole number of quarter-hours or less). */
export function h25EnergyWh(startSec: number, seconds: number, annualKwh: number, timeZone?: string): number {
  let wh = 0;
  for (let t = startSec; t < startSec + seconds; t += 900) {
    const part = Math.min(900, startSec + seconds - t) / 900;
    wh += h25QuarterWh(t, annualKwh, timeZone) * part;
  }
  return wh;
}
