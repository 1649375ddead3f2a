/**
 * The stateful part of Home Assistant discovery: turns decoded observations into the MQTT messages to publish
 * (retained discovery config the first time a (charger, observation) is seen, then its state), keeps device and
 * availability information, and answers "republish" (Home Assistant restarted) and "remove" (forget entities).
 * Pure: no Node-RED, no MQTT client; the node sends what the methods return.
 */
import { OBSERVATIONS, findObservationById, labelFor } from "../catalogue";
import {
  PAYLOAD_OFFLINE,
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
import { describeEntity, type EntityDescription } from "./entities";
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

const SOFTWARE_RELEASE = 80;
const CONNECTED_TO_CLOUD = 250;

interface AnnouncedEntity {
  readonly entity: EntityDescription;
  state?: string;
}

interface ChargerRecord {
  readonly chargerId: string;
  cloudOnline: boolean;
  swVersion?: string;
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
    const definition = findObservationById(input.observationId);
    if (definition === undefined) return [];
    const out: MqttMessage[] = [];
    const charger = this.touch(input.chargerId);

    if (input.observationId === SOFTWARE_RELEASE && input.value !== null && input.value !== undefined) {
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
        charger.cloudOnline = online;
        if (charger.entities.size > 0) out.push(this.chargerAvailabilityMessage(charger));
      }
    }

    if (!this.options.selection.includes(input.observationId)) return out;
    const entity = describeEntity(definition);
    if (entity === null) return out;

    let announced = charger.entities.get(input.observationId);
    if (announced === undefined) {
      if (!this.bridgeAnnounced) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      if (charger.entities.size === 0) out.push(this.chargerAvailabilityMessage(charger));
      announced = { entity };
      charger.entities.set(input.observationId, announced);
      this.entities++;
      out.push(this.configMessage(charger, entity));
    }
    const label = input.label ?? labelFor(definition, input.value);
    announced.state = formatState(entity, input.value, label);
    out.push(this.stateMessage(charger, announced));
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
      for (const definition of OBSERVATIONS) {
        const entity = describeEntity(definition);
        if (entity !== null) out.push(clear(discoveryTopic(this.options, chargerId, entity)));
      }
      for (const definition of OBSERVATIONS) {
        const entity = describeEntity(definition);
        if (entity !== null) out.push(clear(stateTopic(this.options, chargerId, entity)));
      }
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
  private touch(chargerId: string): ChargerRecord {
    let record = this.chargers.get(chargerId);
    if (record !== undefined) {
      this.chargers.delete(chargerId);
    } else {
      record = { chargerId, cloudOnline: true, entities: new Map() };
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

  private configMessage(charger: ChargerRecord, entity: EntityDescription): MqttMessage {
    const device = { chargerId: charger.chargerId, ...(charger.swVersion !== undefined ? { swVersion: charger.swVersion } : {}) };
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
      payload: charger.cloudOnline ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE,
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
