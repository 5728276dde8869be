/** Configuration: env and flags, validated with a clear message per bad value. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, flagsToEnv, loadConfig } from "../src/config/config.ts";

const issuesOf = (env: Record<string, string>, argv: string[] = []): string[] => {
  try {
    loadConfig(env, argv);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues;
  }
};

describe("config", () => {
  it("has working defaults with a meters file", () => {
    const c = loadConfig({ METERS_FILE: "m.json" });
    assert.equal(c.GRACE_SECONDS, 60);
    assert.equal(c.MQTT_URL, undefined);
    assert.equal(c.ORACLE_THRESHOLD, 1);
  });

  it("lets flags override the environment", () => {
    assert.deepEqual(flagsToEnv(["--grace-seconds", "5", "--http-port=0"]), {
      GRACE_SECONDS: "5",
      HTTP_PORT: "0",
    });
    const c = loadConfig({ METERS_FILE: "m.json", GRACE_SECONDS: "30" }, ["--grace-seconds=5"]);
    assert.equal(c.GRACE_SECONDS, 5);
  });

  it("reports every bad value with its name", () => {
    const issues = issuesOf({
      MQTT_URL: "http://broker",
      GRACE_SECONDS: "-1",
      HTTP_PORT: "70000",
      RPC_URL: "http://127.0.0.1:8545",
      ORACLE_PRIVATE_KEY: "0x1234",
      ORACLE_SIGNERS: "0x0000000000000000000000000000000000000001,nope",
    });
    const text = issues.join("\n");
    for (const name of [
      "MQTT_URL",
      "GRACE_SECONDS",
      "HTTP_PORT",
      "ORACLE_PRIVATE_KEY",
      "ORACLE_SIGNERS",
      "MARKET_ADDRESS",
    ]) {
      assert.match(text, new RegExp(`^${name}: `, "m"), `${name} reported`);
    }
    assert.match(text, /GRACE_SECONDS: .*\(got "-1"\)/);
    assert.doesNotMatch(text, /0x1234/, "secrets are not echoed");
  });

  it("requires a meter directory and a feasible threshold", () => {
    assert.match(issuesOf({}).join("\n"), /METERS_FILE: required without RPC_URL/);
    assert.match(
      issuesOf({ METERS_FILE: "m", ORACLE_THRESHOLD: "2" }).join("\n"),
      /ORACLE_THRESHOLD: k=2 exceeds/,
    );
    assert.match(
      issuesOf({ METERS_FILE: "m" }, ["--no-such-flag", "1"]).join("\n"),
      /unknown flag --no-such-flag/,
    );
  });
});
