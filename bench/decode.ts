/**
 * Decoder throughput: decodes 1,000,000 mixed deliveries (every body shape, JSON-string values,
 * command responses and a few bad ones) in one process and prints deliveries per second.
 * Target: at least 300,000 per second. The last line of output is JSON for scripts.
 *
 *   npm run bench:decode            (builds first)
 *   node dist/bench/decode.js [count]
 */
import { decodeDelivery } from "../core/decode";
import type { RawDelivery } from "../core/types";

const TARGET_PER_SECOND = 300_000;
const POOL_SIZE = 4096;

/** Deterministic pseudo-random numbers, so every run decodes the same deliveries. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(20261125);
const serials = ["EH123456", "EHLDCW8Z", "EHVZ2792", "EHCNF485", "EH530097"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const baseMs = Date.parse("2026-11-25T10:00:00.000Z");

function arrivalHeader(i: number): Record<string, unknown> {
  const ms = baseMs + i * 250;
  // The header's format is not documented: mix the plausible ones.
  switch (i % 3) {
    case 0:
      return { ArrivalTime: new Date(ms).toISOString() };
    case 1:
      return { ArrivalTime: ms };
    default:
      return { ArrivalTime: Math.floor(ms / 1000) };
  }
}

/** [id, typed value maker] for observations seen often on a live charger. */
const TYPED: readonly [number, () => unknown][] = [
  [120, () => Math.round(random() * 1100) / 100],
  [121, () => Math.round(random() * 5000) / 100],
  [109, () => pick([1, 2, 3, 4, 6])],
  [102, () => random() < 0.5],
  [130, () => -Math.round(60 + random() * 40)],
  [150, () => Math.round(20 + random() * 30)],
  [182, () => Math.round(random() * 1600) / 100],
  [190, () => Math.round(22000 + random() * 2000) / 100],
  [96, () => pick([0, 1, 5, 50, 76])],
  [110, () => pick([0, 10, 30])],
];
const TYPE_CODE: Record<string, number> = { boolean: 2, double: 3, integer: 4 };

function build(i: number): RawDelivery {
  const serial = pick(serials);
  const [id, make] = pick(TYPED);
  const value = make();
  const time = new Date(baseMs + i * 250 - 40).toISOString();
  const kindOf = typeof value === "boolean" ? "boolean" : Number.isInteger(value) ? "integer" : "double";
  const roll = random();
  if (roll < 0.4) {
    // 1. Masterloop: typed value, ids in the routing key.
    return { routingKey: `${serial}.O.${id}`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: value }) };
  }
  if (roll < 0.72) {
    // 2. SignalR style: everything in the body, value as text (booleans as "1"/"0" or "True").
    const text = typeof value === "boolean" ? (i % 2 ? (value ? "1" : "0") : value ? "True" : "False") : String(value);
    return {
      routingKey: `${serial}.O.${id}`,
      headers: arrivalHeader(i),
      body: json({ mid: serial, dataType: TYPE_CODE[kindOf], id, timestamp: time.slice(0, 19) + "Z", value: text }),
    };
  }
  if (roll < 0.87) {
    // 3. PascalCase with the data type as a name, under a routing key the decoder does not know.
    return {
      routingKey: `operator.observation`,
      headers: arrivalHeader(i),
      body: json({ ChargerId: serial, ObservationId: id, DataType: kindOf === "boolean" ? "Boolean" : kindOf === "integer" ? "Integer" : "Double", Value: value, Timestamp: time }),
    };
  }
  if (roll < 0.9) {
    // 4. Command response.
    return {
      routingKey: `${serial}.CR.48.${638_400_000_000_000_000n + BigInt(i)}`,
      headers: arrivalHeader(i),
      body: json({ Id: 48, Timestamp: time, DeliveredAt: time, WasAccepted: true, ResultCode: 0, Comment: "" }),
    };
  }
  if (roll < 0.93) {
    // JSON carried as text.
    const session = { id: i, chargeStartTime: time, sessionEnergy: Math.round(random() * 3000) / 100, auth: "", authReason: 0 };
    return { routingKey: `${serial}.O.129`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: JSON.stringify(session) }) };
  }
  if (roll < 0.95) {
    // Reversed RFID token, unknown ids, positions.
    const choice = i % 3;
    if (choice === 0) return { routingKey: `${serial}.O.108`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: "8A2B3C4D" }) };
    if (choice === 1) return { routingKey: `${serial}.O.253`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: 17 }) };
    return { routingKey: `${serial}.O.25`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: "59.9139,10.7522" }) };
  }
  if (roll < 0.99) {
    // Hourly energy and the cloud connection flag, SignalR style.
    return {
      routingKey: `${serial}.O.250`,
      headers: arrivalHeader(i),
      body: json({ mid: serial, dataType: 2, id: 250, timestamp: time, value: "true" }),
    };
  }
  // About 1 % bad deliveries: broken JSON, a non-numeric value, binary.
  const bad = i % 3;
  if (bad === 0) return { routingKey: `${serial}.O.120`, headers: arrivalHeader(i), body: Buffer.from('{"Timestamp": "2026-11-25T10:00:00Z", "Value": 7.') };
  if (bad === 1) return { routingKey: `${serial}.O.120`, headers: arrivalHeader(i), body: json({ Timestamp: time, Value: "NaN" }) };
  return { routingKey: `${serial}.O.120`, headers: arrivalHeader(i), body: Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37]) };
}

function main(): void {
  const count = Number(process.argv[2] ?? 1_000_000);
  const pool: RawDelivery[] = [];
  for (let i = 0; i < POOL_SIZE; i++) pool.push(build(i));

  const kinds = { observation: 0, commandResponse: 0, error: 0 };
  const received = baseMs + 1_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    // Half the calls take the default receive time (Date.now()), as the consumer will.
    const result = decodeDelivery(pool[i & (POOL_SIZE - 1)], i & 1 ? received : undefined);
    kinds[result.kind]++;
  }
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const perSecond = Math.round(count / (elapsedMs / 1000));

  const pass = perSecond >= TARGET_PER_SECOND;
  console.log(`decoded ${count.toLocaleString("en-US")} deliveries in ${elapsedMs.toFixed(0)} ms`);
  console.log(`  observations ${kinds.observation}, command responses ${kinds.commandResponse}, errors ${kinds.error}`);
  console.log(`  ${perSecond.toLocaleString("en-US")} deliveries/s (target ${TARGET_PER_SECOND.toLocaleString("en-US")}/s: ${pass ? "met" : "NOT met"})`);
  console.log(
    JSON.stringify({
      bench: "decode",
      deliveries: count,
      elapsedMs: Math.round(elapsedMs),
      perSecond,
      target: TARGET_PER_SECOND,
      pass,
      ...kinds,
      node: process.version,
    }),
  );
}

main();
