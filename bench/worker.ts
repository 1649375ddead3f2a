/**
 * A benchmark child process, started by bench/run.ts with an IPC channel:
 *   node worker.js amqplib     a bare amqplib consumer (prefetch, JSON.parse, ack): the limit to compare with;
 *   node worker.js node-red    a real Node-RED runtime (embedded: RED.init + RED.start, no HTTP server, a temp
 *                              user directory) with this package's nodes and `bench-counter` loaded from nodesDir;
 *                              flows are deployed through the runtime API (RED.runtime.flows.setFlows).
 * Each runs in its own process so the publisher never shares its event loop or its memory readings.
 */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import * as os from "node:os";
import * as path from "node:path";
import { connect, type ConsumeMessage } from "amqplib";
import { counterHub } from "./counter-node";
import {
  NODE_IDS,
  buildFlow,
  summarise,
  type ChildMessage,
  type CommandRunResult,
  type DrainResult,
  type FlowSpec,
  type ParentMessage,
} from "./protocol";

interface EmbeddedRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly runtime: {
    readonly flows: {
      setFlows(options: { flows: { flows: unknown[]; credentials?: unknown }; deploymentType?: string }): Promise<unknown>;
    };
  };
  readonly events: {
    once(event: string, listener: () => void): void;
  };
  readonly nodes: {
    getNode(id: string): { receive(msg: Record<string, unknown>): void; error(...args: unknown[]): void } | null;
  };
  readonly hooks: {
    add(name: string, hook: (event: { node?: { id?: string } }) => void): void;
    remove(name: string): void;
  };
}

const PROGRESS_MS = 500;

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

function fail(error: unknown): void {
  send({ type: "failed", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

/** Deliveries counted by whatever marks "drained" in the current run, for progress and results. */
interface Meter {
  drained: number;
  firstMs: number;
  lastMs: number;
  expect: number;
  finished: boolean;
}

function newMeter(expect: number): Meter {
  return { drained: 0, firstMs: 0, lastMs: 0, expect, finished: false };
}

let progressTimer: NodeJS.Timeout | undefined;

// --- CPU profile of the drain only (not of start-up), when the parent asks for one ----------------------------

const profileFile = process.env.EASEE_BENCH_PROFILE;
let profiler: Session | undefined;

/** A .heapprofile file asks for an allocation profile (every allocation sampled, also those already collected). */
const heapProfile = profileFile?.endsWith(".heapprofile") === true;

function startProfile(): void {
  if (!profileFile || profiler) return;
  profiler = new Session();
  profiler.connect();
  if (heapProfile) {
    profiler.post("HeapProfiler.enable");
    profiler.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    return;
  }
  profiler.post("Profiler.enable");
  profiler.post("Profiler.setSamplingInterval", { interval: 250 });
  profiler.post("Profiler.start");
}

function stopProfile(): Promise<void> {
  const session = profiler;
  if (!session || !profileFile) return Promise.resolve();
  profiler = undefined;
  return new Promise((resolve) => {
    const write = (error: Error | null, answer: { profile: unknown }): void => {
      if (!error) fs.writeFileSync(profileFile, JSON.stringify(answer.profile));
      session.disconnect();
      resolve();
    };
    if (heapProfile) session.post("HeapProfiler.stopSampling", write);
    else session.post("Profiler.stop", write);
  });
}

function reportProgress(read: () => number): void {
  if (progressTimer) clearInterval(progressTimer);
  progressTimer = setInterval(() => {
    const usage = process.memoryUsage();
    send({ type: "progress", drained: read(), heapTotal: usage.heapTotal, external: usage.external });
  }, PROGRESS_MS);
  progressTimer.unref();
}

// --- bare amqplib consumer ------------------------------------------------------------------------------------

async function runAmqplib(): Promise<void> {
  process.on("disconnect", () => process.exit(0));
  let meter = newMeter(0);
  let closeConnection: (() => Promise<void>) | undefined;
  const result = (): DrainResult => ({ drained: meter.drained, counted: meter.drained, firstMs: meter.firstMs, lastMs: meter.lastMs });

  process.on("message", (message: ParentMessage) => {
    void (async () => {
      switch (message.cmd) {
        case "consume": {
          meter = newMeter(message.expect);
          const connection = await connect(message.amqpUrl, {
            clientProperties: { connection_name: `easee-bench baseline ${process.pid}` },
          });
          connection.on("error", () => undefined);
          closeConnection = () => connection.close().catch(() => undefined);
          const channel = await connection.createChannel();
          channel.on("error", () => undefined);
          await channel.prefetch(message.prefetch, false);
          await channel.checkQueue(message.queue);
          reportProgress(() => meter.drained);
          startProfile();
          // "multiple": one ack (allUpTo) for everything a socket read delivered, sent once the deliveries of that
          // read are handled (a microtask), instead of one ack frame and one socket write per delivery.
          let pending: ConsumeMessage | undefined;
          const flush = (): void => {
            const last = pending;
            pending = undefined;
            if (last) channel.ack(last, true);
          };
          const multiple = message.ackMode === "multiple";
          // What any consumer must do per delivery, and nothing more: parse, count, ack.
          await channel.consume(
            message.queue,
            (delivery: ConsumeMessage | null) => {
              if (delivery === null) return;
              JSON.parse(delivery.content.toString("utf8"));
              const now = Date.now();
              if (meter.drained === 0) meter.firstMs = now;
              meter.lastMs = now;
              meter.drained++;
              if (!multiple) channel.ack(delivery);
              else {
                if (pending === undefined) queueMicrotask(flush);
                pending = delivery;
              }
              if (meter.drained === meter.expect && !meter.finished) {
                meter.finished = true;
                const done = result();
                void stopProfile().then(() => send({ type: "done", result: done }));
              }
            },
            { noAck: false },
          );
          send({ type: "consuming" });
          return;
        }
        case "result":
          send({ type: "result", result: result() });
          return;
        case "gc":
          send({ type: "memory", memory: memoryNow(true) });
          return;
        case "stop":
          await closeConnection?.();
          process.exit(0);
          return;
        default:
          throw new Error(`the amqplib worker cannot ${(message as { cmd: string }).cmd}`);
      }
    })().catch(fail);
  });
  send({ type: "ready", versions: { node: process.version, amqplib: packageVersion("amqplib") } });
}

// --- Node-RED runtime ---------------------------------------------------------------------------------------

function packageVersion(name: string): string {
  try {
    // Not `${name}/package.json`: packages with an "exports" map (amqplib) do not export it.
    let dir = path.dirname(require.resolve(name));
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const file = path.join(dir, "package.json");
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function memoryNow(collect: boolean): { rss: number; heapUsed: number; external: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) {
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
}

/** A node file for nodesDir: loads the package's compiled nodes (from this build) and the counter. */
function writeNodesFile(dir: string): void {
  const nodes = path.resolve(__dirname, "..", "nodes");
  const lines = [
    "// Written by bench/worker.ts: the package's nodes from the build under test, plus bench-counter.",
    "module.exports = function (RED) {",
    ...["easee-config", "easee-observations", "easee-filter", "easee-command"].map(
      (name) => `  require(${JSON.stringify(path.join(nodes, `${name}.js`))})(RED);`,
    ),
    `  require(${JSON.stringify(path.join(__dirname, "counter-node.js"))}).registerCounterNode(RED);`,
    "};",
    "",
  ];
  fs.writeFileSync(path.join(dir, "easee-bench.js"), lines.join("\n"));
  // Node-RED only loads a node file that has an .html beside it; no editor runs here, so it can stay empty.
  fs.writeFileSync(path.join(dir, "easee-bench.html"), "<!-- no editor in the benchmark runtime -->\n");
}

async function runNodeRed(): Promise<void> {
  const runtimePackage = process.env.NODE_RED_PACKAGE ?? "node-red";
  // bench/run.ts makes the user directory and removes it when this process exits (also when it is killed).
  const ownDir = process.env.EASEE_BENCH_USER_DIR === undefined;
  const userDir = process.env.EASEE_BENCH_USER_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "easee-bench-"));
  if (ownDir) process.on("exit", () => fs.rmSync(userDir, { recursive: true, force: true }));
  const nodesDir = path.join(userDir, "nodes");
  fs.mkdirSync(nodesDir);
  writeNodesFile(nodesDir);
  process.on("disconnect", () => process.exit(0));

  const RED = require(runtimePackage) as EmbeddedRed;
  // The full run loads Node-RED's core nodes, as every user's runtime does (they are part of its memory).
  const coreNodes = process.env.EASEE_BENCH_CORE_NODES !== "0";
  const emptyDir = path.join(userDir, "no-core-nodes");
  // Node-RED also lists <coreNodesDir>/examples.
  if (!coreNodes) fs.mkdirSync(path.join(emptyDir, "examples"), { recursive: true });
  RED.init({
    ...(coreNodes ? {} : { coreNodesDir: emptyDir }),
    userDir,
    nodesDir: [nodesDir],
    flowFile: "flows.json",
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: process.env.EASEE_BENCH_VERBOSE === "1" ? "info" : "warn", metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  });
  // The start-up flow load (with its credentials) must be over before a deploy, or it would wipe the
  // credentials the deploy adds.
  const started = new Promise<void>((resolve) => RED.events.once("flows:started", resolve));
  await RED.start();
  await started;

  let meter = newMeter(0);
  let filterHook = false;
  const finish = (): void => {
    if (meter.finished) return;
    meter.finished = true;
    // The filter's last matching msg reaches the counter one hop (setImmediate) after the filter's done().
    setImmediate(() =>
      setImmediate(() => {
        const done = result();
        void stopProfile().then(() => send({ type: "done", result: done }));
      }),
    );
  };
  const result = (): DrainResult => {
    const counter = counterHub.counters.get(NODE_IDS.counter);
    const counted = counter?.count ?? 0;
    const filterRun = filterHook;
    const base: DrainResult = {
      drained: filterRun ? meter.drained : counted,
      counted,
      firstMs: filterRun ? meter.firstMs : (counter?.firstMs ?? 0),
      lastMs: filterRun ? Math.max(meter.lastMs, counter?.lastMs ?? 0) : (counter?.lastMs ?? 0),
    };
    if (!counter) return base;
    const latency = summarise(counter.latencies);
    const decodeLatency = summarise(counter.decodeLatencies);
    const track = counter.track;
    return {
      ...base,
      ...(latency ? { latency } : {}),
      ...(decodeLatency ? { decodeLatency } : {}),
      ...(track
        ? { track: { orderInversions: track.orderInversions, perCharger: Object.fromEntries(track.perCharger), keys: track.keys } }
        : {}),
    };
  };

  counterHub.onExpected = () => finish();

  async function deploy(spec: FlowSpec): Promise<void> {
    if (filterHook) RED.hooks.remove("onComplete.bench");
    filterHook = false;
    counterHub.reset();
    meter = newMeter(spec.expect);
    if (spec.kind === "filter") {
      // Not every msg passes the filter, so its done() calls (one per msg it handles) mark the drain.
      filterHook = true;
      const filterMeter = meter;
      RED.hooks.add("onComplete.bench", (event) => {
        if (event.node?.id !== NODE_IDS.filter) return;
        const now = Date.now();
        if (filterMeter.drained === 0) filterMeter.firstMs = now;
        filterMeter.lastMs = now;
        filterMeter.drained++;
        if (filterMeter.drained === filterMeter.expect) finish();
      });
    }
    const { flows, credentials } = buildFlow(spec);
    if (spec.kind !== "idle" && spec.kind !== "account") startProfile();
    await RED.runtime.flows.setFlows({ flows: { flows, credentials }, deploymentType: "full" });
    reportProgress(() => (filterHook ? meter.drained : counterHub.total()));
  }

  /** Scenario 7: commands into easee-command at a fixed rate; errors counted through the runtime's log hook. */
  let stopCommands: (() => void) | undefined;
  async function sendCommands(rate: number, durationMs: number): Promise<CommandRunResult> {
    // setFlows may answer before the new flow's nodes exist.
    let node = RED.nodes.getNode(NODE_IDS.command);
    for (let waited = 0; !node && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      node = RED.nodes.getNode(NODE_IDS.command);
    }
    if (!node) throw new Error("no easee-command node deployed");
    const commandNode = node;
    // Each run counts its own answers (a warm-up run may have gone before on the same flow).
    const previous = counterHub.counters.get(NODE_IDS.commandCounter);
    if (previous) {
      previous.count = 0;
      previous.roundTrips.length = 0;
    }
    let sent = 0;
    let errors = 0;
    // easee-command reports failures with node.error(text, msg): count them on this node.
    const report = commandNode.error.bind(commandNode);
    commandNode.error = (...args: unknown[]): void => {
      errors++;
      report(...args);
    };
    return new Promise<CommandRunResult>((resolve) => {
      const started = performance.now();
      const timer = setInterval(() => {
        if (performance.now() - started >= durationMs) return void finishRun();
        // msg.force: the bench sends 10 a second to one charger, far past the rate guard a flow should respect.
        commandNode.receive({ payload: 6 + (sent % 10), force: true, benchSentAt: performance.now() });
        sent++;
      }, 1000 / rate);
      const finishRun = (): void => {
        clearInterval(timer);
        stopCommands = undefined;
        // Answers still on their way: wait until all are in (or 10 s).
        const deadline = Date.now() + 10_000;
        const poll = setInterval(() => {
          const counter = counterHub.counters.get(NODE_IDS.commandCounter);
          const answered = counter?.count ?? 0;
          if (answered + errors < sent && Date.now() < deadline) return;
          clearInterval(poll);
          commandNode.error = report;
          const roundTrip = summarise([...(counter?.roundTrips ?? [])]);
          resolve({ sent, answered, errors, ...(roundTrip ? { roundTrip } : {}) });
        }, 50);
      };
      stopCommands = finishRun;
    });
  }

  process.on("message", (message: ParentMessage) => {
    void (async () => {
      switch (message.cmd) {
        case "deploy":
          await deploy(message.flow);
          send({ type: "deployed" });
          return;
        case "commands":
          send({ type: "commands", result: await sendCommands(message.rate, message.durationMs) });
          return;
        case "stopCommands":
          stopCommands?.();
          return;
        case "result":
          send({ type: "result", result: result() });
          return;
        case "gc":
          send({ type: "memory", memory: memoryNow(true) });
          return;
        case "stop":
          if (progressTimer) clearInterval(progressTimer);
          await RED.stop().catch(() => undefined);
          process.exit(0);
          return;
        default:
          throw new Error(`the Node-RED worker cannot ${(message as { cmd: string }).cmd}`);
      }
    })().catch(fail);
  });
  send({
    type: "ready",
    versions: { node: process.version, nodeRed: packageVersion(runtimePackage), amqplib: packageVersion("amqplib") },
  });
}

const mode = process.argv[2];
(mode === "amqplib" ? runAmqplib() : mode === "node-red" ? runNodeRed() : Promise.reject(new Error(`unknown worker mode ${String(mode)}`))).catch(
  (error: unknown) => {
    fail(error);
    process.exit(1);
  },
);
