/**
 * Presence tracking cost on the hot path: PresenceTracker.heard() for every observation, spread over many
 * chargers, with one timer for all of them. Prints nanoseconds per observation and the timers pending.
 * Target: under 500 ns per observation (decoding one costs about 3,000 ns; see bench/decode.ts).
 * The last line of output is JSON for scripts.
 *
 *   npm run bench:presence          (builds first)
 *   node dist/bench/presence.js [observations] [chargers]
 */
import { ManualScheduler } from "../core/timing/scheduler";
import { PresenceTracker } from "../core/observations/presence";
import type { DecodedObservation } from "../core/types";

const TARGET_NS = 500;
const count = Number(process.argv[2] ?? 2_000_000);
const chargers = Number(process.argv[3] ?? 500);

const scheduler = new ManualScheduler(Date.parse("2026-12-01T10:00:00.000Z"));
let changes = 0;
const tracker = new PresenceTracker({ silenceMs: 20 * 60_000, scheduler, onChange: () => changes++ });
tracker.resume();

const arrival = new Date(scheduler.now() - 35).toISOString();
const pool: DecodedObservation[] = Array.from({ length: chargers }, (_, i) => ({
  kind: "observation",
  chargerId: `EH${String(i + 1).padStart(6, "0")}`,
  observationId: 120,
  name: "TotalPower",
  known: true,
  description: "Total power",
  dataType: "Double",
  unit: "kW",
  category: "telemetry",
  value: 7.2,
  routingKey: `EH${String(i + 1).padStart(6, "0")}.O.120`,
  device: "charger",
  timestamp: arrival,
  arrivalTime: arrival,
  latencyMs: 35,
}));

// Warm-up, then the measured run (the clock stands still: this measures heard(), not timers firing).
for (let i = 0; i < 100_000; i++) tracker.heard(pool[i % chargers] as DecodedObservation, scheduler.now());
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) tracker.heard(pool[i % chargers] as DecodedObservation, scheduler.now());
const ns = Number(process.hrtime.bigint() - started) / count;

const result = { observations: count, chargers, nsPerObservation: Math.round(ns), timersPending: scheduler.pending, changes, targetNs: TARGET_NS };
console.log(`presence: ${result.nsPerObservation} ns per observation over ${chargers} chargers, ${result.timersPending} timer pending (target < ${TARGET_NS} ns)`);
console.log(JSON.stringify(result));
tracker.close();
