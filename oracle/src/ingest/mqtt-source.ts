/**
 * Subscribes to the readings topics of an external broker (MQTT 3.1.1 or 5) and feeds the ingestor.
 *
 * Durability: the session is persistent (fixed client id, clean=false; session expiry for MQTT 5),
 * so the broker keeps readings for the oracle while it is down, and a reading's PUBACK is released
 * only once the ingestor has committed (or rejected) it. Only mqtt.js' public API is used: the
 * client is built with `new MqttClient(streamBuilder, options)` over a transport stream of our own
 * (`DurableAckStream` around a TCP, TLS or WebSocket connection), and `handleMessage` (documented as
 * overridable) starts ingestion, registers the reading's outcome with that stream under the
 * message id, and returns at once. mqtt.js then encodes its PUBACK into the stream, which holds it
 * until the outcome is durable and writes the PUBACKs in the order they came (PUBLISH order).
 * Packet handling goes on meanwhile, so many readings are in flight and commit in one transaction. A
 * PUBACK whose connection has gone is dropped: the broker redelivers the message in the next
 * connection and the ingestor recognises it as a duplicate. A reading that could not be stored
 * (not durable) drops the connection instead of being acknowledged.
 */
import { connect as netConnect, isIP } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { MqttClient, type IClientOptions } from "mqtt";
import type { Logger } from "../log/logger.ts";
import { READINGS_WILDCARD } from "../protocol/topics.ts";
import { DurableAckStream } from "./durable-ack-stream.ts";
import type { Ingestor } from "./ingestor.ts";

export interface MqttSourceOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  ingestor: Ingestor;
  logger: Logger;
  username?: string;
  password?: string;
}

/** A WebSocket (Node's global, WHATWG) as a byte stream, subprotocol "mqtt". */
function webSocketStream(url: string): Duplex {
  const ws = new WebSocket(url, ["mqtt"]);
  ws.binaryType = "arraybuffer";
  const queued: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk);
      else queued.push(Buffer.from(chunk));
      done();
    },
    final(done) {
      ws.close();
      done();
    },
    destroy(err, done) {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
      done(err);
    },
  });
  ws.addEventListener("open", () => {
    for (const b of queued.splice(0)) ws.send(b);
    stream.emit("connect");
  });
  ws.addEventListener("message", (e) => stream.push(Buffer.from(e.data as ArrayBuffer)));
  ws.addEventListener("error", () => stream.destroy(new Error(`WebSocket error on ${url}`)));
  ws.addEventListener("close", () => {
    stream.push(null);
    stream.destroy();
  });
  return stream;
}

/** The broker connection for a URL: mqtt:/tcp: (TCP), mqtts: (TLS), ws:/wss: (WebSocket). */
export function transportFor(url: string): () => Duplex {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  switch (u.protocol) {
    case "mqtt:":
    case "tcp:":
      return () => netConnect({ host, port: Number(u.port || 1883) });
    case "mqtts:":
      return () =>
        tlsConnect({ host, port: Number(u.port || 8883), ...(isIP(host) ? {} : { servername: host }) });
    case "ws:":
    case "wss:":
      return () => webSocketStream(url);
    default:
      throw new Error(`unsupported MQTT URL protocol ${u.protocol}`);
  }
}

export class MqttReadingSource {
  readonly client: MqttClient;
  /** The current connection's stream (a new one per (re)connection). */
  #stream: DurableAckStream | undefined;

  private constructor(client: MqttClient) {
    this.client = client;
  }

  static async connect(options: MqttSourceOptions): Promise<MqttReadingSource> {
    const { logger, ingestor } = options;
    const u = new URL(options.url);
    const username = options.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
    const password = options.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: false,
      protocolVersion: options.protocolVersion,
      reconnectPeriod: 500,
      connectTimeout: 5_000,
      keepalive: 30,
      resubscribe: true,
      manualConnect: true,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0xffff_ffff } } : {}),
    };
    const transport = transportFor(options.url);
    let source: MqttReadingSource | undefined;
    const client = new MqttClient(() => {
      const stream = new DurableAckStream(transport(), (err, messageId) =>
        logger.error("reading_not_durable", { err, messageId }),
      );
      source!.#stream = stream;
      return stream;
    }, clientOptions);
    source = new MqttReadingSource(client);

    client.handleMessage = (packet, callback) => {
      if (packet.cmd === "publish") {
        const durable = ingestor.submit(packet.topic, packet.payload as Buffer);
        if (packet.qos > 0 && packet.messageId !== undefined && source.#stream)
          source.#stream.expect(packet.messageId, durable);
        else durable.catch(() => {});
      }
      callback();
    };

    client.on("connect", (connack) => {
      logger.info("mqtt_connected", { url: options.url, sessionPresent: connack.sessionPresent });
      if (!connack.sessionPresent) {
        client.subscribe(READINGS_WILDCARD, { qos: 1 }, (err) => {
          if (err) logger.error("mqtt_subscribe_failed", { err });
        });
      }
    });
    client.on("reconnect", () => logger.info("mqtt_reconnecting", { url: options.url }));
    client.on("error", (err) => logger.warn("mqtt_error", { err }));

    const connected = new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off("error", onError);
        resolve();
      };
      const onError = (err: Error) => {
        client.off("connect", onConnect);
        reject(err);
      };
      client.once("connect", onConnect);
      client.once("error", onError);
    });
    client.connect();
    await connected;
    return source;
  }

  /** PUBACKs of the current connection waiting for their reading to be durable. */
  get heldAcks(): number {
    return this.#stream?.heldAcks ?? 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
