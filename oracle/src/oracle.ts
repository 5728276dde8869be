/** Wires the oracle together: broker or MQTT source -> ingestor -> store -> aggregator -> reports -> sink. */
import { join } from "node:path";
import { createPublicClient, defineChain, http, webSocket, type Chain, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { scaledClock, systemClock, type Clock } from "./clock/clock.ts";
import { DEV_ORACLE_PRIVATE_KEY, type OracleConfig } from "./config/config.ts";
import type { MeterDirectory } from "./directory/directory.ts";
import { JsonFileMeterDirectory, readMetersFile } from "./directory/json-file.ts";
import { Aggregator } from "./aggregate/aggregator.ts";
import { EmbeddedBroker } from "./broker/embedded.ts";
import { ChainMeterDirectory } from "./chain/meter-directory.ts";
import { ChainReportSink } from "./chain/report-sink.ts";
import { ChainSalesView, type SalesView } from "./chain/sales-view.ts";
import { Metrics, declareOracleMetrics } from "./http/metrics.ts";
import { OpsServer } from "./http/server.ts";
import { Ingestor } from "./ingest/ingestor.ts";
import { MqttReadingSource } from "./ingest/mqtt-source.ts";
import { createSignatureVerifier } from "./ingest/signature-verifier.ts";
import { createLogger, type Logger } from "./log/logger.ts";
import { ReportCoordinator } from "./report/coordinator.ts";
import { MqttSignatureExchange, type SignatureExchange } from "./report/exchange.ts";
import type { ReportSink } from "./report/sink.ts";
import { SilenceWatcher } from "./silence/watcher.ts";
import { Store } from "./store/store.ts";

export interface OracleOverrides {
  logger?: Logger;
  clock?: Clock;
  directory?: MeterDirectory;
  sink?: ReportSink;
  /** Where the silence watcher reads the markets' sellers (default: the chain, when RPC_URL is set). */
  sales?: SalesView;
  /** Disable the periodic tick (tests drive `tick()` by hand). */
  manualTick?: boolean;
}

export interface Oracle {
  config: OracleConfig;
  store: Store;
  metrics: Metrics;
  ingestor: Ingestor;
  directory: MeterDirectory;
  aggregator: Aggregator;
  coordinator: ReportCoordinator;
  /** Finds silent seller meters (undefined: silence attestations off, or no chain to read). */
  silence: SilenceWatcher | undefined;
  broker: EmbeddedBroker | undefined;
  source: MqttReadingSource | undefined;
  http: OpsServer;
  /** The broker URL meters publish to. */
  mqttUrl: string;
  tick(): Promise<void>;
  close(): Promise<void>;
}

export async function startOracle(config: OracleConfig, overrides: OracleOverrides = {}): Promise<Oracle> {
  const logger = overrides.logger ?? createLogger({ level: config.LOG_LEVEL, base: { service: "oracle" } });
  const fileClock =
    config.METERS_FILE && !config.CLOCK_SPEED ? readMetersFile(config.METERS_FILE).clock : undefined;
  const clock =
    overrides.clock ??
    (config.CLOCK_SPEED
      ? scaledClock(config.CLOCK_EPOCH_MS ?? Date.now(), config.CLOCK_SPEED)
      : fileClock
        ? scaledClock(fileClock.epochMs, fileClock.speed)
        : systemClock);
  if (!config.ORACLE_PRIVATE_KEY) logger.warn("using_development_oracle_key");
  const account = privateKeyToAccount((config.ORACLE_PRIVATE_KEY ?? DEV_ORACLE_PRIVATE_KEY) as `0x${string}`);
  const metrics = new Metrics();
  declareOracleMetrics(metrics);

  let publicClient: PublicClient | undefined;
  let chain: Chain | undefined;
  if (config.RPC_URL) {
    const transport = config.RPC_URL.startsWith("ws") ? webSocket(config.RPC_URL) : http(config.RPC_URL);
    const probe = createPublicClient({ transport });
    const chainId = config.CHAIN_ID ?? (await probe.getChainId());
    chain = defineChain({
      id: chainId,
      name: `chain-${chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [config.RPC_URL] } },
    });
    publicClient = createPublicClient({ chain, transport }) as PublicClient;
  }
  const chainId = chain?.id ?? config.CHAIN_ID ?? 31337;
  const market = config.MARKET_ADDRESS ?? "0x0000000000000000000000000000000000000000";
  // Reports are EIP-712-bound to, and posted to, the settlement contract when it is separate.
  const reportsContract = config.SETTLEMENT_ADDRESS ?? market;

  const directory =
    overrides.directory ??
    (config.METERS_FILE
      ? new JsonFileMeterDirectory(config.METERS_FILE, {
          defaultSlotLength: config.SLOT_SECONDS,
          onError: (err) => logger.error("meters_file_reload_failed", { err }),
        })
      : await ChainMeterDirectory.start({
          publicClient: publicClient!,
          market,
          logger,
          fromBlock: BigInt(config.FROM_BLOCK),
          slotLength: config.SLOT_SECONDS,
        }));

  const store = new Store(join(config.DATA_DIR, "oracle.sqlite"), { synchronous: config.SQLITE_SYNCHRONOUS });
  const verifier = createSignatureVerifier(config.VERIFY_WORKERS);
  const ingestor = new Ingestor({
    store,
    directory,
    verifier,
    metrics,
    logger,
    clock,
    futureToleranceMs: config.FUTURE_TOLERANCE_SECONDS * 1000,
    rateTolerance: config.RATE_TOLERANCE,
  });

  const sink =
    overrides.sink ??
    (publicClient && chain
      ? new ChainReportSink({
          publicClient,
          account,
          chain,
          contract: reportsContract,
          logger,
          metrics,
          maxFeePerGasCap: BigInt(Math.round(config.MAX_FEE_PER_GAS_GWEI * 1e9)),
          maxPriorityFeePerGas: BigInt(Math.round(config.PRIORITY_FEE_GWEI * 1e9)),
          gasBudget: BigInt(config.GAS_BUDGET),
          gasPerReport: BigInt(config.GAS_PER_REPORT),
        })
      : undefined);

  const useEmbedded = config.EMBEDDED_BROKER ?? !config.MQTT_URL;
  let broker: EmbeddedBroker | undefined;
  let source: MqttReadingSource | undefined;
  let mqttUrl = config.MQTT_URL ?? "";
  if (useEmbedded) {
    broker = new EmbeddedBroker({
      port: config.BROKER_PORT,
      host: config.BROKER_HOST,
      logger,
      onReading: (topic, payload) => ingestor.submit(topic, payload),
    });
    await broker.start();
    mqttUrl = broker.url;
  } else {
    source = await MqttReadingSource.connect({
      url: config.MQTT_URL!,
      clientId: config.MQTT_CLIENT_ID ?? `powershare-oracle-${account.address.slice(2, 12).toLowerCase()}`,
      protocolVersion: config.MQTT_PROTOCOL_VERSION,
      ingestor,
      logger,
      ...(config.MQTT_USERNAME !== undefined ? { username: config.MQTT_USERNAME } : {}),
      ...(config.MQTT_PASSWORD !== undefined ? { password: config.MQTT_PASSWORD } : {}),
    });
  }

  const signers = config.ORACLE_SIGNERS ?? [account.address];
  let exchange: SignatureExchange | undefined;
  if (signers.length > 1) {
    exchange = await MqttSignatureExchange.connect(
      mqttUrl,
      `powershare-oracle-sig-${account.address.slice(2, 12).toLowerCase()}-${process.pid}`,
      logger,
    );
  }

  const aggregator = new Aggregator({
    store,
    directory,
    clock,
    logger,
    metrics,
    graceMs: config.GRACE_SECONDS * 1000,
    maxWaitMs: config.MAX_WAIT_SECONDS * 1000,
    maxGapMs: config.MAX_GAP_SECONDS * 1000,
  });
  const coordinator = new ReportCoordinator({
    store,
    directory,
    account,
    domain: { chainId, verifyingContract: reportsContract },
    signers,
    threshold: config.ORACLE_THRESHOLD,
    maxReportsPerBatch: sink?.maxReportsPerBatch ?? 100,
    postTimeoutMs: config.POST_TIMEOUT_SECONDS * 1000,
    reportWindowMs: config.REPORT_WINDOW_SECONDS * 1000,
    clock,
    logger,
    metrics,
    sink,
    exchange,
  });

  const sales =
    overrides.sales ??
    (publicClient
      ? new ChainSalesView(publicClient, market, reportsContract, BigInt(config.FROM_BLOCK))
      : undefined);
  const silence =
    config.SILENCE_ATTESTATIONS && sales && sink?.submitSilence
      ? new SilenceWatcher({
          store,
          directory,
          aggregator,
          sales,
          clock,
          logger,
          metrics,
          graceMs: config.GRACE_SECONDS * 1000,
          reportWindowMs: config.REPORT_WINDOW_SECONDS * 1000,
          marginMs: config.SILENCE_MARGIN_SECONDS * 1000,
          alive: () => (broker ? broker.running : (source?.client.connected ?? false)),
          ingesting: (meterId) => ingestor.ingesting(meterId),
        })
      : undefined;
  silence?.heartbeat();
  // Uptime is recorded on its own timer: a tick can wait long on the chain (posting, RPC outage).
  const heartbeat = silence ? setInterval(() => silence.heartbeat(), 1_000) : undefined;

  const startedAt = Date.now();
  const httpServer = new OpsServer(metrics, () => ({
    ok: broker ? broker.running : (source?.client.connected ?? false),
    mqtt: broker
      ? { embedded: true, url: mqttUrl, running: broker.running }
      : { url: mqttUrl, connected: source?.client.connected },
    chain: publicClient ? { chainId, market, reports: reportsContract } : null,
    signer: account.address,
    ingestQueue: ingestor.inflight,
    uptimeS: Math.round((Date.now() - startedAt) / 1000),
  }));
  await httpServer.listen(config.HTTP_PORT, config.HTTP_HOST);

  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      aggregator.tick();
      // The silence scan reads the chain: it runs beside the tick (its findings are signed next time).
      if (silence && !overrides.manualTick)
        void silence.scan().catch((err) => logger.error("silence_scan_failed", { err }));
      await coordinator.signReady();
      await coordinator.signSilences();
      await coordinator.postDue();
    } catch (err) {
      logger.error("tick_failed", { err });
    } finally {
      ticking = false;
    }
  };
  const timer = overrides.manualTick ? undefined : setInterval(() => void tick(), config.TICK_MS);

  logger.info("oracle_started", {
    signer: account.address,
    mqtt: mqttUrl,
    embeddedBroker: useEmbedded,
    http: `http://${config.HTTP_HOST}:${httpServer.port}`,
    chain: publicClient ? chainId : null,
    silenceAttestations: !!silence,
    dataDir: config.DATA_DIR,
  });

  return {
    config,
    store,
    metrics,
    ingestor,
    directory,
    aggregator,
    coordinator,
    silence,
    broker,
    source,
    http: httpServer,
    mqttUrl,
    tick,
    async close() {
      if (timer) clearInterval(timer);
      if (heartbeat) clearInterval(heartbeat);
      await silence?.idle();
      await source?.close();
      await broker?.close();
      await ingestor.idle();
      await exchange?.close();
      await httpServer.close();
      await verifier.close();
      await directory.close();
      store.close();
      logger.info("oracle_stopped");
    },
  };
}
