/**
 * Topics and payloads of Home Assistant MQTT discovery for one charger: the retained config per entity,
 * the state payload, and the availability topics. Pure functions; the bridge decides when to send them.
 */
import type { DeviceKind } from "../catalogue/devices";
import type { EntityDescription } from "./entities";
import { topicLevel, uniqueId } from "./names";

export const PAYLOAD_ONLINE = "online";
export const PAYLOAD_OFFLINE = "offline";
/** Home Assistant's MQTT sensors and binary sensors read this payload as "state unknown". */
export const PAYLOAD_NONE = "None";
export const PAYLOAD_ON = "ON";
export const PAYLOAD_OFF = "OFF";
/** Home Assistant refuses a text state longer than this. */
export const MAX_STATE_LENGTH = 255;

export interface TopicOptions {
  /** Discovery prefix, `homeassistant` unless changed in Home Assistant's MQTT settings. */
  readonly prefix: string;
  /** Base of the state and availability topics, `easee`. */
  readonly baseTopic: string;
}

export interface DeviceInfo {
  readonly chargerId: string;
  /** From SoftwareRelease (80 on a charger, 21 on an Equalizer) once seen. */
  readonly swVersion?: string;
  /** Charger unless told: an Equalizer is its own device, with its own model name. */
  readonly device?: DeviceKind;
}

export interface OriginInfo {
  readonly name: string;
  readonly sw_version?: string;
  readonly support_url?: string;
}

/** Trims and drops leading/trailing slashes so `easee/` and `easee` give the same topics. */
export function cleanBase(value: unknown, fallback: string): string {
  if (typeof value !== "string") return fallback;
  const trimmed = value.trim();
  // Index scans, not /^\/+|\/+$/: that one is quadratic on "//…/x" (issue 12).
  let start = 0;
  let end = trimmed.length;
  while (start < end && trimmed.charCodeAt(start) === 47) start++;
  while (end > start && trimmed.charCodeAt(end - 1) === 47) end--;
  const text = trimmed.slice(start, end);
  return text.length > 0 && !text.includes("+") && !text.includes("#") ? text : fallback;
}

export function discoveryTopic(options: TopicOptions, chargerId: string, entity: EntityDescription): string {
  return `${options.prefix}/${entity.component}/${topicLevel(chargerId)}/${entity.objectId}/config`;
}

export function stateTopic(options: TopicOptions, chargerId: string, entity: EntityDescription): string {
  return `${options.baseTopic}/${topicLevel(chargerId)}/${entity.objectId}/state`;
}

/** Follows the AMQP connection to Easee: one topic for every charger this bridge serves. */
export function bridgeAvailabilityTopic(options: TopicOptions): string {
  return `${options.baseTopic}/bridge/availability`;
}

/** Follows the charger's own ConnectedToCloud (250) and its presence (offline after the silence time). */
export function chargerAvailabilityTopic(options: TopicOptions, chargerId: string): string {
  return `${options.baseTopic}/${topicLevel(chargerId)}/availability`;
}

export function deviceBlock(device: DeviceInfo): Record<string, unknown> {
  return {
    identifiers: [`easee_${topicLevel(device.chargerId)}`],
    manufacturer: "Easee",
    // The AMQP stream does not say which product a charger is; the serial names it well enough.
    model: device.device === "equalizer" ? "Equalizer" : "EV charger",
    name: `Easee ${device.chargerId}`,
    ...(device.swVersion !== undefined ? { sw_version: device.swVersion } : {}),
  };
}

/** The retained discovery config of one entity, as Home Assistant reads it. */
export function discoveryConfig(
  options: TopicOptions,
  device: DeviceInfo,
  entity: EntityDescription,
  origin?: OriginInfo,
): Record<string, unknown> {
  const id = uniqueId(device.chargerId, entity.observationName);
  const config: Record<string, unknown> = {
    name: entity.name,
    unique_id: id,
    // Home Assistant 2025.10 replaced `object_id` by `default_entity_id`; older versions ignore unknown keys.
    // Entity ids take only [a-z0-9_]; unique ids may keep a hyphen from an odd serial.
    default_entity_id: `${entity.component}.${id.replace(/[^a-z0-9_]/g, "_")}`,
    state_topic: stateTopic(options, device.chargerId, entity),
    // Available only while both the bridge's AMQP connection and the charger's cloud link are up. The presence
    // entities (online, last seen) follow the bridge only: they must stay readable while the charger is gone.
    availability: [
      { topic: bridgeAvailabilityTopic(options), payload_available: PAYLOAD_ONLINE, payload_not_available: PAYLOAD_OFFLINE },
      ...(entity.bridgeAvailabilityOnly === true
        ? []
        : [
            {
              topic: chargerAvailabilityTopic(options, device.chargerId),
              payload_available: PAYLOAD_ONLINE,
              payload_not_available: PAYLOAD_OFFLINE,
            },
          ]),
    ],
    availability_mode: "all",
  };
  if (entity.component === "binary_sensor") {
    config.payload_on = PAYLOAD_ON;
    config.payload_off = PAYLOAD_OFF;
  }
  if (entity.deviceClass !== undefined) config.device_class = entity.deviceClass;
  if (entity.stateClass !== undefined) config.state_class = entity.stateClass;
  if (entity.unit !== undefined) config.unit_of_measurement = entity.unit;
  if (entity.options !== undefined) config.options = [...entity.options];
  if (entity.suggestedDisplayPrecision !== undefined) config.suggested_display_precision = entity.suggestedDisplayPrecision;
  if (entity.entityCategory !== undefined) config.entity_category = entity.entityCategory;
  if (entity.icon !== undefined) config.icon = entity.icon;
  config.device = deviceBlock(device);
  if (origin !== undefined) config.origin = { ...origin };
  return config;
}

/** Cuts at a code point, never inside a surrogate pair. */
function truncate(text: string): string {
  if (text.length <= MAX_STATE_LENGTH) return text;
  return Array.from(text).slice(0, MAX_STATE_LENGTH).join("").slice(0, MAX_STATE_LENGTH);
}

function numberText(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return value.trim();
  return undefined;
}

/** Booleans arrive typed from the decoder; the spellings Easee uses on other channels are accepted too. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (value === true || value === 1 || value === "1" || value === "true" || value === "True") return true;
  if (value === false || value === 0 || value === "0" || value === "false" || value === "False") return false;
  return undefined;
}

/**
 * The state payload Home Assistant understands for this entity: numbers as numbers, booleans `ON`/`OFF`,
 * enum values as their label, objects as JSON; `None` (unknown) where the value does not fit the entity.
 */
export function formatState(entity: EntityDescription, value: unknown, label: string | undefined): string {
  if (entity.component === "binary_sensor") {
    const on = parseBoolean(value);
    return on === undefined ? PAYLOAD_NONE : on ? PAYLOAD_ON : PAYLOAD_OFF;
  }
  if (entity.options !== undefined) {
    // A value outside the table would be rejected by Home Assistant; "unknown" is the honest state.
    return label !== undefined && entity.options.includes(label) ? label : PAYLOAD_NONE;
  }
  if (entity.numeric) return numberText(value) ?? PAYLOAD_NONE;
  // Text sensors with a value table that is not a closed enum (RebootReason's bit flags) still read better as labels.
  if (label !== undefined) return truncate(label);
  if (value === null || value === undefined) return PAYLOAD_NONE;
  if (typeof value === "string") return truncate(value);
  if (typeof value === "object") return truncate(JSON.stringify(value));
  return truncate(String(value));
}
