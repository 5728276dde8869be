/**
 * The benchmark's webhook endpoints as a process of their own (as real receivers are): answers 204,
 * or 500 on the failing path, and writes one JSON line per request to stdout. First line: its URL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const failing = process.argv[2] ?? "";
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const status = req.url === failing ? 500 : 204;
    res.writeHead(status).end();
    let event = "";
    try {
      event = (JSON.parse(Buffer.concat(chunks).toString()) as { event: string }).event;
    } catch {
      event = "unparsable";
    }
    process.stdout.write(
      `${JSON.stringify({ path: req.url, event, key: req.headers["idempotency-key"], status, at: Date.now() })}\n`,
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.on("SIGTERM", () => process.exit(0));
