/** Device signatures: the byte-level hash equals viem's, and the checker accepts only the device key. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hashMessage, type Hex } from "viem";
import { DeviceSignatureChecker, readingMessageHash } from "../src/ingest/device-signature.ts";
import { loadSecp256k1 } from "../src/ingest/secp256k1-backend.ts";
import { WorkerPoolSignatureVerifier } from "../src/ingest/signature-verifier.ts";
import { readingDigest } from "../src/protocol/reading.ts";
import { signReading } from "../src/sim/device.ts";
import { deviceAccount } from "../src/sim/keys.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signature with s replaced by n − s (and the recovery bit flipped). */
function highS(sig: Hex): Hex {
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = parseInt(sig.slice(130), 16);
  const flipped = v === 27 ? 28 : v === 28 ? 27 : v ^ 1;
  return `${sig.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${flipped.toString(16).padStart(2, "0")}` as Hex;
}

describe("device signatures", () => {
  const device = deviceAccount("sig-test", 4_000_000_000);
  const other = deviceAccount("sig-test", 1);
  const u = { meterId: 4_000_000_000, seq: 2 ** 40, ts: 1_800_000_000_123, importWh: 2 ** 52, exportWh: 17 };

  it("hashes like viem's personal_sign over the packed digest", () => {
    assert.equal(bytesToHex(readingMessageHash(u)), hashMessage({ raw: readingDigest(u) }));
  });

  for (const name of ["native", "wasm"] as const) {
    const backend = loadSecp256k1(name);

    it(`loads the ${name} secp256k1 backend`, () => {
      // The native binding ships prebuilt for linux-x64 (N-API): on this platform it must load.
      if (name === "native" && process.platform === "linux" && process.arch === "x64")
        assert.equal(backend.name, "native");
    });

    it(`${name}: accepts the device's signature (by recovery, then by cached key), refuses others`, async () => {
      const c = new DeviceSignatureChecker(backend);
      const r = await signReading(device, u);
      assert.equal(c.check({ ...r, deviceKey: device.address }), true);
      assert.equal(c.check({ ...r, deviceKey: device.address }), true);
      assert.equal(c.check({ ...r, exportWh: 18, deviceKey: device.address }), false);
      assert.equal(c.check({ ...(await signReading(other, u)), deviceKey: device.address }), false);
      assert.equal(c.check({ ...r, deviceKey: other.address }), false);
      assert.equal(c.check({ ...r, sig: `${r.sig.slice(0, -2)}1f` as Hex, deviceKey: other.address }), false);
    });

    it(`${name}: accepts the high-s twin of a signature both by recovery and by cached key`, async () => {
      const r = await signReading(device, u);
      const twin = highS(r.sig);
      assert.equal(
        new DeviceSignatureChecker(backend).check({ ...r, sig: twin, deviceKey: device.address }),
        true,
      );
      const warm = new DeviceSignatureChecker(backend);
      assert.equal(warm.check({ ...r, deviceKey: device.address }), true);
      assert.equal(warm.check({ ...r, sig: twin, deviceKey: device.address }), true);
      assert.equal(warm.check({ ...r, exportWh: 1, sig: twin, deviceKey: device.address }), false);
    });
  }

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
