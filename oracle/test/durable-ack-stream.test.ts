/**
 * DurableAckStream (the external-broker source's transport wrapper) on a fake connection: what
 * reaches the "broker" and when. PUBACKs only after their reading is durable, in PUBLISH order,
 * split writes reassembled, other packets at once, not durable -> connection dropped and no later
 * PUBACK sent, held PUBACKs of a closed connection dropped. Plus one run with a real mqtt.js client
 * (its public `new MqttClient(streamBuilder, options)`) over the wrapper against a scripted broker.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { MqttClient } from "mqtt";
import { DurableAckStream } from "../src/ingest/durable-ack-stream.ts";

/** The far end of a connection: records every byte written to it. */
class FakeConnection extends Duplex {
  written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    this.written.push(Buffer.from(chunk));
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.written);
  }
}

const puback = (id: number) => Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
const PINGREQ = Buffer.from([0xc0, 0x00]);

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

describe("DurableAckStream", () => {
  it("holds each PUBACK until durable and releases them in PUBLISH order; other packets pass", async () => {
    const inner = new FakeConnection();
    const s = new DurableAckStream(inner, () => assert.fail("all durable"));
    const d = [deferred(), deferred(), deferred()];
    d.forEach((x, i) => s.expect(i + 1, x.promise));
    // mqtt-packet may split a packet over several writes: one PUBACK in two pieces.
    s.write(Buffer.concat([puback(1), puback(2).subarray(0, 1)]));
    s.write(Buffer.concat([puback(2).subarray(1), PINGREQ, puback(3)]));
    await flush();
    assert.deepEqual(inner.bytes, PINGREQ, "the PINGREQ goes out, no PUBACK yet");
    assert.equal(s.heldAcks, 3);
    d[2]!.resolve(); // the third reading committed first ...
    d[1]!.resolve();
    await flush();
    assert.deepEqual(inner.bytes, PINGREQ, "... but PUBACK 3 waits behind PUBACK 1");
    d[0]!.resolve();
    await flush();
    assert.deepEqual(inner.bytes, Buffer.concat([PINGREQ, puback(1), puback(2), puback(3)]));
    assert.equal(s.heldAcks, 0);
  });

  it("a reading not durable drops the connection: neither its PUBACK nor any later one is sent", async () => {
    const inner = new FakeConnection();
    const failures: number[] = [];
    const s = new DurableAckStream(inner, (_e, id) => failures.push(id));
    s.on("error", () => {});
    const d = [deferred(), deferred(), deferred()];
    d.forEach((x, i) => s.expect(i + 1, x.promise));
    s.write(Buffer.concat([puback(1), puback(2), puback(3)]));
    d[0]!.resolve();
    d[2]!.resolve();
    d[1]!.reject(new Error("disk full"));
    await flush();
    await flush();
    assert.deepEqual(inner.bytes, puback(1));
    assert.deepEqual(failures, [2]);
    assert.ok(s.destroyed && inner.destroyed, "connection dropped");
  });

  it("PUBACKs still held when the connection closes are dropped", async () => {
    const inner = new FakeConnection();
    const s = new DurableAckStream(inner, () => {});
    const d = deferred();
    s.expect(7, d.promise);
    s.write(puback(7));
    await flush();
    inner.destroy();
    await flush();
    d.resolve();
    await flush();
    assert.equal(inner.bytes.length, 0);
    assert.ok(s.destroyed);
  });

  it("under a real mqtt.js client: the broker sees PUBACKs only after commit, in order", async () => {
    // A scripted broker: answers CONNECT, sends three QoS 1 PUBLISHes, records what comes back.
    const received: Buffer[] = [];
    let brokerSide: Socket | undefined;
    const server = createServer((sock) => {
      brokerSide = sock;
      sock.on("data", (b: Buffer) => {
        received.push(b);
        if (b[0] === 0x10) {
          sock.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK
          for (const id of [1, 2, 3]) {
            const topic = Buffer.from("t");
            const payload = Buffer.from(`m${id}`);
            const body = Buffer.concat([
              Buffer.from([0x00, topic.length]),
              topic,
              Buffer.from([id >> 8, id & 0xff]),
              payload,
            ]);
            sock.write(Buffer.concat([Buffer.from([0x32, body.length]), body]));
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    const d = [deferred(), deferred(), deferred()];
    let stream: DurableAckStream | undefined;
    const client = new MqttClient(
      () => {
        stream = new DurableAckStream(connect(port, "127.0.0.1"), () => {});
        return stream;
      },
      { clientId: "durable-ack-test", clean: false, reconnectPeriod: 0, keepalive: 0, manualConnect: true },
    );
    const handled: number[] = [];
    client.handleMessage = (packet, callback) => {
      if (packet.cmd === "publish" && packet.messageId !== undefined) {
        handled.push(packet.messageId);
        stream!.expect(packet.messageId, d[packet.messageId - 1]!.promise);
      }
      callback();
    };
    try {
      client.connect();
      const deadline = Date.now() + 5_000;
      while (handled.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(handled, [1, 2, 3], "all three handled while none is durable (pipelined)");
      const pubacks = () =>
        [...Buffer.concat(received)]
          .map((_, i, a) => (a[i] === 0x40 && a[i + 1] === 0x02 ? (a[i + 2]! << 8) | a[i + 3]! : -1))
          .filter((x) => x > 0);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(pubacks(), [], "no PUBACK before commit");
      d[1]!.resolve();
      d[2]!.resolve();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(pubacks(), [], "2 and 3 wait for 1");
      d[0]!.resolve();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(pubacks(), [1, 2, 3]);
    } finally {
      client.end(true);
      brokerSide?.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
