import type { Metadata } from "next";
import { CommunitiesList } from "@/components/Communities";

export const metadata: Metadata = { title: "Communities" };

export default function CommunitiesPage() {
  return (
    <>
      <h1>Communities</h1>
      <p className="muted">
        Energy cooperatives, buildings and microgrids: each has members, meters, a fee and a treasury its
        members govern.
      </p>
      <CommunitiesList />
    </>
  );
}
