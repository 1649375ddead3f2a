/**
 * How one catalogue observation becomes one Home Assistant entity: component, device class, state class, unit,
 * entity category and enum options. The rules follow Home Assistant's sensor validation (which device classes
 * take which units and state classes, `options` only with `device_class: enum` and without unit or state class).
 */
import { VALUE_TABLES, type DeviceKind } from "../catalogue";
import type { ObservationDefinition } from "../catalogue/types";
import { friendlyName, snakeCase } from "./names";

export type HaComponent = "sensor" | "binary_sensor";
export type HaStateClass = "measurement" | "total" | "total_increasing";

export interface EntityDescription {
  readonly observationId: number;
  readonly observationName: string;
  readonly component: HaComponent;
  /** Snake-case name: the object id level of the discovery topic and the tail of the unique id. */
  readonly objectId: string;
  /** Entity name shown in Home Assistant after the device name, e.g. `Total power`. */
  readonly name: string;
  readonly deviceClass?: string;
  readonly stateClass?: HaStateClass;
  readonly unit?: string;
  readonly entityCategory?: "diagnostic";
  /** Enum sensors: every label the value table knows; the state is one of them. */
  readonly options?: readonly string[];
  readonly icon?: string;
  readonly suggestedDisplayPrecision?: number;
  /** True when Home Assistant expects a number as state (a numeric device class or any state class). */
  readonly numeric: boolean;
  /**
   * Available while the bridge's stream is up, whatever the device's own presence: the entities that report
   * presence (online, last seen) must stay readable exactly when the device is gone.
   */
  readonly bridgeAvailabilityOnly?: boolean;
}

/** Device class and state class for each unit the catalogue uses (Home Assistant's allowed pairs). */
const BY_UNIT: Readonly<Record<string, { deviceClass: string; stateClass: HaStateClass; precision?: number }>> = {
  kW: { deviceClass: "power", stateClass: "measurement", precision: 2 },
  // Energy may not be `measurement`; meters that only grow (and restart at a new session) are `total_increasing`.
  kWh: { deviceClass: "energy", stateClass: "total_increasing", precision: 2 },
  A: { deviceClass: "current", stateClass: "measurement", precision: 1 },
  V: { deviceClass: "voltage", stateClass: "measurement", precision: 0 },
  mV: { deviceClass: "voltage", stateClass: "measurement" },
  dBm: { deviceClass: "signal_strength", stateClass: "measurement" },
  "°C": { deviceClass: "temperature", stateClass: "measurement", precision: 0 },
  ms: { deviceClass: "duration", stateClass: "measurement" },
  s: { deviceClass: "duration", stateClass: "measurement" },
  h: { deviceClass: "duration", stateClass: "measurement" },
  kvar: { deviceClass: "reactive_power", stateClass: "measurement", precision: 2 },
};

interface Override {
  deviceClass?: string | null;
  stateClass?: HaStateClass | null;
  diagnostic?: boolean;
  icon?: string;
}

/** Observations whose meaning the unit alone does not tell. */
const OVERRIDES: Readonly<Record<number, Override>> = {
  // "Accumulated energy per hour": a new value each hour, not a growing meter, so no state class
  // (Home Assistant would otherwise count every smaller hour as a meter reset).
  122: { stateClass: null },
  // Lifetime counters only grow.
  125: { stateClass: "total_increasing", icon: "mdi:counter" },
  126: { stateClass: "total_increasing" },
  // Percentages: humidity has a device class, brightness and light do not.
  172: { deviceClass: "humidity" },
  40: { stateClass: "measurement", icon: "mdi:brightness-percent" },
  171: { stateClass: "measurement" },
  // Counts of cars and chargers are measurements without a unit.
  76: { stateClass: "measurement", icon: "mdi:car" },
  77: { stateClass: "measurement", icon: "mdi:car-electric" },
  78: { stateClass: "measurement", icon: "mdi:car-clock" },
  79: { stateClass: "measurement", icon: "mdi:car" },
  97: { stateClass: "measurement" },
  98: { stateClass: "measurement" },
  // Booleans with a Home Assistant device class whose "on" means the same as our `true`.
  250: { deviceClass: "connectivity", diagnostic: true },
  101: { deviceClass: "plug" },
  116: { deviceClass: "heat" },
  103: { icon: "mdi:lock" },
  30: { icon: "mdi:lock" },
  109: { icon: "mdi:ev-station" },
  96: { icon: "mdi:information-outline" },
  110: { icon: "mdi:sine-wave" },
};

/**
 * Equalizer observations whose meaning the unit alone does not tell. Reactive energy meters only grow; Home
 * Assistant's reactive energy device class is too new to rely on, so they carry the state class alone.
 */
const EQUALIZER_OVERRIDES: Readonly<Record<number, Override>> = {
  47: { stateClass: "total_increasing", icon: "mdi:counter" },
  48: { stateClass: "total_increasing", icon: "mdi:counter" },
  40: { icon: "mdi:transmission-tower-import" },
  41: { icon: "mdi:transmission-tower-export" },
  250: { deviceClass: "connectivity", diagnostic: true },
};

/** Radio, network, cloud and hardware-identity values: useful when something is wrong, noise otherwise. */
const DIAGNOSTIC_IDS: ReadonlySet<number> = new Set([
  1, 2, 10, 11, 13, 14, 19, 57, 81, 82, 83, 84, 89, 90, 91, 98, 99, 107, 131, 133, 134, 135, 136, 137, 138, 139, 140,
  141, 142, 143, 144, 145, 146, 147, 148, 149, 210, 211, 212, 219, 220, 221, 222, 240, 241, 250, 251,
]);

/** Value tables whose value is a bit mask: labels can be combinations, so they cannot be a closed enum. */
function isClosedTable(definition: ObservationDefinition): boolean {
  if (!definition.valueTable) return false;
  const table = VALUE_TABLES[definition.valueTable];
  return table !== undefined && table.bitFlags === undefined && Object.keys(table.labels).length > 0;
}

function enumOptions(definition: ObservationDefinition): string[] {
  const table = definition.valueTable ? VALUE_TABLES[definition.valueTable] : undefined;
  if (!table) return [];
  // Several raw values may share a label (LEDMode 1-8 "updating"); Home Assistant wants each option once.
  return [...new Set(Object.values(table.labels))];
}

function isDiagnostic(definition: ObservationDefinition, override: Override | undefined, device: DeviceKind): boolean {
  if (override?.diagnostic !== undefined) return override.diagnostic;
  // An Equalizer is bought for its grid measurements (telemetry); the rest is its own housekeeping.
  if (device === "equalizer") return definition.category !== "telemetry";
  if (definition.category === "debug" || definition.category === "boot" || definition.category === "poll") return true;
  if (definition.unit === "dBm" || definition.unit === "°C") return true;
  return DIAGNOSTIC_IDS.has(definition.id);
}

// Keyed by the definition object: the catalogue's definitions live as long as the process. Charger and Equalizer
// tables hold distinct objects, so one cache serves both.
const cache = new WeakMap<ObservationDefinition, EntityDescription | null>();

/**
 * The entity for an observation, or null when it cannot be one (raw binary blobs).
 * Pure and cached: the same definition always gives the same entity, which keeps discovery configs identical
 * across restarts (Home Assistant ignores a config that did not change).
 * `device` says which table the definition is from (ids overlap): the charger's unless told.
 */
export function describeEntity(definition: ObservationDefinition, device: DeviceKind = "charger"): EntityDescription | null {
  const cached = cache.get(definition);
  if (cached !== undefined) return cached;
  const described = describeUncached(definition, device);
  cache.set(definition, described);
  return described;
}

/** Object ids of the two entities every device gets from presence (not from an observation). */
export const ONLINE_OBJECT_ID = "online";
export const LAST_SEEN_OBJECT_ID = "last_seen";
/** Keys of the presence entities among a device's entities (observation ids are never negative). */
export const ONLINE_ENTITY_KEY = -1;
export const LAST_SEEN_ENTITY_KEY = -2;

/** `Online`: a connectivity binary sensor, on while the device is heard within the silence time. */
export const ONLINE_ENTITY: EntityDescription = Object.freeze({
  observationId: ONLINE_ENTITY_KEY,
  observationName: "Online",
  component: "binary_sensor",
  objectId: ONLINE_OBJECT_ID,
  name: "Online",
  deviceClass: "connectivity",
  numeric: false,
  bridgeAvailabilityOnly: true,
});

/** `Last seen`: a timestamp sensor, when the device was last heard (cloud arrival time where known). */
export const LAST_SEEN_ENTITY: EntityDescription = Object.freeze({
  observationId: LAST_SEEN_ENTITY_KEY,
  observationName: "LastSeen",
  component: "sensor",
  objectId: LAST_SEEN_OBJECT_ID,
  name: "Last seen",
  deviceClass: "timestamp",
  entityCategory: "diagnostic",
  numeric: false,
  bridgeAvailabilityOnly: true,
});

function describeUncached(definition: ObservationDefinition, device: DeviceKind): EntityDescription | null {
  if (definition.dataType === "Binary") return null;
  const override = device === "equalizer" ? EQUALIZER_OVERRIDES[definition.id] : OVERRIDES[definition.id];
  const base = {
    observationId: definition.id,
    observationName: definition.name,
    objectId: snakeCase(definition.name),
    name: friendlyName(definition.name),
    ...(isDiagnostic(definition, override, device) ? { entityCategory: "diagnostic" as const } : {}),
    ...(override?.icon ? { icon: override.icon } : {}),
  };

  if (definition.dataType === "Boolean") {
    return {
      ...base,
      component: "binary_sensor",
      ...(override?.deviceClass ? { deviceClass: override.deviceClass } : {}),
      numeric: false,
    };
  }

  if (isClosedTable(definition)) {
    return { ...base, component: "sensor", deviceClass: "enum", options: enumOptions(definition), numeric: false };
  }

  if (definition.dataType === "Double" || definition.dataType === "Integer") {
    const byUnit = definition.unit ? BY_UNIT[definition.unit] : undefined;
    const deviceClass = override?.deviceClass === null ? undefined : (override?.deviceClass ?? byUnit?.deviceClass);
    // A unit Home Assistant has no device class for still makes a measurement (it expects a number either way).
    const unitStateClass = byUnit?.stateClass ?? (definition.unit ? "measurement" : undefined);
    const stateClass = override?.stateClass === null ? undefined : (override?.stateClass ?? unitStateClass);
    return {
      ...base,
      component: "sensor",
      ...(deviceClass ? { deviceClass } : {}),
      ...(stateClass ? { stateClass } : {}),
      ...(definition.unit ? { unit: definition.unit } : {}),
      ...(byUnit?.precision !== undefined ? { suggestedDisplayPrecision: byUnit.precision } : {}),
      // Codes and ids without unit or state class (error codes, software release) stay plain text;
      // Home Assistant expects a number as soon as any of the three is set.
      numeric: deviceClass !== undefined || stateClass !== undefined || definition.unit !== null,
    };
  }

  // String, Position, Statistics: text state (objects as JSON).
  return { ...base, component: "sensor", numeric: false };
}
