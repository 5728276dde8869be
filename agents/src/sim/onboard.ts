/**
 * Setting up a simulated community quickly: dev accounts derived from one BIP-39 seed (viem's
 * `mnemonicToAccount` runs PBKDF2 in JavaScript for every account; node:crypto runs it once,
 * natively), and households onboarded mostly concurrently — the admin mints each household's deposit, then
 * every household approves, deposits and joins from its own wallet, all at once, then registers its
 * meter in turn (ids independent of timing; with a certificate from the
 * communities' registrar, as the test stack sets them up). The meter id comes from the MeterRegistered event of the household's own
 * transaction.
 */
import { pbkdf2Sync } from "node:crypto";
import { createWalletClient, parseEventLogs, type Address, type Chain, type Hex, type Transport } from "viem";
import { HDKey, hdKeyToAccount, type HDAccount } from "viem/accounts";
import {
  deliverySettlementAbi,
  energyMarketAbi,
  meterCertificateTypedData,
  mockUsdcAbi,
} from "@powershare/contracts";
import type { AnyPublicClient, AnyWalletClient } from "@powershare/contracts/sdk";
import { DEV_MNEMONIC, REGISTRAR_INDEX } from "@powershare/contracts/sdk/testing";

export class DevAccounts {
  readonly #master: HDKey;
  readonly #cache = new Map<number, HDAccount>();
  constructor(mnemonic = DEV_MNEMONIC) {
    // BIP-39: seed = PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" + passphrase, 2048 rounds, 64 bytes)
    const seed = pbkdf2Sync(mnemonic.normalize("NFKD"), "mnemonic", 2048, 64, "sha512");
    this.#master = HDKey.fromMasterSeed(seed);
  }
  /** Account #i of the mnemonic (m/44'/60'/0'/0/i), the same as `devAccount(i)`. */
  get(i: number): HDAccount {
    let a = this.#cache.get(i);
    if (!a) {
      a = hdKeyToAccount(this.#master, { addressIndex: i });
      this.#cache.set(i, a);
    }
    return a;
  }
}

export interface OnboardRequest {
  accountIndex: number;
  communityId: number;
  deposit: bigint;
  /** Meter kind (1 consumer, 2 prosumer). */
  kind: number;
  capacityW: number;
}

/**
 * Onboards households into their communities; returns each one's meter id, in request order.
 * Account #0 (the communities' admin and MockUSDC's minter) mints.
 */
export async function onboardAll(
  chain: Chain,
  transport: Transport,
  publicClient: AnyPublicClient,
  accounts: DevAccounts,
  addresses: { market: Address; quoteToken: Address; settlement: Address },
  requests: readonly OnboardRequest[],
): Promise<number[]> {
  const wallet = (i: number) =>
    createWalletClient({ chain, transport, account: accounts.get(i) }) as AnyWalletClient;
  const mined = async (hash: Hex) => {
    const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (r.status !== "success") throw new Error(`onboarding transaction ${hash} reverted`);
    return r;
  };
  const send = (
    w: AnyWalletClient,
    to: Address,
    abi: typeof energyMarketAbi | typeof mockUsdcAbi | typeof deliverySettlementAbi,
    functionName: string,
    args: readonly unknown[],
    nonce?: number,
  ) =>
    w.writeContract({
      account: w.account!,
      chain,
      address: to,
      abi,
      functionName,
      args,
      ...(nonce === undefined ? {} : { nonce }),
    } as never) as Promise<Hex>;
  const admin = wallet(0);
  let nonce = await publicClient.getTransactionCount({
    address: admin.account!.address,
    blockTag: "pending",
  });
  const mints: Hex[] = [];
  for (const r of requests) {
    if (r.deposit <= 0n) continue;
    mints.push(
      await send(
        admin,
        addresses.quoteToken,
        mockUsdcAbi,
        "mint",
        [accounts.get(r.accountIndex).address, r.deposit],
        nonce++,
      ),
    );
  }
  await Promise.all(mints.map(mined));
  const registrar = accounts.get(REGISTRAR_INDEX);
  const chainNow = Number((await publicClient.getBlock()).timestamp);
  await Promise.all(
    requests.map(async (r) => {
      const w = wallet(r.accountIndex);
      const a = w.account!.address;
      if (r.deposit > 0n) {
        await mined(
          await send(w, addresses.quoteToken, mockUsdcAbi, "approve", [addresses.market, r.deposit]),
        );
        await mined(await send(w, addresses.market, energyMarketAbi, "deposit", [r.deposit]));
      }
      const member = await publicClient.readContract({
        address: addresses.market,
        abi: energyMarketAbi,
        functionName: "isMember",
        args: [BigInt(r.communityId), a],
      } as never);
      if (!member) await mined(await send(w, addresses.market, energyMarketAbi, "join", [r.communityId]));
    }),
  );
  // meters registered one after the other, in request order: their ids do not depend on timing
  const ids: number[] = [];
  for (const [n, r] of requests.entries()) {
    const w = wallet(r.accountIndex);
    const a = w.account!.address;
    // the deadline, unique per meter, keeps two otherwise equal certificates apart
    const certificate = {
      communityId: r.communityId,
      owner: a,
      kind: r.kind,
      capacityW: r.capacityW,
      deviceKey: a,
      deadline: chainNow + 86_400 + n,
    };
    const signature = await registrar.signTypedData(
      meterCertificateTypedData(chain.id, addresses.settlement, certificate),
    );
    const receipt = await mined(
      await send(w, addresses.settlement, deliverySettlementAbi, "registerMeter", [certificate, signature]),
    );
    const ev = parseEventLogs({ abi: energyMarketAbi, eventName: "MeterRegistered", logs: receipt.logs });
    const id = (ev[0]?.args as { meterId?: bigint | number } | undefined)?.meterId;
    if (id === undefined) throw new Error(`no MeterRegistered event for account #${r.accountIndex}`);
    ids.push(Number(id));
  }
  return ids;
}
