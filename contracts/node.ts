/**
 * @powershare/contracts/node — Node-only helpers: read an address book from disk at run time (the
 * dev chain's book is rewritten by every `npm run dev`, so it cannot be baked into generated/).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { publicAddressBook } from "./index.ts";
import type { AddressBook } from "./types.ts";

export * from "./index.ts";

const root = path.dirname(fileURLToPath(import.meta.url));

/** contracts/deployments/<chainId>.json */
export function addressBookPath(chainId: number): string {
  return path.join(root, "deployments", `${chainId}.json`);
}

/**
 * The address book of `chainId`: the file on disk if present (always for the dev chain 31337,
 * written by `npm run dev`), else the committed one baked into the ABIs module.
 */
export function readAddressBook(chainId: number): AddressBook {
  const file = addressBookPath(chainId);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as AddressBook;
  const book = publicAddressBook(chainId);
  if (book === undefined) {
    throw new Error(
      `no address book for chain ${chainId} (${file}); for the dev chain run \`npm run dev\` first`,
    );
  }
  return book;
}
