"use client";
/**
 * The agents service for the AI Assistant page: status, market analysis, recommendations for an
 * address and the assistant chat (public), and — signed in with Ethereum — running one cycle of
 * one's own agents and their session history. The SIWE token is kept per address in sessionStorage.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useAppConfig } from "./useAppConfig";
import { useSiweSession, type SiweService } from "./useSiweSession";
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

const agentsSignIn: Omit<SiweService, "base"> = {
  store: agentsSessions,
  nonce: (base) => agentsRequest<{ nonce: string; domain: string }>(base, "/auth/nonce", { method: "POST" }),
  message: {
    service: { name: "agents service", domainSetting: "AGENTS_SIWE_DOMAIN" },
    statement: "Sign in to PowerShare agents: run my agents and read their history.",
    validForMs: SIGN_IN_VALID_MS,
  },
  // The agents service takes the signed message itself as the bearer (no exchange).
  complete: async (_base, { address, message, signature }) =>
    agentsSessions.write({
      token: siweToken(message, signature),
      address,
      expiresAt: Date.now() + SIGN_IN_VALID_MS - 30_000,
    }),
};

/** Sign-in for the per-user actions, and those actions. */
export function useAgentsAccount() {
  const base = useAppConfig().agentsUrl;
  const { address, session, signIn, pending: signing, error } = useSiweSession({ base, ...agentsSignIn });

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
