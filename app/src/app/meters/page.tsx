import type { Metadata } from "next";
import { Meters } from "@/components/Meters";

export const metadata: Metadata = { title: "Meters" };

export default function MetersPage() {
  return (
    <>
      <h1>Meters</h1>
      <Meters />
    </>
  );
}
