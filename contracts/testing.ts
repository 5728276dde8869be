/**
 * @powershare/contracts/testing — Node-only helpers for other packages' tests and benchmarks that
 * need a real local chain: start this package's `hardhat node`, and read compiled artifacts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export const CONTRACTS_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface HardhatNode {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

async function rpcUp(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return r.ok;
  } catch {
    return false;
  }
}

/** Starts `hardhat node` of the contracts package on `port` (automine) and waits for its RPC. */
export async function startHardhatNode(port: number): Promise<HardhatNode> {
  const url = `http://127.0.0.1:${port}`;
  if (await rpcUp(url)) throw new Error(`something already listens on ${url}`);
  // hardhat's package exports hide its CLI file, so find it in this package's or the root's node_modules.
  const hardhat = [CONTRACTS_DIR, path.dirname(CONTRACTS_DIR)]
    .map((dir) => path.join(dir, "node_modules", "hardhat", "dist", "src", "cli.js"))
    .find((file) => existsSync(file));
  if (!hardhat) throw new Error("hardhat is not installed next to the contracts package");
  const proc = spawn(process.execPath, [hardhat, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: CONTRACTS_DIR,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", FORCE_COLOR: "0" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!(await rpcUp(url))) {
    if (proc.exitCode !== null) throw new Error(`hardhat node exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`hardhat node did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** A compiled contract's ABI and bytecode, by its path under src/ (e.g. "EnergyMarket.sol/EnergyMarket.json"). */
export function compiledArtifact(rel: string): { abi: Abi; bytecode: Hex } {
  return JSON.parse(readFileSync(path.join(CONTRACTS_DIR, "artifacts", "src", rel), "utf8")) as {
    abi: Abi;
    bytecode: Hex;
  };
}
