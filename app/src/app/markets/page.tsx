import type { Metadata } from "next";
import { MarketsList } from "@/components/MarketsList";

export const metadata: Metadata = { title: "Markets" };

export default function MarketsPage() {
  return (
    <>
      <h1>Markets</h1>
      <p className="muted">
        One order book per community and 15-minute delivery slot. Books open up to 48 h ahead and close at the
        gate, shortly before the slot starts.
      </p>
      <MarketsList />
    </>
  );
}
