import type { Metadata } from "next";
import { NotificationsSettings } from "@/components/NotificationsSettings";
import { Settings } from "@/components/Settings";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <Settings />
      <NotificationsSettings />
    </>
  );
}
