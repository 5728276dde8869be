import type { Metadata } from "next";
import { Assistant } from "@/components/Assistant";

export const metadata: Metadata = { title: "AI Assistant" };

export default function AssistantPage() {
  return (
    <>
      <h1>AI Assistant</h1>
      <Assistant />
    </>
  );
}
