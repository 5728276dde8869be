/**
 * Meter admission (decision 0023): the community's meter registrar (an installer) certifies a
 * meter's device key and capacity for its owner with an EIP-712 signature; the owner (or anyone)
 * registers the meter with that certificate through DeliverySettlement. A registrar never
 * certifies its own meters.
 */
import { getAddress, type Abi, type Address } from "viem";
import {
  deliverySettlementAbi,
  meterCertificateTypedData,
  type MeterCertificate,
  type SignedMeterCertificate,
} from "../../index.ts";
import { chainNow, requireAccount, requireSettlement, type SdkContext } from "../context.ts";
import { InvalidInputError, PreflightError } from "../errors/sdk-errors.ts";
import { execute, type WriteOptions, type WriteResult } from "./execute.ts";

const SETTLEMENT_ABI = deliverySettlementAbi as unknown as Abi;

/** The account whose certificates admit a community's meters (its registrar, else its admin). */
export async function getMeterRegistrar(ctx: SdkContext, communityId: number): Promise<Address> {
  return (await ctx.publicClient.readContract({
    address: requireSettlement(ctx),
    abi: SETTLEMENT_ABI,
    functionName: "registrarOf",
    args: [communityId],
  })) as Address;
}

/**
 * Signs a meter certificate with the context's wallet (the registrar). Refuses, before signing,
 * when the wallet is not the community's registrar or is the meter's owner.
 */
export async function certifyMeter(
  ctx: SdkContext,
  certificate: MeterCertificate,
): Promise<SignedMeterCertificate> {
  const account = requireAccount(ctx);
  const settlement = requireSettlement(ctx);
  const registrar = await getMeterRegistrar(ctx, certificate.communityId);
  if (getAddress(registrar) !== getAddress(account.address))
    throw new PreflightError(
      "NOT_REGISTRAR",
      `${account.address} is not the meter registrar of community ${certificate.communityId} (${registrar} is)`,
      { communityId: certificate.communityId, registrar },
    );
  if (getAddress(certificate.owner) === getAddress(account.address))
    throw new PreflightError("SELF_CERTIFIED", "a registrar cannot certify its own meter", {
      communityId: certificate.communityId,
    });
  const chainId = await ctx.publicClient.getChainId();
  const signature = await ctx.walletClient!.signTypedData({
    account,
    ...meterCertificateTypedData(chainId, settlement, certificate),
  });
  return { certificate, signature };
}

/** Registers the certified meter (DeliverySettlement.registerMeter); returns the new meter's id. */
export async function registerMeter(
  ctx: SdkContext,
  signed: SignedMeterCertificate,
  opts: WriteOptions = {},
): Promise<WriteResult<number>> {
  const c = signed.certificate;
  if (c.capacityW <= 0) throw new InvalidInputError("the certificate's capacity must be positive");
  if ((await chainNow(ctx)) > c.deadline)
    throw new PreflightError("CERTIFICATE_EXPIRED", "the meter certificate has expired", {
      deadline: c.deadline,
    });
  return execute<number>(
    ctx,
    {
      address: requireSettlement(ctx),
      abi: SETTLEMENT_ABI,
      functionName: "registerMeter",
      args: [c, signed.signature],
    },
    opts,
  );
}
