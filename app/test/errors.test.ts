import { describe, expect, it } from "vitest";
import { BaseError, ContractFunctionRevertedError, encodeErrorResult, UserRejectedRequestError } from "viem";
import { energyMarketAbi } from "@powershare/contracts";
import { toUserError } from "@/lib/errors";

describe("errors as sentences", () => {
  it("decodes a custom error with its arguments", () => {
    const data = encodeErrorResult({
      abi: energyMarketAbi,
      errorName: "PriceOutsideBand",
      args: [310_000n, 250_000n, 2000],
    });
    const err = new ContractFunctionRevertedError({ abi: energyMarketAbi, data, functionName: "placeOrder" });
    const u = toUserError(new BaseError("wrapped", { cause: err }));
    expect(u.kind).toBe("revert");
    expect(u.message).toMatch(/0\.31 USDC\/kWh is above this community's band of 0\.3 USDC\/kWh/);
  });
  it("tells a wallet rejection apart", () => {
    const u = toUserError(new UserRejectedRequestError(new Error("User denied")));
    expect(u).toMatchObject({ kind: "rejected" });
  });
});

describe("every revert", () => {
  it("shows the SDK's sentence", async () => {
    const data = encodeErrorResult({ abi: energyMarketAbi, errorName: "MarketClosed", args: [1n << 40n] });
    const err = new ContractFunctionRevertedError({ abi: energyMarketAbi, data, functionName: "placeOrder" });
    const { explainError } = await import("@powershare/contracts/sdk");
    const u = toUserError(new BaseError("wrapped", { cause: err }));
    expect(u).toMatchObject({ kind: "revert", errorName: "MarketClosed" });
    expect(u.message).toBe(explainError(err));
  });
});
