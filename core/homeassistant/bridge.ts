/**
 * The stateful part of Home Assistant discovery: turns decoded observations into the MQTT messages to publish
 * (retained discovery config the first time a (charger, observation) is seen, then its state), keeps device and
 * availability information, and answers "republish" (Home Assistant restarted) and "remove" (forget entities).
 * Pure: no Node-RED, no MQTT client; the node sends what the methods return.
 */
import { deviceKindOf, findObservationById, labelFor, observationsFor, type DeviceKind } from "../catalogue";
import { parseIsoMs } from "../decode/time";
import {
  PAYLOAD_OFF,
  PAYLOAD_OFFLINE,
  PAYLOAD_ON,
  PAYLOAD_ONLINE,
  bridgeAvailabilityTopic,
  chargerAvailabilityTopic,
  discoveryConfig,
  discoveryTopic,
  formatState,
  parseBoolean,
  stateTopic,
  type OriginInfo,
  type TopicOptions,
} from "./discovery";
import {
  LAST_SEEN_ENTITY,
  LAST_SEEN_ENTITY_KEY,
  ONLINE_ENTITY,
  ONLINE_ENTITY_KEY,
  describeEntity,
  type EntityDescription,
} from "./entities";
import type { Selection } from "./selection";

/** A message for Node-RED's `mqtt out` node. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  readonly qos: 1;
}

/**
 * One QoS for everything. MQTT keeps order only within a QoS level: QoS 1 messages wait in in-flight windows while
 * QoS 0 goes straight through, so a QoS 0 state could overtake the config sent before it (seen in the Mosquitto tests).
 */
const QOS = 1;

export interface ObservationInput {
  readonly chargerId: string;
  readonly observationId: number;
  readonly value: unknown;
  /** Enum label from the decoder; looked up in the catalogue when absent. */
  readonly label?: string;
  /** `msg.easee.device`; derived from the serial when absent (`QH…` is an Equalizer). */
  readonly device?: DeviceKind;
  /** When the device was heard, ISO 8601 (the msg's arrivalTime, else its timestamp): feeds the last-seen sensor. */
  readonly seenAt?: string;
}

/** A presence msg of easee-observations (`msg.easee.presence`). */
export interface PresenceInput {
  readonly chargerId: string;
  readonly online: boolean;
  readonly device?: DeviceKind;
  /** Last seen, ISO 8601 (the presence msg's lastSeen arrivalTime, else receivedAt). */
  readonly lastSeen?: string;
}

export interface BridgeOptions extends TopicOptions {
  readonly selection: Selection;
  /** Retain states. Discovery configs and availability are always retained: Home Assistant needs them after a restart. */
  readonly retain: boolean;
  /** Chargers remembered at once; the least recently heard one is forgotten beyond this. */
  readonly maxChargers?: number;
  readonly origin?: OriginInfo;
}

export const DEFAULT_MAX_CHARGERS = 500;

const SOFTWARE_RELEASE: Readonly<Record<DeviceKind, number>> = { charger: 80, equalizer: 21, unknown: -1 };
const CONNECTED_TO_CLOUD = 250;
/**
 * The last-seen sensor moves at most once a minute per device: a charging charger sends several values a second,
 * and a state message for each would double the MQTT traffic for a clock nobody reads to the second.
 */
export const LAST_SEEN_STEP_MS = 60_000;

interface AnnouncedEntity {
  readonly entity: EntityDescription;
  state?: string;
}

interface ChargerRecord {
  readonly chargerId: string;
  readonly device: DeviceKind;
  cloudOnline: boolean;
  /** Reported offline by presence (silent for the silence time); any later message clears it. */
  silent: boolean;
  swVersion?: string;
  /** Epoch ms of the last-seen state published; NaN before the first. */
  lastSeenMs: number;
  /** Keyed by observation id; the presence entities under negative keys. */
  readonly entities: Map<number, AnnouncedEntity>;
}

export class HomeAssistantBridge {
  private readonly chargers = new Map<string, ChargerRecord>();
  private readonly maxChargers: number;
  private amqpOnline = true;
  /** The bridge availability topic has been published since start (or the last full remove). */
  private bridgeAnnounced = false;
  private entities = 0;
  /** Chargers forgotten because more than maxChargers were heard. */
  evictions = 0;

  constructor(private readonly options: BridgeOptions) {
    this.maxChargers = Math.max(1, options.maxChargers ?? DEFAULT_MAX_CHARGERS);
  }

  get chargerCount(): number {
    return this.chargers.size;
  }

  /** Entities announced since start (or the last remove). */
  get entityCount(): number {
    return this.entities;
  }

  /** Messages for one decoded observation: nothing for unknown ids or observations outside the selection. */
  observe(input: ObservationInput): MqttMessage[] {
    const device = input.device ?? deviceKindOf(input.chargerId);
    const definition = findObservationById(input.observationId, device);
    if (definition === undefined) return [];
    const out: MqttMessage[] = [];
    const charger = this.touch(input.chargerId, device);

    // Heard, so present: a message after a silence makes the device available again even without a presence msg.
    if (charger.silent) {
      const before = this.chargerAvailable(charger);
      charger.silent = false;
      this.presenceChanged(charger, before, out);
    }
    if (input.seenAt !== undefined && charger.entities.size > 0) this.presenceEntities(charger, input.seenAt, false, out);

    if (input.observationId === SOFTWARE_RELEASE[device] && input.value !== null && input.value !== undefined) {
      const version = typeof input.value === "object" ? JSON.stringify(input.value) : String(input.value);
      if (version !== charger.swVersion) {
        charger.swVersion = version;
        // Every retained config carries the device block; refresh them all so none holds an old version.
        for (const announced of charger.entities.values()) out.push(this.configMessage(charger, announced.entity));
      }
    }

    if (input.observationId === CONNECTED_TO_CLOUD) {
      const online = parseBoolean(input.value);
      if (online !== undefined && online !== charger.cloudOnline) {
        const before = this.chargerAvailable(charger);
        charger.cloudOnline = online;
        if (charger.entities.size > 0 && before !== this.chargerAvailable(charger)) out.push(this.chargerAvailabilityMessage(charger));
      }
    }

    if (!this.options.selection.includes(input.observationId, device)) return out;
    const entity = describeEntity(definition, device);
    if (entity === null) return out;

    let announced = charger.entities.get(input.observationId);
    if (announced === undefined) {
      const first = charger.entities.size === 0;
      if (first) this.announceDevice(charger, out);
      announced = { entity };
      charger.entities.set(input.observationId, announced);
      this.entities++;
      out.push(this.configMessage(charger, entity));
      const label = input.label ?? labelFor(definition, input.value);
      announced.state = formatState(entity, input.value, label);
      out.push(this.stateMessage(charger, announced));
      if (first && input.seenAt !== undefined) this.presenceEntities(charger, input.seenAt, false, out);
      return out;
    }
    const label = input.label ?? labelFor(definition, input.value);
    announced.state = formatState(entity, input.value, label);
    out.push(this.stateMessage(charger, announced));
    return out;
  }

  /**
   * A presence msg: the device went silent (offline) or spoke again. Its availability follows (with the stream's
   * and ConnectedToCloud), the Online sensor and the last-seen sensor show it. A device not announced yet (a listed
   * charger silent since a restart) is announced with these two entities, so Home Assistant shows it as gone.
   */
  presence(input: PresenceInput): MqttMessage[] {
    const device = input.device ?? deviceKindOf(input.chargerId);
    if (device === "unknown") return [];
    const out: MqttMessage[] = [];
    const charger = this.touch(input.chargerId, device);
    const before = this.chargerAvailable(charger);
    charger.silent = !input.online;
    if (charger.entities.size === 0) {
      this.announceDevice(charger, out);
      this.presenceEntities(charger, input.lastSeen, true, out);
      return out;
    }
    this.presenceChanged(charger, before, out);
    this.presenceEntities(charger, input.lastSeen, true, out);
    return out;
  }

  /** The AMQP connection to Easee went up or down. Published at once if entities exist, else with the first one. */
  setConnection(online: boolean): MqttMessage[] {
    if (online === this.amqpOnline) return [];
    this.amqpOnline = online;
    return this.bridgeAnnounced ? [this.bridgeAvailabilityMessage()] : [];
  }

  get connectionOnline(): boolean {
    return this.amqpOnline;
  }

  /**
   * Everything again: availability, every config and the last state of every entity.
   * For Home Assistant's birth message (`<prefix>/status` = `online`) and a broker that lost its retained messages.
   */
  republish(): MqttMessage[] {
    const out: MqttMessage[] = [];
    for (const charger of this.chargers.values()) {
      if (charger.entities.size === 0) continue;
      if (out.length === 0) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      out.push(this.chargerAvailabilityMessage(charger));
      for (const announced of charger.entities.values()) out.push(this.configMessage(charger, announced.entity));
      for (const announced of charger.entities.values()) {
        if (announced.state !== undefined) out.push(this.stateMessage(charger, announced));
      }
    }
    return out;
  }

  /**
   * Empty retained configs (Home Assistant deletes the entities), and empty retained states and availability
   * (the broker forgets them), for the given chargers or every charger heard since start. The topics are derived
   * from the catalogue, so this also clears entities announced before a restart when the serial is given.
   * A charger that keeps sending gets its entities back with its next observations.
   */
  remove(chargerIds?: readonly string[]): MqttMessage[] {
    const targets = chargerIds ?? [...this.chargers.keys()];
    const out: MqttMessage[] = [];
    for (const chargerId of targets) {
      const device = this.chargers.get(chargerId)?.device ?? deviceKindOf(chargerId);
      const entities: EntityDescription[] = [];
      for (const definition of observationsFor(device)) {
        const entity = describeEntity(definition, device);
        if (entity !== null) entities.push(entity);
      }
      if (device !== "unknown") entities.push(ONLINE_ENTITY, LAST_SEEN_ENTITY);
      for (const entity of entities) out.push(clear(discoveryTopic(this.options, chargerId, entity)));
      for (const entity of entities) out.push(clear(stateTopic(this.options, chargerId, entity)));
      out.push(clear(chargerAvailabilityTopic(this.options, chargerId)));
      const record = this.chargers.get(chargerId);
      if (record !== undefined) {
        this.entities -= record.entities.size;
        this.chargers.delete(chargerId);
      }
    }
    if (chargerIds === undefined) {
      out.push(clear(bridgeAvailabilityTopic(this.options)));
      this.bridgeAnnounced = false;
    }
    return out;
  }

  /** The charger's record, marked most recently heard; the least recent one goes when the map is full. */
  private touch(chargerId: string, device: DeviceKind): ChargerRecord {
    let record = this.chargers.get(chargerId);
    if (record !== undefined) {
      this.chargers.delete(chargerId);
    } else {
      record = { chargerId, device, cloudOnline: true, silent: false, lastSeenMs: NaN, entities: new Map() };
    }
    this.chargers.set(chargerId, record);
    while (this.chargers.size > this.maxChargers) {
      const oldest = this.chargers.keys().next().value as string;
      this.entities -= this.chargers.get(oldest)?.entities.size ?? 0;
      this.chargers.delete(oldest);
      this.evictions++;
    }
    return record;
  }

  /** Available to Home Assistant: its cloud link is up and it has not gone silent. */
  private chargerAvailable(charger: ChargerRecord): boolean {
    return charger.cloudOnline && !charger.silent;
  }

  /** The first entity of a device: bridge and device availability go first. */
  private announceDevice(charger: ChargerRecord, out: MqttMessage[]): void {
    if (!this.bridgeAnnounced) {
      this.bridgeAnnounced = true;
      out.push(this.bridgeAvailabilityMessage());
    }
    out.push(this.chargerAvailabilityMessage(charger));
  }

  /**
   * The presence entities (Online, Last seen) of a device, announced once: with the first msg that says when the
   * device was heard (observation msgs carry arrivalTime) or with the first presence msg (`force`). Then the
   * last-seen state, if `seenAt` moves it.
   */
  private presenceEntities(charger: ChargerRecord, seenAt: string | undefined, force: boolean, out: MqttMessage[]): void {
    if (charger.device === "unknown") return;
    if (!charger.entities.has(ONLINE_ENTITY_KEY)) {
      if (seenAt === undefined && !force) return;
      const online: AnnouncedEntity = { entity: ONLINE_ENTITY, state: charger.silent ? PAYLOAD_OFF : PAYLOAD_ON };
      charger.entities.set(ONLINE_ENTITY_KEY, online);
      this.entities++;
      out.push(this.configMessage(charger, ONLINE_ENTITY));
      out.push(this.stateMessage(charger, online));
      charger.entities.set(LAST_SEEN_ENTITY_KEY, { entity: LAST_SEEN_ENTITY });
      this.entities++;
      out.push(this.configMessage(charger, LAST_SEEN_ENTITY));
      force = true;
    }
    if (seenAt !== undefined) this.seen(charger, seenAt, force, out);
  }

  /** Availability and the Online sensor after `silent` changed (nothing when the device has no entities yet). */
  private presenceChanged(charger: ChargerRecord, availableBefore: boolean, out: MqttMessage[]): void {
    if (charger.entities.size === 0) return;
    if (availableBefore !== this.chargerAvailable(charger)) out.push(this.chargerAvailabilityMessage(charger));
    const online = charger.entities.get(ONLINE_ENTITY_KEY);
    const state = charger.silent ? PAYLOAD_OFF : PAYLOAD_ON;
    if (online !== undefined && online.state !== state) {
      online.state = state;
      out.push(this.stateMessage(charger, online));
    }
  }

  /** The last-seen sensor: forward only, at most once a minute unless `always` (presence changes). */
  private seen(charger: ChargerRecord, iso: string, always: boolean, out: MqttMessage[]): void {
    const announced = charger.entities.get(LAST_SEEN_ENTITY_KEY);
    if (announced === undefined) return;
    const ms = typeof iso === "string" && iso.length <= 40 ? parseIsoMs(iso) : NaN;
    if (ms !== ms) return;
    const last = charger.lastSeenMs;
    if (last === last && (ms <= last || (!always && ms - last < LAST_SEEN_STEP_MS))) return;
    charger.lastSeenMs = ms;
    announced.state = new Date(ms).toISOString();
    out.push(this.stateMessage(charger, announced));
  }

  private configMessage(charger: ChargerRecord, entity: EntityDescription): MqttMessage {
    const device = {
      chargerId: charger.chargerId,
      device: charger.device,
      ...(charger.swVersion !== undefined ? { swVersion: charger.swVersion } : {}),
    };
    return {
      topic: discoveryTopic(this.options, charger.chargerId, entity),
      payload: JSON.stringify(discoveryConfig(this.options, device, entity, this.options.origin)),
      retain: true,
      qos: QOS,
    };
  }

  private stateMessage(charger: ChargerRecord, announced: AnnouncedEntity): MqttMessage {
    return {
      topic: stateTopic(this.options, charger.chargerId, announced.entity),
      payload: announced.state ?? "",
      retain: this.options.retain,
      qos: QOS,
    };
  }

  private chargerAvailabilityMessage(charger: ChargerRecord): MqttMessage {
    return {
      topic: chargerAvailabilityTopic(this.options, charger.chargerId),
      payload: this.chargerAvailable(charger) ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE,
      // Always retained: with availability_mode "all", an availability Home Assistant never heard keeps entities unavailable.
      retain: true,
      qos: QOS,
    };
  }

  private bridgeAvailabilityMessage(): MqttMessage {
    return {
      topic: bridgeAvailabilityTopic(this.options),
      payload: this.amqpOnline ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE,
      retain: true,
      qos: QOS,
    };
  }
}

function clear(topic: string): MqttMessage {
  return { topic, payload: "", retain: true, qos: QOS };
}
