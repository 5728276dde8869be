import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, zeroAddress } from "viem";
import {
  FEE_BPS,
  GATE_LEAD,
  HORIZON,
  MeterKind,
  SLOT,
  field,
  load,
  params,
  refused,
  viem,
} from "./fixture.ts";

const A = viem.assertions;

describe("EnergyMarket · communities", () => {
  describe("createCommunity", () => {
    it("stores the parameters, makes the caller admin and first member, emits events", async () => {
      const fx = await load();
      const p = params({ feeBps: 250, minOrderWh: 500n });
      const tx = fx.market.write.createCommunity(["Block B", p], { account: fx.eve.account });
      await A.emitWithArgs(tx, fx.market, "CommunityCreated", [
        2,
        getAddress(fx.eve.account.address),
        "Block B",
        p,
      ]);
      const c = await fx.market.read.community([2]);
      assert.equal(c.admin, getAddress(fx.eve.account.address));
      assert.equal(c.slotLength, SLOT);
      assert.equal(c.gateLead, GATE_LEAD);
      assert.equal(c.horizon, HORIZON);
      assert.equal(c.tickSize, p.tickSize);
      assert.equal(c.minOrderWh, 500);
      assert.equal(c.bondPerWh, Number(p.bondPerKwh / 1000n));
      assert.equal(c.feeBps, 250);
      assert.equal(c.members, 1);
      assert.equal(c.priceFeed, zeroAddress);
      assert.equal(await fx.market.read.communityCount(), 2);
      assert.equal(await fx.market.read.isMember([2, fx.eve.account.address]), true);
      assert.equal(await fx.market.read.isMember([2, fx.alice.account.address]), false);
    });

    it("emits MemberJoined for the creator", async () => {
      const fx = await load();
      await A.emitWithArgs(
        fx.market.write.createCommunity(["X", params()], { account: fx.eve.account }),
        fx.market,
        "MemberJoined",
        [2, getAddress(fx.eve.account.address)],
      );
    });

    it("accepts boundary values (1 s slots, 1 day slots, 30 day horizon, zero bond, max fee)", async () => {
      const fx = await load();
      for (const p of [
        params({ slotLength: 1 }),
        params({ slotLength: 86_400 }),
        params({ horizon: 30 * 86_400 }),
        params({ gateLead: 0, horizon: 1 }),
        params({ bondPerKwh: 0n }),
        params({ feeBps: 1000 }),
        params({ tickSize: 1000n, minOrderWh: 1n }),
        params({ minOrderWh: 2n ** 24n - 1n, bondPerKwh: (2n ** 32n - 1n) * 1000n }),
      ]) {
        await fx.market.write.createCommunity(["ok", p], { account: fx.eve.account });
      }
      assert.equal(await fx.market.read.communityCount(), 9);
    });

    const invalid: [string, Partial<ReturnType<typeof params>>][] = [
      ["slotLength", { slotLength: 0 }],
      ["slotLength", { slotLength: 86_401 }],
      ["horizon", { horizon: GATE_LEAD }],
      ["horizon", { horizon: GATE_LEAD - 1 }],
      ["horizon", { horizon: 30 * 86_400 + 1 }],
      ["tickSize", { tickSize: 0n }],
      ["tickSize", { tickSize: 1500n }],
      ["tickSize", { tickSize: 999n }],
      ["bondPerKwh", { bondPerKwh: 1n }],
      ["bondPerKwh", { bondPerKwh: 50_001n }],
      ["bondPerKwh", { bondPerKwh: 2n ** 32n * 1000n }],
      ["minOrderWh", { minOrderWh: 0n }],
      ["minOrderWh", { minOrderWh: 2n ** 24n }],
      ["bandBps", { bandBps: 100 }], // a band without a feed
      ["feeBps", { feeBps: 1001 }],
      ["bandBps", { priceFeed: "0x000000000000000000000000000000000000dEaD", bandBps: 0, maxFeedAge: 60 }],
      [
        "bandBps",
        { priceFeed: "0x000000000000000000000000000000000000dEaD", bandBps: 10_001, maxFeedAge: 60 },
      ],
      [
        "maxFeedAge",
        { priceFeed: "0x000000000000000000000000000000000000dEaD", bandBps: 500, maxFeedAge: 0 },
      ],
      [
        "priceFeed",
        { priceFeed: "0x000000000000000000000000000000000000dEaD", bandBps: 500, maxFeedAge: 60 },
      ],
    ];
    for (const [reason, o] of invalid) {
      it(`refuses an invalid ${reason} (${JSON.stringify(o, (_, v) => (typeof v === "bigint" ? `${v}` : v))})`, async () => {
        const fx = await load();
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.createCommunity(["bad", params(o)], { account: fx.eve.account }),
            fx.market,
            "InvalidCommunityParams",
            [field(fx, "InvalidCommunityParams", reason)],
          ),
        );
        assert.equal(await fx.market.read.communityCount(), 1);
      });
    }

    it("accepts a price feed that is a contract", async () => {
      const fx = await load();
      const feed = await viem.deployContract("TestReferenceFeed", [8, 20_000_000n]);
      await fx.market.write.createCommunity(
        ["banded", params({ priceFeed: feed.address, bandBps: 10_000, maxFeedAge: 3600 })],
        { account: fx.eve.account },
      );
      const c = await fx.market.read.community([2]);
      assert.equal(c.priceFeed, getAddress(feed.address));
      assert.equal(c.bandBps, 10_000);
      assert.equal(c.maxFeedAge, 3600);
    });
  });

  describe("join", () => {
    it("adds a member, bumps the member count, emits MemberJoined", async () => {
      const fx = await load();
      await A.emitWithArgs(
        fx.market.write.join([1], { account: fx.eve.account }),
        fx.market,
        "MemberJoined",
        [1, getAddress(fx.eve.account.address)],
      );
      assert.equal(await fx.market.read.isMember([1, fx.eve.account.address]), true);
      assert.equal((await fx.market.read.community([1])).members, 5);
    });

    it("refuses an existing member with AlreadyMember", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.join([1], { account: fx.bob.account }),
          fx.market,
          "AlreadyMember",
          [1, getAddress(fx.bob.account.address)],
        ),
      );
      assert.equal((await fx.market.read.community([1])).members, 4);
    });

    it("refuses an unknown community with UnknownCommunity", async () => {
      const fx = await load();
      for (const id of [0, 2, 2 ** 32 - 1]) {
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.join([id], { account: fx.eve.account }),
            fx.market,
            "UnknownCommunity",
            [id],
          ),
        );
      }
    });
  });

  describe("admission", () => {
    it("admin may require admission; join is then refused and admit is the way in", async () => {
      const fx = await load();
      await A.emitWithArgs(
        fx.market.write.setAdmissionRequired([1, true], { account: fx.alice.account }),
        fx.market,
        "AdmissionRequiredSet",
        [1, true],
      );
      assert.equal(await fx.market.read.admissionRequired([1]), true);
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.join([1], { account: fx.eve.account }),
          fx.market,
          "AdmissionRequired",
          [1],
        ),
      );
      await A.emitWithArgs(
        fx.market.write.admit([1, fx.eve.account.address], { account: fx.alice.account }),
        fx.market,
        "MemberJoined",
        [1, getAddress(fx.eve.account.address)],
      );
      assert.equal(await fx.market.read.isMember([1, fx.eve.account.address]), true);
      assert.equal((await fx.market.read.community([1])).members, 5);
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.admit([1, fx.eve.account.address], { account: fx.alice.account }),
          fx.market,
          "AlreadyMember",
          [1, getAddress(fx.eve.account.address)],
        ),
      );
      await fx.market.write.setAdmissionRequired([1, false], { account: fx.alice.account });
      await fx.market.write.join([1], { account: fx.admin.account });
    });

    it("only the community admin admits or changes admission", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.admit([1, fx.eve.account.address], { account: fx.bob.account }),
          fx.market,
          "NotCommunityAdmin",
          [1, getAddress(fx.bob.account.address)],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.setAdmissionRequired([1, true], { account: fx.bob.account }),
          fx.market,
          "NotCommunityAdmin",
          [1, getAddress(fx.bob.account.address)],
        ),
      );
      assert.equal(await fx.market.read.admissionRequired([1]), false);
    });

    it("memberSince records the joining block", async () => {
      const fx = await load();
      const hash = await fx.market.write.join([1], { account: fx.eve.account });
      const { blockNumber } = await fx.publicClient.waitForTransactionReceipt({ hash });
      assert.equal(await fx.market.read.memberSince([1, fx.eve.account.address]), blockNumber);
      assert.equal(await fx.market.read.memberSince([2, fx.eve.account.address]), 0n);
    });
  });

  describe("setCommunityFee", () => {
    it("lets the admin set the fee up to MAX_FEE_BPS", async () => {
      const fx = await load();
      assert.equal(await fx.market.read.MAX_FEE_BPS(), 1000);
      // Scheduled for the first slot whose market is not open yet (see test/delivery/fee-schedule).
      await fx.market.write.setCommunityFee([1, 1000], { account: fx.alice.account });
      const c = await fx.market.read.community([1]);
      assert.equal(c.feeBps, FEE_BPS);
      assert.equal(c.nextFeeBps, 1000);
      assert.equal((c.nextFeeFrom - HORIZON) % SLOT, 0);
      await fx.market.write.setCommunityFee([1, 0], { account: fx.alice.account });
      assert.equal((await fx.market.read.community([1])).nextFeeBps, 0);
    });

    it("refuses a fee above MAX_FEE_BPS", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.setCommunityFee([1, 1001], { account: fx.alice.account }),
          fx.market,
          "InvalidCommunityParams",
          [field(fx, "InvalidCommunityParams", "feeBps")],
        ),
      );
      assert.equal((await fx.market.read.community([1])).feeBps, FEE_BPS);
    });

    it("refuses anyone but the community admin (members too, unknown communities too)", async () => {
      const fx = await load();
      for (const [id, w] of [
        [1, fx.bob],
        [1, fx.eve],
        [2, fx.alice],
      ] as const) {
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.setCommunityFee([id, 5], { account: w.account }),
            fx.market,
            "NotCommunityAdmin",
            [id, getAddress(w.account.address)],
          ),
        );
      }
    });
  });

  describe("setPriceBand", () => {
    it("sets, changes and removes the band (admin), emitting CommunityPriceBandChanged", async () => {
      const fx = await load();
      const feed = await viem.deployContract("TestReferenceFeed", [8, 20_000_000n]);
      await A.emitWithArgs(
        fx.market.write.setPriceBand([1, feed.address, 2000, 600], { account: fx.alice.account }),
        fx.market,
        "CommunityPriceBandChanged",
        [1, getAddress(feed.address), 2000, 600],
      );
      let c = await fx.market.read.community([1]);
      assert.deepEqual([c.priceFeed, c.bandBps, c.maxFeedAge], [getAddress(feed.address), 2000, 600]);
      await fx.market.write.setPriceBand([1, zeroAddress, 0, 0], { account: fx.alice.account });
      c = await fx.market.read.community([1]);
      assert.deepEqual([c.priceFeed, c.bandBps, c.maxFeedAge], [zeroAddress, 0, 0]);
    });

    it("refuses invalid bands", async () => {
      const fx = await load();
      const feed = await viem.deployContract("TestReferenceFeed", [8, 20_000_000n]);
      const cases: [string, readonly [`0x${string}`, number, number]][] = [
        ["bandBps", [feed.address, 0, 60]],
        ["bandBps", [feed.address, 10_001, 60]],
        ["maxFeedAge", [feed.address, 100, 0]],
        ["priceFeed", [fx.bob.account.address, 100, 60]],
      ];
      for (const [reason, [f, b, age]] of cases) {
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.setPriceBand([1, f, b, age], { account: fx.alice.account }),
            fx.market,
            "InvalidCommunityParams",
            [field(fx, "InvalidCommunityParams", reason)],
          ),
        );
      }
    });

    it("refuses anyone but the admin", async () => {
      const fx = await load();
      const feed = await viem.deployContract("TestReferenceFeed", [8, 20_000_000n]);
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.setPriceBand([1, feed.address, 100, 60], { account: fx.bob.account }),
          fx.market,
          "NotCommunityAdmin",
          [1, getAddress(fx.bob.account.address)],
        ),
      );
    });
  });

  describe("setCommunityAdmin", () => {
    it("hands over the admin role; the old admin loses it", async () => {
      const fx = await load();
      await A.emitWithArgs(
        fx.market.write.setCommunityAdmin([1, fx.bob.account.address], { account: fx.alice.account }),
        fx.market,
        "CommunityAdminChanged",
        [1, getAddress(fx.bob.account.address)],
      );
      assert.equal((await fx.market.read.community([1])).admin, getAddress(fx.bob.account.address));
      await fx.market.write.setCommunityFee([1, 7], { account: fx.bob.account });
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.setCommunityFee([1, 8], { account: fx.alice.account }),
        fx.market,
        "NotCommunityAdmin",
        [1, getAddress(fx.alice.account.address)],
      );
    });

    it("refuses the zero address and non-admins", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.setCommunityAdmin([1, zeroAddress], { account: fx.alice.account }),
          fx.market,
          "InvalidCommunityParams",
          [field(fx, "InvalidCommunityParams", "admin")],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.setCommunityAdmin([1, fx.eve.account.address], { account: fx.eve.account }),
          fx.market,
          "NotCommunityAdmin",
          [1, getAddress(fx.eve.account.address)],
        ),
      );
    });
  });

  describe("meters", () => {
    it("registerMeter stores the meter and emits MeterRegistered", async () => {
      const fx = await load();
      const dev = "0x00000000000000000000000000000000000000AA";
      await A.emitWithArgs(
        fx.market.write.registerMeter([fx.bob.account.address, 1, MeterKind.Storage, 12_000, dev], {
          account: fx.registry.account,
        }),
        fx.market,
        "MeterRegistered",
        [5, getAddress(fx.bob.account.address), 1, MeterKind.Storage, 12_000, getAddress(dev)],
      );
      assert.equal(await fx.market.read.meterCount(), 5);
      assert.deepEqual(await fx.market.read.meter([5]), [
        getAddress(fx.bob.account.address),
        1,
        MeterKind.Storage,
        true,
        12_000,
        getAddress(dev),
      ]);
    });

    it("registerMeter refuses unknown communities, non-members, zero capacity, zero device key", async () => {
      const fx = await load();
      const dev = fx.bob.account.address;
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.registerMeter([fx.bob.account.address, 9, 0, 1, dev], {
            account: fx.registry.account,
          }),
          fx.market,
          "UnknownCommunity",
          [9],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.registerMeter([fx.eve.account.address, 1, 0, 1, dev], {
            account: fx.registry.account,
          }),
          fx.market,
          "NotMember",
          [1, getAddress(fx.eve.account.address)],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.registerMeter([fx.bob.account.address, 1, 0, 0, dev], {
            account: fx.registry.account,
          }),
          fx.market,
          "InvalidMeter",
          [field(fx, "InvalidMeter", "capacityW")],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.registerMeter([fx.bob.account.address, 1, 0, 1, zeroAddress], {
            account: fx.registry.account,
          }),
          fx.market,
          "InvalidMeter",
          [field(fx, "InvalidMeter", "deviceKey")],
        ),
      );
      await A.revert(
        fx.market.write.registerMeter([fx.bob.account.address, 1, 4, 1, dev], {
          account: fx.registry.account,
        }),
      ); // bad enum
      assert.equal(await fx.market.read.meterCount(), 4);
    });

    it("a member cannot register a meter by itself: only the settlement contract, after the registrar's certificate (issue 13 F5)", async () => {
      const fx = await load();
      const dev = "0x00000000000000000000000000000000000000bb";
      // Before F5, `registerMeter(communityId, kind, capacityW, deviceKey)` let the seller pick its
      // own meter's key and capacity; the call that replaced it is the settlement contract's alone.
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.registerMeter([fx.bob.account.address, 1, MeterKind.Producer, 1_000_000, dev], {
          account: fx.bob.account,
        }),
        fx.market,
        "AccessControlUnauthorizedAccount",
        [getAddress(fx.bob.account.address), await fx.market.read.SETTLER_ROLE()],
      );
      assert.equal(await fx.market.read.meterCount(), 4);
    });

    it("transferMeter moves a meter to another member", async () => {
      const fx = await load();
      const id = fx.meters.bob;
      await A.emitWithArgs(
        fx.market.write.transferMeter([id, fx.carol.account.address], { account: fx.bob.account }),
        fx.market,
        "MeterTransferred",
        [id, getAddress(fx.bob.account.address), getAddress(fx.carol.account.address)],
      );
      assert.equal((await fx.market.read.meter([id]))[0], getAddress(fx.carol.account.address));
      // the previous owner can no longer move it
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.transferMeter([id, fx.bob.account.address], { account: fx.bob.account }),
        fx.market,
        "NotMeterOwner",
        [id, getAddress(fx.bob.account.address)],
      );
    });

    it("transferMeter refuses unknown meters, non-owners and non-member recipients", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.transferMeter([99, fx.carol.account.address], { account: fx.bob.account }),
          fx.market,
          "UnknownMeter",
          [99],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.transferMeter([fx.meters.bob, fx.carol.account.address], {
            account: fx.carol.account,
          }),
          fx.market,
          "NotMeterOwner",
          [fx.meters.bob, getAddress(fx.carol.account.address)],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.transferMeter([fx.meters.bob, fx.eve.account.address], { account: fx.bob.account }),
          fx.market,
          "NotMember",
          [1, getAddress(fx.eve.account.address)],
        ),
      );
      assert.equal((await fx.market.read.meter([fx.meters.bob]))[0], getAddress(fx.bob.account.address));
    });

    it("deactivateMeter deactivates once; unknown, foreign and inactive meters are refused", async () => {
      const fx = await load();
      const id = fx.meters.bob;
      await A.emitWithArgs(
        fx.market.write.deactivateMeter([id], { account: fx.bob.account }),
        fx.market,
        "MeterDeactivated",
        [id],
      );
      assert.equal((await fx.market.read.meter([id]))[3], false);
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.deactivateMeter([id], { account: fx.bob.account }),
          fx.market,
          "MeterInactive",
          [id],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.deactivateMeter([fx.meters.carol], { account: fx.bob.account }),
          fx.market,
          "NotMeterOwner",
          [fx.meters.carol, getAddress(fx.bob.account.address)],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.deactivateMeter([0], { account: fx.bob.account }),
          fx.market,
          "UnknownMeter",
          [0],
        ),
      );
    });

    it("an unknown meter reads as empty", async () => {
      const fx = await load();
      assert.deepEqual(await fx.market.read.meter([77]), [zeroAddress, 0, 0, false, 0, zeroAddress]);
    });
  });
});
