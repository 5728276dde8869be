import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NotificationsBell } from "@/components/NotificationsBell";
import { NotificationsBellSlot } from "@/components/NotificationsBellSlot";
import { writeSession } from "@/lib/notifier-session";
import { ACCOUNT, appConfig, harness } from "./support/app-harness";
import { NotifierDouble, TestEventSource } from "./support/notifier-double";

let notifier: NotifierDouble;
const me = ACCOUNT.address.toLowerCase() as `0x${string}`;

beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
  TestEventSource.all = [];
  notifier = new NotifierDouble(window.location.host);
  notifier.sessions.set("tok", me);
  vi.stubGlobal("fetch", notifier.fetch);
  vi.stubGlobal("EventSource", TestEventSource);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const note = (id: string, createdAt: number, title = `Order ${id} filled`) => ({
  id,
  eventType: "order_filled",
  title,
  body: "1 kWh at 0.255 USDC/kWh",
  createdAt,
});

describe("the notifications bell", () => {
  it("is absent without a notifier or without a wallet", async () => {
    const none = await harness({ config: appConfig({ notifierUrl: undefined }) });
    const a = render(<NotificationsBellSlot />, { wrapper: none.Wrapper });
    expect(a.container.innerHTML).toBe("");
    a.unmount();
    const off = await harness({ connected: false });
    const b = render(<NotificationsBell />, { wrapper: off.Wrapper });
    expect(b.container.innerHTML).toBe("");
  });

  it("before sign-in, points to Settings and opens no stream", async () => {
    const { Wrapper } = await harness();
    render(<NotificationsBell />, { wrapper: Wrapper });
    const bell = screen.getByTestId("notifications-bell");
    expect(bell.getAttribute("aria-label")).toBe("Notifications (not signed in)");
    fireEvent.click(bell);
    expect(screen.getByRole("link", { name: "Settings" }).getAttribute("href")).toBe(
      "/settings#notifications",
    );
    expect(TestEventSource.all).toHaveLength(0);
  });

  it("lists the latest, counts what arrives live as unread, and opening marks it seen", async () => {
    notifier.notifications = [note("n1", 1_000)];
    localStorage.setItem(`powershare.notifier.seen.${me}`, "1000");
    writeSession({ token: "tok", address: me, expiresAt: Date.now() + 60_000 });
    const { Wrapper } = await harness();
    render(<NotificationsBell />, { wrapper: Wrapper });
    await waitFor(() => expect(TestEventSource.all).toHaveLength(1));
    const es = TestEventSource.all[0]!;
    expect(es.url).toBe(`/api/notifier/v1/accounts/${me}/stream?token=tok`);
    await waitFor(() => expect(notifier.requests.some((r) => r.path.endsWith("/notifications"))).toBe(true));
    expect(screen.queryByTestId("notifications-unread")).toBeNull();

    act(() => {
      es.open();
      es.emit("notification", {
        id: "n2",
        type: "order_filled",
        event: "k2",
        title: "Sold 1 kWh",
        body: "b",
        createdAt: 2_000,
      });
      es.emit("notification", {
        id: "n3",
        type: "sale_settled",
        event: "k3",
        title: "Paid",
        body: "b",
        createdAt: 3_000,
      });
      es.emit("notification", {
        id: "n3",
        type: "sale_settled",
        event: "k3",
        title: "Paid",
        body: "b",
        createdAt: 3_000,
      });
    });
    expect(screen.getByTestId("notifications-unread").textContent).toBe("2");
    expect(screen.getByTestId("notifications-bell").getAttribute("aria-label")).toBe(
      "Notifications, 2 unread",
    );

    fireEvent.click(screen.getByTestId("notifications-bell"));
    expect(screen.getAllByTestId("notification").map((li) => li.querySelector("div")!.textContent)).toEqual([
      "Paid",
      "Sold 1 kWh",
      "Order n1 filled",
    ]);
    expect(screen.getByTestId("notifications-stream").textContent).toBe("live");
    await waitFor(() => expect(screen.queryByTestId("notifications-unread")).toBeNull());
    expect(localStorage.getItem(`powershare.notifier.seen.${me}`)).toBe("3000");
  });

  it("a stream the notifier refuses (session gone) signs out locally", async () => {
    writeSession({ token: "tok", address: me, expiresAt: Date.now() + 60_000 });
    const { Wrapper } = await harness();
    render(<NotificationsBell />, { wrapper: Wrapper });
    await waitFor(() => expect(TestEventSource.all).toHaveLength(1));
    notifier.sessions.clear();
    act(() => TestEventSource.all[0]!.fail());
    await waitFor(() =>
      expect(screen.getByTestId("notifications-bell").getAttribute("aria-label")).toBe(
        "Notifications (not signed in)",
      ),
    );
    expect(TestEventSource.all[0]!.readyState).toBe(TestEventSource.CLOSED);
  });
});
