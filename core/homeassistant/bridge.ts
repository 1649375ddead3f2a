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
import {
  LAST_SEEN_ENTITY,
  LAST_SEEN_ENTITY_KEY,
  ONLINE_ENTITY,
  ONLINE_ENTITY_KEY,
  describeEntity,
  type EntityDescription,
} from "./entities";
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
  /**
   * `msg.easee.device`; derived from the serial when absent (`QH…` is an Equalizer). Picks the catalogue table
   * (ids overlap), and Equalizers get no charger controls.
   */
  readonly device?: DeviceKind | string;
  /** When the device was heard, ISO 8601 (the msg's arrivalTime, else its timestamp): feeds the last-seen sensor. */
  readonly seenAt?: string;
  /** `msg.easee.late`: older than the value already published; Home Assistant keeps the newer one. */
  readonly late?: boolean;
}

/** `device` when it names a kind; else the kind the serial names. */
function kindOf(device: string | undefined, chargerId: string): DeviceKind {
  return device === "charger" || device === "equalizer" || device === "unknown" ? device : deviceKindOf(chargerId);
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
  /** Home Assistant controls (number, switches, optional button and select) and the last-command sensor. Default: off. */
  readonly controls?: ControlOptions;
}

/** What the node does with a msg on a command topic (see `HomeAssistantBridge.command`). */
export type CommandHandling =
  | { readonly ok: true; readonly request: CommandRequest; readonly messages: MqttMessage[] }
  | {
      readonly ok: false;
      readonly problem: CommandProblem;
      readonly chargerId: string;
      readonly command: string;
      /** The charger was heard since the last deploy (its last-command sensor is worth updating; a made-up serial is not). */
      readonly known: boolean;
    };

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
  readonly device: DeviceKind;
  cloudOnline: boolean;
  /** Reported offline by presence (silent for the silence time); any later message clears it. */
  silent: boolean;
  swVersion?: string;
  /** Epoch ms of the last-seen state published; NaN before the first. */
  lastSeenMs: number;
  /** Keyed by observation id; the presence entities (Online, Last seen) under negative keys. */
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
    // A late value (CONTRACT.md) is older than the state already published: publishing it would turn the entity
    // back in time, so nothing of it is used (not for controls or presence either).
    if (input.late === true) return [];
    const device = kindOf(input.device, input.chargerId);
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
    if (input.seenAt !== undefined && this.hasAnnounced(charger)) this.presenceEntities(charger, input.seenAt, false, out);

    if (input.observationId === SOFTWARE_RELEASE[device] && input.value !== null && input.value !== undefined) {
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
        const before = this.chargerAvailable(charger);
        charger.cloudOnline = online;
        if (this.hasAnnounced(charger) && before !== this.chargerAvailable(charger)) out.push(this.chargerAvailabilityMessage(charger));
      }
    }

    const selected = this.options.selection.includes(input.observationId, device);
    const entity = selected ? describeEntity(definition, device) : null;
    if (this.controls.length > 0 && device === "charger") {
      const first = !this.hasAnnounced(charger);
      this.observeControls(charger, input, entity === null, out);
      if (first && input.seenAt !== undefined && this.hasAnnounced(charger)) this.presenceEntities(charger, input.seenAt, false, out);
    }
    if (entity === null) return out;

    let announced = charger.entities.get(input.observationId);
    if (announced === undefined) {
      const first = !this.hasAnnounced(charger);
      if (!this.bridgeAnnounced) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      if (first) out.push(this.chargerAvailabilityMessage(charger));
      announced = { entity };
      charger.entities.set(input.observationId, announced);
      this.entities++;
      out.push(this.configMessage(charger, entity));
      const label = input.label ?? labelFor(definition, input.value);
      announced.state = formatState(entity, input.value, label);
      out.push(this.stateMessage(charger, announced));
      // Online and Last seen come after the device's first entity (with the first msg that says when it was heard).
      if (input.seenAt !== undefined) this.presenceEntities(charger, input.seenAt, false, out);
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
    if (!this.hasAnnounced(charger)) {
      if (!this.bridgeAnnounced) {
        this.bridgeAnnounced = true;
        out.push(this.bridgeAvailabilityMessage());
      }
      out.push(this.chargerAvailabilityMessage(charger));
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
      const device = this.chargers.get(chargerId)?.device ?? deviceKindOf(chargerId);
      // Controls too, whether or not this node announces them now (they may be left from before they were turned off).
      // Equalizers have none.
      const controls = device === "equalizer" ? { configs: [], states: [] } : controlTopics(this.options, chargerId);
      const entities: EntityDescription[] = [];
      for (const definition of observationsFor(device === "unknown" ? "charger" : device)) {
        const entity = describeEntity(definition, device === "unknown" ? "charger" : device);
        if (entity !== null) entities.push(entity);
      }
      entities.push(ONLINE_ENTITY, LAST_SEEN_ENTITY);
      for (const entity of entities) out.push(clear(discoveryTopic(this.options, chargerId, entity)));
      for (const topic of controls.configs) out.push(clear(topic));
      for (const entity of entities) out.push(clear(stateTopic(this.options, chargerId, entity)));
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
    if (this.controls.length === 0) return { ok: false, problem: { code: "controlsOff" }, chargerId, command, known: charger !== undefined };
    // Equalizers have no charger controls: a command topic for one was not announced by this node.
    const equalizer = (charger?.device ?? deviceKindOf(chargerId)) === "equalizer";
    if (control === undefined || !this.controls.includes(control) || equalizer) {
      return { ok: false, problem: { code: "unknownControl", control: parsed.key.slice(0, 64) }, chargerId, command, known: charger !== undefined };
    }
    const readings = charger?.controls ?? { circuit: [] };
    const translated = translateCommand(control, chargerId, payload, readings);
    if (!translated.ok) return { ok: false, problem: translated.problem, chargerId, command, known: charger !== undefined };
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
          // The number was announced with the default maximum until now: only a different one changes its config.
          configChanged = controls.announced && amps !== (controls.maxCurrent ?? DEFAULT_MAX_CURRENT);
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

  /** Available to Home Assistant: its cloud link is up and it has not gone silent. */
  private chargerAvailable(charger: ChargerRecord): boolean {
    return charger.cloudOnline && !charger.silent;
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
    if (!this.hasAnnounced(charger)) return;
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
    return {
      chargerId: charger.chargerId,
      device: charger.device,
      ...(charger.swVersion !== undefined ? { swVersion: charger.swVersion } : {}),
    };
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
      const evicted = this.chargers.get(oldest);
      this.entities -= evicted?.entities.size ?? 0;
      if (evicted !== undefined) this.controlEntities -= this.controlCount(evicted);
      this.chargers.delete(oldest);
      this.evictions++;
    }
    return record;
  }

  private configMessage(charger: ChargerRecord, entity: EntityDescription): MqttMessage {
    return {
      topic: discoveryTopic(this.options, charger.chargerId, entity),
      payload: JSON.stringify(discoveryConfig(this.options, this.deviceOf(charger), entity, this.options.origin)),
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
