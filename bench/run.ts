/**
 * `npm run bench`: throughput, latency and memory of the package against a bare amqplib consumer, in one run.
 *
 * This process runs the Easee simulator (REST API + operator queue on the local RabbitMQ) and its load mode
 * (backlogs and fixed rates); every consumer runs in a child process of its own (bench/worker.ts), so the
 * publisher never shares an event loop or a memory reading with what is measured.
 *
 *   1  baseline      a bare amqplib consumer (same prefetch, JSON.parse, ack) drains a backlog of M
 *   2  observations  easee-config + easee-observations in a real Node-RED runtime → counter, same backlog
 *   3  filter        the same with easee-filter (four rules, one by name) in between
 *   4  latency       5,000 msg/s offered for 20 s: publish → msg out of easee-observations; p50, p99, max
 *   5  memory        RSS before/after 1,000,000 msgs, peak while 1,000,000 wait in the queue at deploy
 *   6  scaleout      two Node-RED runtimes on one queue (competing consumers): throughput, split, order, dupes
 *   7  commands      easee-command through the simulator's charger at 10 commands/s: msg in → response msg out,
 *                    p50/p99; and the observation drain of a 100k backlog with and without those commands (cost)
 *
 * Prints a table, then one line of JSON (the last line of output). Flags: see bench/options.ts (--help).
 */
import { execFile, fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect, type Channel, type ChannelModel } from "amqplib";
import { startSimulator, type LoadResult, type Simulator } from "../simulator/index";
import { parseOptions, UsageError, USAGE, type BenchOptions, type Scenario } from "./options";
import {
  formatAllocations,
  formatProfile,
  summariseAllocations,
  summariseProfile,
  type AllocationProfile,
  type CpuProfile,
  type ProfileSummary,
} from "./profile";
import { CommandSide } from "../simulator/commands";
import type { ChildMessage, CommandRunResult, DrainResult, FlowKind, MemoryReading, ParentMessage, Summary } from "./protocol";
import { FILTER_RULES } from "./protocol";

const TARGETS = {
  observationsRatio: 0.75,
  filterRatio: 0.7,
  p99Ms: 10,
  rssGrowthMB: 30,
  peakRssMB: 150,
  commandCostPercent: 5,
} as const;

const MB = 1024 * 1024;
/** How long the memory run waits after the drain before the "settled" reading. */
const SETTLE_MS = 5000;

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

const runStarted = Date.now();

function progress(line: string): void {
  process.stderr.write(`  … ${((Date.now() - runStarted) / 1000).toFixed(1).padStart(5)} s  ${line}\n`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

// --- child processes -----------------------------------------------------------------------------------------

type Reply<T extends ChildMessage["type"]> = Extract<ChildMessage, { type: T }>;

class Child {
  private readonly output: string[] = [];
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private exited = false;
  private failure: string | undefined;
  private finished: DrainResult | undefined;
  drained = 0;
  lastProgressAt = Date.now();
  /** Largest V8 heap and external (Buffer) memory the child reported since the last reset. */
  peakHeapTotal = 0;
  peakExternal = 0;

  private constructor(
    readonly label: string,
    readonly proc: ChildProcess,
    verbose: boolean,
  ) {
    const keep = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      if (verbose) process.stderr.write(`[${label}] ${text}`);
      this.output.push(...text.split("\n").filter((line) => line.trim() !== ""));
      if (this.output.length > 40) this.output.splice(0, this.output.length - 40);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("message", (message: ChildMessage) => {
      if (message.type === "progress" || message.type === "done") {
        const drained = message.type === "done" ? message.result.drained : message.drained;
        // Only movement counts as progress: a stuck runtime still reports every 500 ms.
        if (drained !== this.drained) this.lastProgressAt = Date.now();
        this.drained = drained;
        if (message.type === "progress") {
          this.peakHeapTotal = Math.max(this.peakHeapTotal, message.heapTotal);
          this.peakExternal = Math.max(this.peakExternal, message.external);
        }
      }
      if (message.type === "failed") this.failure = message.error;
      if (message.type === "done") this.finished = message.result;
      for (const listener of [...this.listeners]) listener(message);
    });
    proc.on("exit", (code, signal) => {
      this.exited = true;
      if (code !== 0 && code !== null) this.failure ??= `exited with code ${code}`;
      if (signal) this.failure ??= `killed by ${signal}`;
      for (const listener of [...this.listeners]) listener({ type: "failed", error: this.failure ?? "exited" });
    });
  }

  static async start(
    label: string,
    mode: "amqplib" | "node-red",
    options: BenchOptions,
    extra: { profile?: string } = {},
  ): Promise<{ child: Child; versions: Record<string, string> }> {
    // The runtime's user directory belongs to this process: removed when the child exits, even when killed.
    const userDir = mode === "node-red" ? fs.mkdtempSync(path.join(os.tmpdir(), "easee-bench-")) : undefined;
    const proc = fork(path.join(__dirname, "worker.js"), [mode], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // --expose-gc lets the memory run take readings after a full GC; it changes nothing until gc() is called.
      execArgv: mode === "node-red" ? ["--expose-gc", ...options.nodeFlags] : [],
      env: {
        ...process.env,
        EASEE_BENCH_VERBOSE: options.verbose ? "1" : "0",
        // --quick starts six runtimes: without Node-RED's own ~60 core node types each starts in half the time.
        EASEE_BENCH_CORE_NODES: options.quick ? "0" : "1",
        ...(extra.profile ? { EASEE_BENCH_PROFILE: extra.profile } : {}),
        ...(userDir ? { EASEE_BENCH_USER_DIR: userDir } : {}),
      },
    });
    if (userDir) proc.once("exit", () => fs.rmSync(userDir, { recursive: true, force: true }));
    const child = new Child(label, proc, options.verbose);
    const ready = await child.next("ready", 60_000);
    return { child, versions: ready.versions };
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  /** The next message of this type (a failure of the child rejects). */
  next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(this.error(`no "${type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const listener = (message: ChildMessage): void => {
        if (message.type === type) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(message as Reply<T>);
        } else if (message.type === "failed") {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(this.error(message.error));
        }
      };
      this.listeners.add(listener);
      if (this.exited) listener({ type: "failed", error: this.failure ?? "exited" });
    });
  }

  /** Set when the child has failed or exited unexpectedly. */
  get failed(): Error | undefined {
    return this.failure === undefined ? undefined : this.error(this.failure);
  }

  /** The drain's own "done" (sent after the CPU profile is written), whether it came already or comes later. */
  async done(timeoutMs = 30_000): Promise<DrainResult> {
    return this.finished ?? (await this.next("done", timeoutMs)).result;
  }

  send(message: ParentMessage): void {
    if (message.cmd === "deploy" || message.cmd === "consume") {
      // A new drain: forget the previous one's counts and "done".
      this.drained = 0;
      this.lastProgressAt = Date.now();
      this.finished = undefined;
    }
    if (!this.exited) this.proc.send(message);
  }

  async ask<T extends ChildMessage["type"]>(message: ParentMessage, reply: T, timeoutMs = 30_000): Promise<Reply<T>> {
    const answer = this.next(reply, timeoutMs);
    this.send(message);
    return answer;
  }

  error(reason: string): Error {
    const tail = this.output.slice(-15).join("\n    ");
    return new Error(`${this.label}: ${reason}${tail ? `\n  its last output:\n    ${tail}` : ""}`);
  }

  /** Stops the child (cleanly, then by force); never rejects. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
    this.send({ cmd: "stop" });
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.proc.kill("SIGKILL");
  }
}

/**
 * Waits until the children have drained `target` deliveries between them (progress or done messages), failing
 * when none of them moves for `stallMs`. Then asks each for its result.
 */
async function waitDrained(children: readonly Child[], target: number, stallMs: number): Promise<DrainResult[]> {
  await new Promise<void>((resolve, reject) => {
    const check = (): boolean => children.reduce((sum, child) => sum + child.drained, 0) >= target;
    if (check()) {
      resolve();
      return;
    }
    const timer = setInterval(() => {
      const latest = Math.max(...children.map((child) => child.lastProgressAt));
      const failed = children.find((child) => child.failed !== undefined)?.failed;
      if (failed) {
        clearInterval(timer);
        reject(failed);
      } else if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - latest > stallMs) {
        clearInterval(timer);
        const counts = children.map((child) => `${child.label} ${fmt(child.drained)}`).join(", ");
        reject(new Error(`stalled: ${counts} of ${fmt(target)} after ${stallMs / 1000} s without progress`));
      }
    }, 50);
  });
  const replies = await Promise.all(children.map((child) => child.ask({ cmd: "result" }, "result")));
  return replies.map((reply) => reply.result);
}

// --- broker side ---------------------------------------------------------------------------------------------

class Broker {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly queue: string,
  ) {}

  static async open(amqpUrl: string, queue: string): Promise<Broker> {
    const connection = await connect(amqpUrl, { clientProperties: { connection_name: `easee-bench admin ${process.pid}` } });
    connection.on("error", () => undefined);
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    return new Broker(connection, channel, queue);
  }

  get serverVersion(): string {
    const version = this.connection.connection.serverProperties.version;
    return typeof version === "string" ? version : "unknown";
  }

  async counts(): Promise<{ messageCount: number; consumerCount: number }> {
    return this.channel.checkQueue(this.queue);
  }

  /** Leftovers of an aborted scenario must not count in the next one. */
  async empty(): Promise<void> {
    const { messageCount } = await this.counts();
    if (messageCount > 0) await this.channel.purgeQueue(this.queue);
  }

  async waitFor(test: (counts: { messageCount: number; consumerCount: number }) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (test(await this.counts())) return;
      if (Date.now() > deadline) throw new Error(`the queue did not reach "${what}" within ${timeoutMs / 1000} s`);
      await delay(50);
    }
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function rabbitmqctlVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("rabbitmqctl", ["-q", "version"], { timeout: 15_000 }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

// --- memory of a child (from /proc: what the OS charges it) ------------------------------------------------

function procStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, ms, from /proc (clock ticks of 10 ms); undefined elsewhere. */
function procCpuMs(pid: number): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false where that is not possible. */
function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function halves(timeline: ReadonlyArray<readonly [number, number]>): [number, number] {
  const middle = Math.floor(timeline.length / 2);
  const max = (part: ReadonlyArray<readonly [number, number]>): number => mb(part.reduce((top, [, rss]) => Math.max(top, rss), 0));
  return [max(timeline.slice(0, middle)), max(timeline.slice(middle))];
}

class RssSampler {
  max = 0;
  /** When the sampled maximum was seen, ms after the sampler started. */
  maxAtMs = 0;
  readonly timeline: Array<[number, number]> = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(pid: number, everyMs = 100) {
    this.timer = setInterval(() => {
      const status = procStatus(pid);
      if (!status) return;
      if (status.rss > this.max) {
        this.max = status.rss;
        this.maxAtMs = Date.now() - this.started;
      }
      this.timeline.push([Date.now() - this.started, status.rss]);
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// --- scenarios -----------------------------------------------------------------------------------------------

interface ThroughputResult {
  readonly messages: number;
  readonly perSecond: number;
  readonly elapsedMs: number;
  /** Msgs that reached the counter (fewer than messages behind the filter). */
  readonly counted: number;
  readonly publishRate: number;
  readonly ratio?: number;
  readonly profile?: ProfileSummary;
}

interface LatencyResult {
  readonly offeredRate: number;
  readonly durationSeconds: number;
  readonly published: number;
  readonly publishedRate: number;
  readonly received: number;
  /** Publish → msg at the node wired to easee-observations (after Node-RED's hop), ms. */
  readonly latency?: Summary;
  /** Publish → decode in easee-config (msg.easee.latencyMs), ms. */
  readonly decodeLatency?: Summary;
}

interface MemoryResult {
  readonly messages: number;
  readonly warmup: number;
  /** RSS of the idle runtime before the drain, and right after it (garbage of the drain not collected yet). */
  readonly beforeMB: number;
  readonly afterMB: number;
  /** RSS a few seconds after the drain, with no forced GC. */
  readonly settledMB: number;
  readonly settleSeconds: number;
  /** RSS after a full GC before and after the drain; growthMB (the target) is the difference: what was retained. */
  readonly beforeGcMB: number;
  readonly afterGcMB: number;
  readonly growthMB: number;
  readonly peakMB: number;
  readonly peakSource: "VmHWM" | "sampled";
  /** Peak of the warm-up drain (a backlog 1/20 the size): about the same as peakMB when memory does not grow with the backlog. */
  readonly warmupPeakMB: number;
  /** The largest RSS sampled every 100 ms (VmHWM also catches what falls between samples), and when. */
  readonly sampledPeakMB: number;
  readonly sampledPeakAtSeconds: number;
  readonly drainSeconds: number;
  /** Largest sampled RSS in the first and in the second half of the drain: no upward trend = bounded. */
  readonly halvesMB: [number, number];
  readonly warmupPerSecond: number;
  readonly drainPerSecond: number;
  readonly heapAfterGcMB: number;
  /** Largest V8 heap (reserved) and external memory (Buffers) seen in the drain, sampled every 500 ms. */
  readonly peakHeapTotalMB: number;
  readonly peakExternalMB: number;
  /** RSS every ~10 % of the drain, MB. */
  readonly timelineMB: number[];
}

interface ScaleOutResult {
  readonly messages: number;
  readonly perSecond: number;
  readonly elapsedMs: number;
  readonly split: number[];
  readonly chargers: number;
  readonly chargersOnBoth: number;
  readonly orderInversionsWithinInstance: number;
  readonly duplicates: number;
  readonly missing: number;
  readonly singleRuntimePerSecond?: number;
}

interface CommandsResult {
  readonly rate: number;
  readonly seconds: number;
  /** The round-trip run: no backlog, so a response is not queued behind observations. */
  readonly roundTrip: CommandRunResult;
  readonly backlog: number;
  readonly withoutPerSecond: number;
  readonly withPerSecond: number;
  /** CPU time of the runtime per observation drained (deploy to drained), µs: median of the runs. */
  readonly withoutCpuUsPerMessage?: number;
  readonly withCpuUsPerMessage?: number;
  /** Every run's wall throughput, msg/s, in order (they vary a lot on a shared machine). */
  readonly runs: { readonly without: number[]; readonly with: number[] };
  /** Commands sent (and answered) during the drain with commands. */
  readonly duringDrain: CommandRunResult;
  /**
   * The cost of the commands on the drain: the runtime's CPU time per observation drained with commands against
   * without, percent (median of three alternating runs each); the wall-throughput comparison when /proc is not
   * there. On a shared 2-core machine wall throughput moves by ±30 % from run to run, CPU per message by ±10 %.
   */
  readonly costPercent: number;
  /** Best drain throughput with commands against without, percent lost. */
  readonly costByThroughputPercent: number;
  /**
   * The runtime's CPU time per command on an idle queue, idle CPU subtracted, µs: the command itself (encode,
   * publish with confirm, match, msg out) plus the observations the simulated charger sends because of it, each
   * in a socket read (and ack) of its own, which a drain would batch.
   */
  readonly cpuPerCommandUs?: number;
}

interface Context {
  readonly options: BenchOptions;
  readonly sim: Simulator;
  readonly broker: Broker;
  readonly children: Set<Child>;
  readonly versions: Record<string, string>;
  readonly profileDir: string | undefined;
}

async function startChild(context: Context, label: string, mode: "amqplib" | "node-red", extra: { profile?: string } = {}): Promise<Child> {
  progress(`starting ${label} (${mode})`);
  const { child, versions } = await Child.start(label, mode, context.options, extra);
  context.children.add(child);
  Object.assign(context.versions, versions);
  return child;
}

async function stopChild(context: Context, child: Child): Promise<void> {
  progress(`stopping ${child.label}`);
  await child.stop();
  context.children.delete(child);
}

async function prepareBacklog(context: Context, count: number): Promise<LoadResult> {
  await context.broker.empty();
  progress(`publishing a backlog of ${fmt(count)} with the simulator's load mode`);
  const load = await context.sim.runLoad({ count, chargers: context.options.chargers });
  if (load.confirmed !== count) throw new Error(`the broker confirmed ${load.confirmed} of ${count} messages (${load.nacked} refused)`);
  await context.broker.waitFor((counts) => counts.messageCount >= count, `${count} messages ready`);
  return load;
}

function flowSpec(context: Context, kind: FlowKind, expect: number, extra: { latency?: boolean; track?: boolean } = {}) {
  return {
    kind,
    apiUrl: context.sim.apiUrl,
    username: context.sim.credentials.userName,
    password: context.sim.credentials.password,
    prefetch: context.options.prefetch,
    expect,
    ...extra,
  };
}

function profilePath(context: Context, name: string): string | undefined {
  if (!context.profileDir) return undefined;
  return path.join(context.profileDir, `${name}.${context.options.allocProf ? "heapprofile" : "cpuprofile"}`);
}

function readProfile(file: string | undefined): ProfileSummary | undefined {
  if (!file || !fs.existsSync(file)) return undefined;
  const data: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  return file.endsWith(".heapprofile")
    ? summariseAllocations(data as AllocationProfile, 15)
    : summariseProfile(data as CpuProfile, 15);
}

function throughputOf(result: DrainResult, load: LoadResult, profile: ProfileSummary | undefined): ThroughputResult {
  const elapsedMs = Math.max(1, result.lastMs - result.firstMs);
  return {
    messages: result.drained,
    perSecond: Math.round((result.drained / elapsedMs) * 1000),
    elapsedMs,
    counted: result.counted,
    publishRate: load.ratePerSecond,
    ...(profile ? { profile } : {}),
  };
}

async function runBaseline(context: Context, ackMode: "each" | "multiple"): Promise<ThroughputResult> {
  const { options } = context;
  const profile = profilePath(context, ackMode === "each" ? "1-baseline" : "1b-baseline-multiple-ack");
  const child = await startChild(context, ackMode === "each" ? "baseline" : "baseline 1b", "amqplib", profile ? { profile } : {});
  try {
    const load = await prepareBacklog(context, options.backlog);
    progress(`draining it with a bare amqplib consumer (${ackMode === "each" ? "one ack per delivery" : "one multiple-ack per socket read"})`);
    await child.ask(
      {
        cmd: "consume",
        amqpUrl: options.amqpUrl,
        queue: context.sim.queueName,
        prefetch: options.prefetch,
        expect: options.backlog,
        ackMode,
      },
      "consuming",
    );
    const [result] = await waitDrained([child], options.backlog, options.stallMs);
    await child.done();
    return throughputOf(result as DrainResult, load, readProfile(profile));
  } finally {
    await stopChild(context, child);
  }
}

async function runDrain(context: Context, kind: "observations" | "filter"): Promise<ThroughputResult> {
  const { options } = context;
  const profile = profilePath(context, kind === "observations" ? "2-observations" : "3-filter");
  const child = await startChild(context, kind, "node-red", profile ? { profile } : {});
  try {
    const load = await prepareBacklog(context, options.backlog);
    progress(`draining it with ${kind === "observations" ? "easee-config + easee-observations" : "… + easee-filter"} in Node-RED`);
    await child.ask({ cmd: "deploy", flow: flowSpec(context, kind, options.backlog) }, "deployed");
    const [result] = await waitDrained([child], options.backlog, options.stallMs);
    await child.done();
    return throughputOf(result as DrainResult, load, readProfile(profile));
  } finally {
    await stopChild(context, child);
  }
}

async function runLatency(context: Context): Promise<LatencyResult> {
  const { options, broker } = context;
  const child = await startChild(context, "latency", "node-red");
  try {
    await broker.empty();
    const expected = Math.round(options.durationSeconds * options.rate);
    await child.ask({ cmd: "deploy", flow: flowSpec(context, "observations", expected, { latency: true }) }, "deployed");
    await broker.waitFor((counts) => counts.consumerCount >= 1, "a consumer");
    progress(`offering ${fmt(options.rate)} msg/s for ${options.durationSeconds} s`);
    const load = await context.sim.runLoad({ rate: options.rate, durationMs: options.durationSeconds * 1000, chargers: options.chargers });
    const [result] = await waitDrained([child], load.confirmed, options.stallMs);
    const r = result as DrainResult;
    return {
      offeredRate: options.rate,
      durationSeconds: options.durationSeconds,
      published: load.confirmed,
      publishedRate: load.ratePerSecond,
      received: r.counted,
      ...(r.latency ? { latency: r.latency } : {}),
      ...(r.decodeLatency ? { decodeLatency: r.decodeLatency } : {}),
    };
  } finally {
    await stopChild(context, child);
  }
}

async function runMemory(context: Context): Promise<MemoryResult> {
  const { options, broker } = context;
  const child = await startChild(context, "memory", "node-red");
  try {
    // Warm up (JIT, connection, caches) with a small drain, then leave the runtime idle with no consumer.
    await prepareBacklog(context, options.memoryWarmup);
    progress(`warming up: ${fmt(options.memoryWarmup)} messages`);
    // The warm-up drain is a deploy onto a backlog too, 1/20 the size: its peak shows whether the peak grows with it.
    const warmupHwm = resetPeak(child.pid);
    const warmupSampler = new RssSampler(child.pid);
    await child.ask({ cmd: "deploy", flow: flowSpec(context, "observations", options.memoryWarmup) }, "deployed");
    const [warm] = await waitDrained([child], options.memoryWarmup, options.stallMs);
    warmupSampler.stop();
    const warmupPeak = Math.max(warmupHwm ? (procStatus(child.pid)?.hwm ?? 0) : 0, warmupSampler.max);
    await child.ask({ cmd: "deploy", flow: flowSpec(context, "idle", 0) }, "deployed");
    await broker.waitFor((counts) => counts.consumerCount === 0, "no consumer");
    await delay(500);
    const before = procStatus(child.pid)?.rss ?? NaN;
    const beforeGc = (await child.ask({ cmd: "gc" }, "memory")).memory;

    await prepareBacklog(context, options.memoryBacklog);
    progress(`deploying onto a backlog of ${fmt(options.memoryBacklog)} and draining it`);
    const hwmReset = resetPeak(child.pid);
    child.peakHeapTotal = 0;
    child.peakExternal = 0;
    const sampler = new RssSampler(child.pid);
    await child.ask({ cmd: "deploy", flow: flowSpec(context, "observations", options.memoryBacklog) }, "deployed");
    const [result] = await waitDrained([child], options.memoryBacklog, options.stallMs);
    sampler.stop();
    const status = procStatus(child.pid);
    const after = status?.rss ?? NaN;
    // Right after the drain the heap still holds the drain's garbage; V8 shrinks it once allocation stops.
    const settleMs = options.quick ? 500 : SETTLE_MS;
    await delay(settleMs);
    const settled = procStatus(child.pid)?.rss ?? NaN;
    const afterGc: MemoryReading = (await child.ask({ cmd: "gc" }, "memory")).memory;
    const peak = hwmReset && status ? Math.max(status.hwm, sampler.max) : sampler.max;
    const r = result as DrainResult;
    const steps = sampler.timeline;
    const timelineMB: number[] = [];
    for (let i = 1; i <= 10 && steps.length > 0; i++) {
      const entry = steps[Math.min(steps.length - 1, Math.floor((i / 10) * steps.length) - 1)];
      if (entry) timelineMB.push(mb(entry[1]));
    }
    return {
      messages: r.drained,
      warmup: options.memoryWarmup,
      beforeMB: mb(before),
      afterMB: mb(after),
      settledMB: mb(settled),
      settleSeconds: settleMs / 1000,
      beforeGcMB: mb(beforeGc.rss),
      afterGcMB: mb(afterGc.rss),
      growthMB: mb(afterGc.rss - beforeGc.rss),
      peakMB: mb(peak),
      peakSource: hwmReset ? "VmHWM" : "sampled",
      warmupPeakMB: mb(warmupPeak),
      sampledPeakMB: mb(sampler.max),
      sampledPeakAtSeconds: Math.round(sampler.maxAtMs / 100) / 10,
      drainSeconds: Math.round((r.lastMs - r.firstMs) / 100) / 10,
      halvesMB: halves(steps),
      warmupPerSecond: warm ? Math.round((warm.drained / Math.max(1, warm.lastMs - warm.firstMs)) * 1000) : 0,
      drainPerSecond: Math.round((r.drained / Math.max(1, r.lastMs - r.firstMs)) * 1000),
      heapAfterGcMB: mb(afterGc.heapUsed),
      peakHeapTotalMB: mb(child.peakHeapTotal),
      peakExternalMB: mb(child.peakExternal),
      timelineMB,
    };
  } finally {
    await stopChild(context, child);
  }
}

async function runScaleOut(context: Context, single: ThroughputResult | undefined): Promise<ScaleOutResult> {
  const { options } = context;
  const [a, b] = await Promise.all([startChild(context, "scale-out A", "node-red"), startChild(context, "scale-out B", "node-red")]);
  const pair = [a, b] as const;
  try {
    await prepareBacklog(context, options.backlog);
    progress("draining it with two Node-RED runtimes on the same queue");
    const spec = flowSpec(context, "observations", 0, { track: true });
    await Promise.all(pair.map((child) => child.ask({ cmd: "deploy", flow: spec }, "deployed")));
    const results = await waitDrained(pair, options.backlog, options.stallMs);
    const first = Math.min(...results.filter((r) => r.counted > 0).map((r) => r.firstMs));
    const last = Math.max(...results.map((r) => r.lastMs));
    const elapsedMs = Math.max(1, last - first);
    const total = results.reduce((sum, r) => sum + r.counted, 0);
    const keys = new Set<string>();
    let keyCount = 0;
    const chargerSets = results.map((r) => new Set(Object.keys(r.track?.perCharger ?? {})));
    for (const r of results) {
      for (const key of r.track?.keys ?? []) {
        keys.add(key);
        keyCount++;
      }
    }
    const allChargers = new Set(chargerSets.flatMap((set) => [...set]));
    const onBoth = [...allChargers].filter((id) => chargerSets.every((set) => set.has(id))).length;
    return {
      messages: total,
      perSecond: Math.round((total / elapsedMs) * 1000),
      elapsedMs,
      split: results.map((r) => r.counted),
      chargers: allChargers.size,
      chargersOnBoth: onBoth,
      orderInversionsWithinInstance: results.reduce((sum, r) => sum + (r.track?.orderInversions ?? 0), 0),
      duplicates: keyCount - keys.size,
      missing: Math.max(0, options.backlog - keys.size),
      ...(single ? { singleRuntimePerSecond: single.perSecond } : {}),
    };
  } finally {
    await Promise.all(pair.map((child) => stopChild(context, child)));
  }
}

// --- report --------------------------------------------------------------------------------------------------

interface Report {
  bench: "easee-amqp";
  machine: Record<string, string | number>;
  /** The operator queue of this run (deleted at the end). */
  queue: string;
  options: Omit<BenchOptions, "amqpUrl"> & { amqpUrl: string };
  loadAverage: { start: number[]; end: number[] };
  baseline?: ThroughputResult;
  /** 1b: the bare consumer acking once per socket read (allUpTo), for reference. */
  baselineMultipleAck?: ThroughputResult;
  observations?: ThroughputResult;
  filter?: ThroughputResult;
  latency?: LatencyResult;
  memory?: MemoryResult;
  scaleout?: ScaleOutResult;
  commands?: CommandsResult;
  targets: Record<string, { value: number; target: string; met: boolean } | undefined>;
  pass: boolean;
  durationSeconds: number;
}

/** The charger the command scenario drives (one of the load's chargers, so responses look like real ones). */
const COMMAND_CHARGER = "EH000001";

async function runCommands(context: Context): Promise<CommandsResult> {
  const { options, sim } = context;
  // The bench's simulator runs without its command side (the other scenarios must not pay for it): start one here.
  const side = await CommandSide.start({
    amqpUrl: options.amqpUrl,
    exchange: sim.exchangeName,
    publisher: sim.publisher,
    connectionName: `easee-bench ${sim.operatorId} commands`,
    onError: () => undefined,
  });
  const child = await startChild(context, "commands", "node-red");
  try {
    // 7a: round trip on an idle queue.
    await context.broker.empty();
    await child.ask({ cmd: "deploy", flow: { ...flowSpec(context, "observations", 0), commandCharger: COMMAND_CHARGER } }, "deployed");
    await context.broker.waitFor((counts) => counts.consumerCount >= 1, "a consumer");
    // A short warm-up first (compiling the command path, opening the confirm channel), not measured.
    await child.ask({ cmd: "commands", rate: options.commandRate, durationMs: 2000 }, "commands", 40_000);
    // The runtime's CPU while idle, then while sending: the difference is what the commands cost, per command.
    const idleMs = Math.min(5000, options.commandSeconds * 1000);
    const idleStart = procCpuMs(child.pid);
    await delay(idleMs);
    const sendStart = procCpuMs(child.pid);
    const sendStartedAt = Date.now();
    progress(`sending ${options.commandRate} commands/s for ${options.commandSeconds} s through the simulator's charger`);
    const roundTrip = (
      await child.ask({ cmd: "commands", rate: options.commandRate, durationMs: options.commandSeconds * 1000 }, "commands", options.commandSeconds * 1000 + 30_000)
    ).result;
    const sendEnd = procCpuMs(child.pid);
    const sendMs = Date.now() - sendStartedAt;
    const cpuPerCommandUs =
      idleStart !== undefined && sendStart !== undefined && sendEnd !== undefined && roundTrip.sent > 0
        ? Math.round((((sendEnd - sendStart) - ((sendStart - idleStart) * sendMs) / idleMs) * 1000) / roundTrip.sent)
        : undefined;

    // 7b: the same backlog drained without, then with, commands (same runtime, same flow).
    const drain = async (withCommands: boolean): Promise<{ perSecond: number; cpuUsPerMessage?: number; commands?: CommandRunResult }> => {
      // Nothing may consume while the backlog is published: the runtime keeps only the account node meanwhile (no
      // subscriber, so no connection; kept, so no new login: Easee allows 5 an hour, and the config honours it).
      await child.ask({ cmd: "deploy", flow: flowSpec(context, "account", 0) }, "deployed");
      await context.broker.waitFor((counts) => counts.consumerCount === 0, "no consumer");
      await prepareBacklog(context, options.commandBacklog);
      progress(`draining ${fmt(options.commandBacklog)} ${withCommands ? `while sending ${options.commandRate} commands/s` : "without commands"}`);
      const answer = withCommands ? child.next("commands", 600_000) : undefined;
      const cpuBefore = procCpuMs(child.pid);
      await child.ask({ cmd: "deploy", flow: { ...flowSpec(context, "observations", options.commandBacklog), commandCharger: COMMAND_CHARGER } }, "deployed");
      if (withCommands) child.send({ cmd: "commands", rate: options.commandRate, durationMs: 600_000 });
      const [result] = await waitDrained([child], options.commandBacklog, options.stallMs);
      await child.done();
      const cpuAfter = procCpuMs(child.pid);
      if (withCommands) child.send({ cmd: "stopCommands" });
      const r = result as DrainResult;
      const perSecond = Math.round((r.drained / Math.max(1, r.lastMs - r.firstMs)) * 1000);
      const cpuUsPerMessage =
        cpuBefore !== undefined && cpuAfter !== undefined ? Math.round(((cpuAfter - cpuBefore) * 1000 * 10) / r.drained) / 10 : undefined;
      progress(`  ${fmt(perSecond)} msg/s${cpuUsPerMessage !== undefined ? `, ${cpuUsPerMessage} µs CPU per msg` : ""}`);
      return { perSecond, ...(cpuUsPerMessage !== undefined ? { cpuUsPerMessage } : {}), ...(answer ? { commands: (await answer).result } : {}) };
    };
    // Alternating runs, best of each: on a shared machine the other load moves a single drain by more than 5 %.
    const rounds = options.quick ? 1 : 3;
    const withoutRuns: Array<{ perSecond: number; cpuUsPerMessage?: number }> = [];
    const withRuns: Array<{ perSecond: number; cpuUsPerMessage?: number; commands?: CommandRunResult }> = [];
    for (let round = 0; round < rounds; round++) {
      withoutRuns.push(await drain(false));
      withRuns.push(await drain(true));
    }
    const best = (runs: Array<{ perSecond: number }>): number => Math.max(...runs.map((run) => run.perSecond));
    const median = (values: Array<number | undefined>): number | undefined => {
      const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
      return known.length === 0 ? undefined : known[Math.floor(known.length / 2)];
    };
    const without = { perSecond: best(withoutRuns), cpuUsPerMessage: median(withoutRuns.map((run) => run.cpuUsPerMessage)) };
    const withCommands = { perSecond: best(withRuns), cpuUsPerMessage: median(withRuns.map((run) => run.cpuUsPerMessage)) };
    const costByThroughputPercent = Math.round(((without.perSecond - withCommands.perSecond) / Math.max(1, without.perSecond)) * 1000) / 10;
    const costPercent =
      without.cpuUsPerMessage !== undefined && withCommands.cpuUsPerMessage !== undefined && without.cpuUsPerMessage > 0
        ? Math.round(((withCommands.cpuUsPerMessage - without.cpuUsPerMessage) / without.cpuUsPerMessage) * 1000) / 10
        : costByThroughputPercent;
    const duringDrain = withRuns.map((run) => run.commands).find((c) => c !== undefined);

    return {
      rate: options.commandRate,
      seconds: options.commandSeconds,
      roundTrip,
      backlog: options.commandBacklog,
      withoutPerSecond: without.perSecond,
      withPerSecond: withCommands.perSecond,
      ...(without.cpuUsPerMessage !== undefined ? { withoutCpuUsPerMessage: without.cpuUsPerMessage } : {}),
      ...(withCommands.cpuUsPerMessage !== undefined ? { withCpuUsPerMessage: withCommands.cpuUsPerMessage } : {}),
      runs: { without: withoutRuns.map((run) => run.perSecond), with: withRuns.map((run) => run.perSecond) },
      duringDrain: duringDrain ?? { sent: 0, answered: 0, errors: 0 },
      costPercent,
      costByThroughputPercent,
      ...(cpuPerCommandUs !== undefined ? { cpuPerCommandUs } : {}),
    };
  } finally {
    await stopChild(context, child);
    await side.close();
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

function printTable(report: Report): void {
  const rows: Array<[string, string, string, string]> = [];
  const target = (key: string): [string, string] => {
    const t = report.targets[key];
    return t ? [t.target, t.met ? "met" : "NOT met"] : ["", ""];
  };
  const b = report.baseline;
  if (b) rows.push(["1 bare amqplib consumer (JSON.parse, ack)", `${fmt(b.perSecond)} msg/s`, "", ""]);
  const b2 = report.baselineMultipleAck;
  if (b2) rows.push(["1b … acking once per socket read", `${fmt(b2.perSecond)} msg/s`, "", ""]);
  const o = report.observations;
  if (o) rows.push(["2 easee-config + easee-observations", `${fmt(o.perSecond)} msg/s${o.ratio !== undefined ? `, 2/1 = ${o.ratio.toFixed(2)}` : ""}`, ...target("observationsRatio")]);
  const f = report.filter;
  if (f) rows.push(["3 … + easee-filter (4 rules)", `${fmt(f.perSecond)} msg/s${f.ratio !== undefined ? `, 3/1 = ${f.ratio.toFixed(2)}` : ""}`, ...target("filterRatio")]);
  const l = report.latency;
  if (l) {
    const s = l.latency;
    rows.push([
      `4 latency at ${fmt(l.offeredRate)}/s for ${l.durationSeconds} s`,
      s ? `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms` : "no samples",
      ...target("p99Ms"),
    ]);
  }
  const m = report.memory;
  if (m) {
    rows.push([`5 RSS over ${fmt(m.messages)} msgs (after GC)`, `${m.beforeGcMB} → ${m.afterGcMB} MB (${m.growthMB >= 0 ? "+" : ""}${m.growthMB} MB)`, ...target("rssGrowthMB")]);
    rows.push([`  peak RSS, ${fmt(m.messages)} waiting at deploy`, `${m.peakMB} MB`, ...target("peakRssMB")]);
  }
  const s = report.scaleout;
  if (s) {
    const shares = s.split.map((n) => `${Math.round((n / Math.max(1, s.messages)) * 100)} %`).join(" / ");
    rows.push(["6 scale-out: 2 runtimes, one queue", `${fmt(s.perSecond)} msg/s, split ${shares}`, "", ""]);
  }
  const c = report.commands;
  if (c) {
    const rt = c.roundTrip.roundTrip;
    rows.push([
      `7 command round trip at ${c.rate}/s`,
      rt ? `p50 ${rt.p50} ms, p99 ${rt.p99} ms (${c.roundTrip.answered}/${c.roundTrip.sent} answered)` : "no answers",
      "",
      "",
    ]);
    const cpu =
      c.withoutCpuUsPerMessage !== undefined && c.withCpuUsPerMessage !== undefined
        ? `CPU ${c.withoutCpuUsPerMessage} → ${c.withCpuUsPerMessage} µs/msg (${c.costPercent >= 0 ? "+" : ""}${c.costPercent} %)`
        : `${fmt(c.withoutPerSecond)} → ${fmt(c.withPerSecond)} msg/s (${c.costPercent} %)`;
    rows.push([`  drain of ${fmt(c.backlog)} with commands`, cpu, ...target("commandCostPercent")]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), ["scenario", "result", "target", ""][i]?.length ?? 0));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  say(line(["scenario", "result", "target", ""]));
  say(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) say(line(row));
}

function printDetails(report: Report): void {
  const l = report.latency;
  if (l?.latency) {
    const s = l.latency;
    say(`latency: ${fmt(l.published)} published at ${fmt(l.publishedRate)}/s, ${fmt(l.received)} received; publish → msg out of easee-observations: p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, p99.9 ${s.p999}, max ${s.max}, mean ${s.mean} ms`);
    const d = l.decodeLatency;
    if (d) say(`         publish → decoded in easee-config (msg.easee.latencyMs): p50 ${d.p50}, p99 ${d.p99}, max ${d.max} ms`);
  }
  const m = report.memory;
  if (m) {
    say(
      `memory: after a ${fmt(m.warmup)}-message warm-up; without forced GC ${m.beforeMB} MB idle before, ${m.afterMB} MB right after the drain, ` +
        `${m.settledMB} MB ${m.settleSeconds} s later; heap after GC ${m.heapAfterGcMB} MB; in the drain V8 heap up to ${m.peakHeapTotalMB} MB, ` +
        `Buffers up to ${m.peakExternalMB} MB; peak from ${m.peakSource}; drained at ${fmt(m.drainPerSecond)} msg/s`,
    );
    say(
      `        sampled every 100 ms over the ${m.drainSeconds} s drain: highest ${m.sampledPeakMB} MB at ${m.sampledPeakAtSeconds} s; ` +
        `highest in the first half ${m.halvesMB[0]} MB, in the second half ${m.halvesMB[1]} MB`,
    );
    say(`        peak with the ${fmt(m.warmup)} warm-up backlog ${m.warmupPeakMB} MB (drained at ${fmt(m.warmupPerSecond)} msg/s) vs ${m.peakMB} MB with ${fmt(m.messages)}`);
    if (m.timelineMB.length > 0) say(`        RSS through the drain (every ~10 %): ${m.timelineMB.join(", ")} MB`);
  }
  const s = report.scaleout;
  if (s) {
    say(
      `scale-out: ${s.split.map(fmt).join(" + ")} = ${fmt(s.messages)} msgs; ${s.chargersOnBoth} of ${s.chargers} chargers were split over both runtimes; ` +
        `order inversions within one runtime ${s.orderInversionsWithinInstance}; duplicates ${s.duplicates}; missing ${s.missing}` +
        (s.singleRuntimePerSecond ? `; one runtime alone: ${fmt(s.singleRuntimePerSecond)} msg/s` : ""),
    );
  }
  const c = report.commands;
  if (c) {
    const rt = c.roundTrip.roundTrip;
    if (rt) {
      say(
        `commands: ${c.roundTrip.sent} sent at ${c.rate}/s (msg.force, one charger), ${c.roundTrip.answered} answered, ${c.roundTrip.errors} errors; ` +
          `msg in → response msg out: p50 ${rt.p50}, p90 ${rt.p90}, p99 ${rt.p99}, max ${rt.max} ms`,
      );
    }
    const d = c.duringDrain;
    say(`          during the ${fmt(c.backlog)} drain: ${d.sent} sent, ${d.answered} answered (responses queue behind the backlog), ${d.errors} errors`);
    say(
      `          drain throughput without commands ${c.runs.without.map(fmt).join(", ")} msg/s, with ${c.runs.with.map(fmt).join(", ")} msg/s ` +
        `(best ${fmt(c.withoutPerSecond)} vs ${fmt(c.withPerSecond)}: ${c.costByThroughputPercent} % lost)` +
        (c.cpuPerCommandUs !== undefined ? `; on an idle queue a command costs the runtime ${fmt(c.cpuPerCommandUs)} µs of CPU` : ""),
    );
  }
  const b2 = report.baselineMultipleAck;
  if (b2 && report.observations && report.filter) {
    const r = (n: number): string => (n / b2.perSecond).toFixed(2);
    say(`against 1b (acks coalesced per socket read, as easee-config does): 2/1b = ${r(report.observations.perSecond)}, 3/1b = ${r(report.filter.perSecond)}`);
  }
  for (const [name, result] of [
    ["1 baseline", report.baseline],
    ["1b baseline, multiple acks", report.baselineMultipleAck],
    ["2 observations", report.observations],
    ["3 filter", report.filter],
  ] as const) {
    if (result?.profile) {
      say(
        report.options.allocProf
          ? `\n${formatAllocations(`Allocations, ${name}`, result.profile, result.messages)}`
          : `\n${formatProfile(`CPU profile, ${name}`, result.profile)}`,
      );
    }
  }
}

// --- main ----------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) process.stderr.write(`${error.message}\n\n`);
      process.stderr.write(`${USAGE}\n`);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  const startedAt = Date.now();
  const loadStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const runs = new Set<Scenario>(options.scenarios);
  const profileDir = options.cpuProf || options.allocProf ? path.resolve(options.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "easee-bench-prof-"))) : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });

  say(`Easee AMQP benchmark${options.quick ? " (--quick: tiny sizes, numbers mean nothing)" : ""}`);
  const sim = await startSimulator({
    amqpUrl: options.amqpUrl,
    operatorId: `bench-${Date.now()}-${process.pid}`,
    chargers: options.chargers,
    startCharging: 0,
    live: false,
    commands: false,
  });
  const children = new Set<Child>();
  let broker: Broker | undefined;
  // rabbitmqctl starts an Erlang VM (a second or more): ask while the scenarios run.
  const ctlVersion = rabbitmqctlVersion();
  const interrupt = (): void => {
    for (const child of children) child.kill();
    void sim.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const report: Report = {
    bench: "easee-amqp",
    machine: {},
    queue: sim.queueName,
    options: { ...options, amqpUrl: redactUrl(options.amqpUrl) },
    loadAverage: { start: loadStart, end: [] },
    targets: {},
    pass: false,
    durationSeconds: 0,
  };
  try {
    broker = await Broker.open(options.amqpUrl, sim.queueName);
    const versions: Record<string, string> = {};
    const context: Context = { options, sim, broker, children, versions, profileDir };
    const cpus = os.cpus();
    report.machine = {
      cores: cpus.length,
      cpu: cpus[0]?.model ?? "unknown",
      memoryGB: Math.round(os.totalmem() / 1024 ** 3),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      rabbitmq: broker.serverVersion,
    };
    say(
      `machine: ${report.machine.cores} cores (${report.machine.cpu}), Node ${process.version}, RabbitMQ ${report.machine.rabbitmq}; ` +
        `load average ${loadStart.join(", ")} (1/5/15 min)`,
    );
    say(
      `backlog ${fmt(options.backlog)}, prefetch ${options.prefetch}, ${options.chargers} chargers, queue ${sim.queueName}; ` +
        `filter rules ${FILTER_RULES.map((rule) => JSON.stringify(rule.ids)).join(", ")}`,
    );

    if (runs.has("baseline")) {
      report.baseline = await runBaseline(context, "each");
      report.baselineMultipleAck = await runBaseline(context, "multiple");
    }
    if (runs.has("observations")) report.observations = await runDrain(context, "observations");
    if (runs.has("filter")) report.filter = await runDrain(context, "filter");
    if (runs.has("latency")) report.latency = await runLatency(context);
    if (runs.has("memory")) report.memory = await runMemory(context);
    if (runs.has("scaleout")) report.scaleout = await runScaleOut(context, report.observations);
    if (runs.has("commands")) report.commands = await runCommands(context);
    report.machine.nodeRed = versions.nodeRed ?? "not run";
    report.machine.amqplib = versions.amqplib ?? "unknown";

    const base = report.baseline?.perSecond;
    if (base && report.observations) report.observations = { ...report.observations, ratio: Math.round((report.observations.perSecond / base) * 100) / 100 };
    if (base && report.filter) report.filter = { ...report.filter, ratio: Math.round((report.filter.perSecond / base) * 100) / 100 };
    const t = report.targets;
    if (report.observations?.ratio !== undefined) t.observationsRatio = { value: report.observations.ratio, target: `≥ ${TARGETS.observationsRatio}`, met: report.observations.ratio >= TARGETS.observationsRatio };
    if (report.filter?.ratio !== undefined) t.filterRatio = { value: report.filter.ratio, target: `≥ ${TARGETS.filterRatio}`, met: report.filter.ratio >= TARGETS.filterRatio };
    const p99 = report.latency?.latency?.p99;
    if (p99 !== undefined) t.p99Ms = { value: p99, target: `p99 ≤ ${TARGETS.p99Ms} ms`, met: p99 <= TARGETS.p99Ms };
    if (report.memory) {
      t.rssGrowthMB = { value: report.memory.growthMB, target: `≤ +${TARGETS.rssGrowthMB} MB`, met: report.memory.growthMB <= TARGETS.rssGrowthMB };
      t.peakRssMB = { value: report.memory.peakMB, target: `≤ ${TARGETS.peakRssMB} MB`, met: report.memory.peakMB <= TARGETS.peakRssMB };
    }
    if (report.commands) {
      const cost = report.commands.costPercent;
      t.commandCostPercent = { value: cost, target: `cost < ${TARGETS.commandCostPercent} %`, met: cost < TARGETS.commandCostPercent };
    }
    report.pass = Object.values(t).every((entry) => entry === undefined || entry.met);
    report.machine.rabbitmq = (await ctlVersion) ?? report.machine.rabbitmq ?? "unknown";
  } finally {
    for (const child of children) child.kill();
    await broker?.close();
    await sim.close();
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
  report.loadAverage.end = os.loadavg().map((n) => Math.round(n * 100) / 100);
  report.durationSeconds = Math.round((Date.now() - startedAt) / 1000);

  say();
  say(
    `Node-RED ${report.machine.nodeRed}, amqplib ${report.machine.amqplib}; load average at the end ${report.loadAverage.end.join(", ")}; ` +
      `${report.durationSeconds} s in all`,
  );
  printTable(report);
  say();
  printDetails(report);
  if (profileDir) say(`\nProfiles: ${profileDir} (open in Chrome DevTools, or: node dist/bench/profile.js <file>)`);
  if (options.outDir) {
    fs.mkdirSync(options.outDir, { recursive: true });
    fs.writeFileSync(path.join(options.outDir, "result.json"), `${JSON.stringify(report, null, 2)}\n`);
  }
  say();
  say(JSON.stringify(report));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
