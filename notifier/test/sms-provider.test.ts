/** The Twilio SMS provider's requests (form body, basic auth) and its errors, against a local stand-in. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smsProviderFromEnv, SmsError, TwilioSmsProvider } from "../src/channels/sms.ts";

let server: Server;
let url: string;
const seen: { path: string; auth: string; body: URLSearchParams }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => {
      const body = new URLSearchParams(b);
      seen.push({ path: req.url ?? "", auth: req.headers.authorization ?? "", body });
      const to = body.get("To");
      if (to === "+15550000500") return void res.writeHead(503).end(JSON.stringify({ message: "try later" }));
      if (to === "+15550000400")
        return void res.writeHead(400).end(JSON.stringify({ message: "invalid To number" }));
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ sid: "SM123" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("Twilio SMS provider", () => {
  it("posts the message form with basic auth and returns the message sid", async () => {
    const p = new TwilioSmsProvider({
      accountSid: "AC1",
      authToken: "tok",
      from: "+15551112222",
      apiUrl: url,
    });
    await expect(p.send("+4915112345678", "Your buy order was fully filled")).resolves.toBe("SM123");
    const r = seen.at(-1)!;
    expect(r.path).toBe("/2010-04-01/Accounts/AC1/Messages.json");
    expect(r.auth).toBe(`Basic ${Buffer.from("AC1:tok").toString("base64")}`);
    expect(Object.fromEntries(r.body)).toEqual({
      To: "+4915112345678",
      From: "+15551112222",
      Body: "Your buy order was fully filled",
    });
  });
  it("retries on 5xx, not on a refused number", async () => {
    const p = new TwilioSmsProvider({ accountSid: "AC1", authToken: "tok", from: "+1", apiUrl: url });
    const e5 = await p.send("+15550000500", "x").catch((e: unknown) => e);
    expect(e5).toBeInstanceOf(SmsError);
    expect(e5).toMatchObject({
      retry: true,
      statusCode: 503,
      message: "the SMS provider answered HTTP 503: try later",
    });
    const e4 = await p.send("+15550000400", "x").catch((e: unknown) => e);
    expect(e4).toMatchObject({
      retry: false,
      statusCode: 400,
      message: "the SMS provider answered HTTP 400: invalid To number",
    });
  });
  it("is chosen by SMS_PROVIDER, with a sentence for what is missing", () => {
    expect(smsProviderFromEnv({})).toBeUndefined();
    expect(smsProviderFromEnv({ SMS_PROVIDER: "recording" })?.name).toBe("recording");
    expect(() => smsProviderFromEnv({ SMS_PROVIDER: "twilio" })).toThrow(
      "needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM",
    );
    expect(() => smsProviderFromEnv({ SMS_PROVIDER: "pigeon" })).toThrow('unknown SMS_PROVIDER "pigeon"');
  });
});
