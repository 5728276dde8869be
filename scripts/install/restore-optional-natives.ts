/**
 * Restores platform-specific optional dependencies that npm skipped.
 *
 * `npm install` runs under whatever Node the machine has (Node 20 here) and silently skips an
 * optional dependency whose `engines` that Node does not satisfy, even though every script of this
 * repository runs under the Node 24 that `node@24` installs. Hardhat's EDR native binding is such a
 * package (`engines: node >= 22`). This postinstall step, which npm runs under Node 24, installs
 * every optional package of the lockfile that fits this platform and is missing, from the registry
 * the lockfile names, with its recorded integrity.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface LockPackage {
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  integrity?: string;
}

const root = process.cwd();
const lockPath = join(root, "package-lock.json");
if (!existsSync(lockPath)) process.exit(0);
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockPackage> };

const libc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
  .glibcVersionRuntime
  ? "glibc"
  : "musl";

const fits = (allowed: string[] | undefined, value: string): boolean =>
  allowed === undefined ||
  (allowed.some((a) => !a.startsWith("!")) ? allowed.includes(value) : !allowed.includes(`!${value}`));

const missing = Object.entries(lock.packages).filter(
  ([path, pkg]) =>
    path.startsWith("node_modules/") &&
    pkg.optional === true &&
    (pkg.os !== undefined || pkg.cpu !== undefined) &&
    fits(pkg.os, process.platform) &&
    fits(pkg.cpu, process.arch) &&
    fits(pkg.libc, libc) &&
    !existsSync(join(root, path, "package.json")),
);

for (const [path, pkg] of missing) {
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  const spec = `${name}@${pkg.version}`;
  const work = mkdtempSync(join(tmpdir(), "powershare-native-"));
  try {
    const packed = JSON.parse(
      execFileSync("npm", ["pack", spec, "--json", "--pack-destination", work], { encoding: "utf8" }),
    ) as { filename: string; integrity: string }[];
    const [entry] = packed;
    if (!entry) throw new Error(`npm pack ${spec} returned nothing`);
    if (pkg.integrity && entry.integrity !== pkg.integrity) {
      throw new Error(
        `integrity mismatch for ${spec}: lockfile ${pkg.integrity}, registry ${entry.integrity}`,
      );
    }
    const target = join(root, path);
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["-xzf", join(work, entry.filename), "-C", target, "--strip-components=1"]);
    console.log(`restored optional native package ${spec}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
