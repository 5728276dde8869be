/** Worker thread: checks batches of device signatures (see device-signature.ts). */
import { parentPort } from "node:worker_threads";
import { DeviceSignatureChecker, type SignatureTask } from "./device-signature.ts";

const checker = new DeviceSignatureChecker();

parentPort!.on("message", (msg: { id: number; tasks: SignatureTask[] }) => {
  const results = new Uint8Array(msg.tasks.length);
  for (let i = 0; i < msg.tasks.length; i++) results[i] = checker.check(msg.tasks[i]!) ? 1 : 0;
  parentPort!.postMessage({ id: msg.id, results }, [results.buffer]);
});
