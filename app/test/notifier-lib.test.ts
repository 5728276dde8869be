import { beforeEach, describe, expect, it } from "vitest";
import { verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { parseSiweMessage } from "viem/siwe";
import { isWalletRejection, signInMessage, SignInRefused } from "@/lib/notifier-siwe";
import { clearSession, readSession, subscribeSessions, writeSession } from "@/lib/notifier-session";
import { mergeNotifications, parseStreamEvent } from "@/hooks/useNotifierStream";
import { NotifierError, notifierRequest } from "@/lib/notifier-api";

const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const nonce = { nonce: "k3j4h5g6f7d8s9a0", domain: "app.example:3000", chainId: 31337 };

describe("the Sign-In with Ethereum message", () => {
  it("names the page's host, the notifier's nonce and the chain, and a wallet's signature verifies", async () => {
    const now = new Date("2026-12-02T12:00:00Z");
    const message = signInMessage({
      address: account.address,
      host: "app.example:3000",
      origin: "https://app.example:3000",
      chainId: 31337,
      nonce,
      now,
    });
    const m = parseSiweMessage(message);
    expect(m).toMatchObject({
      address: account.address,
      domain: "app.example:3000",
      nonce: nonce.nonce,
      chainId: 31337,
      uri: "https://app.example:3000",
      version: "1",
    });
    expect(m.issuedAt?.toISOString()).toBe(now.toISOString());
    expect(m.expirationTime!.getTime() - now.getTime()).toBe(10 * 60_000);
    const signature = await account.signMessage({ message });
    expect(await verifyMessage({ address: account.address, message, signature })).toBe(true);
  });

  it("refuses, with a sentence, a notifier that expects another domain or chain", () => {
    const base = { address: account.address, origin: "http://localhost:3000", chainId: 31337 };
    expect(() => signInMessage({ ...base, host: "localhost:3000", nonce })).toThrow(SignInRefused);
    expect(() => signInMessage({ ...base, host: "localhost:3000", nonce })).toThrow(
      "The notifier accepts sign-ins for app.example:3000, but this page is localhost:3000: its operator must set NOTIFIER_SIWE_DOMAIN=localhost:3000.",
    );
    expect(() =>
      signInMessage({ ...base, host: "app.example:3000", nonce: { ...nonce, chainId: 137 } }),
    ).toThrow("The notifier runs on chain 137, this dApp on chain 31337; they must be the same.");
  });

  it("tells a wallet's refusal from other failures, through causes", () => {
    expect(isWalletRejection({ code: 4001 })).toBe(true);
    expect(isWalletRejection(new Error("x", { cause: { code: 4001 } }))).toBe(true);
    expect(isWalletRejection(new Error("network down"))).toBe(false);
    expect(isWalletRejection(undefined)).toBe(false);
  });
});

describe("sessions per address in sessionStorage", () => {
  beforeEach(() => sessionStorage.clear());
  const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

  it("keeps one token per address, case-insensitively, and tells listeners", () => {
    let told = 0;
    const off = subscribeSessions(() => told++);
    writeSession({ token: "ta", address: A.toLowerCase() as `0x${string}`, expiresAt: Date.now() + 60_000 });
    expect(readSession(A)?.token).toBe("ta");
    expect(readSession(A.toLowerCase())?.token).toBe("ta");
    expect(readSession(B)).toBeUndefined();
    clearSession(A);
    expect(readSession(A)).toBeUndefined();
    expect(told).toBe(2);
    off();
  });

  it("ignores an expired, malformed or foreign entry", () => {
    writeSession({ token: "old", address: A as `0x${string}`, expiresAt: Date.now() - 1 });
    expect(readSession(A)).toBeUndefined();
    sessionStorage.setItem(`powershare.notifier.session.${A.toLowerCase()}`, "{not json");
    expect(readSession(A)).toBeUndefined();
    sessionStorage.setItem(
      `powershare.notifier.session.${A.toLowerCase()}`,
      JSON.stringify({ token: "t", address: B, expiresAt: Date.now() + 1000 }),
    );
    expect(readSession(A)).toBeUndefined();
  });
});

describe("in-app notifications", () => {
  const n = (id: string, createdAt: number) => ({
    id,
    eventType: "order_filled",
    title: id,
    body: "",
    createdAt,
  });
  it("merges the list and the stream newest first, once per id", () => {
    const merged = mergeNotifications([n("c", 3), n("a", 1)], [n("b", 2), n("a", 1)]);
    expect(merged.map((x) => x.id)).toEqual(["c", "b", "a"]);
  });
  it("reads a stream event, and drops a malformed one", () => {
    expect(
      parseStreamEvent(
        JSON.stringify({
          id: "d1",
          type: "order_filled",
          event: "k",
          title: "Filled",
          body: "1 kWh",
          createdAt: 5,
        }),
      ),
    ).toEqual({ id: "d1", eventType: "order_filled", title: "Filled", body: "1 kWh", createdAt: 5 });
    expect(parseStreamEvent("{")).toBeUndefined();
    expect(parseStreamEvent(JSON.stringify({ id: 1, title: "x", createdAt: 1 }))).toBeUndefined();
  });
});

describe("notifier requests", () => {
  it("turn a refusal into the notifier's sentence, and an outage into one of ours", async () => {
    const real = globalThis.fetch;
    try {
      globalThis.fetch = (async () =>
        new Response(JSON.stringify({ error: '"x" is not a valid email address' }), {
          status: 400,
        })) as typeof fetch;
      const e = await notifierRequest("/api/notifier", "/v1/x").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotifierError);
      expect(e).toMatchObject({ status: 400, message: '"x" is not a valid email address' });
      globalThis.fetch = (async () =>
        new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })) as typeof fetch;
      expect(await notifierRequest("/api/notifier", "/v1/x").catch((x: Error) => x.message)).toBe(
        "the notifier answered 502 Bad Gateway",
      );
      globalThis.fetch = (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch;
      expect(await notifierRequest("/api/notifier", "/v1/x").catch((x: Error) => x.message)).toMatch(
        /cannot be reached/,
      );
    } finally {
      globalThis.fetch = real;
    }
  });
});
