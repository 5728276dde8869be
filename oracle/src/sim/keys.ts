/**
 * Deterministic keys for simulated meters: the same seed gives the same device and owner keys, so
 * the meters file, the chain seed script and the simulator agree without sharing secrets in files.
 *
 *   deviceKey(seed, meterId) = keccak256(abi.encodePacked("powershare-device", seed, uint32 meterId))
 *   ownerKey(seed, meterId)  = keccak256(abi.encodePacked("powershare-owner",  seed, uint32 meterId))
 *
 * For simulation and tests only.
 */
import { encodePacked, keccak256, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

export function devicePrivateKey(seed: string, meterId: number): Hex {
  return keccak256(encodePacked(["string", "string", "uint32"], ["powershare-device", seed, meterId]));
}

export function ownerPrivateKey(seed: string, meterId: number): Hex {
  return keccak256(encodePacked(["string", "string", "uint32"], ["powershare-owner", seed, meterId]));
}

export function deviceAccount(seed: string, meterId: number): PrivateKeyAccount {
  return privateKeyToAccount(devicePrivateKey(seed, meterId));
}

export function ownerAccount(seed: string, meterId: number): PrivateKeyAccount {
  return privateKeyToAccount(ownerPrivateKey(seed, meterId));
}
