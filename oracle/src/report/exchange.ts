/**
 * How oracle nodes meet: each publishes its signature of a batch (reports or silence) on a shared MQTT topic
 * (`powershare/v1/oracle/signatures`, QoS 1, not retained); every node collects the signatures of
 * the batches it computed itself.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { Address, Hex } from "viem";
import type { Logger } from "../log/logger.ts";
import { SIGNATURES_TOPIC } from "../protocol/topics.ts";

export interface SignatureMessage {
  v: 1;
  /** What was signed: a report batch (absent: older nodes) or a silence batch. */
  kind?: "report" | "silence";
  chainId: number;
  market: Address;
  batchHash: Hex;
  /** Reports as in reportsToJson, or a silence batch as in silenceToJson. */
  reports: string;
  signer: Address;
  signature: Hex;
}

export interface SignatureExchange {
  publish(msg: SignatureMessage): Promise<void>;
  onMessage(handler: (msg: SignatureMessage) => void): void;
  close(): Promise<void>;
}

export class MqttSignatureExchange implements SignatureExchange {
  readonly #client: MqttClient;
  readonly #handlers: ((msg: SignatureMessage) => void)[] = [];

  private constructor(client: MqttClient, logger: Logger) {
    this.#client = client;
    client.on("message", (topic, payload) => {
      if (topic !== SIGNATURES_TOPIC) return;
      let msg: SignatureMessage;
      try {
        msg = JSON.parse(payload.toString("utf8")) as SignatureMessage;
      } catch {
        logger.warn("signature_message_malformed");
        return;
      }
      for (const h of this.#handlers) h(msg);
    });
  }

  static async connect(url: string, clientId: string, logger: Logger): Promise<MqttSignatureExchange> {
    const client = await mqtt.connectAsync(url, {
      clientId,
      clean: true,
      reconnectPeriod: 500,
      protocolVersion: 4,
    });
    const exchange = new MqttSignatureExchange(client, logger);
    client.on("connect", () => void client.subscribe(SIGNATURES_TOPIC, { qos: 1 }));
    await client.subscribeAsync(SIGNATURES_TOPIC, { qos: 1 });
    return exchange;
  }

  async publish(msg: SignatureMessage): Promise<void> {
    await this.#client.publishAsync(SIGNATURES_TOPIC, JSON.stringify(msg), { qos: 1 });
  }

  onMessage(handler: (msg: SignatureMessage) => void): void {
    this.#handlers.push(handler);
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}
