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
  type DeviceInfo,
  type OriginInfo,
  type TopicOptions,
} from "./discovery";
import {
  CONTROL_OBSERVATIONS,
  CONTROLS_OFF,
  activeControls,
  controlConfig,
  controlDiscoveryTopic,
  controlStateTopic,
  controlTopics,
  findControl,
  lastCommandAttributes,
  lastCommandAttributesTopic,
  lastCommandConfig,
  lastCommandStateTopic,
  parseCommandTopic,
  phasesState,
  translateCommand,
  DEFAULT_MAX_CURRENT,
  LAST_COMMAND_KEY,
  type CommandProblem,
  type CommandReport,
  type CommandRequest,
  type ControlDefinition,
  type ControlOptions,
} from "./controls";
import { describeEntity, type EntityDescription } from "./entities";
import { topicLevel } from "./names";
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
  /** `msg.easee.device`: Equalizers (`equalizer`) get no charger controls. */
  readonly device?: string;
}

export interface BridgeOptions extends TopicOptions {
  readonly selection: Selection;
  /** Retain states. Discovery configs and availability are always retained: Home Assistant needs them after a restart. */
  readonly retain: boolean;
  /** Chargers remembered at once; the least recently heard one is forgotten beyond this. */
  readonly maxChargers?: number;
  readonly origin?: OriginInfo;
  /** Home Assistant controls (number, switches, optional button and select) and the last-command sensor. Default: off. */
  readonly controls?: ControlOptions;
}

/** What the node does with a msg on a command topic (see `HomeAssistantBridge.command`). */
export type CommandHandling =
  | { readonly ok: true; readonly request: CommandRequest; readonly messages: MqttMessage[] }
  | { readonly ok: false; readonly problem: CommandProblem; readonly chargerId: string; readonly command: string };

export const DEFAULT_MAX_CHARGERS = 500;

const SOFTWARE_RELEASE = 80;
const CONNECTED_TO_CLOUD = 250;

interface AnnouncedEntity {
  readonly entity: EntityDescription;
  state?: string;
}

/** A charger's controls: announced once, with the readings their configs and commands depend on. */
interface ControlsRecord {
  announced: boolean;
  maxCurrent?: number;
  readonly circuit: (number | undefined)[];
  circuitMaxP1?: number;
  /** States the controls publish themselves (phases; followed observations whose sensor is not selected), by topic. */
  readonly states: Map<string, string>;
  lastCommand?: { readonly state: string; readonly attributes: string };
}

interface ChargerRecord {
  readonly chargerId: string;
  cloudOnline: boolean;
  swVersion?: string;
  readonly entities: Map<number, AnnouncedEntity>;
  controls?: ControlsRecord;
}

export class HomeAssistantBridge {
  private readonly chargers = new Map<string, ChargerRecord>();
  private readonly maxChargers: number;
  private amqpOnline = true;
  /** The bridge availability topic has been published since start (or the last full remove). */
  private bridgeAnnounced = false;
  private entities = 0;
  private readonly controls: readonly ControlDefinition[];
  /** Control entities announced (controls plus the last-command sensor, per charger). */
  private controlEntities = 0;
  /** Chargers forgotten because more than maxChargers were heard. */
  evictions = 0;

  constructor(private readonly options: BridgeOptions) {
    this.maxChargers = Math.max(1, options.maxChargers ?? DEFAULT_MAX_CHARGERS);
    this.controls = activeControls(options.controls ?? CONTROLS_OFF);
  }

  get chargerCount(): number {
    return this.chargers.size;
  }

  /** Entities announced since start (or the last remove). */
  get entityCount(): number {
    return this.entities + this.controlEntities;
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
        out.push(...this.controlConfigMessages(charger));
      }
    }

    if (input.observationId === CONNECTED_TO_CLOUD) {
      const online = parseBoolean(input.value);
      if (online !== undefined && online !== charger.cloudOnline) {
        charger.cloudOnline = online;
        if (this.hasAnnounced(charger)) out.push(this.chargerAvailabilityMessage(charger));
      }
    }

    const selected = this.options.selection.includes(input.observationId);
    const entity = selected ? describeEntity(definition) : null;
    if (this.controls.length > 0 && input.device !== "equalizer") {
      this.observeControls(charger, input, entity === null, out);
    }
    if (entity === null) return out;

    let announced = charger.entities.get(input.observationId);
    if (announced === undefined) {
      if (!this.bridgeAnnounced) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      if (!this.hasAnnounced(charger)) out.push(this.chargerAvailabilityMessage(charger));
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
      if (!this.hasAnnounced(charger)) continue;
      if (out.length === 0) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      out.push(this.chargerAvailabilityMessage(charger));
      for (const announced of charger.entities.values()) out.push(this.configMessage(charger, announced.entity));
      out.push(...this.controlConfigMessages(charger));
      for (const announced of charger.entities.values()) {
        if (announced.state !== undefined) out.push(this.stateMessage(charger, announced));
      }
      out.push(...this.controlStateMessages(charger));
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
      // Controls too, whether or not this node announces them now (they may be left from before they were turned off).
      const controls = controlTopics(this.options, chargerId);
      for (const definition of OBSERVATIONS) {
        const entity = describeEntity(definition);
        if (entity !== null) out.push(clear(discoveryTopic(this.options, chargerId, entity)));
      }
      for (const topic of controls.configs) out.push(clear(topic));
      for (const definition of OBSERVATIONS) {
        const entity = describeEntity(definition);
        if (entity !== null) out.push(clear(stateTopic(this.options, chargerId, entity)));
      }
      for (const topic of controls.states) out.push(clear(topic));
      out.push(clear(chargerAvailabilityTopic(this.options, chargerId)));
      const record = this.chargers.get(chargerId);
      if (record !== undefined) {
        this.entities -= record.entities.size;
        this.controlEntities -= this.controlCount(record);
        this.chargers.delete(chargerId);
      }
    }
    if (chargerIds === undefined) {
      out.push(clear(bridgeAvailabilityTopic(this.options)));
      this.bridgeAnnounced = false;
    }
    return out;
  }

  /**
   * A msg on a control's command topic (`<stateTopic>/<serial>/<control>/set`, from an `mqtt in`): the msg for
   * `easee-command`, plus the last-command sensor set to `sent`; or the problem (nothing is sent). Undefined when the
   * topic is not a command topic under this bridge's root.
   */
  command(topic: string, payload: unknown, now: Date = new Date()): CommandHandling | undefined {
    const parsed = parseCommandTopic(this.options, topic);
    if (parsed === undefined) return undefined;
    const charger = this.findByLevel(parsed.level);
    const chargerId = charger?.chargerId ?? parsed.level;
    const control = findControl(parsed.key);
    const command = control?.command ?? "";
    if (this.controls.length === 0) return { ok: false, problem: { code: "controlsOff" }, chargerId, command };
    if (control === undefined || !this.controls.includes(control)) {
      return { ok: false, problem: { code: "unknownControl", control: parsed.key.slice(0, 64) }, chargerId, command };
    }
    const readings = charger?.controls ?? { circuit: [] };
    const translated = translateCommand(control, chargerId, payload, readings);
    if (!translated.ok) return { ok: false, problem: translated.problem, chargerId, command };
    const messages = this.reportCommand({ chargerId, outcome: "sent", command, arguments: translated.request.payload, at: now.toISOString() });
    return { ok: true, request: translated.request, messages };
  }

  /** The last-command sensor's state and attributes for a report (an answer, an error, or a command just sent). */
  reportCommand(report: CommandReport): MqttMessage[] {
    if (this.controls.length === 0) return [];
    const lastCommand = { state: report.outcome, attributes: lastCommandAttributes(report) };
    const charger = this.chargers.get(report.chargerId);
    if (charger?.controls !== undefined) charger.controls.lastCommand = lastCommand;
    // Sent even for a charger not heard since the last deploy: Home Assistant still has its retained config.
    return this.lastCommandMessages(report.chargerId, lastCommand);
  }

  /** Announces the controls with a charger's first observation, keeps their readings and publishes their states. */
  private observeControls(charger: ChargerRecord, input: ObservationInput, sensorSilent: boolean, out: MqttMessage[]): void {
    const controls: ControlsRecord = (charger.controls ??= { announced: false, circuit: [undefined, undefined, undefined], states: new Map() });
    const amps = typeof input.value === "number" && Number.isFinite(input.value) ? input.value : undefined;
    let configChanged = false;
    switch (input.observationId) {
      case CONTROL_OBSERVATIONS.MaxChargerCurrent:
        if (amps !== undefined && amps !== controls.maxCurrent) {
          configChanged = controls.announced;
          controls.maxCurrent = amps;
        }
        break;
      case CONTROL_OBSERVATIONS.CircuitMaxCurrentP1:
        if (amps !== undefined) controls.circuitMaxP1 = amps;
        break;
      case CONTROL_OBSERVATIONS.DynamicCircuitCurrentP1:
      case CONTROL_OBSERVATIONS.DynamicCircuitCurrentP2:
      case CONTROL_OBSERVATIONS.DynamicCircuitCurrentP3:
        if (amps !== undefined) controls.circuit[input.observationId - CONTROL_OBSERVATIONS.DynamicCircuitCurrentP1] = amps;
        break;
    }
    if (!controls.announced) {
      if (!this.bridgeAnnounced) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      if (!this.hasAnnounced(charger)) out.push(this.chargerAvailabilityMessage(charger));
      controls.announced = true;
      this.controlEntities += this.controlCount(charger);
      out.push(...this.controlConfigMessages(charger));
    } else if (configChanged) {
      const number = this.controls.find((control) => control.component === "number");
      if (number !== undefined) out.push(this.controlConfigMessage(charger, number));
    }
    for (const control of this.controls) {
      if (control.stateObservationId === input.observationId && sensorSilent) {
        // The observation's sensor is not selected: the control publishes the shared state topic itself.
        const definition = findObservationById(input.observationId);
        const entity = definition && describeEntity(definition);
        if (entity) this.publishControlState(charger, controls, control, formatState(entity, input.value, input.label), out, false);
      }
      if (control.key === "phases" && input.observationId >= CONTROL_OBSERVATIONS.DynamicCircuitCurrentP1 && input.observationId <= CONTROL_OBSERVATIONS.DynamicCircuitCurrentP3) {
        // Derived: published when it changes (P1-P3 arrive one by one).
        this.publishControlState(charger, controls, control, phasesState(controls.circuit), out, true);
      }
    }
  }

  private publishControlState(charger: ChargerRecord, controls: ControlsRecord, control: ControlDefinition, state: string, out: MqttMessage[], onlyOnChange: boolean): void {
    const topic = controlStateTopic(this.options, charger.chargerId, control);
    if (onlyOnChange && controls.states.get(topic) === state) return;
    controls.states.set(topic, state);
    out.push({ topic, payload: state, retain: this.options.retain, qos: QOS });
  }

  /** Sensors or controls of this charger are in Home Assistant (so its availability topic is in use). */
  private hasAnnounced(charger: ChargerRecord): boolean {
    return charger.entities.size > 0 || charger.controls?.announced === true;
  }

  /** Control entities announced for a charger: its controls plus the last-command sensor. */
  private controlCount(charger: ChargerRecord): number {
    return charger.controls?.announced === true ? this.controls.length + 1 : 0;
  }

  private findByLevel(level: string): ChargerRecord | undefined {
    const exact = this.chargers.get(level);
    if (exact !== undefined) return exact;
    for (const charger of this.chargers.values()) if (topicLevel(charger.chargerId) === level) return charger;
    return undefined;
  }

  private controlConfigMessages(charger: ChargerRecord): MqttMessage[] {
    if (charger.controls?.announced !== true) return [];
    const device = this.deviceOf(charger);
    return [
      ...this.controls.map((control) => this.controlConfigMessage(charger, control)),
      {
        topic: controlDiscoveryTopic(this.options, charger.chargerId, "sensor", LAST_COMMAND_KEY),
        payload: JSON.stringify(lastCommandConfig(this.options, device, this.options.origin)),
        retain: true,
        qos: QOS,
      },
    ];
  }

  private controlConfigMessage(charger: ChargerRecord, control: ControlDefinition): MqttMessage {
    const context = { maxCurrent: charger.controls?.maxCurrent ?? DEFAULT_MAX_CURRENT };
    return {
      topic: controlDiscoveryTopic(this.options, charger.chargerId, control.component, control.key),
      payload: JSON.stringify(controlConfig(this.options, this.deviceOf(charger), control, context, this.options.origin)),
      retain: true,
      qos: QOS,
    };
  }

  private controlStateMessages(charger: ChargerRecord): MqttMessage[] {
    const controls = charger.controls;
    if (controls?.announced !== true) return [];
    const out: MqttMessage[] = [];
    for (const [topic, state] of controls.states) out.push({ topic, payload: state, retain: this.options.retain, qos: QOS });
    if (controls.lastCommand !== undefined) out.push(...this.lastCommandMessages(charger.chargerId, controls.lastCommand));
    return out;
  }

  /** Attributes first, so Home Assistant has them when the state changes. */
  private lastCommandMessages(chargerId: string, lastCommand: { readonly state: string; readonly attributes: string }): MqttMessage[] {
    return [
      { topic: lastCommandAttributesTopic(this.options, chargerId), payload: lastCommand.attributes, retain: this.options.retain, qos: QOS },
      { topic: lastCommandStateTopic(this.options, chargerId), payload: lastCommand.state, retain: this.options.retain, qos: QOS },
    ];
  }

  private deviceOf(charger: ChargerRecord): DeviceInfo {
    return { chargerId: charger.chargerId, ...(charger.swVersion !== undefined ? { swVersion: charger.swVersion } : {}) };
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
      const evicted = this.chargers.get(oldest);
      this.entities -= evicted?.entities.size ?? 0;
      if (evicted !== undefined) this.controlEntities -= this.controlCount(evicted);
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
