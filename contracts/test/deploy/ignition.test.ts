/**
 * The Ignition modules deploy and wire up correctly on the in-process Hardhat network:
 * LocalStack (MockUSDC, MockV3Aggregator, EnergyMarket, DeliverySettlement, SettlementKeeper,
 * TreasuryGovernor, roles and the oracle signer) and PowerShare (EnergyMarket against an
 * existing quote token, with admin and guardian parameters).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { existsSync, readFileSync } from "node:fs";
import { network } from "hardhat";
import { getAddress, keccak256, toBytes, zeroHash } from "viem";
import LocalStackModule, {
  ORACLE_SIGNER_ACCOUNT,
  REFERENCE_FEED_DECIMALS,
  REFERENCE_PRICE,
  SETTLER_ROLE,
  TREASURER_ROLE,
} from "../../ignition/modules/LocalStack.ts";
import PowerShareModule from "../../ignition/modules/PowerShare.ts";
import { mockV3AggregatorAbi } from "../../index.ts";
import amoyParameters from "../../ignition/parameters/amoy.json" with { type: "json" };
import polygonParameters from "../../ignition/parameters/polygon.json" with { type: "json" };

const GUARDIAN_ROLE = keccak256(toBytes("GUARDIAN_ROLE"));
const DEFAULT_ADMIN_ROLE = zeroHash;

describe("Ignition: the Chainlink mock's artifact (FINDINGS F1 regression)", () => {
  it("is built from npm (solidity.npmFilesToBuild), not recovered from a project file's build info", () => {
    // npmArtifact falls back to the build info when the artifact is missing, so the deploy alone
    // would not notice if the npm build regressed: check the emitted artifact itself.
    const file = new URL(
      "../../artifacts/@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol/MockV3Aggregator.json",
      import.meta.url,
    );
    assert.ok(existsSync(file), "hardhat build emits MockV3Aggregator's artifact from @chainlink/contracts");
    const artifact = JSON.parse(readFileSync(file, "utf8")) as { contractName: string; bytecode: string };
    assert.equal(artifact.contractName, "MockV3Aggregator");
    assert.ok(artifact.bytecode.length > 2);
  });
});

describe("Ignition: LocalStack", async () => {
  const { ignition, viem } = await network.create();
  const [deployer, other] = await viem.getWalletClients();

  it("deploys MockUSDC, the reference feed and EnergyMarket quoting in the mock", async () => {
    const { quoteToken, referenceFeed, energyMarket } = await ignition.deploy(LocalStackModule);

    assert.equal(getAddress(await energyMarket.read.quoteToken()), getAddress(quoteToken.address));
    assert.equal(await quoteToken.read.decimals(), 6);
    assert.equal(await quoteToken.read.symbol(), "USDC");

    const publicClient = await viem.getPublicClient();
    const feed = { address: referenceFeed.address, abi: mockV3AggregatorAbi } as const;
    assert.equal(
      await publicClient.readContract({ ...feed, functionName: "decimals" }),
      REFERENCE_FEED_DECIMALS,
    );
    const [, answer, , updatedAt] = await publicClient.readContract({
      ...feed,
      functionName: "latestRoundData",
    });
    assert.equal(answer, REFERENCE_PRICE);
    assert.ok(updatedAt > 0n);

    const admin = deployer!.account.address;
    assert.equal(await energyMarket.read.hasRole([DEFAULT_ADMIN_ROLE, admin]), true);
    assert.equal(await energyMarket.read.hasRole([GUARDIAN_ROLE, admin]), true);
    assert.equal(await energyMarket.read.hasRole([GUARDIAN_ROLE, other!.account.address]), false);
    assert.equal(await energyMarket.read.paused(), false);
    assert.equal(await energyMarket.read.communityCount(), 0);
  });

  it("wires settlement, keeper and treasury governor to the market, with one oracle signer", async () => {
    const { energyMarket, settlement, keeper, treasuryGovernor } = await ignition.deploy(LocalStackModule);
    const wallets = await viem.getWalletClients();
    assert.equal(await energyMarket.read.hasRole([SETTLER_ROLE, settlement.address]), true);
    assert.equal(await energyMarket.read.hasRole([TREASURER_ROLE, treasuryGovernor.address]), true);
    assert.equal(getAddress(await settlement.read.market()), getAddress(energyMarket.address));
    assert.equal(getAddress(await keeper.read.settlement()), getAddress(settlement.address));
    const signer = wallets[ORACLE_SIGNER_ACCOUNT]!.account.address;
    assert.equal(await settlement.read.isOracleSigner([signer]), true);
    assert.equal(await settlement.read.isOracleSigner([deployer!.account.address]), false);
  });

  it("lets the market take deposits of the mock token (wiring works end to end)", async () => {
    const { quoteToken, energyMarket } = await ignition.deploy(LocalStackModule);
    const user = other!.account.address;
    await quoteToken.write.mint([user, 1_000_000n]);
    await quoteToken.write.approve([energyMarket.address, 400_000n], { account: user });
    await energyMarket.write.deposit([400_000n], { account: user });
    assert.deepEqual(await energyMarket.read.balanceOf([user]), [400_000n, 0n]);
    assert.equal(await quoteToken.read.balanceOf([energyMarket.address]), 400_000n);
  });
});

describe("Ignition: PowerShare", async () => {
  const { ignition, viem } = await network.create();
  const [deployer, admin, guardian] = await viem.getWalletClients();

  it("deploys the protocol against the given quote token, wired, with the given oracle set and guardian", async () => {
    const usdc = await viem.deployContract("MockUSDC");
    const oracles = [admin!.account.address, guardian!.account.address];
    const { energyMarket, settlement, keeper, treasuryGovernor } = await ignition.deploy(PowerShareModule, {
      parameters: {
        PowerShare: {
          quoteToken: usdc.address,
          oracleSigners: oracles,
          oracleThreshold: 2,
          guardian: guardian!.account.address,
        },
      },
    });
    assert.equal(getAddress(await energyMarket.read.quoteToken()), getAddress(usdc.address));
    assert.equal(await energyMarket.read.hasRole([DEFAULT_ADMIN_ROLE, deployer!.account.address]), true);
    assert.equal(await energyMarket.read.hasRole([GUARDIAN_ROLE, guardian!.account.address]), true);
    assert.equal(await energyMarket.read.hasRole([GUARDIAN_ROLE, deployer!.account.address]), false);
    assert.equal(await energyMarket.read.hasRole([SETTLER_ROLE, settlement.address]), true);
    assert.equal(
      getAddress(await energyMarket.read.treasuryGovernor()),
      getAddress(treasuryGovernor.address),
    );
    assert.equal(getAddress(await keeper.read.settlement()), getAddress(settlement.address));
    for (const o of oracles) assert.equal(await settlement.read.isOracleSigner([o]), true);
    assert.equal(await settlement.read.threshold(), 2);
  });

  it("refuses to deploy without oracle signers (k would be 0)", async () => {
    const usdc = await viem.deployContract("MockUSDC");
    await assert.rejects(
      ignition.deploy(PowerShareModule, {
        parameters: { PowerShare: { quoteToken: usdc.address, oracleSigners: [] } },
      }),
    );
  });

  it("refuses to deploy without a quote token parameter", async () => {
    await assert.rejects(ignition.deploy(PowerShareModule), /quoteToken/);
  });

  it("has parameter files naming native USDC on Amoy and Polygon", () => {
    assert.equal(
      getAddress(amoyParameters.PowerShare.quoteToken),
      getAddress("0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582"),
    );
    assert.equal(
      getAddress(polygonParameters.PowerShare.quoteToken),
      getAddress("0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"),
    );
  });
});
