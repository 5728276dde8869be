import { notFound } from "next/navigation";
import { CommunityDetail } from "@/components/Communities";

export default async function CommunityPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!/^\d+$/.test(id) || Number(id) < 1) notFound();
  return <CommunityDetail id={Number(id)} />;
}
