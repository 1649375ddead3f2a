/**
 * Everything `easee-observations` does with a decoded observation, without Node-RED:
 * charger filter, includeUnknown, the max-age backlog guard, msg building, the snapshot cache and counters.
 */
import { isoFromMs, parseIsoMs } from "../decode/time";
import type { DataTypeName, DecodedObservation, ObservationCategory, ObservationUnit, ObservationValue } from "../types";
import { parseChargerFilter, type ChargerFilter } from "./chargers";
import { isTooOld } from "./max-age";
import { buildObservationMsg, type ObservationMsg } from "./msg";
import { LastValueCache, DEFAULT_SNAPSHOT_CAPACITY, DEFAULT_SNAPSHOT_MAX_BYTES } from "./snapshot-cache";
import { compileTopicTemplate, type CompiledTopic } from "./topic";

export interface ObservationPipelineOptions {
  readonly topic?: string;
  readonly chargers?: string;
  readonly includeUnknown?: boolean;
  /** Seconds; 0 keeps everything. Must already be validated (see parseMaxAgeSeconds). */
  readonly maxAgeSeconds?: number;
  readonly snapshotCapacity?: number;
  /** Estimated bytes the snapshot may hold in all; default 32 MB. */
  readonly snapshotMaxBytes?: number;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
}

export class ObservationPipeline {
  readonly topic: CompiledTopic;
  readonly chargerFilter: ChargerFilter;
  readonly includeUnknown: boolean;
  readonly maxAgeSeconds: number;
  private readonly cache: LastValueCache<LastObservation>;
  private readonly now: () => number;
  private droppedOldTotal = 0;
  private droppedOldUnreported = 0;

  constructor(options: ObservationPipelineOptions = {}) {
    this.topic = compileTopicTemplate(options.topic);
    this.chargerFilter = parseChargerFilter(options.chargers);
    this.includeUnknown = options.includeUnknown !== false;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 0;
    this.cache = new LastValueCache<LastObservation>(options.snapshotCapacity ?? DEFAULT_SNAPSHOT_CAPACITY, {
      maxBytes: options.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES,
      sizeOf: (last) => last.approxBytes,
    });
    this.now = options.now ?? Date.now;
  }

  /** The msg to send for this observation, or undefined when the node's settings filter it out. */
  accept(observation: DecodedObservation): ObservationMsg | undefined {
    if (!this.chargerFilter.matches(observation.chargerId)) return undefined;
    if (!observation.known && !this.includeUnknown) return undefined;
    // A SignalR current-state replay has no ArrivalTime: its device timestamp says how old the value is.
    const receivedAt = observation.arrivalTime ?? (observation.replay === true ? observation.timestamp : undefined);
    if (this.maxAgeSeconds > 0 && isTooOld(receivedAt, this.maxAgeSeconds, this.now())) {
      this.droppedOldTotal++;
      this.droppedOldUnreported++;
      return undefined;
    }
    const last = this.cache.get(observation.chargerId, observation.observationId);
    if (last === undefined) this.cache.set(observation.chargerId, observation.observationId, new LastObservation(observation));
    else if (last.isNewerThan(observation)) {
      // Device time rules (CONTRACT.md): an older value is still sent, flagged, but the snapshot keeps the newer.
      return buildObservationMsg(observation, this.topic, LATE);
    } else {
      last.update(observation);
      this.cache.set(observation.chargerId, observation.observationId, last);
    }
    return buildObservationMsg(observation, this.topic);
  }

  /** Fresh msgs for the last value of every (charger, observation) passed since deploy, flagged `snapshot`. */
  snapshot(): ObservationMsg[] {
    return this.cache.values().map((last) => buildObservationMsg(last.toObservation(), this.topic, SNAPSHOT));
  }

  get snapshotSize(): number {
    return this.cache.size;
  }

  /** Deliveries dropped as too old since deploy. */
  get droppedOld(): number {
    return this.droppedOldTotal;
  }

  /** Deliveries dropped as too old since the previous call (for one summarising log line). */
  takeUnreportedDrops(): number {
    const count = this.droppedOldUnreported;
    this.droppedOldUnreported = 0;
    return count;
  }
}

const LATE = { late: true } as const;
const SNAPSHOT = { snapshot: true } as const;

/** Device time (epoch ms) of an observation, NaN when it has none. */
function deviceTimeMs(observation: DecodedObservation): number {
  const timestamp = observation.timestamp;
  return timestamp === undefined ? NaN : parseIsoMs(timestamp);
}

/** Bookkeeping bytes of one cached pair beside its value (object, numbers, shared strings). */
const ENTRY_OVERHEAD_BYTES = 200;

/** Estimated bytes of a value held in the cache (strings are UTF-16: 2 bytes a character). */
function valueBytes(value: ObservationValue | undefined): number {
  if (typeof value === "string") return value.length * 2;
  if (value !== null && typeof value === "object") {
    try {
      return (JSON.stringify(value)?.length ?? 0) * 2;
    } catch {
      return 0;
    }
  }
  return 8;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the decoder writes: once parseIsoMs accepts it, isoFromMs of the result is
 * the same text (checked structurally, without building a string per message).
 */
function isCanonicalIso(text: string): boolean {
  return text.length === 24 && text.charCodeAt(10) === 84 && text.charCodeAt(19) === 46 && text.charCodeAt(23) === 90;
}

/**
 * The last observation of one (charger, observation) pair, updated in place.
 *
 * The cache outlives many young-generation collections, so keeping each delivery's decoded object in it made every
 * one of them old-generation garbage: with 100 chargers at 30,000 msg/s V8 let the heap grow to 130-170 MB before
 * collecting it (bench/run.ts, memory scenario; without it the heap stays under 70 MB). So only what is already
 * shared (catalogue strings, the pair's first routing key) or fits in a number field is stored; the times are kept
 * as epoch ms and written out again, in the same ISO form, for a snapshot.
 */
class LastObservation {
  private readonly chargerId: string;
  private readonly observationId: number;
  private name: string;
  private known: boolean;
  private description: string;
  private dataType: DataTypeName;
  private unit: ObservationUnit | null;
  private category: ObservationCategory | null;
  private label: string | undefined;
  private routingKey: string | undefined;
  /** A number value lives in a number field (written in place); anything else in `other`. */
  private numberValue = 0;
  private isNumber = false;
  private other: ObservationValue | undefined;
  /** NaN when absent. */
  private timestampMs = NaN;
  private arrivalMs = NaN;
  private latencyMs = NaN;
  /** Times that do not survive a round trip through epoch ms (none the decoder makes), kept as text. */
  private timestampText: string | undefined;
  private arrivalText: string | undefined;

  constructor(observation: DecodedObservation) {
    this.chargerId = observation.chargerId;
    this.observationId = observation.observationId;
    this.name = observation.name;
    this.known = observation.known;
    this.description = observation.description;
    this.dataType = observation.dataType;
    this.unit = observation.unit;
    this.category = observation.category;
    this.routingKey = observation.routingKey;
    this.update(observation);
  }

  /** Estimated bytes held for this pair (for the snapshot's byte budget). */
  get approxBytes(): number {
    return ENTRY_OVERHEAD_BYTES + (this.isNumber ? 8 : valueBytes(this.other));
  }

  /** True when this pair's device time is later than `observation`'s (which is then late). Unknown times: false. */
  isNewerThan(observation: DecodedObservation): boolean {
    const held = this.timestampMs === this.timestampMs ? this.timestampMs : this.timestampText === undefined ? NaN : parseIsoMs(this.timestampText);
    if (held !== held) return false;
    const incoming = deviceTimeMs(observation);
    return incoming === incoming && incoming < held;
  }

  update(observation: DecodedObservation): void {
    // Equal text, fresh string (unknown ids' `Observation<id>`, the routing key): keep the one already held.
    if (observation.name !== this.name) this.name = observation.name;
    if (observation.routingKey !== this.routingKey) this.routingKey = observation.routingKey;
    this.known = observation.known;
    this.description = observation.description;
    this.dataType = observation.dataType;
    this.unit = observation.unit;
    this.category = observation.category;
    this.label = observation.label;
    const value = observation.value;
    if (typeof value === "number") {
      this.numberValue = value;
      this.isNumber = true;
      this.other = undefined;
    } else {
      this.isNumber = false;
      this.other = value;
    }
    const timestamp = observation.timestamp;
    const timestampMs = timestamp !== undefined && isCanonicalIso(timestamp) ? parseIsoMs(timestamp) : NaN;
    this.timestampMs = timestampMs;
    this.timestampText = timestampMs === timestampMs ? undefined : timestamp;
    const arrival = observation.arrivalTime;
    const arrivalMs = arrival !== undefined && isCanonicalIso(arrival) ? parseIsoMs(arrival) : NaN;
    this.arrivalMs = arrivalMs;
    this.arrivalText = arrivalMs === arrivalMs ? undefined : arrival;
    this.latencyMs = observation.latencyMs === undefined ? NaN : observation.latencyMs;
  }

  toObservation(): DecodedObservation {
    const observation: { -readonly [K in keyof DecodedObservation]: DecodedObservation[K] } = {
      kind: "observation",
      chargerId: this.chargerId,
      observationId: this.observationId,
      name: this.name,
      known: this.known,
      description: this.description,
      dataType: this.dataType,
      unit: this.unit,
      category: this.category,
      value: this.isNumber ? this.numberValue : (this.other as ObservationValue),
    };
    if (this.routingKey !== undefined) observation.routingKey = this.routingKey;
    if (this.label !== undefined) observation.label = this.label;
    const timestamp = this.timestampText ?? (this.timestampMs === this.timestampMs ? isoFromMs(this.timestampMs) : undefined);
    if (timestamp !== undefined) observation.timestamp = timestamp;
    const arrivalTime = this.arrivalText ?? (this.arrivalMs === this.arrivalMs ? isoFromMs(this.arrivalMs) : undefined);
    if (arrivalTime !== undefined) observation.arrivalTime = arrivalTime;
    if (this.latencyMs === this.latencyMs) observation.latencyMs = this.latencyMs;
    return observation;
  }
}
