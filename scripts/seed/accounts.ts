/**
 * The dev chain's accounts (Hardhat's default mnemonic, the same keys `hardhat node` prints) and the
 * deterministic device keys of the demo meters. Public test keys: never use them with real funds.
 */
import { encodePacked, keccak256, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

/** Hardhat's default development mnemonic (accounts #0..#19 of `hardhat node`). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevAccount {
  index: number;
  address: Address;
  privateKey: Hex;
  account: PrivateKeyAccount;
}

/** Account #`index` of the dev chain, with its private key. */
export function devAccount(index: number): DevAccount {
  const hd = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
  const privateKey = toHex(hd.getHdKey().privateKey!);
  const account = privateKeyToAccount(privateKey);
  return { index, address: account.address, privateKey, account };
}

/** Seed of the demo meters' device keys; the meter simulator derives the same keys from it. */
export const DEV_DEVICE_SEED = "powershare-dev";

/**
 * A meter's device key: keccak256(abi.encodePacked("powershare-device", seed, uint32 meterId)), the
 * derivation the oracle's meter simulator uses (oracle/src/sim/keys.ts).
 */
export function devicePrivateKey(meterId: number, seed: string = DEV_DEVICE_SEED): Hex {
  return keccak256(encodePacked(["string", "string", "uint32"], ["powershare-device", seed, meterId]));
}

export function deviceAccount(meterId: number, seed: string = DEV_DEVICE_SEED): PrivateKeyAccount {
  return privateKeyToAccount(devicePrivateKey(meterId, seed));
}
