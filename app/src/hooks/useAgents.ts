"use client";
/**
 * The agents service for the AI Assistant page: status, market analysis, recommendations for an
 * address and the assistant chat (public), and — signed in with Ethereum — running one cycle of
 * one's own agents and their session history. The SIWE token is kept per address in sessionStorage.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { useAccount, useSignMessage } from "wagmi";
import { useAppConfig } from "./useAppConfig";
import { useStoredSession } from "./useNotifierSession";
import {
  AgentsError,
  agentsRequest,
  siweToken,
  type AgentStatus,
  type ChatAnswer,
  type CommunityAnalysis,
  type CycleResult,
  type HistoryEntry,
  type Recommendation,
} from "@/lib/agents-api";
import { sessionStore } from "@/lib/notifier-session";

export const agentsSessions = sessionStore("powershare.agents.session.");
const SIGN_IN_VALID_MS = 60 * 60_000;

export function useAgentsStatus(base: string | undefined) {
  return useQuery({
    queryKey: ["agents", "status", base],
    enabled: !!base,
    queryFn: async () => (await agentsRequest<{ agents: AgentStatus[] }>(base!, "/status")).agents,
    refetchInterval: 10_000,
  });
}

export function useMarketAnalysis(base: string | undefined) {
  return useQuery({
    queryKey: ["agents", "market-analysis", base],
    enabled: !!base,
    queryFn: async () =>
      (await agentsRequest<{ communities: CommunityAnalysis[] }>(base!, "/market-analysis")).communities,
    refetchInterval: 15_000,
  });
}

export function useRecommendations(base: string | undefined, address: string | undefined) {
  return useQuery({
    queryKey: ["agents", "recommendations", base, address],
    enabled: !!base && !!address,
    queryFn: async () =>
      (
        await agentsRequest<{ recommendations: Recommendation[] }>(
          base!,
          `/energy-trading/recommendations/${address}`,
        )
      ).recommendations,
    retry: false,
  });
}

export function useAssistantChat(base: string | undefined, address: string | undefined) {
  return useMutation({
    mutationFn: (message: string) =>
      agentsRequest<ChatAnswer>(base!, "/assistant/chat", {
        method: "POST",
        body: address ? { message, address } : { message },
      }),
  });
}

/** Sign-in for the per-user actions, and those actions. */
export function useAgentsAccount() {
  const cfg = useAppConfig();
  const base = cfg.agentsUrl;
  const { address } = useAccount();
  const session = useStoredSession(address, agentsSessions);
  const { signMessageAsync } = useSignMessage();
  const [signing, setSigning] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const signIn = useCallback(async () => {
    if (!base || !address) return;
    setSigning(true);
    setError(undefined);
    try {
      const { signInMessage, isWalletRejection } = await import("@/lib/notifier-siwe");
      const nonce = await agentsRequest<{ nonce: string; domain: string }>(base, "/auth/nonce", {
        method: "POST",
      });
      const message = signInMessage({
        address,
        host: window.location.host,
        origin: window.location.origin,
        chainId: cfg.chainId,
        nonce,
        service: { name: "agents service", domainSetting: "AGENTS_SIWE_DOMAIN" },
        statement: "Sign in to PowerShare agents: run my agents and read their history.",
        validForMs: SIGN_IN_VALID_MS,
      });
      let signature: string;
      try {
        signature = await signMessageAsync({ account: address, message });
      } catch (e) {
        throw new Error(
          isWalletRejection(e)
            ? "You declined the sign-in in your wallet; nothing was changed."
            : `Your wallet could not sign the message: ${(e as Error).message.split("\n")[0]}`,
        );
      }
      agentsSessions.write({
        token: siweToken(message, signature),
        address,
        expiresAt: Date.now() + SIGN_IN_VALID_MS - 30_000,
      });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSigning(false);
    }
  }, [base, address, cfg.chainId, signMessageAsync]);

  const authed = async <T>(path: string, body: unknown) => {
    try {
      return await agentsRequest<T>(base!, path, { method: "POST", token: session!.token, body });
    } catch (e) {
      if (e instanceof AgentsError && e.status === 401 && address) agentsSessions.clear(address);
      throw e;
    }
  };
  const process = useMutation({
    mutationFn: async () => (await authed<{ results: CycleResult[] }>("/energy-trading/process", {})).results,
  });
  const history = useMutation({
    mutationFn: async () =>
      (await authed<{ cycles: HistoryEntry[] }>("/session-history", { limit: 20 })).cycles,
  });

  return { base, address, session, signIn, signing, error, process, history };
}
