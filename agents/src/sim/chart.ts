/** An SVG chart of a simulation summary: community cost per strategy vs grid-only, and the key figures. */
import type { summarise } from "./summary.ts";

type Summary = ReturnType<typeof summarise>;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function summaryChart(s: Summary): string {
  const W = 760;
  const H = 470;
  const bars = [
    { label: "grid only", value: s.cost_grid_only, color: "#9aa5b1" },
    { label: "naive fixed price", value: s.cost_naive ?? 0, color: "#e0a458" },
    { label: "agents (ramp)", value: s.cost_agents ?? 0, color: "#3f8f5f" },
  ];
  const max = Math.max(...bars.map((b) => Math.abs(b.value)), 1e-9);
  const x0 = 170;
  const barW = 360;
  const rows = bars
    .map((b, i) => {
      const y = 70 + i * 48;
      const w = (Math.max(0, b.value) / max) * barW;
      const pct =
        i === 0
          ? ""
          : ` (${((100 * (s.cost_grid_only - b.value)) / Math.abs(s.cost_grid_only)).toFixed(1)} % less)`;
      return `<text x="${x0 - 10}" y="${y + 21}" text-anchor="end">${esc(b.label)}</text>
<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="30" fill="${b.color}"/>
<text x="${x0 + w + 8}" y="${y + 21}">${b.value.toFixed(2)} USDC${pct}</text>`;
    })
    .join("\n");
  const a = s.agents;
  const n = s.naive;
  const line = (label: string, agents: string, naive: string, grid: string) => ({
    label,
    agents,
    naive,
    grid,
  });
  const table = [
    line(
      "self-consumption of local PV",
      `${a?.self_consumption_pct ?? "–"} %`,
      `${n?.self_consumption_pct ?? "–"} %`,
      `${s.grid_only_self_consumption_pct} %`,
    ),
    line(
      "self-sufficiency",
      `${a?.self_sufficiency_pct ?? "–"} %`,
      `${n?.self_sufficiency_pct ?? "–"} %`,
      `${s.grid_only_self_sufficiency_pct} %`,
    ),
    line("traded kWh", `${a?.traded_kwh ?? "–"}`, `${n?.traded_kwh ?? "–"}`, "–"),
    line(
      "delivered / sold",
      `${a?.delivered_vs_sold_pct ?? "–"} %`,
      `${n?.delivered_vs_sold_pct ?? "–"} %`,
      "–",
    ),
    line(
      "price VWAP (min–max) USDC/kWh",
      a ? `${a.price_vwap_per_kwh.toFixed(3)} (${a.price_min_per_kwh}–${a.price_max_per_kwh})` : "–",
      n ? `${n.price_vwap_per_kwh.toFixed(3)} (${n.price_min_per_kwh}–${n.price_max_per_kwh})` : "–",
      "–",
    ),
    line(
      "gas per household per day",
      `${a?.gas_per_household_day.toLocaleString("en") ?? "–"}`,
      `${n?.gas_per_household_day.toLocaleString("en") ?? "–"}`,
      "–",
    ),
  ];
  const ty = 250;
  const cells = table
    .map((r, i) => {
      const y = ty + 28 + i * 26;
      return `<text x="20" y="${y}">${esc(r.label)}</text><text x="390" y="${y}">${esc(r.agents)}</text><text x="540" y="${y}">${esc(r.naive)}</text><text x="690" y="${y}">${esc(r.grid)}</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13" fill="#222">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="20" y="30" font-size="16" font-weight="bold">Community energy cost, ${s.households} households (${s.pv_households} PV, ${s.battery_households} with batteries), ${s.days} days</text>
<text x="20" y="52" fill="#555">retail ${s.retail_per_kwh} / feed-in ${s.feed_in_per_kwh} USDC per kWh, fee ${s.fee_bps / 100} %, seed ${s.seed}; grid bill − feed-in credit + net market spending</text>
${rows}
<text x="20" y="${ty}" font-weight="bold">figure</text><text x="390" y="${ty}" font-weight="bold">agents</text><text x="540" y="${ty}" font-weight="bold">naive</text><text x="690" y="${ty}" font-weight="bold">grid only</text>
${cells}
<text x="20" y="${H - 14}" fill="#777" font-size="11">npm run bench:agents — local Hardhat chain, SDK orders from each household's wallet, signed meter reports, keeper settlement; wall ${s.wall_s} s</text>
</svg>
`;
}
