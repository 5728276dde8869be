import { notFound } from "next/navigation";
import { MarketView } from "@/components/MarketView";

export default async function MarketPage({ params }: { params: Promise<{ marketId: string }> }) {
  const { marketId } = await params;
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(marketId)) notFound();
  if (BigInt(marketId) >> 40n === 0n) notFound();
  return <MarketView id={BigInt(marketId).toString()} />;
}
