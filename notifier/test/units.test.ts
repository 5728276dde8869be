/** Pure parts: the SSRF guard, templates, backoff, webhook signatures, the test's push decryption. */
import { createECDH, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isForbiddenAddress } from "../src/channels/network-guard.ts";
import { defaultTemplate, render, renderTemplate, validateTemplate } from "../src/templates.ts";
import { backoffMs } from "../src/delivery/backoff.ts";
import { signWebhook, verifyWebhook } from "../src/channels/webhook.ts";
import { applyPreferences, checkEmail } from "../src/api/preferences-input.ts";
import { parseHookEvent } from "../src/api/http-api.ts";
import { CHANNELS, EVENT_TYPES, EVENT_VARIABLES } from "../src/events.ts";
import { decryptWebPush, encryptForTest } from "./support/push-endpoint.ts";

describe("webhook URL guard", () => {
  const resolve = (map: Record<string, string[]>) => async (h: string) => {
    if (!map[h]) throw new Error("ENOTFOUND");
    return map[h]!;
  };
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",
    "::",
  ])("refuses %s", (ip) => expect(isForbiddenAddress(ip)).toBe(true));
  it.each(["93.184.216.34", "8.8.8.8", "2606:4700::1111"])("allows %s", (ip) =>
    expect(isForbiddenAddress(ip)).toBe(false),
  );

  it("refuses bad schemes, credentials, private hosts and names resolving to them, with a sentence", async () => {
    const o = {
      allowPrivate: false,
      resolve: resolve({
        "hooks.example.org": ["93.184.216.34"],
        "sneaky.example.org": ["93.184.216.34", "10.0.0.7"],
      }),
    };
    await expect(checkWebhookUrl("https://hooks.example.org/p?x=1", o)).resolves.toBe(
      "https://hooks.example.org/p?x=1",
    );
    await expect(checkWebhookUrl("file:///etc/passwd", o)).rejects.toThrow(
      "webhook URLs must use http or https, not file",
    );
    await expect(checkWebhookUrl("http://u:p@hooks.example.org/", o)).rejects.toThrow(
      "may not carry a user name or password",
    );
    await expect(checkWebhookUrl("http://127.0.0.1:8080/", o)).rejects.toThrow(
      "resolves to 127.0.0.1, a private, loopback or reserved address",
    );
    await expect(checkWebhookUrl("http://[::1]/", o)).rejects.toThrow("resolves to ::1");
    await expect(checkWebhookUrl("http://sneaky.example.org/", o)).rejects.toThrow("resolves to 10.0.0.7");
    await expect(checkWebhookUrl("http://nowhere.example.org/", o)).rejects.toThrow("does not resolve");
    await expect(checkWebhookUrl("not a url", o)).rejects.toThrow('"not a url" is not a valid URL');
    await expect(checkWebhookUrl(42, o)).rejects.toThrow("must be a non-empty string");
    await expect(checkWebhookUrl("http://127.0.0.1:8080/", { allowPrivate: true })).resolves.toBe(
      "http://127.0.0.1:8080/",
    );
  });
});

describe("templates", () => {
  it("has a default for every event and channel using only that event's variables, HTML for email", () => {
    for (const type of EVENT_TYPES)
      for (const channel of CHANNELS) {
        const t = defaultTemplate(type, channel);
        expect(() => validateTemplate(type, channel, t)).not.toThrow();
        expect(t.html !== undefined).toBe(channel === "email");
        const vars = Object.fromEntries(EVENT_VARIABLES[type].map((v) => [v, `<${v}>`]));
        expect(renderTemplate(t, vars).text).not.toMatch(/\{\{/);
      }
  });
  it("escapes values in HTML only", () => {
    expect(render("{{a}}", { a: "<b>&" })).toBe("<b>&");
    expect(render("{{a}}", { a: "<b>&" }, true)).toBe("&lt;b&gt;&amp;");
  });
  it("refuses unknown fields, channels and empty parts with a sentence", () => {
    expect(() => validateTemplate("order_filled", "fax", { subject: "a", text: "b" })).toThrow(
      'unknown channel "fax"',
    );
    expect(() => validateTemplate("order_filled", "email", { subject: "", text: "b" })).toThrow(
      "subject must be a non-empty string",
    );
    expect(() => validateTemplate("order_filled", "email", { subject: "a", text: "b", footer: "c" })).toThrow(
      "unknown template field footer",
    );
  });
});

describe("retries and signatures", () => {
  it("backs off exponentially with jitter, capped", () => {
    const p = { maxAttempts: 8, baseMs: 1_000, capMs: 10_000 };
    expect(backoffMs(1, p, () => 0)).toBe(500);
    expect(backoffMs(1, p, () => 1)).toBe(1_000);
    expect(backoffMs(3, p, () => 1)).toBe(4_000);
    expect(backoffMs(10, p, () => 1)).toBe(10_000);
  });
  it("verifies a webhook signature only with the secret, the body and a fresh timestamp", () => {
    const body = '{"a":1}';
    const ts = 1_700_000_000;
    const headers = {
      "x-powershare-timestamp": String(ts),
      "x-powershare-signature": signWebhook("s", ts, body),
    };
    expect(verifyWebhook("s", headers, body, 300, ts + 10)).toBe(true);
    expect(verifyWebhook("t", headers, body, 300, ts + 10)).toBe(false);
    expect(verifyWebhook("s", headers, '{"a":2}', 300, ts + 10)).toBe(false);
    expect(verifyWebhook("s", headers, body, 300, ts + 301)).toBe(false);
  });
  it("decrypts an aes128gcm message (RFC 8291) and refuses a tampered one", () => {
    const ua = createECDH("prime256v1");
    ua.generateKeys();
    const auth = randomBytes(16);
    const msg = encryptForTest("hello push", ua.getPublicKey(), auth);
    expect(decryptWebPush(msg, ua.getPrivateKey(), ua.getPublicKey(), auth)).toBe("hello push");
    msg[msg.length - 1]! ^= 1;
    expect(() => decryptWebPush(msg, ua.getPrivateKey(), ua.getPublicKey(), auth)).toThrow();
  });
});

describe("input checks", () => {
  it("accepts ordinary email addresses and refuses the rest", () => {
    expect(checkEmail(" ada@example.org ")).toBe("ada@example.org");
    for (const bad of ["ada", "ada@", "@example.org", "ada@example", "a..b@example.org", "ada@exa mple.org"])
      expect(() => checkEmail(bad)).toThrow("is not a valid email address");
  });
  it("applies partial preference changes and refuses unknown fields", () => {
    const a = "0x00000000000000000000000000000000000000aa" as const;
    const p = applyPreferences(a, undefined, {
      email: "a@example.org",
      lowBalanceThreshold: "12.5",
      subscriptions: { sale_settled: ["email", "email", "push"] },
    });
    expect(p).toMatchObject({
      email: "a@example.org",
      lowBalanceThreshold: 12_500_000n,
      subscriptions: { sale_settled: ["email", "push"] },
    });
    expect(applyPreferences(a, p, { phone: "+15551234567" })).toMatchObject({
      email: "a@example.org",
      phone: "+15551234567",
    });
    expect(() => applyPreferences(a, p, { colour: "red" })).toThrow("unknown field colour");
    expect(() => applyPreferences(a, p, { lowBalanceThreshold: "-1" })).toThrow("lowBalanceThreshold");
    expect(() => applyPreferences(a, p, { subscriptions: { bogus: [] } })).toThrow(
      'unknown event type "bogus"',
    );
  });
  it("parses hook events into their typed form", () => {
    const a = "0x00000000000000000000000000000000000000aa";
    expect(
      parseHookEvent({ type: "low_balance", key: "k", address: a, free: "100", threshold: "200" }),
    ).toMatchObject({ free: 100n, threshold: 200n });
    expect(() =>
      parseHookEvent({ type: "low_balance", key: "k", address: a, free: "-1", threshold: "2" }),
    ).toThrow("free must be a decimal string");
    expect(() => parseHookEvent({ type: "party", key: "k", address: a })).toThrow(
      'type must be "agent_action" or "low_balance"',
    );
  });
});
