import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, parseSignature, toHex } from "viem";
import {
  DEPOSIT,
  MINTED,
  OrderType,
  type Fx,
  type Wallet,
  ask,
  balance,
  bid,
  bond,
  closeGate,
  load,
  networkHelpers,
  orderParams,
  refused,
  val,
  placeMany,
  simulateMany,
  viem,
} from "./fixture.ts";

const A = viem.assertions;

async function signPermit(fx: Fx, owner: Wallet, value: bigint, deadline: bigint, nonce?: bigint) {
  const chainId = await fx.publicClient.getChainId();
  const n = nonce ?? (await fx.usdc.read.nonces([owner.account.address]));
  const signature = await owner.signTypedData({
    account: owner.account,
    domain: { name: "PowerShare Test USD", version: "1", chainId, verifyingContract: fx.usdc.address },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: owner.account.address, spender: fx.market.address, value, nonce: n, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { r, s, v: Number(v ?? BigInt(27 + yParity)) };
}

describe("EnergyMarket · balances", () => {
  describe("deposit", () => {
    it("pulls the tokens and credits the free balance, emitting Deposited", async () => {
      const fx = await load();
      const before = await fx.usdc.read.balanceOf([fx.market.address]);
      await A.emitWithArgs(
        fx.market.write.deposit([123_456n], { account: fx.bob.account }),
        fx.market,
        "Deposited",
        [getAddress(fx.bob.account.address), 123_456n],
      );
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT + 123_456n, locked: 0n });
      assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), before + 123_456n);
      assert.equal(await fx.usdc.read.balanceOf([fx.bob.account.address]), MINTED - DEPOSIT - 123_456n);
    });

    it("needs no community membership", async () => {
      const fx = await load();
      await fx.market.write.deposit([1n], { account: fx.eve.account });
      assert.deepEqual(await balance(fx, fx.eve), { free: 1n, locked: 0n });
    });

    it("refuses zero with ZeroAmount", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.deposit([0n], { account: fx.bob.account }),
          fx.market,
          "ZeroAmount",
        ),
      );
    });

    it("reverts when the allowance or token balance is short", async () => {
      const fx = await load();
      await fx.usdc.write.approve([fx.market.address, 10n], { account: fx.bob.account });
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.deposit([11n], { account: fx.bob.account }),
          fx.usdc,
          "ERC20InsufficientAllowance",
          [getAddress(fx.market.address), 10n, 11n],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.deposit([MINTED], { account: fx.carol.account }),
          fx.usdc,
          "ERC20InsufficientBalance",
          [getAddress(fx.carol.account.address), MINTED - DEPOSIT, MINTED],
        ),
      );
    });

    it("credits exactly what arrived from a fee-on-transfer token, and withdraws it", async () => {
      const fx = await load();
      const fee = await viem.deployContract("FeeOnTransferToken");
      const market = await viem.deployContract("EnergyMarket", [
        fee.address,
        fx.admin.account.address,
        fx.guardian.account.address,
      ]);
      await fee.write.mint([fx.bob.account.address, 1_000_000n]);
      await fee.write.approve([market.address, 1_000_000n], { account: fx.bob.account });
      await A.emitWithArgs(
        market.write.deposit([100_000n], { account: fx.bob.account }),
        market,
        "Deposited",
        [getAddress(fx.bob.account.address), 99_000n],
      );
      assert.deepEqual(await market.read.balanceOf([fx.bob.account.address]), [99_000n, 0n]);
      assert.equal(await fee.read.balanceOf([market.address]), 99_000n);
      // 99 base units: 1 % of it is 0, so the whole of it arrives
      await market.write.deposit([99n], { account: fx.bob.account });
      assert.deepEqual(await market.read.balanceOf([fx.bob.account.address]), [99_099n, 0n]);
      // the whole credited balance can leave again; the recipient bears the transfer fee
      await market.write.withdraw([99_099n, fx.carol.account.address], { account: fx.bob.account });
      assert.deepEqual(await market.read.balanceOf([fx.bob.account.address]), [0n, 0n]);
      assert.equal(await fee.read.balanceOf([market.address]), 0n);
      assert.equal(await fee.read.balanceOf([fx.carol.account.address]), 99_099n - 990n);
    });
    it("refuses a deposit of which nothing arrives with ZeroAmount", async () => {
      const fx = await load();
      const odd = await viem.deployContract("OddToken", [6]);
      const market = await viem.deployContract("EnergyMarket", [
        odd.address,
        fx.admin.account.address,
        fx.guardian.account.address,
      ]);
      await odd.write.mint([fx.bob.account.address, 1_000n]);
      await odd.write.approve([market.address, 1_000n], { account: fx.bob.account });
      await odd.write.setSwallow([true]);
      await A.revertWithCustomError(
        market.write.deposit([500n], { account: fx.bob.account }),
        market,
        "ZeroAmount",
      );
      assert.deepEqual(await market.read.balanceOf([fx.bob.account.address]), [0n, 0n]);
    });

    it("the market refuses a quote token with more than 6 decimals", async () => {
      const fx = await load();
      for (const d of [7, 18]) {
        const odd = await viem.deployContract("OddToken", [d]);
        await A.revertWithCustomErrorWithArgs(
          viem.deployContract("EnergyMarket", [
            odd.address,
            fx.admin.account.address,
            fx.guardian.account.address,
          ]),
          fx.market,
          "UnsupportedQuoteToken",
          [d],
        );
      }
      const ok = await viem.deployContract("OddToken", [0]);
      await viem.deployContract("EnergyMarket", [
        ok.address,
        fx.admin.account.address,
        fx.guardian.account.address,
      ]);
    });

    it("MockUSDC's faucet drips once per cooldown", async () => {
      const fx = await load();
      const amount = await fx.usdc.read.FAUCET_AMOUNT();
      await fx.usdc.write.faucet({ account: fx.eve.account });
      const t = BigInt(await networkHelpers.time.latest());
      assert.equal(await fx.usdc.read.balanceOf([fx.eve.account.address]), MINTED + amount);
      await A.revertWithCustomErrorWithArgs(
        fx.usdc.write.faucet({ account: fx.eve.account }),
        fx.usdc,
        "FaucetCooldown",
        [t + 3600n],
      );
      await networkHelpers.time.increaseTo(t + 3600n);
      await fx.usdc.write.faucet({ account: fx.eve.account });
      assert.equal(await fx.usdc.read.balanceOf([fx.eve.account.address]), MINTED + 2n * amount);
    });
  });

  describe("depositWithPermit", () => {
    it("deposits with a signed EIP-2612 permit and no prior approval", async () => {
      const fx = await load();
      await fx.usdc.write.approve([fx.market.address, 0n], { account: fx.bob.account });
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const { v, r, s } = await signPermit(fx, fx.bob, 5_000_000n, deadline);
      await A.emitWithArgs(
        fx.market.write.depositWithPermit([5_000_000n, deadline, v, r, s], { account: fx.bob.account }),
        fx.market,
        "Deposited",
        [getAddress(fx.bob.account.address), 5_000_000n],
      );
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT + 5_000_000n, locked: 0n });
      assert.equal(await fx.usdc.read.nonces([fx.bob.account.address]), 1n);
      assert.equal(await fx.usdc.read.allowance([fx.bob.account.address, fx.market.address]), 0n);
    });

    it("still deposits when someone front-ran the permit", async () => {
      const fx = await load();
      await fx.usdc.write.approve([fx.market.address, 0n], { account: fx.bob.account });
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const { v, r, s } = await signPermit(fx, fx.bob, 7_000_000n, deadline);
      // eve submits bob's permit first
      await fx.usdc.write.permit([fx.bob.account.address, fx.market.address, 7_000_000n, deadline, v, r, s], {
        account: fx.eve.account,
      });
      await fx.market.write.depositWithPermit([7_000_000n, deadline, v, r, s], { account: fx.bob.account });
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT + 7_000_000n, locked: 0n });
    });

    it("falls back to an existing allowance when the permit is invalid", async () => {
      const fx = await load();
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const junk = keccak256(toHex("junk"));
      await fx.market.write.depositWithPermit([1_000n, deadline, 27, junk, junk], {
        account: fx.bob.account,
      });
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT + 1_000n, locked: 0n });
    });

    it("reverts without allowance when the permit is invalid, expired or signed by someone else", async () => {
      const fx = await load();
      await fx.usdc.write.approve([fx.market.address, 0n], { account: fx.bob.account });
      const now = BigInt(await networkHelpers.time.latest());
      const expired = await signPermit(fx, fx.bob, 1_000n, now - 1n);
      const byCarol = await signPermit(fx, fx.carol, 1_000n, now + 3600n);
      for (const [deadline, sig] of [
        [now - 1n, expired],
        [now + 3600n, byCarol],
      ] as const) {
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.depositWithPermit([1_000n, deadline, sig.v, sig.r, sig.s], {
              account: fx.bob.account,
            }),
            fx.usdc,
            "ERC20InsufficientAllowance",
            [getAddress(fx.market.address), 0n, 1_000n],
          ),
        );
      }
    });

    it("refuses zero with ZeroAmount", async () => {
      const fx = await load();
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const { v, r, s } = await signPermit(fx, fx.bob, 0n, deadline);
      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.depositWithPermit([0n, deadline, v, r, s], { account: fx.bob.account }),
          fx.market,
          "ZeroAmount",
        ),
      );
    });
  });

  describe("withdraw", () => {
    it("sends free balance to any recipient, emitting Withdrawn", async () => {
      const fx = await load();
      const tokenBefore = await fx.usdc.read.balanceOf([fx.market.address]);
      await A.emitWithArgs(
        fx.market.write.withdraw([400n, fx.eve.account.address], { account: fx.bob.account }),
        fx.market,
        "Withdrawn",
        [getAddress(fx.bob.account.address), getAddress(fx.eve.account.address), 400n],
      );
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - 400n, locked: 0n });
      assert.equal(await fx.usdc.read.balanceOf([fx.eve.account.address]), MINTED + 400n);
      assert.equal(await fx.usdc.read.balanceOf([fx.market.address]), tokenBefore - 400n);
      await fx.market.write.withdraw([DEPOSIT - 400n, fx.bob.account.address], { account: fx.bob.account });
      assert.deepEqual(await balance(fx, fx.bob), { free: 0n, locked: 0n });
      assert.equal(await fx.usdc.read.balanceOf([fx.bob.account.address]), MINTED - 400n);
    });

    it("refuses zero and more than the free balance; locked funds cannot be withdrawn", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.withdraw([0n, fx.bob.account.address], { account: fx.bob.account }),
          fx.market,
          "ZeroAmount",
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.withdraw([DEPOSIT + 1n, fx.bob.account.address], { account: fx.bob.account }),
          fx.market,
          "InsufficientBalance",
          [DEPOSIT, DEPOSIT + 1n],
        ),
      );
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.withdraw([1n, fx.eve.account.address], { account: fx.eve.account }),
          fx.market,
          "InsufficientBalance",
          [0n, 1n],
        ),
      );
      const lock = val(1000n, 20);
      await bid(fx, fx.bob, 20, 1000n);
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - lock, locked: lock });
      await refused(fx, () =>
        A.revertWithCustomErrorWithArgs(
          fx.market.write.withdraw([DEPOSIT - lock + 1n, fx.bob.account.address], {
            account: fx.bob.account,
          }),
          fx.market,
          "InsufficientBalance",
          [DEPOSIT - lock, DEPOSIT - lock + 1n],
        ),
      );
    });

    it("refuses the zero address as recipient (token refuses)", async () => {
      const fx = await load();
      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.withdraw([1n, "0x0000000000000000000000000000000000000000"], {
            account: fx.bob.account,
          }),
          fx.usdc,
          "ERC20InvalidReceiver",
        ),
      );
    });
  });

  describe("pause (GUARDIAN_ROLE)", () => {
    it("only the guardian may pause and unpause", async () => {
      const fx = await load();
      const role = await fx.market.read.GUARDIAN_ROLE();
      assert.equal(role, keccak256(toHex("GUARDIAN_ROLE")));
      assert.equal(await fx.market.read.hasRole([role, fx.guardian.account.address]), true);
      for (const w of [fx.admin, fx.alice, fx.bob]) {
        await refused(fx, () =>
          A.revertWithCustomErrorWithArgs(
            fx.market.write.pause({ account: w.account }),
            fx.market,
            "AccessControlUnauthorizedAccount",
            [getAddress(w.account.address), role],
          ),
        );
      }
      await A.emitWithArgs(fx.market.write.pause({ account: fx.guardian.account }), fx.market, "Paused", [
        getAddress(fx.guardian.account.address),
      ]);
      assert.equal(await fx.market.read.paused(), true);
      await A.revertWithCustomError(
        fx.market.write.pause({ account: fx.guardian.account }),
        fx.market,
        "EnforcedPause",
      );
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.unpause({ account: fx.bob.account }),
        fx.market,
        "AccessControlUnauthorizedAccount",
        [getAddress(fx.bob.account.address), role],
      );
      await A.emitWithArgs(fx.market.write.unpause({ account: fx.guardian.account }), fx.market, "Unpaused", [
        getAddress(fx.guardian.account.address),
      ]);
      assert.equal(await fx.market.read.paused(), false);
      await A.revertWithCustomError(
        fx.market.write.unpause({ account: fx.guardian.account }),
        fx.market,
        "ExpectedPause",
      );
    });

    it("the admin names the treasury governor once; nobody can grant TREASURER_ROLE otherwise", async () => {
      const fx = await load();
      const role = await fx.market.read.TREASURER_ROLE();
      const adminRole = await fx.market.read.DEFAULT_ADMIN_ROLE();
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.setTreasuryGovernor([fx.carol.account.address], { account: fx.bob.account }),
        fx.market,
        "AccessControlUnauthorizedAccount",
        [getAddress(fx.bob.account.address), adminRole],
      );
      await A.revertWithCustomError(
        fx.market.write.grantRole([role, fx.admin.account.address], { account: fx.admin.account }),
        fx.market,
        "AccessControlUnauthorizedAccount",
      );
      await A.emitWithArgs(
        fx.market.write.setTreasuryGovernor([fx.carol.account.address], { account: fx.admin.account }),
        fx.market,
        "TreasuryGovernorSet",
        [getAddress(fx.carol.account.address)],
      );
      assert.equal(await fx.market.read.hasRole([role, fx.carol.account.address]), true);
      await A.revertWithCustomErrorWithArgs(
        fx.market.write.setTreasuryGovernor([fx.dave.account.address], { account: fx.admin.account }),
        fx.market,
        "TreasuryGovernorAlreadySet",
        [getAddress(fx.carol.account.address)],
      );
    });

    it("the admin can appoint another guardian", async () => {
      const fx = await load();
      const role = await fx.market.read.GUARDIAN_ROLE();
      await fx.market.write.grantRole([role, fx.carol.account.address], { account: fx.admin.account });
      await fx.market.write.pause({ account: fx.carol.account });
      assert.equal(await fx.market.read.paused(), true);
    });

    it("refuses deposits and orders while paused; withdraw, cancel and claim still work", async () => {
      const fx = await load();
      const resting = await bid(fx, fx.bob, 20, 1000n);
      const resting2 = await ask(fx, fx.carol, 30, 500n);
      const filledAsk = await ask(fx, fx.dave, 25, 300n);
      await bid(fx, fx.alice, 25, 300n); // fills dave's ask
      await fx.market.write.pause({ account: fx.guardian.account });

      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.deposit([1n], { account: fx.bob.account }),
          fx.market,
          "EnforcedPause",
        ),
      );
      const deadline = BigInt((await networkHelpers.time.latest()) + 3600);
      const { v, r, s } = await signPermit(fx, fx.bob, 1n, deadline);
      await refused(fx, () =>
        A.revertWithCustomError(
          fx.market.write.depositWithPermit([1n, deadline, v, r, s], { account: fx.bob.account }),
          fx.market,
          "EnforcedPause",
        ),
      );
      for (const type of [
        OrderType.Limit,
        OrderType.ImmediateOrCancel,
        OrderType.FillOrKill,
        OrderType.PostOnly,
      ]) {
        const p = orderParams(fx, fx.carol, { isBid: false, tick: 20, amountWh: 100n, orderType: type });
        await refused(fx, () =>
          A.revertWithCustomError(
            fx.market.write.placeOrder([p], { account: fx.carol.account }),
            fx.market,
            "EnforcedPause",
          ),
        );
      }
      const p = orderParams(fx, fx.bob, { isBid: true, tick: 10, amountWh: 100n });
      await refused(fx, () =>
        A.revertWithCustomError(placeMany(fx, fx.bob, [p]), fx.market, "EnforcedPause"),
      );

      // withdraw works
      await fx.market.write.withdraw([1_000n, fx.bob.account.address], { account: fx.bob.account });
      // cancel works
      await fx.market.write.cancel([resting.orderId], { account: fx.bob.account });
      assert.deepEqual(await balance(fx, fx.bob), { free: DEPOSIT - 1_000n, locked: 0n });
      // claim works after the gate
      await closeGate(fx);
      await fx.market.write.claim([[resting2.orderId, filledAsk.orderId]], { account: fx.eve.account });
      assert.deepEqual(await balance(fx, fx.carol), { free: DEPOSIT, locked: 0n });
      assert.deepEqual(await balance(fx, fx.dave), { free: DEPOSIT - bond(300n), locked: bond(300n) });
    });
  });
});
