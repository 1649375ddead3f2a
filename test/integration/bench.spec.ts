/**
 * `npm run bench` end to end with --quick (tiny sizes), so the harness cannot rot: every scenario runs against the
 * real RabbitMQ with real Node-RED runtimes, prints its table and a JSON line, and leaves no queue behind. The numbers of a quick run mean nothing and are not checked; the counts are.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { queueInfo } from "../helpers/rabbit";

const RUN = path.resolve(__dirname, "../../bench/run.js");

interface Drain {
  messages: number;
  perSecond: number;
  counted: number;
}

interface QuickReport {
  bench: string;
  queue: string;
  pass: boolean;
  machine: { cores: number; node: string; rabbitmq: string; nodeRed: string };
  options: { backlog: number; memoryBacklog: number; rate: number; durationSeconds: number; quick: boolean };
  baseline: Drain;
  baselineMultipleAck: Drain;
  observations: Drain & { ratio: number };
  filter: Drain & { ratio: number };
  latency: { published: number; received: number; latency: { samples: number; p50: number; p99: number; max: number } };
  memory: { messages: number; beforeMB: number; afterMB: number; peakMB: number };
  scaleout: { messages: number; split: number[]; duplicates: number; missing: number };
  commands: {
    roundTrip: { sent: number; answered: number; errors: number; roundTrip: { samples: number; p50: number; p99: number } };
    backlog: number;
    withoutPerSecond: number;
    withPerSecond: number;
    costPercent: number;
  };
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe("npm run bench --quick (integration)", function () {
  this.timeout(60_000);

  it("runs every scenario end to end: a table, a JSON line with full counts, no queue left behind", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "easee-bench-test-"));
    try {
      const { code, stdout, stderr, ms } = await runBench(["--quick", "--out", out]);
      assert.equal(code, 0, `the bench failed:\n${stderr}\n${stdout}`);

      // What a user reads: one row per scenario.
      for (const row of [
        "1 bare amqplib consumer",
        "2 easee-config + easee-observations",
        "3 … + easee-filter (4 rules)",
        "4 latency at 500/s",
        "5 RSS over 3,000 msgs",
        "peak RSS, 3,000 waiting at deploy",
        "6 scale-out: 2 runtimes, one queue",
        "7 command round trip at 10/s",
        "drain of 2,000 with commands",
      ]) {
        assert.ok(stdout.includes(row), `table row "${row}" missing:\n${stdout}`);
      }

      // The last line is JSON, the same as result.json.
      const lines = stdout.trim().split("\n");
      const report = JSON.parse(lines.at(-1) as string) as QuickReport;
      assert.deepEqual(report, JSON.parse(fs.readFileSync(path.join(out, "result.json"), "utf8")));
      assert.equal(report.bench, "easee-amqp");
      assert.equal(report.options.quick, true);
      assert.ok(report.machine.cores >= 1 && /^v\d+/.test(report.machine.node) && report.machine.rabbitmq !== "" && report.machine.nodeRed !== "not run");

      // Every backlog drained completely, in every scenario.
      const backlog = report.options.backlog;
      for (const drain of [report.baseline, report.baselineMultipleAck, report.observations, report.filter]) {
        assert.equal(drain.messages, backlog);
        assert.ok(drain.perSecond > 0);
      }
      assert.equal(report.observations.counted, backlog, "every delivery reached the counter");
      assert.ok(report.filter.counted > 0 && report.filter.counted < backlog, "the filter passed some msgs, not all");
      assert.ok(report.observations.ratio > 0 && report.filter.ratio > 0);

      const expected = report.options.rate * report.options.durationSeconds;
      assert.equal(report.latency.published, expected);
      assert.equal(report.latency.received, expected);
      assert.equal(report.latency.latency.samples, expected);
      assert.ok(report.latency.latency.p50 <= report.latency.latency.p99 && report.latency.latency.p99 <= report.latency.latency.max);

      assert.equal(report.memory.messages, report.options.memoryBacklog);
      assert.ok(report.memory.beforeMB > 0 && report.memory.afterMB > 0 && report.memory.peakMB >= report.memory.afterMB);

      assert.equal(report.scaleout.messages, backlog);
      assert.equal(report.scaleout.split.length, 2);
      assert.equal(report.scaleout.duplicates, 0);
      assert.equal(report.scaleout.missing, 0);

      // Every command answered by the simulator's charger, none failed.
      const commands = report.commands;
      assert.ok(commands.roundTrip.sent > 0);
      assert.equal(commands.roundTrip.answered, commands.roundTrip.sent);
      assert.equal(commands.roundTrip.errors, 0);
      assert.equal(commands.roundTrip.roundTrip.samples, commands.roundTrip.answered);
      assert.ok(commands.withoutPerSecond > 0 && commands.withPerSecond > 0 && Number.isFinite(commands.costPercent));

      // Cleaned up: the run's queue (and exchange) are deleted.
      await assert.rejects(queueInfo(report.queue), /NOT_FOUND|404/);
      // About 8-10 s on the 2-core CI machine; not asserted, a loaded machine is no failure of the harness.
      if (ms > 15_000) console.log(`      (the quick run took ${ms} ms)`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("explains a bad flag instead of running", async () => {
    const { code, stderr } = await runBench(["--backlog", "lots"]);
    assert.equal(code, 2);
    assert.match(stderr, /--backlog needs a whole number/);
    assert.match(stderr, /Usage: npm run bench/);
  });
});
