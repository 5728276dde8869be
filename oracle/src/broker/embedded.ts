/**
 * Embedded MQTT 3.1.1 broker (Aedes on a TCP port) for development, tests and single-node setups.
 *
 * With an `onReading` hook the oracle ingests readings inside the broker's publish path: Aedes
 * calls `authorizePublish` before it writes the PUBACK to the publishing meter, so the meter gets its
 * acknowledgement only after the reading is committed (or rejected and logged). Readings are still
 * forwarded to subscribers (other oracle nodes, dashboards).
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";
import type { Logger } from "../log/logger.ts";
import { parseReadingTopic } from "../protocol/topics.ts";

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Called for every PUBLISH on a readings topic; the PUBACK waits for the returned promise. */
  onReading?: (topic: string, payload: Buffer) => Promise<unknown>;
}

export class EmbeddedBroker {
  readonly #options: EmbeddedBrokerOptions;
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #port: number;

  constructor(options: EmbeddedBrokerOptions) {
    this.#options = options;
    this.#port = options.port;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `mqtt://${this.#options.host ?? "127.0.0.1"}:${this.#port}`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  async start(): Promise<void> {
    const { onReading, logger } = this.#options;
    const aedes = await Aedes.createBroker({
      authorizePublish: (_client, packet, callback) => {
        if (packet.topic.startsWith("$SYS")) return callback(new Error("$SYS topics are reserved"));
        if (!onReading || !parseReadingTopic(packet.topic)) return callback(null);
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        onReading(packet.topic, payload).then(
          () => callback(null),
          (err: unknown) => {
            logger.error("embedded_broker_ingest_failed", { err });
            callback(err instanceof Error ? err : new Error(String(err)));
          },
        );
      },
    });
    aedes.on("clientError", (client, err) => logger.debug("mqtt_client_error", { clientId: client.id, err }));
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, this.#options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === "object") this.#port = address.port;
    this.#aedes = aedes;
    this.#server = server;
    logger.info("embedded_broker_listening", { url: this.url });
  }

  /** Stops accepting, drops every connection (unacknowledged messages are resent by their senders). */
  async close(): Promise<void> {
    const server = this.#server;
    const aedes = this.#aedes;
    this.#server = undefined;
    this.#aedes = undefined;
    if (!server || !aedes) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
    this.#options.logger.info("embedded_broker_closed", { port: this.#port });
  }

  async restart(): Promise<void> {
    await this.close();
    await this.start();
  }
}
