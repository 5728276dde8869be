/**
 * The gateway end to end: a private chain with a community (one seller with two asks, a second
 * seller, a BAP trading wallet with a receiving meter and its own deposit), the real indexer, the
 * gateway, and a test BAP that signs its requests and checks the gateway's signed callbacks.
 *
 * discover → select → init → confirm → status: the trade appears on chain (the ask filled, the
 * BAP's balance paid) and in the indexer (a trade by the BAP's wallet in the confirm's transaction);
 * then the slot is delivered short and settled, and the gateway tells the BAP by on_update. Every
 * callback validates against the gateway's schemas. Requests shaped as the guide's examples are
 * accepted as they are; unsigned, tampered, expired, replayed, unknown-subscriber and malformed requests are
 * refused with the protocol's NACK.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPowerShare, marketIdOf, openSlots, type PowerShare } from "@powershare/contracts/sdk";
import {
  devAccount,
  startTestStack,
  TEST_COMMUNITY,
  type TestStack,
} from "@powershare/contracts/sdk/testing";
import { startPonder, type PonderProcess } from "../../indexer/test/support/ponder.ts";
import { startGateway, type Gateway } from "../src/gateway.ts";
import { fileRegistry } from "../src/registry.ts";
import { generateSigningKeyPair } from "../src/signing.ts";
import type { CallbackAction } from "../src/schemas.ts";
import { startTestBap, type TestBap } from "./support/test-bap.ts";

/**
 * Requests shaped as the implementation guide's examples (our own, test/fixtures/guide-shaped:
 * decision 0053). DEG_EXAMPLES_DIR=<checkout>/examples/p2p-trading/v2 runs the guide's own files.
 */
const EXAMPLES =
  process.env.DEG_EXAMPLES_DIR ??
  path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "guide-shaped");
const example = (name: string) =>
  JSON.parse(readFileSync(path.join(EXAMPLES, `${name}-request.json`), "utf8")) as Record<string, any>;
const [SELLER, SELLER2, BAP_WALLET, RIVAL] = [1, 3, 2, 4];
const DEPOSIT = 10_000_000n; // 10 USDC
/** The guide's examples address this BPP id; the gateway runs under it so they reach it as they are. */
const BPP_ID = "bpp.energy-provider.com";

describe("Beckn gateway on a local chain with the indexer", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let ponder: PonderProcess;
  let gw: Gateway;
  let bap: TestBap;
  let guideBap: TestBap;
  let ps: PowerShare;
  let communityId: number;
  let slot: number;
  let sellerMeter: number;
  let bapMeter: number;
  let rivalMeter: number;
  let askId: bigint;
  let otherAskId: bigint;
  const gatewayKey = generateSigningKeyPair();
  const bapKey = generateSigningKeyPair();
  const guideKey = generateSigningKeyPair();
  let registryFile: string;

  const ctx = (action: string, txn: string, extra: Record<string, unknown> = {}) => ({
    version: "2.0.0",
    action,
    domain: "beckn.one:deg:p2p-trading:2.0.0",
    timestamp: new Date().toISOString(),
    message_id: `${txn}-${action}-${Math.random().toString(36).slice(2)}`,
    transaction_id: txn,
    bap_id: "bap.test.local",
    bap_uri: bap.callbackUrl,
    bpp_id: BPP_ID,
    bpp_uri: gw.url,
    ttl: "PT30S",
    ...extra,
  });

  /** Sends, expects the ACK, waits for the callback and checks it against the schemas. */
  async function roundTrip(b: TestBap, action: string, body: Record<string, any>) {
    const since = b.received.length;
    const res = await b.send(gw.url, action, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.ackStatus).toBe("ACK");
    expect(gw.validator.ack(res.body)).toEqual([]);
    const cbAction = (action === "search" ? "on_discover" : `on_${action}`) as CallbackAction;
    const cb = await b.waitFor(cbAction, body.context.transaction_id, since);
    expect(gw.validator.callback(cbAction, cb.body)).toEqual([]);
    return cb.body as Record<string, any>;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    const dir = mkdtempSync(path.join(tmpdir(), "gateway-e2e-"));
    const book = path.join(dir, "book.json");
    writeFileSync(book, JSON.stringify(stack.addressBook));
    ps = createPowerShare({ publicClient: stack.publicClient, addresses: stack.addresses });
    communityId = await stack.createCommunity(); // tick 0.001 USDC/kWh, min order 100 Wh, fee 1 %
    sellerMeter = await stack.onboard(SELLER, communityId, DEPOSIT, 2); // prosumer → SOLAR
    const seller2Meter = await stack.onboard(SELLER2, communityId, DEPOSIT, 3); // storage → BATTERY
    bapMeter = await stack.onboard(BAP_WALLET, communityId, DEPOSIT, 1); // consumer
    rivalMeter = await stack.onboard(RIVAL, communityId, DEPOSIT, 1); // a buyer on the dApp
    slot = openSlots(TEST_COMMUNITY, await stack.now())[1]!;
    const sell = (i: number) =>
      createPowerShare({
        publicClient: stack.publicClient,
        walletClient: stack.wallet(i),
        addresses: stack.addresses,
      });
    const p = { communityId, slotStart: slot, side: "sell" as const };
    askId = (await sell(SELLER).place({ ...p, tick: 250, amountWh: 1_000n, meterId: sellerMeter })).result
      .orderId;
    otherAskId = (await sell(SELLER2).place({ ...p, tick: 270, amountWh: 500n, meterId: seller2Meter }))
      .result.orderId;

    ponder = await startPonder({
      rpcUrl: stack.url,
      addressBook: book,
      schema: `gateway_e2e_${process.pid}`,
      logLevel: "warn",
    });
    await ponder.ready(180_000);
    await ponder.waitForBlock(Number(await stack.publicClient.getBlockNumber()), 120_000);

    bap = await startTestBap({
      subscriberId: "bap.test.local",
      uniqueKeyId: "k1",
      privateKey: bapKey.privateKey,
      gatewayPublicKey: () => gatewayKey.publicKey,
    });
    guideBap = await startTestBap({
      subscriberId: "bap.energy-consumer.com",
      uniqueKeyId: "k1",
      privateKey: guideKey.privateKey,
      gatewayPublicKey: () => gatewayKey.publicKey,
    });
    registryFile = path.join(dir, "registry.json");
    const entry = (id: string, pub: string, url: string, type = "BAP") => ({
      subscriber_id: id,
      unique_key_id: "k1",
      type,
      subscriber_url: url,
      signing_public_key: pub,
      status: "SUBSCRIBED",
    });
    writeFileSync(
      registryFile,
      JSON.stringify({
        subscribers: [
          entry("bap.test.local", bapKey.publicKey, bap.callbackUrl),
          entry("bap.energy-consumer.com", guideKey.publicKey, guideBap.callbackUrl),
          entry(BPP_ID, gatewayKey.publicKey, "http://127.0.0.1:9/beckn", "BPP"),
        ],
      }),
    );
    gw = await startGateway({
      key: { subscriberId: BPP_ID, uniqueKeyId: "k1", privateKey: gatewayKey.privateKey },
      registry: fileRegistry(registryFile),
      accounts: [{ bapId: "bap.test.local", account: devAccount(BAP_WALLET), meters: [bapMeter] }],
      publicClient: stack.publicClient,
      walletFor: () => stack.wallet(BAP_WALLET),
      addresses: stack.addresses,
      chainId: 31337,
      indexerUrl: ponder.url,
      log: pino({ level: process.env.GATEWAY_TEST_LOG ?? "silent" }),
      updateIntervalMs: 0,
      ordersFile: path.join(dir, "orders.json"),
      callback: { attempts: 2, backoffMs: 50 },
      // The test BAP's server stands in for the network's Beckn gateway (catalog_publish).
      becknGatewayUrl: bap.callbackUrl,
      publishSeconds: 3600,
    });
    await gw.idle();
  }, 240_000);

  afterAll(async () => {
    await gw?.stop();
    await bap?.close();
    await guideBap?.close();
    await ponder?.stop();
    await stack?.stop();
  });

  it("discover → select → init → confirm → status: the trade lands on chain and in the indexer", async () => {
    const txn = "txn-flow-1";
    // discover: the catalog lists both asks, with source, meter, window, kWh, price, reputation.
    const onDiscover = await roundTrip(bap, "discover", {
      context: ctx("discover", txn),
      message: { text_search: "solar" },
    });
    expect(gw.validator.packsIn(onDiscover)).toEqual(["EnergyResource", "EnergyTradeOffer"]);
    const [catalog] = onDiscover.message.catalogs;
    expect(catalog["beckn:bppId"]).toBe(BPP_ID);
    const items = catalog["beckn:items"];
    expect(items.map((i: any) => i["beckn:id"])).toEqual([`ps-ask-${askId}`]); // "solar" leaves the battery out
    const item = items[0];
    expect(item["beckn:itemAttributes"]).toMatchObject({
      sourceType: "SOLAR",
      deliveryMode: "GRID_INJECTION",
      meterId: `der://meter/${sellerMeter}`,
      availableQuantity: 1,
    });
    expect(item["beckn:itemAttributes"].productionWindow[0]["schema:startDate"]).toBe(
      new Date(slot * 1000).toISOString().replace(".000Z", "Z"),
    );
    expect(item["beckn:provider"]["beckn:providerAttributes"].reputation.scoreBps).toBeGreaterThan(0);
    const offer = catalog["beckn:offers"][0];
    expect(offer["beckn:offerAttributes"]["beckn:price"]).toEqual({
      value: 0.25,
      currency: "USDC",
      unitText: "kWh",
    });

    // The catalog was published, signed, to the network's gateway at start.
    const published = bap.received.find((r) => r.action === "catalog_publish");
    expect(published).toBeDefined();
    expect(gw.validator.catalogs((published!.body as any).message.catalogs)).toEqual([]);
    expect((published!.body as any).message.catalogs[0]["beckn:items"]).toHaveLength(2);

    // /beckn/search is the same as discover; a JSONPath filter selects the battery's ask only.
    const onSearch = await roundTrip(bap, "search", {
      context: ctx("search", "txn-search"),
      message: {
        filters: {
          type: "jsonpath",
          expression:
            "$[?(@.beckn:itemAttributes.sourceType == 'BATTERY' && @.beckn:itemAttributes.availableQuantity >= 0.5)]",
        },
      },
    });
    expect(onSearch.message.catalogs[0]["beckn:items"].map((i: any) => i["beckn:id"])).toEqual([
      `ps-ask-${otherAskId}`,
    ]);

    // select 0.4 kWh of the solar ask: quoted at 0.25 USDC/kWh.
    const order = (qty: number, extra: Record<string, unknown> = {}) => ({
      "@context":
        "https://raw.githubusercontent.com/beckn/protocol-specifications-new/refs/heads/main/schema/core/v2/context.jsonld",
      "@type": "beckn:Order",
      "beckn:id": "order-flow-1",
      "beckn:orderStatus": "CREATED",
      "beckn:seller": item["beckn:provider"]["beckn:id"],
      "beckn:buyer": {
        "@context":
          "https://raw.githubusercontent.com/beckn/protocol-specifications-new/refs/heads/main/schema/core/v2/context.jsonld",
        "@type": "beckn:Buyer",
        "beckn:id": "household-42",
        "beckn:buyerAttributes": {
          "@context": "https://example.org/EnergyBuyer/context.jsonld",
          "@type": "EnergyBuyer",
          targetMeterId: `der://meter/${bapMeter}`,
        },
      },
      "beckn:orderItems": [
        {
          "beckn:lineId": "line-1",
          "beckn:orderedItem": item["beckn:id"],
          "beckn:quantity": { unitQuantity: qty, unitText: "kWh" },
          "beckn:acceptedOffer": offer,
        },
      ],
      ...extra,
    });
    const onSelect = await roundTrip(bap, "select", {
      context: ctx("select", txn),
      message: { order: order(0.4) },
    });
    expect(onSelect.error).toBeUndefined();
    expect(onSelect.message.order["beckn:orderValue"]).toEqual({ currency: "USDC", value: 0.1 });
    expect(onSelect.message.order["beckn:orderAttributes"].contractStatus).toBe("PENDING");

    // More than the ask has is refused in the callback with the protocol's error.
    const tooMuch = await roundTrip(bap, "select", {
      context: ctx("select", "txn-too-much"),
      message: { order: { ...order(2), "beckn:id": "order-too-much" } },
    });
    expect(tooMuch.error.code).toBe("40002");
    expect(tooMuch.error.message).toMatch(/has 1 kWh left, 2 kWh ordered/);

    // init: the BAP's trading wallet pays; its meter receives.
    const onInit = await roundTrip(bap, "init", {
      context: ctx("init", txn),
      message: { order: order(0.4) },
    });
    expect(onInit.error).toBeUndefined();
    expect(onInit.message.order["beckn:payment"]["beckn:paymentStatus"]).toBe("PENDING");
    expect(onInit.message.order["beckn:payment"]["beckn:paymentAttributes"].payer).toBe(
      devAccount(BAP_WALLET).address.toLowerCase(),
    );
    expect(onInit.message.order["beckn:orderAttributes"].targetMeterId).toBe(`der://meter/${bapMeter}`);

    const before = await ps.balances(devAccount(BAP_WALLET).address);
    const onConfirm = await roundTrip(bap, "confirm", {
      context: ctx("confirm", txn),
      message: { order: order(0.4) },
    });
    expect(onConfirm.error).toBeUndefined();
    const confirmed = onConfirm.message.order;
    expect(confirmed["beckn:orderStatus"]).toBe("CONFIRMED");
    expect(confirmed["beckn:orderAttributes"].contractStatus).toBe("ACTIVE");
    const txHash = confirmed["beckn:payment"]["beckn:txnRef"] as string;
    expect(txHash).toMatch(/^0x[0-9a-f]{64}$/);

    // On chain: the ask has 400 Wh filled, the BAP's wallet paid 0.1 USDC from its own balance.
    const ask = await ps.order(askId);
    expect(ask!.filledWh).toBe(400n);
    const after = await ps.balances(devAccount(BAP_WALLET).address);
    expect(before.free - after.free).toBe(100_000n);
    const pos = await ps.position(marketIdOf(communityId, slot), devAccount(BAP_WALLET).address);
    expect(pos.boughtWh).toBe(400n);

    // In the indexer: the confirm's transaction made a 400 Wh trade taken by the BAP's wallet.
    const receipt = await stack.publicClient.getTransactionReceipt({ hash: txHash as `0x${string}` });
    await ponder.waitForBlock(Number(receipt.blockNumber));
    const indexed = await fetch(`${ponder.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `{ tradess(where: { txHash: "${txHash}" }) { items { taker amountWh value } } }`,
      }),
    }).then((r) => r.json() as Promise<any>);
    expect(indexed.data.tradess.items).toEqual([
      { taker: devAccount(BAP_WALLET).address.toLowerCase(), amountWh: "400", value: "100000" },
    ]);

    // A repeated confirm places nothing twice.
    await roundTrip(bap, "confirm", { context: ctx("confirm", txn), message: { order: order(0.4) } });
    expect((await ps.order(askId))!.filledWh).toBe(400n);

    // A second order for what is left: quoted and initialised, but a buyer on the dApp takes part
    // of the ask before the confirm; the confirm is refused, the order ends, nothing is paid.
    const order2 = { ...order(0.6), "beckn:id": "order-flow-2" };
    expect(
      (await roundTrip(bap, "select", { context: ctx("select", "txn-flow-2"), message: { order: order2 } }))
        .error,
    ).toBeUndefined();
    expect(
      (await roundTrip(bap, "init", { context: ctx("init", "txn-flow-2"), message: { order: order2 } }))
        .error,
    ).toBeUndefined();
    const rival = createPowerShare({
      publicClient: stack.publicClient,
      walletClient: stack.wallet(RIVAL),
      addresses: stack.addresses,
    });
    await rival.place({
      communityId,
      slotStart: slot,
      side: "buy",
      tick: 250,
      amountWh: 300n,
      meterId: rivalMeter,
      type: "ioc",
    });
    const balanceBefore2 = (await ps.balances(devAccount(BAP_WALLET).address)).free;
    const rejected = await roundTrip(bap, "confirm", {
      context: ctx("confirm", "txn-flow-2"),
      message: { order: order2 },
    });
    expect(rejected.error.code).toBe("40002");
    expect(rejected.error.message).toMatch(/has 0.3 kWh left, 0.6 kWh ordered/);
    expect(rejected.message.order["beckn:orderStatus"]).toBe("REJECTED");
    expect(rejected.message.order["beckn:payment"]["beckn:paymentStatus"]).toBe("FAILED");
    expect((await ps.balances(devAccount(BAP_WALLET).address)).free).toBe(balanceBefore2);
    expect((await ps.order(askId))!.filledWh).toBe(700n);

    // status: contracted 0.4 kWh, delivery pending (the slot has not started).
    const onStatus = await roundTrip(bap, "status", {
      context: ctx("status", txn),
      message: { order: { "beckn:id": "order-flow-1" } },
    });
    expect(gw.validator.packsIn(onStatus)).toEqual([
      "EnergyOrderItem",
      "EnergyTradeContract",
      "EnergyTradeDelivery",
      "EnergyTradeOffer",
    ]);
    expect(onStatus.message.order["beckn:orderAttributes"].contractedQuantity).toBe(0.4);
    expect(onStatus.message.order["beckn:fulfillment"]["beckn:deliveryAttributes"]).toMatchObject({
      deliveryStatus: "PENDING",
      deliveredQuantity: 0,
    });

    // A confirmed trade cannot be cancelled; another BAP cannot see the order.
    const onCancel = await roundTrip(bap, "cancel", {
      context: ctx("cancel", txn),
      message: { order: { "beckn:id": "order-flow-1" } },
    });
    expect(onCancel.error.code).toBe("50001");
    const guideStatus = example("status");
    guideStatus.context.transaction_id = "txn-other-bap";
    guideStatus.message.order.id = "order-flow-1";
    const notYours = await roundTrip(guideBap, "status", guideStatus);
    expect(notYours.error.code).toBe("30010");

    // The slot runs; the seller's meter reports 525 of the 700 Wh it sold (400 to the BAP, 300 to the
    // rival): it delivered 75 %, so 300 Wh of the BAP's 400 — and the BAP is told.
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 1);
    const reportTx = await stack.report([
      { meterId: sellerMeter, slotStart: slot, importedWh: 0n, exportedWh: 525n },
    ]);
    const reportReceipt = await stack.publicClient.getTransactionReceipt({ hash: reportTx });
    await ponder.waitForBlock(Number(reportReceipt.blockNumber));
    let since = bap.received.length;
    await gw.checkDeliveries();
    await gw.idle();
    const delivered = await bap.waitFor("on_update", txn, since);
    expect(gw.validator.callback("on_update", delivered.body)).toEqual([]);
    const dOrder = (delivered.body as any).message.order;
    expect(dOrder["beckn:fulfillment"]["beckn:deliveryAttributes"]).toMatchObject({
      deliveryStatus: "COMPLETED",
      deliveredQuantity: 0.3,
    });
    expect(
      dOrder["beckn:orderItems"][0]["beckn:orderItemAttributes"].fulfillmentAttributes.meterReadings[0]
        .energyFlow,
    ).toBe(0.3);

    // Settlement after the report window: the seller is paid for 300 Wh, the BAP refunded the rest.
    await stack.warpTo(slot + TEST_COMMUNITY.slotLength + 3601);
    const keeper = createPowerShare({
      publicClient: stack.publicClient,
      walletClient: stack.wallet(8),
      addresses: stack.addresses,
    });
    await keeper.claim([askId]);
    await keeper.settle(marketIdOf(communityId, slot));
    const refundTx = await keeper.claimRefund(marketIdOf(communityId, slot), devAccount(BAP_WALLET).address);
    await ponder.waitForBlock(Number(refundTx.receipt!.blockNumber));
    since = bap.received.length;
    await gw.checkDeliveries();
    await gw.idle();
    const settled = (await bap.waitFor("on_update", txn, since)).body as any;
    expect(gw.validator.callback("on_update", settled)).toEqual([]);
    const sOrder = settled.message.order;
    expect(sOrder["beckn:orderStatus"]).toBe("PARTIALLYFULFILLED");
    expect(sOrder["beckn:orderAttributes"].contractStatus).toBe("COMPLETED");
    expect(sOrder["beckn:orderAttributes"].settlementCycles[0].status).toBe("SETTLED");
    expect(sOrder["beckn:payment"]["beckn:paymentStatus"]).toBe("PARTIALLY_REFUNDED");
    const onChainRefund = (await ps.position(marketIdOf(communityId, slot), devAccount(BAP_WALLET).address))
      .refunded;
    expect(onChainRefund).toBeGreaterThan(0n);
    expect(sOrder["beckn:payment"]["beckn:paymentAttributes"].refunded).toBe(Number(onChainRefund) / 1e6);
    // Nothing changes any more: no further update.
    since = bap.received.length;
    await gw.checkDeliveries();
    await gw.idle();
    expect(bap.received.slice(since)).toEqual([]);
    expect(bap.refused).toEqual([]);

    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/powershare_gateway_orders_placed_total 1/);
    expect(metrics).toMatch(/powershare_gateway_callbacks_total\{action="on_update",outcome="delivered"\} 2/);
    const health = await fetch(`${gw.url}/health`).then((r) => r.json() as Promise<any>);
    expect(health).toMatchObject({
      status: "ok",
      signingPublicKey: gatewayKey.publicKey,
      orders: { settled: 1, rejected: 1 },
    });
  });

  it("accepts requests shaped as the guide's examples as they are and answers each with a valid callback", async () => {
    const onDiscover = await roundTrip(guideBap, "discover", example("discover"));
    // The filter asks for a production window of hours; 15-minute slots do not match it.
    expect(onDiscover.message.catalogs).toEqual([]);
    for (const [action, code] of [
      ["select", "30004"],
      ["init", "30004"],
      ["confirm", "30010"],
      ["status", "30010"],
    ] as const) {
      const body = example(action);
      body.context.transaction_id = `guide-${action}`;
      const cb = await roundTrip(guideBap, action, body);
      expect(cb.error.code, action).toBe(code);
    }
    expect(guideBap.refused).toEqual([]);
  });

  it("refuses unsigned, tampered, expired, replayed, unknown-subscriber and malformed requests", async () => {
    const body = { context: ctx("discover", "txn-refusals"), message: {} };
    const text = JSON.stringify(body);
    const post = (headers: Record<string, string>, payload = text) =>
      fetch(`${gw.url}/beckn/discover`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: payload,
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as any,
        www: r.headers.get("www-authenticate"),
      }));
    const { authorizationHeader } = await import("../src/signing.ts");
    const signed = authorizationHeader(text, {
      subscriberId: "bap.test.local",
      uniqueKeyId: "k1",
      privateKey: bapKey.privateKey,
    });
    const expectNack = (r: { status: number; body: any }, status: number, code: string, why: RegExp) => {
      expect(r.status).toBe(status);
      expect(r.body.ackStatus).toBe("NACK");
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toMatch(why);
      expect(gw.validator.ack(r.body)).toEqual([]);
    };
    const unsigned = await post({});
    expectNack(unsigned, 401, "30016", /no Authorization header/);
    expect(unsigned.www).toMatch(/^Signature realm="bpp\.energy-provider\.com"/);
    expectNack(
      await post({ authorization: signed }, text.replace("txn-refusals", "txn-refusalz")),
      401,
      "30016",
      /does not match/,
    );
    const old = Math.floor(Date.now() / 1000) - 600;
    expectNack(
      await post({
        authorization: authorizationHeader(
          text,
          { subscriberId: "bap.test.local", uniqueKeyId: "k1", privateKey: bapKey.privateKey },
          { created: old, ttlSeconds: 60 },
        ),
      }),
      401,
      "30022",
      /expired/,
    );
    expectNack(
      await post({
        authorization: authorizationHeader(
          text,
          { subscriberId: "bap.test.local", uniqueKeyId: "k1", privateKey: bapKey.privateKey },
          { ttlSeconds: 30 * 24 * 3600 },
        ),
      }),
      401,
      "30016",
      /at most 3600 s/,
    );
    const first = await post({ authorization: signed });
    expect(first.status).toBe(200);
    expectNack(await post({ authorization: signed }), 401, "30022", /replay/);
    const stranger = generateSigningKeyPair();
    expectNack(
      await post({
        authorization: authorizationHeader(text, {
          subscriberId: "bap.stranger",
          uniqueKeyId: "k1",
          privateKey: stranger.privateKey,
        }),
      }),
      401,
      "30016",
      /not in the registry/,
    );
    // A registered subscriber signing with a key that is not the registered one.
    expectNack(
      await post({
        authorization: authorizationHeader(text, {
          subscriberId: "bap.test.local",
          uniqueKeyId: "k1",
          privateKey: stranger.privateKey,
        }),
      }),
      401,
      "30016",
      /does not match/,
    );
    const sign = (t: string) =>
      authorizationHeader(t, {
        subscriberId: "bap.test.local",
        uniqueKeyId: "k1",
        privateKey: bapKey.privateKey,
      });
    expectNack(await post({ authorization: sign("{not json") }, "{not json"), 400, "30000", /not JSON/);
    const noTxn = JSON.stringify({ context: { ...body.context, transaction_id: undefined }, message: {} });
    expectNack(await post({ authorization: sign(noTxn) }, noTxn), 400, "30000", /transaction_id/);
    const badAction = JSON.stringify({ context: { ...body.context, action: "select" }, message: {} });
    expectNack(await post({ authorization: sign(badAction) }, badAction), 400, "30000", /context\/action/);
    // A BAP cannot speak for another.
    const spoof = JSON.stringify({
      context: { ...body.context, bap_id: "bap.energy-consumer.com" },
      message: {},
    });
    expectNack(await post({ authorization: sign(spoof) }, spoof), 401, "30016", /not the signer/);
    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/powershare_gateway_auth_failures_total\{reason="replayed"\} 1/);
  });
});
