"use client";
/**
 * Where the notifications bell goes in the header. The bell's code (components/NotificationsBell.tsx)
 * loads only when the server has a notifier and a wallet is connected, so it adds nothing to any
 * page's first load.
 */
import dynamic from "next/dynamic";
import { useAccount } from "wagmi";
import { useAppConfig } from "@/hooks/useAppConfig";

const Bell = dynamic(() => import("./NotificationsBell").then((m) => m.NotificationsBell), { ssr: false });

export function NotificationsBellSlot() {
  const base = useAppConfig().notifierUrl;
  const { address } = useAccount();
  return base && address ? <Bell /> : null;
}
