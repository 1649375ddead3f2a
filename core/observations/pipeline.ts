/**
 * Everything `easee-observations` does with a decoded observation, without Node-RED:
 * charger filter, includeUnknown, the max-age backlog guard, msg building, the snapshot cache and counters.
 */
import type { DecodedObservation } from "../types";
import { parseChargerFilter, type ChargerFilter } from "./chargers";
import { isTooOld } from "./max-age";
import { buildObservationMsg, type ObservationMsg } from "./msg";
import { LastValueCache, DEFAULT_SNAPSHOT_CAPACITY } from "./snapshot-cache";
import { compileTopicTemplate, type CompiledTopic } from "./topic";

export interface ObservationPipelineOptions {
  readonly topic?: string;
  readonly chargers?: string;
  readonly includeUnknown?: boolean;
  /** Seconds; 0 keeps everything. Must already be validated (see parseMaxAgeSeconds). */
  readonly maxAgeSeconds?: number;
  readonly snapshotCapacity?: number;
  /** Clock, replaceable in tests. */
  readonly now?: () => number;
}

export class ObservationPipeline {
  readonly topic: CompiledTopic;
  readonly chargerFilter: ChargerFilter;
  readonly includeUnknown: boolean;
  readonly maxAgeSeconds: number;
  private readonly cache: LastValueCache<DecodedObservation>;
  private readonly now: () => number;
  private droppedOldTotal = 0;
  private droppedOldUnreported = 0;

  constructor(options: ObservationPipelineOptions = {}) {
    this.topic = compileTopicTemplate(options.topic);
    this.chargerFilter = parseChargerFilter(options.chargers);
    this.includeUnknown = options.includeUnknown !== false;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 0;
    this.cache = new LastValueCache(options.snapshotCapacity ?? DEFAULT_SNAPSHOT_CAPACITY);
    this.now = options.now ?? Date.now;
  }

  /** The msg to send for this observation, or undefined when the node's settings filter it out. */
  accept(observation: DecodedObservation): ObservationMsg | undefined {
    if (!this.chargerFilter.matches(observation.chargerId)) return undefined;
    if (!observation.known && !this.includeUnknown) return undefined;
    if (this.maxAgeSeconds > 0 && isTooOld(observation.arrivalTime, this.maxAgeSeconds, this.now())) {
      this.droppedOldTotal++;
      this.droppedOldUnreported++;
      return undefined;
    }
    this.cache.set(observation.chargerId, observation.observationId, observation);
    return buildObservationMsg(observation, this.topic);
  }

  /** Fresh msgs for the last value of every (charger, observation) passed since deploy. */
  snapshot(): ObservationMsg[] {
    return this.cache.values().map((observation) => buildObservationMsg(observation, this.topic));
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
