/**
 * The transport stream under the oracle's mqtt.js client (`new MqttClient(streamBuilder, options)`,
 * mqtt.js' public constructor), wrapped so that a PUBACK leaves only once its reading is durable.
 *
 * Incoming bytes pass through untouched. Outgoing bytes are cut into MQTT packets (fixed header:
 * type byte, variable-length "remaining length"; nothing else is parsed). Every PUBACK is held in a
 * queue and written, byte for byte as mqtt.js encoded it, once the promise registered for its
 * message id (`expect`) has settled, in the order mqtt.js sent them (= PUBLISH order); every other
 * packet (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT, ...) goes out at once. A promise that rejects
 * (not durable) destroys the connection instead: that PUBACK and every later one are never sent and
 * the broker redelivers those messages on the next connection. PUBACKs still held when the
 * connection closes are dropped the same way.
 */
import { Duplex } from "node:stream";

const PUBACK = 4;

export class DurableAckStream extends Duplex {
  readonly #inner: Duplex;
  readonly #durable = new Map<number, Promise<unknown>>();
  readonly #onNotDurable: (err: unknown, messageId: number) => void;
  #partial: Buffer | undefined;
  #acks: Promise<void> = Promise.resolve();
  /** PUBACKs queued and not yet written or dropped. */
  #held = 0;

  constructor(inner: Duplex, onNotDurable: (err: unknown, messageId: number) => void) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
    this.#onNotDurable = onNotDurable;
    inner.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.once("end", () => this.push(null));
    inner.once("error", (err) => this.destroy(err));
    inner.once("close", () => this.destroy());
    // net.Socket / tls.TLSSocket announce the established connection; mirror it.
    inner.once("connect", () => this.emit("connect"));
    inner.once("secureConnect", () => this.emit("secureConnect"));
  }

  /** Hold the PUBACK of `messageId` until `durable` settles (call before mqtt.js sends that PUBACK). */
  expect(messageId: number, durable: Promise<unknown>): void {
    this.#durable.set(messageId, durable);
  }

  /** PUBACKs waiting for their reading to be durable. */
  get heldAcks(): number {
    return this.#held;
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const buf = this.#partial ? Buffer.concat([this.#partial, chunk]) : chunk;
    this.#partial = undefined;
    let passStart = 0;
    let off = 0;
    while (off < buf.length) {
      // Fixed header: one type/flags byte, then the remaining length (1 to 4 bytes, 7 bits each).
      let remaining = 0;
      let i = off + 1;
      let mul = 1;
      let complete = false;
      for (; i < buf.length && i <= off + 4; i++) {
        remaining += (buf[i]! & 0x7f) * mul;
        mul *= 128;
        if ((buf[i]! & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i > off + 4) return done(new Error("malformed MQTT remaining length in an outgoing packet"));
        break;
      }
      const end = i + remaining;
      if (end > buf.length) break;
      if (buf[off]! >> 4 === PUBACK && remaining >= 2) {
        if (off > passStart) this.#inner.write(buf.subarray(passStart, off));
        this.#hold(buf.readUInt16BE(i), Buffer.from(buf.subarray(off, end)));
        passStart = end;
      }
      off = end;
    }
    if (off > passStart) this.#inner.write(buf.subarray(passStart, off));
    if (off < buf.length) this.#partial = Buffer.from(buf.subarray(off));
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    // A clean end (client.end()): PUBACKs still held are dropped, the broker redelivers.
    this.#inner.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#durable.clear();
    this.#inner.destroy();
    done(err);
  }

  #hold(messageId: number, frame: Buffer): void {
    const durable = this.#durable.get(messageId) ?? Promise.resolve();
    this.#durable.delete(messageId);
    this.#held++;
    this.#acks = this.#acks
      .then(() => durable)
      .then(
        () => {
          this.#held--;
          if (!this.destroyed && this.#inner.writable) this.#inner.write(frame);
        },
        (err: unknown) => {
          this.#held--;
          if (this.destroyed) return;
          // Not durable: never acknowledge; drop the connection so the broker redelivers.
          this.#onNotDurable(err, messageId);
          this.destroy();
        },
      );
  }
}
