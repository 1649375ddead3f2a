/**
 * `npm test` on a fresh machine: its pretest step (scripts/test-prerequisites.sh) brings what is missing or says
 * clearly what to do. Chromium cannot be uninstalled from a shared machine, so the missing browser is one the
 * script is pointed at and cannot find (CHROMIUM_PATH), which it must report, not try to install.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

const SCRIPT = path.resolve(__dirname, "..", "..", "..", "scripts", "test-prerequisites.sh");

function run(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync("bash", [SCRIPT], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

describe("npm test's pretest step (scripts/test-prerequisites.sh)", () => {
  it("passes on this machine, which has everything the tests need", () => {
    const result = run({});
    assert.equal(result.status, 0, result.stderr);
  });

  it("stops with a message saying what to install when Chromium is missing", () => {
    const result = run({ CHROMIUM_PATH: path.join(__dirname, "no-such-chromium") });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /npm test needs these/);
    assert.match(result.stderr, /Chromium for the editor tests: not found at .*no-such-chromium/);
    assert.match(result.stderr, /apt-get install chromium/);
    assert.match(result.stderr, /CHROMIUM_PATH/);
  });
});
