import { describe, expect, it } from "vitest";
import { parseSignedCertificate } from "@/lib/meter-certificate";

const owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const good = {
  certificate: {
    communityId: 1,
    owner,
    kind: 2,
    capacityW: 5000,
    deviceKey: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    deadline: 2_000_000_000,
  },
  signature: "0x" + "11".repeat(65),
};

describe("parseSignedCertificate", () => {
  it("accepts a registrar's certificate for the connected wallet", () => {
    const r = parseSignedCertificate(
      JSON.stringify(good),
      owner.toLowerCase() as `0x${string}`,
      1_900_000_000,
    );
    expect(r).toEqual({ ok: true, value: good });
  });

  it("refuses another owner's, expired, malformed or unsigned certificates", () => {
    const other = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const cases: [unknown, RegExp][] = [
      [{ ...good, certificate: { ...good.certificate, owner: other } }, /not for the connected wallet/],
      [{ ...good, certificate: { ...good.certificate, deadline: 10 } }, /expired/],
      [{ ...good, certificate: { ...good.certificate, kind: 4 } }, /kind/],
      [{ ...good, certificate: { ...good.certificate, capacityW: 0 } }, /capacity/],
      [{ ...good, certificate: { ...good.certificate, deviceKey: "0x12" } }, /device key/],
      [{ certificate: good.certificate }, /signature/],
      [{ signature: good.signature }, /"certificate"/],
    ];
    for (const [json, error] of cases) {
      const r = parseSignedCertificate(JSON.stringify(json), owner, 1_900_000_000);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(error);
    }
    expect(parseSignedCertificate("{", owner, 0)).toEqual({
      ok: false,
      error: "The certificate is not valid JSON.",
    });
  });
});
