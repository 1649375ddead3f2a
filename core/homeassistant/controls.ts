/**
 * Home Assistant controls for a charger: the entities that act (a `number` for the dynamic charger current, `switch`es
 * for enabled and smart charging, an opt-in `button` for reboot and an opt-in `select` for 1 or 3 phases), the
 * `sensor` that shows how the last command ended, and the translation between them and `easee-command` msgs.
 *
 * The loop is plain MQTT: Home Assistant publishes to a control's `command_topic`, an `mqtt in` hands that to the
 * easee-homeassistant node, which sends a command msg to `easee-command`; the command's answer comes back into the
 * node and updates the last-command sensor. A control's state is never the value asked for: it follows the charger's
 * own observation (the same state topic as the observation's sensor), so a refused or lost command shows as such.
 * Pure: no Node-RED, no MQTT client.
 */
import { findObservationById } from "../catalogue";
import {
  PAYLOAD_NONE,
  PAYLOAD_OFF,
  PAYLOAD_OFFLINE,
  PAYLOAD_ON,
  PAYLOAD_ONLINE,
  bridgeAvailabilityTopic,
  chargerAvailabilityTopic,
  deviceBlock,
  parseBoolean,
  stateTopic,
  type DeviceInfo,
  type OriginInfo,
  type TopicOptions,
} from "./discovery";
import { describeEntity, type EntityDescription } from "./entities";
import { friendlyName, topicLevel, uniqueId } from "./names";

export type ControlKey = "dynamic_charger_current" | "enabled" | "smart_charging" | "reboot" | "phases";
export type ControlComponent = "number" | "switch" | "button" | "select";

/** The Easee commands the controls send, named as in Easee's command table (and `easee-command`'s msg.topic). */
export type ControlCommand = "SetDynamicChargerCurrent" | "SetEnabled" | "SetSmartCharging" | "Reboot" | "SetDynamicCircuitCurrent";

export interface ControlDefinition {
  readonly key: ControlKey;
  readonly component: ControlComponent;
  /** Entity name shown after the device name. */
  readonly name: string;
  readonly command: ControlCommand;
  /** The observation whose value is the control's state; its sensor's state topic is shared. */
  readonly stateObservationId?: number;
  readonly icon?: string;
  /** Settings a user rarely touches go to the device's Configuration section. */
  readonly entityCategory?: "config";
  /** Announced only when the node's option of this name is ticked. */
  readonly optIn?: "reboot" | "phases";
}

/** Observation ids the controls read (names as in the catalogue). */
export const CONTROL_OBSERVATIONS = {
  CircuitMaxCurrentP1: 22,
  IsEnabled: 31,
  MaxChargerCurrent: 47,
  DynamicChargerCurrent: 48,
  SmartCharging: 102,
  DynamicCircuitCurrentP1: 111,
  DynamicCircuitCurrentP2: 112,
  DynamicCircuitCurrentP3: 113,
} as const;

/** The controls, in the order they are announced. */
export const CONTROLS: readonly ControlDefinition[] = Object.freeze([
  {
    key: "dynamic_charger_current",
    component: "number",
    // Named like the observation it sets and shows (catalogue name DynamicChargerCurrent).
    name: friendlyName("DynamicChargerCurrent"),
    command: "SetDynamicChargerCurrent",
    stateObservationId: CONTROL_OBSERVATIONS.DynamicChargerCurrent,
    icon: "mdi:current-ac",
  },
  { key: "enabled", component: "switch", name: "Enabled", command: "SetEnabled", stateObservationId: CONTROL_OBSERVATIONS.IsEnabled, icon: "mdi:ev-station" },
  {
    key: "smart_charging",
    component: "switch",
    name: "Smart charging",
    command: "SetSmartCharging",
    stateObservationId: CONTROL_OBSERVATIONS.SmartCharging,
    icon: "mdi:leaf",
  },
  { key: "reboot", component: "button", name: "Reboot", command: "Reboot", entityCategory: "config", optIn: "reboot" },
  { key: "phases", component: "select", name: "Phases", command: "SetDynamicCircuitCurrent", icon: "mdi:sine-wave", entityCategory: "config", optIn: "phases" },
] satisfies ControlDefinition[]);

/** The sensor that says how the last command ended. */
export const LAST_COMMAND_KEY = "last_command";
export const LAST_COMMAND_NAME = "Last command";
export type CommandOutcome = "sent" | "accepted" | "refused" | "timeout" | "failed";
/** `sent` until the charger answers; `failed` when nothing could be sent or the command node reported an error. */
export const COMMAND_OUTCOMES: readonly CommandOutcome[] = Object.freeze(["sent", "accepted", "refused", "timeout", "failed"]);

/** Select options: the number of phases. */
export const PHASE_OPTIONS = Object.freeze(["1", "3"] as const);
export const PAYLOAD_PRESS = "PRESS";
/** Easee chargers offer at most 32 A; used until the charger's own MaxChargerCurrent (47) is seen. */
export const DEFAULT_MAX_CURRENT = 32;
/** A command payload from Home Assistant is a number, ON/OFF, PRESS or an option: anything longer is not ours. */
export const MAX_COMMAND_PAYLOAD = 64;
/** Bound on texts that reach the last-command attributes (comments and error messages). */
const MAX_TEXT = 255;

export interface ControlOptions {
  /** Announce controls and accept their commands (off: a read-only install). */
  readonly enabled: boolean;
  readonly reboot: boolean;
  readonly phases: boolean;
}

export const CONTROLS_OFF: ControlOptions = Object.freeze({ enabled: false, reboot: false, phases: false });

/** The controls these options announce (none when controls are off). */
export function activeControls(options: ControlOptions): ControlDefinition[] {
  if (!options.enabled) return [];
  return CONTROLS.filter((control) => control.optIn === undefined || options[control.optIn]);
}

export function findControl(key: string): ControlDefinition | undefined {
  return CONTROLS.find((control) => control.key === key);
}

/** The entity of the observation a control follows: its state topic is the control's state topic. */
function followedEntity(control: ControlDefinition): EntityDescription | undefined {
  if (control.stateObservationId === undefined) return undefined;
  const definition = findObservationById(control.stateObservationId);
  return (definition && describeEntity(definition)) || undefined;
}

export function controlDiscoveryTopic(options: TopicOptions, chargerId: string, component: ControlComponent | "sensor", key: string): string {
  return `${options.prefix}/${component}/${topicLevel(chargerId)}/${key}/config`;
}

/** Where Home Assistant publishes what the user asked for: `<stateTopic>/<serial>/<control>/set`. */
export function controlCommandTopic(options: TopicOptions, chargerId: string, key: ControlKey): string {
  return `${options.baseTopic}/${topicLevel(chargerId)}/${key}/set`;
}

/** The followed observation's state topic, or the control's own (phases) under the same root. */
export function controlStateTopic(options: TopicOptions, chargerId: string, control: ControlDefinition): string {
  const entity = followedEntity(control);
  return entity !== undefined ? stateTopic(options, chargerId, entity) : `${options.baseTopic}/${topicLevel(chargerId)}/${control.key}/state`;
}

export function lastCommandStateTopic(options: TopicOptions, chargerId: string): string {
  return `${options.baseTopic}/${topicLevel(chargerId)}/${LAST_COMMAND_KEY}/state`;
}

export function lastCommandAttributesTopic(options: TopicOptions, chargerId: string): string {
  return `${options.baseTopic}/${topicLevel(chargerId)}/${LAST_COMMAND_KEY}/attributes`;
}

/** Every retained topic the controls of one charger may have left behind, for `remove`. */
export function controlTopics(options: TopicOptions, chargerId: string): { configs: string[]; states: string[] } {
  return {
    configs: [
      ...CONTROLS.map((control) => controlDiscoveryTopic(options, chargerId, control.component, control.key)),
      controlDiscoveryTopic(options, chargerId, "sensor", LAST_COMMAND_KEY),
    ],
    // Followed observations' state topics are cleared with the sensors'.
    states: [
      ...CONTROLS.filter((control) => control.stateObservationId === undefined).map((control) => controlStateTopic(options, chargerId, control)),
      lastCommandStateTopic(options, chargerId),
      lastCommandAttributesTopic(options, chargerId),
    ],
  };
}

/** Same rule as the sensors': available while the bridge's Easee connection and the charger's cloud link are up. */
export function entityAvailability(options: TopicOptions, chargerId: string): Record<string, unknown> {
  const entry = (topic: string) => ({ topic, payload_available: PAYLOAD_ONLINE, payload_not_available: PAYLOAD_OFFLINE });
  return {
    availability: [entry(bridgeAvailabilityTopic(options)), entry(chargerAvailabilityTopic(options, chargerId))],
    availability_mode: "all",
  };
}

/** What a control's config depends on beyond the catalogue: the charger's own maximum current. */
export interface ControlContext {
  readonly maxCurrent: number;
}

function baseConfig(device: DeviceInfo, component: string, key: string, name: string): Record<string, unknown> {
  // `_<component>` keeps the unique id apart from a sensor of the same name (smart_charging is both).
  const id = uniqueId(device.chargerId, key);
  return {
    name,
    unique_id: key === LAST_COMMAND_KEY ? id : `${id}_${component}`,
    default_entity_id: `${component}.${id.replace(/[^a-z0-9_]/g, "_")}`,
  };
}

/** The retained discovery config of one control, as Home Assistant's MQTT number/switch/button/select read it. */
export function controlConfig(
  options: TopicOptions,
  device: DeviceInfo,
  control: ControlDefinition,
  context: ControlContext,
  origin?: OriginInfo,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    ...baseConfig(device, control.component, control.key, control.name),
    command_topic: controlCommandTopic(options, device.chargerId, control.key),
  };
  // A button has no state; the others show what the charger reports, never what was asked for (optimistic off).
  if (control.component !== "button") {
    config.state_topic = controlStateTopic(options, device.chargerId, control);
    config.optimistic = false;
  }
  Object.assign(config, entityAvailability(options, device.chargerId));
  switch (control.component) {
    case "number":
      config.min = 0;
      // Home Assistant needs max > min.
      config.max = Math.max(1, context.maxCurrent);
      config.step = 1;
      config.mode = "slider";
      config.unit_of_measurement = "A";
      config.device_class = "current";
      break;
    case "switch":
      config.payload_on = PAYLOAD_ON;
      config.payload_off = PAYLOAD_OFF;
      config.device_class = "switch";
      break;
    case "button":
      config.payload_press = PAYLOAD_PRESS;
      config.device_class = "restart";
      break;
    case "select":
      config.options = [...PHASE_OPTIONS];
      break;
  }
  if (control.entityCategory !== undefined) config.entity_category = control.entityCategory;
  if (control.icon !== undefined) config.icon = control.icon;
  config.device = deviceBlock(device);
  if (origin !== undefined) config.origin = { ...origin };
  return config;
}

/** The last-command sensor: an enum of outcomes, with the details as attributes. */
export function lastCommandConfig(options: TopicOptions, device: DeviceInfo, origin?: OriginInfo): Record<string, unknown> {
  const config: Record<string, unknown> = {
    ...baseConfig(device, "sensor", LAST_COMMAND_KEY, LAST_COMMAND_NAME),
    state_topic: lastCommandStateTopic(options, device.chargerId),
    json_attributes_topic: lastCommandAttributesTopic(options, device.chargerId),
    ...entityAvailability(options, device.chargerId),
    device_class: "enum",
    options: [...COMMAND_OUTCOMES],
    icon: "mdi:console-line",
    device: deviceBlock(device),
  };
  if (origin !== undefined) config.origin = { ...origin };
  return config;
}

/** The select's state from the dynamic circuit currents: one phase when only P1 carries current, three when all do. */
export function phasesState(circuit: readonly (number | undefined)[]): string {
  const [p1, p2, p3] = circuit;
  if (p1 === undefined || p2 === undefined || p3 === undefined) return PAYLOAD_NONE;
  if (p1 > 0 && p2 === 0 && p3 === 0) return "1";
  if (p1 > 0 && p2 > 0 && p3 > 0) return "3";
  // Paused (all 0) or a mix no option describes: Home Assistant shows "unknown".
  return PAYLOAD_NONE;
}

/** A command topic split into its charger level and control key, or undefined when it is not one. Linear, no regex. */
export function parseCommandTopic(options: TopicOptions, topic: string): { level: string; key: string } | undefined {
  const head = `${options.baseTopic}/`;
  const tail = "/set";
  if (topic.length > 512 || !topic.startsWith(head) || !topic.endsWith(tail)) return undefined;
  const levels = topic.slice(head.length, topic.length - tail.length).split("/");
  if (levels.length !== 2) return undefined;
  const [level, key] = levels as [string, string];
  return level !== "" && key !== "" ? { level, key } : undefined;
}

/** A command payload as text: Home Assistant publishes strings; `mqtt in` may hand over a Buffer, a number or a boolean. */
export function commandPayloadText(payload: unknown): string | undefined {
  if (typeof payload === "number" || typeof payload === "boolean") return String(payload);
  if (Buffer.isBuffer(payload)) return payload.length <= MAX_COMMAND_PAYLOAD ? payload.toString("utf8").trim() : undefined;
  if (typeof payload === "string") return payload.length <= MAX_COMMAND_PAYLOAD ? payload.trim() : undefined;
  return undefined;
}

/** A msg for `easee-command`: the command name as topic, the charger, and the arguments keyed by Easee's names. */
export interface CommandRequest {
  readonly topic: ControlCommand;
  readonly chargerId: string;
  readonly payload: Readonly<Record<string, number | boolean>>;
}

/** Why a command from Home Assistant was not turned into a command msg; the node words it. */
export type CommandProblem =
  | { readonly code: "controlsOff" }
  | { readonly code: "unknownControl"; readonly control: string }
  | { readonly code: "badPayload"; readonly control: string; readonly expected: string }
  | { readonly code: "outOfRange"; readonly control: string; readonly value: string; readonly min: number; readonly max: number }
  | { readonly code: "phaseCurrentUnknown" };

export type Translation = { readonly ok: true; readonly request: CommandRequest } | { readonly ok: false; readonly problem: CommandProblem };

/** What the charger last reported, needed to turn a control's payload into command arguments. */
export interface ChargerReadings {
  readonly maxCurrent?: number;
  readonly circuit: readonly (number | undefined)[];
  readonly circuitMaxP1?: number;
}

/** The command for one control's payload, or the problem with it. Nothing here talks to the charger. */
export function translateCommand(control: ControlDefinition, chargerId: string, payload: unknown, readings: ChargerReadings): Translation {
  const text = commandPayloadText(payload);
  const bad = (expected: string): Translation => ({ ok: false, problem: { code: "badPayload", control: control.key, expected } });
  const request = (args: Record<string, number | boolean>): Translation => ({ ok: true, request: { topic: control.command, chargerId, payload: args } });
  switch (control.key) {
    case "dynamic_charger_current": {
      const max = Math.max(1, readings.maxCurrent ?? DEFAULT_MAX_CURRENT);
      // Home Assistant sends "13" (step 1); "13.0" is the same whole number. Current_Amp is an Integer argument.
      const amps = text !== undefined && text !== "" ? Number(text) : Number.NaN;
      if (!Number.isFinite(amps) || !Number.isInteger(amps)) return bad(`0-${max}`);
      if (amps < 0 || amps > max) return { ok: false, problem: { code: "outOfRange", control: control.key, value: text ?? "", min: 0, max } };
      return request({ Current_Amp: amps });
    }
    case "enabled":
    case "smart_charging": {
      const on = switchValue(text);
      if (on === undefined) return bad(`${PAYLOAD_ON}/${PAYLOAD_OFF}`);
      return request(control.key === "enabled" ? { IsEnabled: on } : { SmartCharging: on });
    }
    case "reboot":
      if (text?.toUpperCase() !== PAYLOAD_PRESS) return bad(PAYLOAD_PRESS);
      return request({});
    case "phases": {
      if (text !== "1" && text !== "3") return bad(PHASE_OPTIONS.join("/"));
      const current = phaseCurrent(readings);
      if (current === undefined) return { ok: false, problem: { code: "phaseCurrentUnknown" } };
      return request(text === "1" ? { CurrentP1: current, CurrentP2: 0, CurrentP3: 0 } : { CurrentP1: current, CurrentP2: current, CurrentP3: current });
    }
  }
}

function switchValue(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  const upper = text.toUpperCase();
  if (upper === PAYLOAD_ON) return true;
  if (upper === PAYLOAD_OFF) return false;
  return parseBoolean(text);
}

/**
 * The per-phase current for the phases select: the circuit's present dynamic current (the highest phase, so
 * going from 1 to 3 phases keeps P1's value), else the circuit's maximum; unknown before either was reported.
 */
function phaseCurrent(readings: ChargerReadings): number | undefined {
  const known = readings.circuit.filter((value): value is number => value !== undefined && value > 0);
  if (known.length > 0) return Math.max(...known);
  return readings.circuitMaxP1 !== undefined && readings.circuitMaxP1 > 0 ? readings.circuitMaxP1 : undefined;
}

/** How one command ended, for the last-command sensor. */
export interface CommandReport {
  readonly chargerId: string;
  readonly outcome: CommandOutcome;
  readonly command: string;
  readonly arguments?: unknown;
  readonly resultCode?: number;
  readonly comment?: string;
  readonly error?: string;
  /** ISO 8601 time of the report. */
  readonly at: string;
  readonly latencyMs?: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function shortText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

function chargerOf(msg: Record<string, unknown>, easee: Record<string, unknown> | undefined): string | undefined {
  const id = typeof msg.chargerId === "string" && msg.chargerId !== "" ? msg.chargerId : easee?.chargerId;
  return typeof id === "string" && id !== "" && id.length <= 64 ? id : undefined;
}

/**
 * The report for a msg from `easee-command`: its answer (output 1, or output 2 for commands sent elsewhere:
 * `payload.accepted`), or its error as a Catch node passes it on (`error.source.type` is `easee-command`; the msg is
 * the command msg that failed). Undefined for any other msg. Errors whose `code` names a timeout count as timeouts.
 */
export function readCommandAnswer(msg: unknown, now: Date = new Date()): CommandReport | undefined {
  const m = record(msg);
  if (m === undefined) return undefined;
  const easee = record(m.easee);
  const error = record(m.error);
  if (error !== undefined && record(error.source)?.type === "easee-command") {
    const chargerId = chargerOf(m, easee);
    if (chargerId === undefined) return undefined;
    const code = typeof error.code === "string" ? error.code : "";
    const command = typeof m.topic === "string" ? m.topic : typeof easee?.command === "string" ? easee.command : "";
    const message = shortText(error.message);
    return {
      chargerId,
      outcome: code.toLowerCase().includes("timeout") ? "timeout" : "failed",
      command: shortText(command) ?? "",
      ...(message !== undefined ? { error: message } : {}),
      at: now.toISOString(),
    };
  }
  const payload = record(m.payload);
  if (payload === undefined || typeof payload.accepted !== "boolean" || easee === undefined) return undefined;
  const chargerId = chargerOf({}, easee);
  const command = typeof easee.command === "string" ? easee.command : typeof easee.commandId === "number" ? String(easee.commandId) : undefined;
  if (chargerId === undefined || command === undefined) return undefined;
  const comment = shortText(payload.comment);
  return {
    chargerId,
    outcome: payload.accepted ? "accepted" : "refused",
    command: shortText(command) ?? "",
    ...(record(easee.arguments) !== undefined ? { arguments: easee.arguments } : {}),
    ...(typeof payload.resultCode === "number" ? { resultCode: payload.resultCode } : {}),
    ...(comment !== undefined && comment !== "" ? { comment } : {}),
    at: typeof easee.respondedAt === "string" && easee.respondedAt.length <= 40 ? easee.respondedAt : now.toISOString(),
    ...(typeof easee.latencyMs === "number" ? { latencyMs: easee.latencyMs } : {}),
  };
}

/** The last-command sensor's attributes (Home Assistant shows them under the entity). */
export function lastCommandAttributes(report: CommandReport): string {
  const attributes: Record<string, unknown> = { command: report.command, outcome: report.outcome, at: report.at };
  if (report.arguments !== undefined) {
    const args = JSON.stringify(report.arguments);
    // Arguments come from our own command msgs; an oversized object from elsewhere is left out, not cut into bad JSON.
    if (args.length <= 1000) attributes.arguments = report.arguments;
  }
  if (report.resultCode !== undefined) attributes.result_code = report.resultCode;
  if (report.comment !== undefined) attributes.comment = report.comment;
  if (report.error !== undefined) attributes.error = report.error;
  if (report.latencyMs !== undefined) attributes.latency_ms = report.latencyMs;
  return JSON.stringify(attributes);
}
