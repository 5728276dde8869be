/**
 * Artifacts of contracts that live in npm dependencies (e.g. Chainlink's MockV3Aggregator).
 *
 * Hardhat 3 emits artifacts only for project files unless `solidity.npmFilesToBuild` lists the npm
 * file. This helper uses that artifact when it exists and otherwise takes the contract's compiled
 * output from the build info of the project file that imports it (contracts/src/mocks/ReferencePriceFeed.sol),
 * so Ignition can deploy it either way. `hardhat ignition deploy` and `hardhat test` build first.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Artifact } from "@nomicfoundation/ignition-core";

const artifactsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "artifacts");

interface SolcContractOutput {
  abi: unknown[];
  evm: {
    bytecode: { object: string; linkReferences?: Artifact["linkReferences"] };
    deployedBytecode: {
      object: string;
      linkReferences?: Artifact["linkReferences"];
      immutableReferences?: Artifact["immutableReferences"];
    };
  };
}

/** `sourceName` as imported, e.g. "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol". */
export function npmArtifact(sourceName: string, contractName: string): Artifact {
  const emitted = path.join(artifactsDir, sourceName, `${contractName}.json`);
  if (existsSync(emitted)) return JSON.parse(readFileSync(emitted, "utf8")) as Artifact;

  const [scope, pkg, ...rest] = sourceName.split("/");
  const packageName = scope?.startsWith("@") ? `${scope}/${pkg}` : scope;
  const inPackage = (scope?.startsWith("@") ? rest : [pkg, ...rest]).join("/");
  const buildInfoDir = path.join(artifactsDir, "build-info");
  const outputs = existsSync(buildInfoDir)
    ? readdirSync(buildInfoDir).filter((f) => f.endsWith(".output.json"))
    : [];
  for (const file of outputs) {
    const { output } = JSON.parse(readFileSync(path.join(buildInfoDir, file), "utf8")) as {
      output: { contracts?: Record<string, Record<string, SolcContractOutput>> };
    };
    for (const [inputSourceName, contracts] of Object.entries(output.contracts ?? {})) {
      // npm sources are named "npm/<package>@<version>/<path inside the package>".
      if (!inputSourceName.startsWith(`npm/${packageName}@`)) continue;
      if (!inputSourceName.endsWith(`/${inPackage}`)) continue;
      const c = contracts[contractName];
      if (c === undefined) continue;
      return {
        _format: "hh3-artifact-1",
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        linkReferences: c.evm.bytecode.linkReferences ?? {},
        deployedLinkReferences: c.evm.deployedBytecode.linkReferences ?? {},
        immutableReferences: c.evm.deployedBytecode.immutableReferences ?? {},
        inputSourceName,
        buildInfoId: file.slice(0, -".output.json".length),
      };
    }
  }
  throw new Error(
    `No compiled output for ${sourceName}:${contractName}; run \`hardhat build\` in contracts/ first`,
  );
}

/** Chainlink's MockV3Aggregator (decimals, initial answer), the local reference price feed. */
export const mockV3AggregatorArtifact = (): Artifact =>
  npmArtifact("@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol", "MockV3Aggregator");
