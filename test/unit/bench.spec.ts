/** The benchmark's pure parts: flags and environment, percentiles, the flows it deploys. */
import assert from "node:assert/strict";
import { parseOptions, SCENARIOS, UsageError } from "../../bench/options";
import { FILTER_RULES, NODE_IDS, buildFlow, summarise } from "../../bench/protocol";

describe("bench: options", () => {
  it("defaults are the issue's sizes: backlog 200,000, 1,000,000 for memory, 5,000/s for 20 s, prefetch 200", () => {
    const options = parseOptions([], {});
    assert.equal(options.quick, false);
    assert.equal(options.backlog, 200_000);
    assert.equal(options.memoryBacklog, 1_000_000);
    assert.equal(options.rate, 5000);
    assert.equal(options.durationSeconds, 20);
    assert.equal(options.prefetch, 200);
    assert.deepEqual(options.scenarios, [...SCENARIOS]);
  });

  it("--quick shrinks everything; flags and EASEE_BENCH_* variables override", () => {
    const quick = parseOptions(["--quick"], {});
    assert.ok(quick.quick && quick.backlog < 10_000 && quick.memoryBacklog < 10_000);
    const set = parseOptions(["--backlog", "5000", "--rate=100", "--only", "latency, baseline"], { EASEE_BENCH_PREFETCH: "50", EASEE_BENCH_QUICK: "1" });
    assert.equal(set.backlog, 5000);
    assert.equal(set.rate, 100);
    assert.equal(set.prefetch, 50);
    assert.equal(set.quick, true);
    assert.deepEqual(set.scenarios, ["baseline", "latency"], "always in the canonical order");
    assert.deepEqual(parseOptions(["--node-flags", "--max-old-space-size=96 --trace-gc"], {}).nodeFlags, ["--max-old-space-size=96", "--trace-gc"]);
  });

  it("refuses what it cannot use, saying why", () => {
    assert.throws(() => parseOptions(["--backlog", "0"], {}), (error: Error) => error instanceof UsageError && /whole number/.test(error.message));
    assert.throws(() => parseOptions(["--only", "speed"], {}), /unknown scenario "speed"/);
    assert.throws(() => parseOptions(["--fast"], {}), /unknown flag --fast/);
    assert.throws(() => parseOptions(["--rate"], {}), /--rate needs a value/);
  });
});

describe("bench: percentiles and flows", () => {
  it("nearest-rank percentiles", () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1
    const s = summarise(values);
    assert.deepEqual(s && [s.samples, s.p50, s.p90, s.p99, s.p999, s.max], [1000, 500, 900, 990, 999, 1000]);
    assert.equal(summarise([]), undefined);
  });

  it("the filter flow: observations → filter with four rules (one by name), every output to the counter", () => {
    const { flows, credentials } = buildFlow({ kind: "filter", apiUrl: "http://x", username: "u", password: "p", prefetch: 200, expect: 10 });
    const filter = flows.find((node) => node.id === NODE_IDS.filter);
    assert.deepEqual(filter?.rules, FILTER_RULES);
    assert.ok(FILTER_RULES.some((rule) => /[A-Za-z]/.test(rule.ids)));
    assert.deepEqual(filter?.wires, [[NODE_IDS.counter], [NODE_IDS.counter], [NODE_IDS.counter], [NODE_IDS.counter]]);
    assert.deepEqual(flows.find((node) => node.id === NODE_IDS.observations)?.wires, [[NODE_IDS.filter]]);
    assert.deepEqual(credentials, { [NODE_IDS.config]: { username: "u", password: "p" } });
    assert.deepEqual(buildFlow({ kind: "idle", apiUrl: "", username: "", password: "", prefetch: 1, expect: 0 }).flows.map((n) => n.type), ["tab"]);
  });
});
