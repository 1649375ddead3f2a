/**
 * What bench/run.ts (the parent: simulator, publisher, report) and bench/worker.ts (a child: a bare amqplib
 * consumer or a Node-RED runtime) say to each other over the IPC channel, and the flows the runtime deploys.
 */

/** "account": only the easee-config node (no subscriber, so no connection), kept across deploys: no new login. */
export type FlowKind = "observations" | "filter" | "idle" | "account";

export interface FlowSpec {
  readonly kind: FlowKind;
  readonly apiUrl: string;
  readonly username: string;
  readonly password: string;
  readonly prefetch: number;
  /** Drain target: the counter (observations) or the filter's done() calls (filter) reaching this count. 0: none. */
  readonly expect: number;
  readonly latency?: boolean;
  readonly track?: boolean;
  /** Scenario 7: an easee-command node for this charger beside the observations, its responses to a counter. */
  readonly commandCharger?: string;
}

/** What the runtime measured while sending commands (scenario 7). */
export interface CommandRunResult {
  readonly sent: number;
  readonly answered: number;
  /** Commands that ended in node.error (refused publish, timeout): should be 0. */
  readonly errors: number;
  /** msg into easee-command → its response msg out, ms. */
  readonly roundTrip?: Summary;
}

/** The four rules of the filter run; one by name (ChargerOpMode = 109). */
export const FILTER_RULES: readonly { readonly ids: string }[] = [
  { ids: "120, 121" },
  { ids: "182-185" },
  { ids: "ChargerOpMode" },
  { ids: "190-196" },
];

export const NODE_IDS = {
  tab: "bench-tab",
  config: "bench-cfg",
  observations: "bench-obs",
  filter: "bench-flt",
  counter: "bench-cnt",
  command: "bench-cmd",
  commandCounter: "bench-cmd-cnt",
} as const;

type FlowNode = { id: string; type: string; [key: string]: unknown };

export function buildFlow(spec: FlowSpec): { flows: FlowNode[]; credentials: Record<string, Record<string, string>> } {
  const tab: FlowNode = { id: NODE_IDS.tab, type: "tab", label: "bench" };
  if (spec.kind === "idle") return { flows: [tab], credentials: {} };
  const config: FlowNode = {
    id: NODE_IDS.config,
    type: "easee-config",
    name: "bench",
    apiUrl: spec.apiUrl,
    rejectUnauthorized: true,
    heartbeat: 30,
    prefetch: spec.prefetch,
  };
  const counter: FlowNode = {
    id: NODE_IDS.counter,
    type: "bench-counter",
    z: NODE_IDS.tab,
    // In the filter run the filter's done() calls tell when the backlog is drained (not every msg passes).
    expect: spec.kind === "observations" ? spec.expect : 0,
    latency: spec.latency === true,
    track: spec.track === true,
    wires: [],
  };
  const observations: FlowNode = {
    id: NODE_IDS.observations,
    type: "easee-observations",
    z: NODE_IDS.tab,
    name: "",
    config: NODE_IDS.config,
    topic: "easee/{chargerId}/{name}",
    chargers: "",
    includeUnknown: true,
    maxAgeSeconds: 0,
    wires: [[spec.kind === "filter" ? NODE_IDS.filter : NODE_IDS.counter]],
  };
  if (spec.kind === "account") return { flows: [tab, config], credentials: { [NODE_IDS.config]: { username: spec.username, password: spec.password } } };
  const flows: FlowNode[] = [tab, config, observations, counter];
  if (spec.kind === "filter") {
    flows.push({
      id: NODE_IDS.filter,
      type: "easee-filter",
      z: NODE_IDS.tab,
      name: "",
      rules: FILTER_RULES.map((rule) => ({ ...rule })),
      otherwise: false,
      checkall: true,
      onlyOnChange: false,
      outputs: FILTER_RULES.length,
      wires: FILTER_RULES.map(() => [NODE_IDS.counter]),
    });
  }
  if (spec.commandCharger !== undefined) {
    flows.push(
      {
        id: NODE_IDS.command,
        type: "easee-command",
        z: NODE_IDS.tab,
        name: "",
        config: NODE_IDS.config,
        chargerId: spec.commandCharger,
        command: "SetDynamicChargerCurrent",
        timeoutSeconds: 60,
        allowPermanent: false,
        wires: [[NODE_IDS.commandCounter], []],
      },
      { id: NODE_IDS.commandCounter, type: "bench-counter", z: NODE_IDS.tab, expect: 0, latency: false, track: false, wires: [] },
    );
  }
  return { flows, credentials: { [NODE_IDS.config]: { username: spec.username, password: spec.password } } };
}

export interface Summary {
  readonly samples: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface TrackResult {
  readonly orderInversions: number;
  readonly perCharger: Record<string, number>;
  readonly keys: string[];
}

export interface DrainResult {
  /** Deliveries drained (counter msgs, or filter done() calls in the filter run). */
  readonly drained: number;
  /** Msgs that reached the counter. */
  readonly counted: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly latency?: Summary;
  readonly decodeLatency?: Summary;
  readonly track?: TrackResult;
}

export interface MemoryReading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

export type ParentMessage =
  | { readonly cmd: "deploy"; readonly flow: FlowSpec }
  | {
      readonly cmd: "consume";
      readonly amqpUrl: string;
      readonly queue: string;
      readonly prefetch: number;
      readonly expect: number;
      /** "each": one ack per delivery (scenario 1); "multiple": one ack with allUpTo per socket read (1b). */
      readonly ackMode: "each" | "multiple";
    }
  /** Send commands into easee-command at `rate`/s for `durationMs` (or until "stopCommands"), then answer "commands". */
  | { readonly cmd: "commands"; readonly rate: number; readonly durationMs: number }
  | { readonly cmd: "stopCommands" }
  | { readonly cmd: "result" }
  | { readonly cmd: "gc" }
  | { readonly cmd: "stop" };

export type ChildMessage =
  | { readonly type: "ready"; readonly versions: Record<string, string> }
  | { readonly type: "deployed" }
  | { readonly type: "consuming" }
  | { readonly type: "progress"; readonly drained: number; readonly heapTotal: number; readonly external: number }
  | { readonly type: "done"; readonly result: DrainResult }
  | { readonly type: "result"; readonly result: DrainResult }
  | { readonly type: "commands"; readonly result: CommandRunResult }
  | { readonly type: "memory"; readonly memory: MemoryReading }
  | { readonly type: "failed"; readonly error: string };

/** Nearest-rank percentiles of a list of numbers (sorted in place). */
export function summarise(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const at = (q: number): number => values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))] as number;
  let sum = 0;
  for (const value of values) sum += value;
  return {
    samples: values.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: values[values.length - 1] as number,
    mean: Math.round((sum / values.length) * 100) / 100,
  };
}
