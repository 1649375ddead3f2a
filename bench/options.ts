/**
 * Command-line flags and environment variables of `npm run bench` (bench/run.ts).
 * Every flag has an environment twin (EASEE_BENCH_<NAME>), so CI and `npm run bench` without `--` can set them.
 */

export const SCENARIOS = ["baseline", "observations", "filter", "latency", "memory", "scaleout", "commands"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  /** Small sizes for a smoke run (the harness test uses it). */
  readonly quick: boolean;
  /** Backlog M drained by scenarios 1–3 and the scale-out run. */
  readonly backlog: number;
  /** Messages in the memory scenario (backlog waiting at deploy). */
  readonly memoryBacklog: number;
  /** Messages drained before the memory "before" reading, so it is taken with warm code. */
  readonly memoryWarmup: number;
  /** Offered rate of the latency scenario, messages per second. */
  readonly rate: number;
  /** How long the latency scenario holds the rate, seconds. */
  readonly durationSeconds: number;
  /** Prefetch of the easee-config node and of the bare consumer. */
  readonly prefetch: number;
  /** Chargers the load is spread over. */
  readonly chargers: number;
  readonly amqpUrl: string;
  readonly scenarios: readonly Scenario[];
  /** Write a V8 CPU profile of each runtime's drain (node --cpu-prof) and print the top functions. */
  readonly cpuProf: boolean;
  /** Write an allocation profile (sampled, collected objects included) of each drain instead. */
  readonly allocProf: boolean;
  /** Where profiles and the JSON result go. */
  readonly outDir: string | undefined;
  /** Echo the children's own output (Node-RED's log). */
  readonly verbose: boolean;
  /** Extra Node.js flags for the Node-RED runtimes, e.g. "--max-semi-space-size=4" (space separated). */
  readonly nodeFlags: readonly string[];
  /** A runtime that makes no progress for this long fails the run, ms. */
  readonly stallMs: number;
  /** Scenario 7: commands per second, seconds of the round-trip run, and the backlog drained with and without them. */
  readonly commandRate: number;
  readonly commandSeconds: number;
  readonly commandBacklog: number;
}

export const USAGE = `Usage: npm run bench -- [flags]        (or: node dist/bench/run.js [flags])

  --quick                 tiny sizes (a smoke run of every scenario in a few seconds)
  --backlog N             backlog drained by scenarios 1-3 and scale-out (default 200000)
  --memory-backlog N      backlog waiting when the memory run deploys (default 1000000)
  --rate N                offered rate of the latency run, msg/s (default 5000)
  --duration S            seconds the latency run holds the rate (default 20)
  --prefetch N            prefetch of easee-config and of the bare consumer (default 200)
  --chargers N            chargers the load is spread over (default 100)
  --command-rate N        commands per second of scenario 7 (default 10)
  --command-backlog N     backlog scenario 7 drains with and without commands (default 100000)
  --only a,b              scenarios: ${SCENARIOS.join(", ")} (default all)
  --cpu-prof              CPU-profile the drains (node --cpu-prof) and print where the time goes
  --alloc-prof            profile the drains' allocations instead (which code makes the garbage)
  --out DIR               write result.json (and profiles) into DIR
  --node-flags "F …"      extra Node.js flags for the Node-RED runtimes (e.g. "--max-semi-space-size=4")
  --amqp-url URL          broker (default amqp://guest:guest@127.0.0.1:5672, or AMQP_URL)
  --verbose               show the runtimes' own log output
Environment twins: EASEE_BENCH_QUICK=1, EASEE_BENCH_BACKLOG, EASEE_BENCH_MEMORY_BACKLOG, EASEE_BENCH_RATE,
EASEE_BENCH_DURATION, EASEE_BENCH_PREFETCH, EASEE_BENCH_CHARGERS, EASEE_BENCH_ONLY, EASEE_BENCH_CPU_PROF=1, EASEE_BENCH_ALLOC_PROF=1,
EASEE_BENCH_OUT, EASEE_BENCH_NODE_FLAGS, EASEE_BENCH_VERBOSE=1, EASEE_BENCH_COMMAND_RATE, EASEE_BENCH_COMMAND_BACKLOG.`;

const QUICK = {
  backlog: 2000,
  memoryBacklog: 3000,
  memoryWarmup: 500,
  rate: 500,
  durationSeconds: 1,
  commandSeconds: 2,
  commandBacklog: 2000,
} as const;

const FULL = {
  backlog: 200_000,
  memoryBacklog: 1_000_000,
  memoryWarmup: 50_000,
  rate: 5000,
  durationSeconds: 20,
  commandSeconds: 10,
  commandBacklog: 100_000,
} as const;

export class UsageError extends Error {}

function positiveInteger(name: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name} needs a whole number of at least 1 (got ${text === undefined ? "nothing" : JSON.stringify(text)})`);
  }
  return value;
}

function truthy(text: string | undefined): boolean {
  return text !== undefined && text !== "" && text !== "0" && text.toLowerCase() !== "false";
}

function scenarioList(text: string): Scenario[] {
  const names = text
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown scenario "${name}"; choose from ${SCENARIOS.join(", ")}`);
    }
  }
  if (names.length === 0) throw new UsageError("--only needs at least one scenario");
  // Always in the canonical order: the ratios need the baseline first.
  return SCENARIOS.filter((name) => names.includes(name));
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") throw new UsageError("");
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (["quick", "cpu-prof", "alloc-prof", "verbose"].includes(name)) {
      flags.set(name, true);
      continue;
    }
    if (!["backlog", "memory-backlog", "rate", "duration", "prefetch", "chargers", "only", "out", "amqp-url", "node-flags", "command-rate", "command-backlog"].includes(name)) {
      throw new UsageError(`unknown flag --${name}`);
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  const text = (name: string): string | undefined => {
    const flag = flags.get(name);
    if (typeof flag === "string") return flag;
    const fromEnv = env[`EASEE_BENCH_${name.toUpperCase().replace(/-/g, "_")}`];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const bool = (name: string): boolean => flags.get(name) === true || truthy(env[`EASEE_BENCH_${name.toUpperCase().replace(/-/g, "_")}`]);

  const quick = bool("quick");
  const sizes = quick ? QUICK : FULL;
  const number = (name: string, fallback: number): number => {
    const value = text(name);
    return value === undefined ? fallback : positiveInteger(`--${name}`, value);
  };
  const memoryBacklog = number("memory-backlog", sizes.memoryBacklog);
  const prefetch = number("prefetch", 200);
  if (prefetch > 65535) throw new UsageError("--prefetch is at most 65535");
  const only = text("only");
  return {
    quick,
    backlog: number("backlog", sizes.backlog),
    memoryBacklog,
    memoryWarmup: Math.min(sizes.memoryWarmup, memoryBacklog),
    rate: number("rate", sizes.rate),
    durationSeconds: number("duration", sizes.durationSeconds),
    prefetch,
    chargers: number("chargers", 100),
    amqpUrl: text("amqp-url") ?? env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
    scenarios: only === undefined ? [...SCENARIOS] : scenarioList(only),
    cpuProf: bool("cpu-prof"),
    allocProf: bool("alloc-prof"),
    outDir: text("out"),
    verbose: bool("verbose"),
    nodeFlags: (text("node-flags") ?? "").split(/\s+/).filter((flag) => flag !== ""),
    stallMs: quick ? 20_000 : 60_000,
    commandRate: number("command-rate", 10),
    commandSeconds: sizes.commandSeconds,
    commandBacklog: number("command-backlog", sizes.commandBacklog),
  };
}
