/** The notifier assembled: store, chain source, outbox, dispatcher with its channels, HTTP API. */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { pino, type Logger } from "pino";
import type { AnyPublicClient, PowerShareAddresses } from "@powershare/contracts/sdk";
import { ensurePostgresSchema, openPostgres, openSqlite, type Database } from "./store/database.ts";
import { migrate } from "./store/schema.ts";
import { NotifierStore } from "./store/notifier-store.ts";
import { Outbox } from "./outbox.ts";
import { ChainSource } from "./chain/chain-source.ts";
import { Dispatcher } from "./delivery/dispatcher.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./delivery/backoff.ts";
import { NotifierMetrics } from "./metrics.ts";
import { SiweSessions } from "./auth/siwe-sessions.ts";
import { createApi } from "./api/http-api.ts";
import { EmailSender } from "./channels/email.ts";
import { WebhookSender } from "./channels/webhook.ts";
import { WebPushSender, type VapidKeys } from "./channels/web-push.ts";
import { SmsSender, type SmsProvider } from "./channels/sms.ts";
import { InAppSender } from "./channels/in-app.ts";
import type { ChannelSender } from "./channels/channel.ts";
import type { Channel } from "./events.ts";

export interface NotifierConfig {
  publicClient: AnyPublicClient;
  addresses: PowerShareAddresses;
  chainId: number;
  /** SQLite file (default) … */
  sqlitePath?: string | undefined;
  /** … or PostgreSQL (DATABASE_URL) with a schema of its own. */
  databaseUrl?: string | undefined;
  pgSchema?: string | undefined;
  confirmations: number;
  pollMs?: number | undefined;
  maxRange?: bigint | undefined;
  port: number;
  host?: string | undefined;
  /** The SIWE domain messages must name (default host:port of the API). */
  siweDomain?: string | undefined;
  smtp?: { url: string; from: string } | undefined;
  vapid?: VapidKeys | undefined;
  /** Extra CA certificates for push services (PEM). */
  pushCa?: string | Buffer | undefined;
  sms?: SmsProvider | undefined;
  allowPrivateWebhooks?: boolean | undefined;
  maxWebhooksPerAddress?: number | undefined;
  corsOrigins?: string[] | "*" | undefined;
  webhookTimeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  concurrency?: number | undefined;
  leaseMs?: number | undefined;
  adminToken?: string | undefined;
  hookToken?: string | undefined;
  sessionTtlMs?: number | undefined;
  logger?: Logger | undefined;
}

export interface RunningNotifier {
  url: string;
  store: NotifierStore;
  outbox: Outbox;
  source: ChainSource;
  dispatcher: Dispatcher;
  inApp: InAppSender;
  metrics: NotifierMetrics;
  server: Server;
  stop(): Promise<void>;
}

export async function openStore(
  c: Pick<NotifierConfig, "sqlitePath" | "databaseUrl" | "pgSchema">,
): Promise<NotifierStore> {
  let db: Database;
  if (c.databaseUrl) {
    const schema = c.pgSchema ?? "notifier";
    await ensurePostgresSchema(c.databaseUrl, schema);
    db = openPostgres(c.databaseUrl, schema);
  } else db = openSqlite(c.sqlitePath ?? "notifier.sqlite");
  await migrate(db);
  return new NotifierStore(db);
}

export async function startNotifier(c: NotifierConfig): Promise<RunningNotifier> {
  const log = c.logger ?? pino({ name: "notifier" });
  const metrics = new NotifierMetrics();
  const store = await openStore(c);
  const outbox = new Outbox(store);
  const ctx = { publicClient: c.publicClient, addresses: c.addresses };
  const source = new ChainSource(ctx, store, outbox, log, metrics, {
    confirmations: c.confirmations,
    maxRange: c.maxRange ?? 2_000n,
    pollMs: c.pollMs ?? 1_000,
  });
  const inApp = new InAppSender(store);
  const senders: Partial<Record<Channel, ChannelSender>> = {
    inapp: inApp,
    webhook: new WebhookSender(store, {
      allowPrivate: !!c.allowPrivateWebhooks,
      timeoutMs: c.webhookTimeoutMs ?? 10_000,
    }),
  };
  if (c.smtp) senders.email = new EmailSender({ smtpUrl: c.smtp.url, from: c.smtp.from });
  if (c.vapid)
    senders.push = new WebPushSender(store, c.vapid, {
      ca: c.pushCa,
      allowPrivate: !!c.allowPrivateWebhooks,
    });
  if (c.sms) senders.sms = new SmsSender(c.sms);
  const dispatcher = new Dispatcher(store, senders, log, metrics, {
    retry: { ...DEFAULT_RETRY, ...c.retry },
    concurrency: c.concurrency ?? 32,
    leaseMs: c.leaseMs ?? 60_000,
    pollMs: 250,
  });
  outbox.onQueued(() => dispatcher.kick());

  let domain = c.siweDomain;
  const sessionsHolder: { s?: SiweSessions } = {};
  const server = createApi({
    store,
    outbox,
    get sessions() {
      return sessionsHolder.s!;
    },
    inApp,
    metrics,
    log,
    allowPrivateWebhooks: !!c.allowPrivateWebhooks,
    maxWebhooksPerAddress: c.maxWebhooksPerAddress ?? 10,
    corsOrigins: c.corsOrigins ?? "*",
    vapidPublicKey: c.vapid?.publicKey,
    adminToken: c.adminToken,
    hookToken: c.hookToken,
    health: async () => {
      const chain = source.health();
      const healthy =
        chain.lastError === null && Date.now() - chain.lastPollAt < Math.max(30_000, (c.pollMs ?? 1000) * 10);
      const counts = await store.counts();
      const by = (status: string) => counts.filter((x) => x.status === status).reduce((s, x) => s + x.n, 0);
      return {
        healthy,
        chain,
        confirmations: c.confirmations,
        channels: Object.keys(senders),
        deliveries: {
          queued: by("queued") + by("sending"),
          sent: by("sent"),
          failed: by("failed"),
          cancelled: by("cancelled"),
        },
        database: store.db.kind,
      };
    },
  });
  await new Promise<void>((res) => server.listen(c.port, c.host ?? "127.0.0.1", res));
  const port = (server.address() as AddressInfo).port;
  const host = c.host ?? "127.0.0.1";
  domain ??= `${host}:${port}`;
  sessionsHolder.s = new SiweSessions(store, c.publicClient, {
    domain,
    chainId: c.chainId,
    sessionTtlMs: c.sessionTtlMs ?? 24 * 3600_000,
    nonceTtlMs: 15 * 60_000,
  });
  dispatcher.start();
  source.start();
  log.info(
    {
      url: `http://${host}:${port}`,
      confirmations: c.confirmations,
      database: store.db.kind,
      channels: Object.keys(senders),
    },
    "notifier started",
  );

  return {
    url: `http://${host}:${port}`,
    store,
    outbox,
    source,
    dispatcher,
    inApp,
    metrics,
    server,
    async stop() {
      await source.stop();
      await dispatcher.stop();
      await inApp.close();
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
      await store.db.close();
    },
  };
}
