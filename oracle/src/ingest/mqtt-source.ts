/**
 * Subscribes to the readings topics of an external broker (MQTT 3.1.1 or 5) and feeds the ingestor.
 *
 * Durability: the session is persistent (fixed client id, clean=false; session expiry for MQTT 5),
 * so the broker keeps readings for the oracle while it is down, and a reading's PUBACK is released
 * only once the ingestor has committed (or rejected) it. mqtt.js normally acknowledges a QoS 1
 * message before the next one is handled; here `handleMessage` starts ingestion and the PUBACK that
 * mqtt.js then sends is held back until that reading's outcome is durable. Packet handling goes on
 * meanwhile, so many readings are in flight and commit in one transaction. PUBACKs still leave in
 * PUBLISH order. A PUBACK whose connection has gone is dropped: the broker redelivers the message in
 * the next connection and the ingestor recognises it as a duplicate.
 */
import mqtt, { type IClientOptions, type MqttClient, type Packet } from "mqtt";
import type { Logger } from "../log/logger.ts";
import { READINGS_WILDCARD } from "../protocol/topics.ts";
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

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;
interface ClientInternals {
  _sendPacket: SendPacket;
  stream: unknown;
}

export class MqttReadingSource {
  readonly client: MqttClient;
  readonly #pending = new Map<number, Promise<unknown>>();
  #ackChain: Promise<void> = Promise.resolve();

  private constructor(client: MqttClient) {
    this.client = client;
  }

  static async connect(options: MqttSourceOptions): Promise<MqttReadingSource> {
    const { logger, ingestor } = options;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: false,
      protocolVersion: options.protocolVersion,
      reconnectPeriod: 500,
      connectTimeout: 5_000,
      keepalive: 30,
      resubscribe: true,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0xffff_ffff } } : {}),
    };
    const client = mqtt.connect(options.url, { ...clientOptions, manualConnect: true });
    const source = new MqttReadingSource(client);
    const internals = client as unknown as ClientInternals;
    const send = internals._sendPacket.bind(client);

    client.handleMessage = (packet, callback) => {
      if (packet.cmd === "publish") {
        const durable = ingestor.submit(packet.topic, packet.payload as Buffer);
        if (packet.qos > 0 && packet.messageId !== undefined) source.#pending.set(packet.messageId, durable);
        else durable.catch(() => {});
      }
      callback();
    };

    internals._sendPacket = (packet, cb, ...rest) => {
      const durable =
        packet.cmd === "puback" && packet.messageId !== undefined
          ? source.#pending.get(packet.messageId)
          : undefined;
      if (!durable || packet.cmd !== "puback") return send(packet, cb, ...rest);
      source.#pending.delete(packet.messageId!);
      const stream = internals.stream;
      source.#ackChain = source.#ackChain
        .then(() => durable)
        .then(
          () => {
            if (client.connected && internals.stream === stream) send(packet);
          },
          (err: unknown) => {
            // Not durable: never acknowledge. Drop the connection so the broker redelivers.
            logger.error("reading_not_durable", { err, messageId: packet.messageId });
            if (internals.stream === stream) (stream as { destroy(): void }).destroy();
          },
        );
      cb?.();
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
    client.on("close", () => source.#pending.clear());
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

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
