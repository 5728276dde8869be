/**
 * Benchmark publisher (a child process of oracle-bench.ts): publishes pre-signed readings with QoS 1
 * as fast as the credit granted by the parent allows (the parent keeps the readings in flight below
 * the broker's queue limit, so no broker drops a message for a slow subscriber).
 */
import { readFileSync } from "node:fs";
import mqtt from "mqtt";

const [url, file, connectionsArg] = process.argv.slice(2) as [string, string, string];
const items = JSON.parse(readFileSync(file, "utf8")) as [string, string][];
const clients = await Promise.all(
  Array.from({ length: Number(connectionsArg) }, (_, i) =>
    mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}-${i}`, reconnectPeriod: 200 }),
  ),
);
let credit = 0;
let next = 0;
let acked = 0;
const pump = () => {
  while (next < items.length && next < credit) {
    const [topic, payload] = items[next]!;
    // One meter, one connection: MQTT orders messages per connection only.
    const meterId = Number(topic.split("/")[4]);
    const c = clients[meterId % clients.length]!;
    next++;
    c.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) throw err;
      ++acked;
    });
  }
};
// How many readings the broker has acknowledged (taken responsibility for), for the parent.
let reported = -1;
const report = setInterval(() => {
  if (acked !== reported) process.send!({ acked: (reported = acked) });
}, 5);
process.on("message", (m: { credit?: number; stop?: boolean }) => {
  if (m.credit !== undefined) {
    credit = m.credit;
    pump();
  }
  if (m.stop) clearInterval(report);
  if (m.stop) void Promise.all(clients.map((c) => c.endAsync())).then(() => process.exit(0));
});
process.send!({ ready: true });
