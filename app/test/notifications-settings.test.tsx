import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { NotificationsSettings } from "@/components/NotificationsSettings";
import { readSession } from "@/lib/notifier-session";
import { ACCOUNT, appConfig, harness } from "./support/app-harness";
import { NotifierDouble } from "./support/notifier-double";

let notifier: NotifierDouble;
beforeEach(() => {
  sessionStorage.clear();
  notifier = new NotifierDouble(window.location.host);
  vi.stubGlobal("fetch", notifier.fetch);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function signedIn() {
  const { Wrapper } = await harness();
  render(<NotificationsSettings />, { wrapper: Wrapper });
  fireEvent.click(await screen.findByRole("button", { name: "Sign in with Ethereum" }));
  await screen.findByTestId("notifier-signed-in");
}

describe("Settings → Notifications", () => {
  it("renders nothing when the server has no notifier", async () => {
    const { Wrapper } = await harness({ config: appConfig({ notifierUrl: undefined }) });
    const { container } = render(<NotificationsSettings />, { wrapper: Wrapper });
    expect(container.innerHTML).toBe("");
    expect(notifier.requests).toEqual([]);
  });

  it("asks for a wallet first", async () => {
    const { Wrapper } = await harness({ connected: false });
    render(<NotificationsSettings />, { wrapper: Wrapper });
    expect(await screen.findByText(/Connect a wallet to choose/)).toBeTruthy();
  });

  it("signs in with Ethereum: the wallet signs the notifier's nonce for this host; the token is kept per address", async () => {
    await signedIn();
    const verify = notifier.requests.find((r) => r.path === "/v1/auth/verify")!;
    const message = (verify.body as { message: string }).message;
    expect(message).toContain(`${window.location.host} wants you to sign in with your Ethereum account:`);
    expect(message).toContain(ACCOUNT.address);
    expect(message).toContain("Nonce: nonce1abcdefgh");
    const s = readSession(ACCOUNT.address);
    expect(s?.token).toBe("token-2");
    // Every account call carries the token.
    await waitFor(() => expect(notifier.requests.some((r) => r.path.endsWith("/preferences"))).toBe(true));
    for (const r of notifier.requests.filter((x) => x.path.startsWith("/v1/accounts/")))
      expect(r.auth).toBe("Bearer token-2");
  });

  it("shows the wallet's refusal and the notifier's refusal as sentences, and stays signed out", async () => {
    let reject = true;
    const { Wrapper } = await harness({ reject: () => reject });
    render(<NotificationsSettings />, { wrapper: Wrapper });
    fireEvent.click(await screen.findByRole("button", { name: "Sign in with Ethereum" }));
    expect((await screen.findByTestId("notifier-error")).textContent).toBe(
      "You declined the sign-in in your wallet; nothing was changed.",
    );
    reject = false;
    notifier.domain = "elsewhere.example";
    fireEvent.click(screen.getByRole("button", { name: "Sign in with Ethereum" }));
    await waitFor(() =>
      expect(screen.getByTestId("notifier-error").textContent).toMatch(
        /^The notifier accepts sign-ins for elsewhere\.example, but this page is /,
      ),
    );
    expect(readSession(ACCOUNT.address)).toBeUndefined();
    // No signature was even asked for against a notifier for another domain.
    expect(notifier.requests.filter((r) => r.path === "/v1/auth/verify")).toHaveLength(0);
  });

  it("saves contacts and the threshold; a refused email shows the notifier's sentence and keeps the old one", async () => {
    await signedIn();
    const email = await screen.findByLabelText("Email");
    fireEvent.change(email, { target: { value: "not-an-email" } });
    fireEvent.click(screen.getByTestId("notifier-save"));
    expect((await screen.findByTestId("notifier-error")).textContent).toBe(
      '"not-an-email" is not a valid email address',
    );
    expect(notifier.prefs.get(ACCOUNT.address.toLowerCase())).toBeUndefined();

    fireEvent.change(email, { target: { value: "alice@example.org" } });
    fireEvent.change(screen.getByLabelText("Warn me when my free balance is below (USDC)"), {
      target: { value: "12.5" },
    });
    fireEvent.click(screen.getByTestId("notifier-save"));
    await screen.findByTestId("notifier-saved");
    expect(notifier.requests.filter((r) => r.method === "PUT").at(-1)!.body).toEqual({
      email: "alice@example.org",
      phone: null,
      lowBalanceThreshold: "12.5",
    });
    expect(screen.queryByTestId("notifier-error")).toBeNull();
  });

  it("subscription matrix: unlisted events show every channel; only the rows changed are sent", async () => {
    await signedIn();
    const matrix = await screen.findByTestId("notifier-matrix");
    const box = (name: string) => within(matrix).getByRole("checkbox", { name }) as HTMLInputElement;
    await waitFor(() => expect(box("Order filled by Email").checked).toBe(true));
    fireEvent.click(box("Order filled by Email"));
    fireEvent.click(box("Order filled by Webhook"));
    expect(box("Order filled by Email").checked).toBe(false);
    fireEvent.click(screen.getByTestId("notifier-save"));
    await screen.findByTestId("notifier-saved");
    const put = notifier.requests.filter((r) => r.method === "PUT").at(-1)!.body as {
      subscriptions: unknown;
    };
    expect(put.subscriptions).toEqual({ order_filled: ["inapp"] });
    expect(box("Order filled by In-app").checked).toBe(true);
    expect(box("Sale settled (paid or slashed) by Email").checked).toBe(true);
  });

  it("adds a webhook and shows its secret once; removes it; a refused URL gets its sentence", async () => {
    await signedIn();
    const url = await screen.findByLabelText("Webhook URL");
    fireEvent.change(url, { target: { value: "ftp://x" } });
    fireEvent.click(screen.getByTestId("webhook-add"));
    expect((await screen.findByTestId("webhook-error")).textContent).toBe('"ftp://x" is not an http(s) URL');
    fireEvent.change(url, { target: { value: "https://hooks.example.org/ps" } });
    fireEvent.click(screen.getByTestId("webhook-add"));
    const secret = await screen.findByTestId("webhook-secret");
    expect(secret.textContent).toContain(notifier.webhooks[0]!.secret);
    await screen.findByTestId("webhook");
    fireEvent.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
    expect(document.body.textContent).not.toContain(notifier.webhooks[0]!.secret);
    fireEvent.click(screen.getByRole("button", { name: "Remove webhook https://hooks.example.org/ps" }));
    await waitFor(() => expect(screen.queryByTestId("webhook")).toBeNull());
    expect(notifier.webhooks).toEqual([]);
  });

  it("lists recent deliveries with their status and reason", async () => {
    notifier.deliveries = [
      {
        id: "d1",
        eventKey: "k1",
        eventType: "order_filled",
        channel: "webhook",
        target: "https://hooks.example.org/ps",
        status: "failed",
        attempts: 4,
        lastError: "HTTP 500 from the endpoint",
        createdAt: 1,
        sentAt: null,
        occurredAt: 1,
      },
    ];
    await signedIn();
    const row = await screen.findByTestId("delivery");
    expect(row.textContent).toContain("Order filled");
    expect(within(row).getByTestId("delivery-status").textContent).toBe("failed");
    expect(row.textContent).toContain("HTTP 500 from the endpoint");
  });

  it("an expired session (401) signs out locally and offers sign-in again", async () => {
    await signedIn();
    notifier.sessions.clear();
    fireEvent.change(await screen.findByLabelText("Email"), { target: { value: "a@example.org" } });
    fireEvent.click(screen.getByTestId("notifier-save"));
    await screen.findByRole("button", { name: "Sign in with Ethereum" });
    expect(readSession(ACCOUNT.address)).toBeUndefined();
  });
});
