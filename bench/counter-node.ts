/**
 * `bench-counter`: the node at the end of every benchmark flow. It counts msgs and, when asked, records the
 * latency of each (publish → here) or the facts the scale-out run needs (per-charger order, dedupe keys).
 * Registered next to the package's nodes by the benchmark's runtime (bench/worker.ts); the worker reads the
 * counts from `counterHub`, the same module instance Node-RED loaded.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";

export interface CounterDef extends NodeDef {
  /** Tell the hub when this many msgs have arrived (0: never). */
  expect?: number;
  /** Record publish → arrival latency from msg.easee.arrivalTime (the publisher sets it at publish). */
  latency?: boolean;
  /** Record per-charger order and a dedupe key per msg (scale-out run). */
  track?: boolean;
}

export interface TrackState {
  /** Last device timestamp seen per charger (ISO text compares in time order). */
  readonly lastTimestamp: Map<string, string>;
  readonly perCharger: Map<string, number>;
  /** A msg whose device time is earlier than the previous one of the same charger. */
  orderInversions: number;
  /** chargerId|observationId|timestamp of every msg. */
  readonly keys: string[];
}

export class CounterState {
  count = 0;
  firstMs = 0;
  lastMs = 0;
  /** Publish → arrival here, ms (Date.now() at both ends). */
  readonly latencies: number[] = [];
  /** msg.easee.latencyMs: publish → decode in easee-config, ms. */
  readonly decodeLatencies: number[] = [];
  /** msg.benchSentAt (performance.now() when the bench sent the msg into easee-command) → here, ms. */
  readonly roundTrips: number[] = [];
  readonly track: TrackState | undefined;

  constructor(
    readonly expect: number,
    readonly recordLatency: boolean,
    track: boolean,
  ) {
    this.track = track ? { lastTimestamp: new Map(), perCharger: new Map(), orderInversions: 0, keys: [] } : undefined;
  }
}

interface EaseePart {
  chargerId?: unknown;
  observationId?: unknown;
  timestamp?: unknown;
  arrivalTime?: unknown;
  latencyMs?: unknown;
}

/** Shared between the node instances and the worker that reads them. */
export const counterHub = {
  counters: new Map<string, CounterState>(),
  onExpected: undefined as ((id: string, state: CounterState) => void) | undefined,
  reset(): void {
    this.counters.clear();
  },
  total(): number {
    let sum = 0;
    for (const state of this.counters.values()) sum += state.count;
    return sum;
  },
};

function record(state: CounterState, msg: NodeMessage, now: number): void {
  const easee = (msg as { easee?: EaseePart }).easee;
  if (easee === undefined) return;
  if (state.recordLatency) {
    if (typeof easee.arrivalTime === "string") state.latencies.push(now - Date.parse(easee.arrivalTime));
    if (typeof easee.latencyMs === "number") state.decodeLatencies.push(easee.latencyMs);
  }
  const track = state.track;
  if (track !== undefined && typeof easee.chargerId === "string") {
    const chargerId = easee.chargerId;
    const timestamp = typeof easee.timestamp === "string" ? easee.timestamp : "";
    const last = track.lastTimestamp.get(chargerId);
    if (last !== undefined && timestamp < last) track.orderInversions++;
    track.lastTimestamp.set(chargerId, timestamp);
    track.perCharger.set(chargerId, (track.perCharger.get(chargerId) ?? 0) + 1);
    track.keys.push(`${chargerId}|${String(easee.observationId)}|${timestamp}`);
  }
}

export function registerCounterNode(RED: NodeAPI): void {
  function BenchCounter(this: Node, def: CounterDef): void {
    RED.nodes.createNode(this, def);
    const state = new CounterState(Number(def.expect) || 0, def.latency === true, def.track === true);
    counterHub.counters.set(this.id, state);
    const plain = !state.recordLatency && state.track === undefined;
    this.on("input", (msg: NodeMessage, _send: unknown, done: () => void) => {
      const now = Date.now();
      if (state.count === 0) state.firstMs = now;
      state.lastMs = now;
      state.count++;
      if (!plain) record(state, msg, now);
      const sentAt = (msg as { benchSentAt?: unknown }).benchSentAt;
      if (typeof sentAt === "number") state.roundTrips.push(Math.round((performance.now() - sentAt) * 100) / 100);
      if (state.count === state.expect) counterHub.onExpected?.(this.id, state);
      done();
    });
  }
  RED.nodes.registerType("bench-counter", BenchCounter);
}
