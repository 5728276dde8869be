/** Device signatures: the byte-level hash equals viem's, and the checker accepts only the device key. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hashMessage } from "viem";
import { DeviceSignatureChecker, readingMessageHash } from "../src/ingest/device-signature.ts";
import { WorkerPoolSignatureVerifier } from "../src/ingest/signature-verifier.ts";
import { readingDigest } from "../src/protocol/reading.ts";
import { signReading } from "../src/sim/device.ts";
import { deviceAccount } from "../src/sim/keys.ts";

describe("device signatures", () => {
  const device = deviceAccount("sig-test", 4_000_000_000);
  const other = deviceAccount("sig-test", 1);
  const u = { meterId: 4_000_000_000, seq: 2 ** 40, ts: 1_800_000_000_123, importWh: 2 ** 52, exportWh: 17 };

  it("hashes like viem's personal_sign over the packed digest", () => {
    assert.equal(bytesToHex(readingMessageHash(u)), hashMessage({ raw: readingDigest(u) }));
  });

  it("accepts the device's signature (by recovery, then by cached public key), refuses others", async () => {
    const c = new DeviceSignatureChecker();
    const r = await signReading(device, u);
    assert.equal(c.check({ ...r, deviceKey: device.address }), true);
    assert.equal(c.check({ ...r, deviceKey: device.address }), true);
    assert.equal(c.check({ ...r, exportWh: 18, deviceKey: device.address }), false);
    assert.equal(c.check({ ...(await signReading(other, u)), deviceKey: device.address }), false);
    assert.equal(c.check({ ...r, deviceKey: other.address }), false);
  });

  it("gives the same answers on the worker pool", async () => {
    const pool = new WorkerPoolSignatureVerifier(2);
    try {
      const good = await signReading(device, u);
      const results = await Promise.all([
        pool.verify({ ...good, deviceKey: device.address }),
        pool.verify({ ...good, seq: 1, deviceKey: device.address }),
        pool.verify({ ...(await signReading(other, u)), deviceKey: device.address }),
      ]);
      assert.deepEqual(results, [true, false, false]);
    } finally {
      await pool.close();
    }
  });
});
