/**
 * The Beckn BPP: HTTP endpoints `/beckn/{discover,search,select,init,confirm,status,cancel}`, each
 * signed request checked (signature, registry, replay, schema) and answered at once with an ACK or
 * NACK; the answer proper goes later as the signed on_* callback to the BAP. A watcher sends
 * provider-initiated `on_update`s as confirmed orders are delivered, reported and settled.
 * `/health` and `/metrics` for operators.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createPowerShare, getReportWindow, type PowerShare } from "@powershare/contracts/sdk";
import type { BapAccount } from "./bap-accounts.ts";
import { catalogs, becknOrder, type Presentation } from "./beckn-objects.ts";
import { CallbackClient } from "./callback-client.ts";
import { CatalogSource, type CatalogOptions } from "./catalog.ts";
import { IndexerClient } from "./indexer-client.ts";
import { compileFilter, FilterError } from "./jsonpath-filter.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { fingerprint, OrderBookMapping, type GatewayOrder } from "./order-book-mapping.ts";
import { OrderStore } from "./order-store.ts";
import { ack, BecknBusinessError, nack, type AckResponse, type BecknErrorName } from "./protocol-errors.ts";
import type { Registry, Subscriber } from "./registry.ts";
import {
  describeProblems,
  REQUEST_ACTIONS,
  SchemaValidator,
  type CallbackAction,
  type RequestAction,
} from "./schemas.ts";
import {
  parseAuthorization,
  publicKeyOf,
  SignatureError,
  verifySignature,
  type SigningKey,
} from "./signing.ts";
import type { AnyPublicClient, AnyWalletClient, PowerShareAddresses } from "@powershare/contracts/sdk";

export interface GatewayOptions {
  /** This BPP's subscriber id, unique key id and ed25519 private key (BECKN_PARTICIPANT_ID, BECKN_UNIQUE_KEY_ID, BECKN_PRIVATE_KEY). */
  key: SigningKey;
  /** The public URL BAPs reach this BPP at (bpp_uri). */
  publicUrl?: string;
  registry: Registry;
  accounts: BapAccount[];
  publicClient: AnyPublicClient;
  /** Builds a wallet client for a BAP trading account. */
  walletFor(account: BapAccount): AnyWalletClient;
  addresses: PowerShareAddresses;
  chainId: number;
  indexerUrl: string;
  log: Logger;
  host?: string;
  port?: number;
  /** Orders file (kept across restarts); in memory only when absent. */
  ordersFile?: string;
  currency?: string;
  quoteDecimals?: number;
  catalog?: CatalogOptions;
  /** How often confirmed orders are checked for delivery/settlement changes (ms); 0 disables. */
  updateIntervalMs?: number;
  /** Clock skew tolerated on signature times (s). */
  skewSeconds?: number;
  maxBodyBytes?: number;
  /** Longest validity (expires − created) a request signature may claim, seconds (default 3600). */
  maxSignatureTtlSeconds?: number;
  callback?: { attempts?: number; backoffMs?: number; timeoutMs?: number };
  /** The network's Beckn gateway / discovery service: the catalog is published there (catalog_publish). */
  becknGatewayUrl?: string | undefined;
  publishSeconds?: number;
}

export interface Gateway {
  url: string;
  server: Server;
  metrics: GatewayMetrics;
  store: OrderStore;
  validator: SchemaValidator;
  /** Resolves when every callback started so far has been sent (tests). */
  idle(): Promise<void>;
  /** Runs one pass of the delivery watcher now (tests, and the timer). */
  checkDeliveries(): Promise<void>;
  /** Publishes the catalog to the Beckn gateway now (when one is configured). */
  publishCatalog(): Promise<boolean>;
  stop(): Promise<void>;
}

const ACTION_PATHS = new Map<string, RequestAction>(REQUEST_ACTIONS.map((a) => [`/beckn/${a}`, a]));

class Refusal extends Error {
  readonly status: number;
  readonly errorName: BecknErrorName;
  readonly authReason: string | undefined;
  constructor(status: number, errorName: BecknErrorName, message: string, authReason?: string) {
    super(message);
    this.status = status;
    this.errorName = errorName;
    this.authReason = authReason;
  }
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log;
  const metrics = createMetrics();
  const validator = new SchemaValidator();
  const store = new OrderStore(opts.ordersFile);
  const indexer = new IndexerClient(opts.indexerUrl);
  const catalog = new CatalogSource(indexer, opts.catalog);
  const callbacks = new CallbackClient(opts.key, log, metrics, opts.callback);
  const publicPs = createPowerShare({
    publicClient: opts.publicClient,
    addresses: opts.addresses,
    indexerUrl: opts.indexerUrl,
  });
  const accounts = new Map(opts.accounts.map((a) => [a.bapId, a]));
  const clients = new Map<string, PowerShare>();
  let reportWindow: number | undefined;
  const mapping = new OrderBookMapping({
    publicPs,
    psFor(account) {
      let ps = clients.get(account.bapId);
      if (!ps) {
        ps = createPowerShare({
          publicClient: opts.publicClient,
          walletClient: opts.walletFor(account),
          addresses: opts.addresses,
        });
        clients.set(account.bapId, ps);
      }
      return ps;
    },
    accounts,
    catalog,
    indexer,
    chainId: opts.chainId,
    async reportWindowSeconds() {
      reportWindow ??= await getReportWindow(publicPs.ctx);
      return reportWindow;
    },
  });
  const presentation = (): Presentation => ({
    bppId: opts.key.subscriberId,
    bppUri: opts.publicUrl ?? url,
    currency: opts.currency ?? "USDC",
    quoteDecimals: opts.quoteDecimals ?? 6,
  });

  const signingPublicKey = publicKeyOf(opts.key.privateKey);

  // ---------------------------------------------------------------- replay protection
  const seen = new Map<string, number>(); // signature → expires
  const sweepSeen = (now: number) => {
    for (const [sig, exp] of seen) if (exp + (opts.skewSeconds ?? 30) < now) seen.delete(sig);
  };

  // ---------------------------------------------------------------- async work tracking
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  // One order's steps run one after another (a status racing its confirm sees the confirm done).
  const orderLocks = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = orderLocks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    orderLocks.set(key, tail);
    void tail.then(() => {
      if (orderLocks.get(key) === tail) orderLocks.delete(key);
    });
    return next;
  };

  // ---------------------------------------------------------------- the answers
  function callbackContext(ctx: Record<string, unknown>, action: CallbackAction) {
    const p = presentation();
    return {
      ...ctx,
      action,
      version: "2.0.0",
      bpp_id: p.bppId,
      bpp_uri: p.bppUri,
      message_id: randomUUID(),
      timestamp: new Date().toISOString(),
    };
  }

  async function answer(
    subscriber: Subscriber,
    action: CallbackAction,
    ctx: Record<string, unknown>,
    started: number,
    build: () => Promise<{ message?: unknown; error?: BecknBusinessError }>,
  ) {
    let body: Record<string, unknown>;
    try {
      const { message, error } = await build();
      body = {
        context: callbackContext(ctx, action),
        ...(message ? { message } : {}),
        ...(error ? { error: error.toError() } : {}),
      };
      if (error) metrics.businessErrors.inc({ action, code: error.toError().code });
    } catch (err) {
      const e =
        err instanceof BecknBusinessError
          ? err
          : new BecknBusinessError("INTERNAL_ERROR", "the gateway could not answer; try again"); // details stay in the log
      if (!(err instanceof BecknBusinessError)) log.error({ err, action }, "answer failed");
      metrics.businessErrors.inc({ action, code: e.toError().code });
      body = { context: callbackContext(ctx, action), error: e.toError() };
    }
    const problems = validator.callback(action, body);
    if (problems.length) {
      metrics.callbacks.inc({ action, outcome: "invalid" });
      log.error({ action, problems }, "an answer failed its schema; sending an internal error instead");
      body = {
        context: callbackContext(ctx, action),
        error: new BecknBusinessError(
          "INTERNAL_ERROR",
          "the gateway built an answer that fails the schema",
        ).toError(),
      };
    }
    await callbacks.send(subscriber.subscriberUrl, action, body);
    metrics.handleSeconds.observe({ action }, (Date.now() - started) / 1000);
  }

  const orderIdOf = (order: Record<string, unknown>) => String(order["beckn:id"] ?? order.id ?? "");

  async function handle(
    action: RequestAction,
    subscriber: Subscriber,
    body: Record<string, unknown>,
    started: number,
  ) {
    const ctx = body.context as Record<string, unknown>;
    const message = body.message as Record<string, unknown>;
    const bapId = subscriber.subscriberId;
    const txId = String(ctx.transaction_id);
    switch (action) {
      case "discover":
      case "search":
        return answer(subscriber, "on_discover", ctx, started, async () => {
          const now = await publicPs.now();
          const entries = await catalog.entries(now);
          metrics.catalogItems.set(entries.length);
          const p = presentation();
          const filters = message.filters as { expression: string } | undefined;
          const words = String(message.text_search ?? "")
            .toLowerCase()
            .split(/\W+/)
            .filter((w) => w.length > 2);
          let predicate: ((item: unknown) => boolean) | undefined;
          if (filters) {
            try {
              predicate = compileFilter(filters.expression);
            } catch (err) {
              if (err instanceof FilterError)
                throw new BecknBusinessError("INVALID_REQUEST", `filters.expression: ${err.message}`);
              throw err;
            }
          }
          const cats = catalogs(entries, p)
            .map((c) => {
              const keep = c["beckn:items"].filter((item) => {
                const text = JSON.stringify([
                  item["beckn:descriptor"],
                  item["beckn:itemAttributes"].sourceType,
                  "grid injection energy",
                ]).toLowerCase();
                return (!predicate || predicate(item)) && words.every((w) => text.includes(w));
              });
              const ids = new Set(keep.map((i) => i["beckn:id"]));
              return {
                ...c,
                "beckn:items": keep,
                "beckn:offers": c["beckn:offers"].filter((o) => ids.has(o["beckn:items"][0]!)),
              };
            })
            .filter((c) => c["beckn:items"].length > 0);
          return { message: { catalogs: cats } };
        });
      case "select":
      case "init":
      case "confirm": {
        const order = message.order as Record<string, unknown>;
        const orderId = orderIdOf(order) || `ps-${txId}`;
        const cb = `on_${action}` as CallbackAction;
        return serial(`${bapId}/${orderId}`, () =>
          answer(subscriber, cb, ctx, started, async () => {
            if (action === "confirm") return confirm(bapId, txId, orderId, order);
            const existing = store.get(bapId, orderId);
            if (existing && !["selected", "initialized"].includes(existing.state)) {
              throw new BecknBusinessError(
                "INVALID_REQUEST",
                `order ${orderId} is already ${existing.state}`,
              );
            }
            const { lines, seller } = await mapping.quote(order);
            const total = lines.reduce((a, l) => a + l.valueBase, 0n);
            let payer: string | undefined;
            let targetMeterId: number | undefined;
            if (action === "init") {
              const b = await mapping.buyer(bapId, order, lines);
              const free = await mapping.freeBalance(b.account);
              if (free < total) {
                throw new BecknBusinessError(
                  "PAYMENT_NOT_AUTHORIZED",
                  `${bapId}'s trading account has ${Number(free) / 1e6} USDC free in the market, the order costs ${Number(total) / 1e6} USDC`,
                );
              }
              payer = b.account.account.address.toLowerCase();
              targetMeterId = b.meterId;
            }
            const now = Math.floor(Date.now() / 1000);
            const o: GatewayOrder = {
              bapId,
              transactionId: txId,
              orderId,
              state: action === "init" ? "initialized" : "selected",
              seller,
              buyer: (order["beckn:buyer"] as Record<string, unknown>) ?? {},
              targetMeterId,
              lines,
              window: {
                start: Math.min(...lines.map((l) => l.entry.slotStart)),
                end: Math.max(...lines.map((l) => l.entry.slotEnd)),
              },
              payment: {
                status: action === "init" ? "PENDING" : "INITIATED",
                amountBase: total,
                payer,
                chainId: opts.chainId,
                market: opts.addresses.market.toLowerCase(),
                token: opts.addresses.quoteToken.toLowerCase(),
              },
              createdAt: existing?.createdAt ?? now,
              updatedAt: now,
            };
            store.put(o);
            return { message: { order: becknOrder(o, presentation()) } };
          }),
        );
      }
      case "status":
      case "cancel": {
        const orderId = orderIdOf(message.order as Record<string, unknown>);
        const cb = `on_${action}` as CallbackAction;
        return serial(`${bapId}/${orderId}`, () =>
          answer(subscriber, cb, ctx, started, async () => {
            const o = store.get(bapId, orderId);
            if (!o) throw new BecknBusinessError("ORDER_NOT_FOUND", `${bapId} has no order ${orderId} here`);
            if (action === "cancel") {
              if (o.state === "selected" || o.state === "initialized") {
                o.state = "cancelled";
                o.payment.status = "CANCELLED";
                o.updatedAt = Math.floor(Date.now() / 1000);
                store.put(o);
                return { message: { order: becknOrder(o, presentation()) } };
              }
              const d = o.placed ? await mapping.delivery(o) : undefined;
              return {
                message: { order: becknOrder(o, presentation(), d) },
                error: new BecknBusinessError(
                  "CANCELLATION_NOT_POSSIBLE",
                  o.placed
                    ? `order ${orderId} traded on chain in transaction ${o.placed.txHash}; a trade is final — delivery shortfalls are refunded at settlement`
                    : `order ${orderId} is ${o.state}`,
                ),
              };
            }
            if (!o.placed) return { message: { order: becknOrder(o, presentation()) } };
            const d = await mapping.delivery(o);
            applySettlement(o, d);
            o.lastDelivery = fingerprint(d);
            store.put(o);
            return { message: { order: becknOrder(o, presentation(), d) } };
          }),
        );
      }
    }
  }

  function applySettlement(o: GatewayOrder, d: Awaited<ReturnType<OrderBookMapping["delivery"]>>) {
    if (!d.settled || o.state !== "confirmed") return;
    const refund = d.markets.reduce((a, m) => a + m.refundBase, 0n);
    o.state = "settled";
    o.payment.refundBase = refund;
    o.payment.status = refund > 0n ? "PARTIALLY_REFUNDED" : "SETTLED";
    o.updatedAt = d.at;
  }

  async function confirm(bapId: string, txId: string, orderId: string, order: Record<string, unknown>) {
    const o = store.get(bapId, orderId);
    if (!o)
      throw new BecknBusinessError(
        "ORDER_NOT_FOUND",
        `order ${orderId} has no init: send init first, then confirm the quote`,
      );
    if (o.state === "confirmed" || o.state === "settled") {
      // Idempotent: a repeated confirm gets the same answer, nothing is placed twice.
      return { message: { order: becknOrder(o, presentation()) } };
    }
    if (o.state !== "initialized")
      throw new BecknBusinessError("INVALID_REQUEST", `order ${orderId} is ${o.state}, not initialized`);
    try {
      // The market may have moved since init: quote again (on-chain quantities), then trade.
      const { lines } = await mapping.quote(order);
      const same =
        lines.length === o.lines.length &&
        lines.every(
          (l, i) =>
            l.entry.askOrderId === o.lines[i]!.entry.askOrderId && l.amountWh === o.lines[i]!.amountWh,
        );
      if (!same) {
        throw new BecknBusinessError(
          "INVALID_REQUEST",
          `the confirmed items differ from those of init for order ${orderId}`,
        );
      }
      const b = await mapping.buyer(bapId, order, lines);
      const placed = await mapping.place(b.account, b.meterId, o.lines);
      o.placed = placed;
      o.state = "confirmed";
      o.transactionId = txId;
      o.payment = {
        ...o.payment,
        status: "AUTHORIZED",
        amountBase: placed.valueBase,
        txHash: placed.txHash,
        paidAt: await publicPs.now(),
      };
      o.updatedAt = Math.floor(Date.now() / 1000);
      store.put(o);
      metrics.ordersPlaced.inc();
      metrics.energyBoughtWh.inc(Number(placed.filledWh));
      log.info(
        { bapId, orderId, txHash: placed.txHash, filledWh: placed.filledWh.toString() },
        "order placed on chain",
      );
      return { message: { order: becknOrder(o, presentation()) } };
    } catch (err) {
      // A confirm that does not match its init leaves the quote as it was; what the market or the
      // book refused ends the order (the BAP starts again from select).
      if (err instanceof BecknBusinessError && err.errorName !== "INVALID_REQUEST") {
        o.state = "rejected";
        o.payment.status = "FAILED";
        o.updatedAt = Math.floor(Date.now() / 1000);
        store.put(o);
        return { message: { order: becknOrder(o, presentation()) }, error: err };
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- provider-initiated updates
  async function checkDeliveries() {
    const list = store.following();
    metrics.ordersFollowed.set(list.length);
    for (const o of list) {
      await serial(`${o.bapId}/${o.orderId}`, async () => {
        const current = store.get(o.bapId, o.orderId)!;
        if (current.state !== "confirmed" || !current.placed) return;
        let d;
        try {
          d = await mapping.delivery(current);
        } catch (err) {
          log.warn({ err: (err as Error).message, orderId: o.orderId }, "delivery check failed");
          return;
        }
        const fp = fingerprint(d);
        if (fp === current.lastDelivery) return;
        applySettlement(current, d);
        current.lastDelivery = fp;
        store.put(current);
        const subscriber = opts.registry
          .all()
          .find((s) => s.subscriberId === current.bapId && s.status === "SUBSCRIBED");
        if (!subscriber) return;
        const ctx = {
          domain: "beckn.one:deg:p2p-trading:2.0.0",
          bap_id: current.bapId,
          bap_uri: subscriber.subscriberUrl,
          transaction_id: current.transactionId,
        };
        await answer(subscriber, "on_update", ctx, Date.now(), async () => ({
          message: { order: becknOrder(current, presentation(), d) },
        }));
      });
    }
  }

  // ---------------------------------------------------------------- catalog publishing
  async function publishCatalog(): Promise<boolean> {
    if (!opts.becknGatewayUrl) return false;
    const now = await publicPs.now();
    const entries = await catalog.entries(now);
    metrics.catalogItems.set(entries.length);
    const p = presentation();
    const body = {
      context: {
        version: "2.0.0",
        action: "catalog_publish",
        domain: "beckn.one:deg:p2p-trading:2.0.0",
        bpp_id: p.bppId,
        bpp_uri: p.bppUri,
        transaction_id: randomUUID(),
        message_id: randomUUID(),
        timestamp: new Date().toISOString(),
      },
      message: { catalogs: catalogs(entries, p) },
    };
    const problems = validator.catalogs(body.message.catalogs);
    if (problems.length) {
      log.error({ problems }, "the catalog fails its schema; not published");
      return false;
    }
    return (await callbacks.send(opts.becknGatewayUrl, "catalog_publish", body)).delivered;
  }

  // ---------------------------------------------------------------- HTTP
  function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const max = opts.maxBodyBytes ?? 1_000_000;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > max) throw new Refusal(413, "INVALID_REQUEST", `the body is larger than ${max} bytes`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  function authenticate(req: IncomingMessage, raw: Buffer): Subscriber {
    try {
      const auth = parseAuthorization(req.headers.authorization);
      const subscriber = opts.registry.lookup(auth.subscriberId, auth.uniqueKeyId);
      if (!subscriber) {
        throw new SignatureError(
          "unknown-subscriber",
          `subscriber ${auth.subscriberId} with key ${auth.uniqueKeyId} is not in the registry`,
        );
      }
      const now = Math.floor(Date.now() / 1000);
      verifySignature(raw, auth, subscriber.signingPublicKey, { now, skewSeconds: opts.skewSeconds ?? 30 });
      // A signature valid for long would stay replayable-checked in memory for long: cap it.
      const maxTtl = opts.maxSignatureTtlSeconds ?? 3600;
      if (auth.expires - auth.created > maxTtl) {
        throw new SignatureError(
          "malformed",
          `a signature may be valid for at most ${maxTtl} s (expires − created)`,
        );
      }
      sweepSeen(now);
      if (seen.has(auth.signature))
        throw new SignatureError("replayed", "this signed request was already received (replay)");
      seen.set(auth.signature, auth.expires);
      return subscriber;
    } catch (err) {
      if (err instanceof SignatureError) {
        const stale = ["expired", "not-yet-valid", "replayed"].includes(err.reason);
        throw new Refusal(401, stale ? "STALE_REQUEST" : "INVALID_SIGNATURE", err.message, err.reason);
      }
      throw err;
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/health") {
      const block = await opts.publicClient.getBlockNumber().then(Number, () => undefined);
      const indexed = await indexer.indexedBlock();
      const ok = block !== undefined;
      return reply(res, ok ? 200 : 503, {
        status: ok ? "ok" : "degraded",
        subscriberId: opts.key.subscriberId,
        uniqueKeyId: opts.key.uniqueKeyId,
        signingPublicKey: signingPublicKey,
        chainBlock: block ?? null,
        indexerBlock: indexed ?? null,
        orders: store.count(),
      });
    }
    if (req.method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      return res.end(await metrics.registry.metrics());
    }
    const action = ACTION_PATHS.get(path);
    if (!action)
      return reply(res, 404, nack("", "INVALID_REQUEST", `no such endpoint: ${req.method} ${path}`));
    if (req.method !== "POST")
      return reply(res, 405, nack("", "INVALID_REQUEST", `${path} takes POST`), { allow: "POST" });
    const started = Date.now();
    let txId = "";
    try {
      const raw = await readBody(req);
      const subscriber = authenticate(req, raw);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new Refusal(400, "INVALID_REQUEST", "the body is not JSON");
      }
      txId = String((body as { context?: { transaction_id?: unknown } })?.context?.transaction_id ?? "");
      const problems = validator.request(action, body);
      if (problems.length) throw new Refusal(400, "INVALID_REQUEST", describeProblems(problems));
      const ctx = (body as { context: Record<string, unknown> }).context;
      if (subscriber.type !== "BAP" && subscriber.type !== "BG") {
        throw new Refusal(
          401,
          "INVALID_SIGNATURE",
          `subscriber ${subscriber.subscriberId} is a ${subscriber.type}, not a BAP`,
        );
      }
      if (ctx.bap_id !== subscriber.subscriberId && subscriber.type === "BAP") {
        throw new Refusal(
          401,
          "INVALID_SIGNATURE",
          `context.bap_id ${String(ctx.bap_id)} is not the signer ${subscriber.subscriberId}`,
        );
      }
      if (
        ctx.bpp_id !== undefined &&
        ctx.bpp_id !== opts.key.subscriberId &&
        action !== "discover" &&
        action !== "search"
      ) {
        throw new Refusal(
          400,
          "INVALID_REQUEST",
          `context.bpp_id ${String(ctx.bpp_id)} is not this BPP (${opts.key.subscriberId})`,
        );
      }
      const answerTo =
        subscriber.type === "BAP"
          ? subscriber
          : opts.registry
              .all()
              .find((s) => s.subscriberId === ctx.bap_id && s.type === "BAP" && s.status === "SUBSCRIBED");
      if (!answerTo)
        throw new Refusal(400, "INVALID_REQUEST", `BAP ${String(ctx.bap_id)} is not in the registry`);
      const a: AckResponse = ack(txId);
      metrics.requests.inc({ action, answer: "ACK" });
      reply(res, 200, a);
      track(
        handle(action, answerTo, body as Record<string, unknown>, started).catch((err) =>
          log.error({ err, action }, "handler failed"),
        ),
      );
    } catch (err) {
      if (err instanceof Refusal) {
        const n = nack(txId, err.errorName, err.message);
        metrics.requests.inc({ action, answer: n.error!.code });
        if (err.authReason) metrics.authFailures.inc({ reason: err.authReason });
        log.info({ action, status: err.status, code: n.error!.code, why: err.message }, "request refused");
        const headers: Record<string, string> =
          err.status === 401
            ? {
                "www-authenticate": `Signature realm="${opts.key.subscriberId}",headers="(created) (expires) digest"`,
              }
            : {};
        return reply(res, err.status, n, headers);
      }
      log.error({ err, action }, "request failed");
      metrics.requests.inc({ action, answer: "50000" });
      return reply(res, 500, nack(txId, "INTERNAL_ERROR", "the gateway failed to take the request"));
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      log.error({ err }, "unhandled");
      if (!res.headersSent) reply(res, 500, nack("", "INTERNAL_ERROR", "unhandled error"));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const addr = server.address() as { port: number };
  const url = `http://${opts.host ?? "127.0.0.1"}:${addr.port}`;
  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  if ((opts.updateIntervalMs ?? 5000) > 0) {
    timer = setInterval(() => {
      if (checking) return;
      checking = true;
      const p = checkDeliveries().finally(() => (checking = false));
      track(p);
    }, opts.updateIntervalMs ?? 5000);
  }
  let publisher: NodeJS.Timeout | undefined;
  if (opts.becknGatewayUrl) {
    const run = () =>
      track(
        publishCatalog().catch((err) => log.warn({ err: (err as Error).message }, "catalog publish failed")),
      );
    run();
    publisher = setInterval(run, (opts.publishSeconds ?? 60) * 1000);
  }
  log.info({ url, subscriberId: opts.key.subscriberId }, "Beckn gateway listening");
  return {
    url,
    server,
    metrics,
    store,
    validator,
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    checkDeliveries,
    publishCatalog,
    async stop() {
      if (timer) clearInterval(timer);
      if (publisher) clearInterval(publisher);
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
