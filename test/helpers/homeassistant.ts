/**
 * Home Assistant's rules for MQTT discovery configs of sensors and binary sensors, written out so tests can check
 * what the easee-homeassistant node publishes without a Home Assistant instance.
 * Sources: home-assistant/core homeassistant/components/sensor/const.py (DEVICE_CLASS_UNITS,
 * DEVICE_CLASS_STATE_CLASSES), components/mqtt/sensor.py (validate_sensor_state_and_device_class_config),
 * the MQTT discovery docs (topic format, `[a-zA-Z0-9_-]` levels, empty retained payload deletes) and the
 * 2025.10 deprecation of `object_id` in favour of `default_entity_id`.
 * Controls (number, switch, button, select) follow components/mqtt/{number,switch,button,select}.py and config.py
 * (MQTT_RW_SCHEMA: `command_topic` required; number: max > min, step >= 0.001, mode auto/box/slider, device class
 * units as in number/const.py; switch and button device classes; select `options` required), plus
 * `entity_category` (`config` only on entities that act) and `cv.icon` (`prefix:name`).
 * Only the device classes a charger can produce are listed; any other device class is reported as a problem.
 */

/** Allowed units and state classes per sensor device class (subset of Home Assistant's tables). */
const SENSOR_DEVICE_CLASSES: Readonly<Record<string, { units: readonly (string | null)[]; stateClasses: readonly string[] }>> = {
  power: { units: ["mW", "W", "kW", "MW", "GW", "TW"], stateClasses: ["measurement"] },
  energy: { units: ["J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"], stateClasses: ["total", "total_increasing"] },
  current: { units: ["A", "mA"], stateClasses: ["measurement"] },
  voltage: { units: ["V", "mV", "µV", "kV", "MV"], stateClasses: ["measurement"] },
  temperature: { units: ["°C", "°F", "K"], stateClasses: ["measurement"] },
  signal_strength: { units: ["dB", "dBm"], stateClasses: ["measurement"] },
  humidity: { units: ["%"], stateClasses: ["measurement"] },
  duration: { units: ["d", "h", "min", "s", "ms", "µs"], stateClasses: ["measurement", "total", "total_increasing"] },
  enum: { units: [null], stateClasses: [] },
  reactive_power: { units: ["var", "kvar"], stateClasses: ["measurement"] },
  timestamp: { units: [null], stateClasses: [] },
};

const BINARY_SENSOR_DEVICE_CLASSES = new Set([
  "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas", "heat", "light",
  "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem", "running",
  "safety", "smoke", "sound", "tamper", "update", "vibration", "window",
]);

const STATE_CLASSES = new Set(["measurement", "total", "total_increasing"]);
const CONTROL_COMPONENTS = new Set(["number", "switch", "button", "select"]);
/** Number device classes a charger control can use, with their units (number/const.py DEVICE_CLASS_UNITS subset). */
const NUMBER_DEVICE_CLASSES: Readonly<Record<string, readonly (string | null)[]>> = { current: ["A", "mA"], power: ["mW", "W", "kW", "MW", "GW", "TW"] };
const SWITCH_DEVICE_CLASSES = new Set(["outlet", "switch"]);
const BUTTON_DEVICE_CLASSES = new Set(["identify", "restart", "update"]);
const ICON = /^[a-z0-9-]+:[a-z0-9-]+$/;
const LEVEL = /^[A-Za-z0-9_-]+$/;

function isPublishTopic(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && !/[+#\u0000]/.test(value);
}

/** Problems Home Assistant would have with this discovery message; empty when it would accept it. */
export function discoveryProblems(topic: string, payload: string, prefix = "homeassistant"): string[] {
  const problems: string[] = [];
  const levels = topic.split("/");
  const prefixLevels = prefix.split("/").length;
  const [component, nodeId, objectId, last] = levels.slice(prefixLevels);
  if (levels.slice(0, prefixLevels).join("/") !== prefix) problems.push(`topic ${topic} does not start with ${prefix}/`);
  if (levels.length !== prefixLevels + 4 || last !== "config") problems.push(`topic ${topic} is not <prefix>/<component>/<node_id>/<object_id>/config`);
  const isControl = CONTROL_COMPONENTS.has(String(component));
  if (component !== "sensor" && component !== "binary_sensor" && !isControl) problems.push(`component ${String(component)} is not sensor, binary_sensor, number, switch, button or select`);
  if (!LEVEL.test(nodeId ?? "") || !LEVEL.test(objectId ?? "")) problems.push(`node_id/object_id of ${topic} must be [a-zA-Z0-9_-]`);

  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return [...problems, "payload is not a JSON object"];
    config = parsed as Record<string, unknown>;
  } catch {
    return [...problems, "payload is not valid JSON"];
  }

  if (typeof config.unique_id !== "string" || config.unique_id === "") problems.push("unique_id missing");
  if (typeof config.name !== "string" || config.name === "") problems.push("name missing");
  if (isControl) {
    if (!isPublishTopic(config.command_topic)) problems.push("command_topic missing or not a valid topic");
    if (component === "button") {
      if ("state_topic" in config) problems.push("button has no state_topic");
    } else if (config.state_topic !== undefined && !isPublishTopic(config.state_topic)) {
      problems.push("state_topic not a valid topic");
    }
    if (config.optimistic !== undefined && typeof config.optimistic !== "boolean") problems.push("optimistic must be a boolean");
  } else {
    if (!isPublishTopic(config.state_topic)) problems.push("state_topic missing or not a valid topic");
    if ("command_topic" in config) problems.push(`${String(component)} takes no command_topic`);
  }
  if (config.json_attributes_topic !== undefined && !isPublishTopic(config.json_attributes_topic)) problems.push("json_attributes_topic not a valid topic");
  if (config.icon !== undefined && !(typeof config.icon === "string" && ICON.test(config.icon))) problems.push(`icon ${String(config.icon)} is not prefix:name`);
  if ("object_id" in config) problems.push("object_id is deprecated since 2025.10 (use default_entity_id)");
  if (config.default_entity_id !== undefined) {
    const entityId = String(config.default_entity_id);
    if (!entityId.startsWith(`${String(component)}.`) || !/^[a-z_]+\.[a-z0-9_]+$/.test(entityId)) {
      problems.push(`default_entity_id ${entityId} is not <component>.<lower-case id>`);
    }
  }

  const device = config.device as Record<string, unknown> | undefined;
  if (device === undefined || typeof device !== "object") {
    problems.push("device block missing");
  } else {
    const ids = device.identifiers;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string" && id !== "")) problems.push("device.identifiers must be a non-empty list of strings");
    for (const key of ["manufacturer", "model", "name"]) if (typeof device[key] !== "string" || device[key] === "") problems.push(`device.${key} missing`);
    if (device.sw_version !== undefined && typeof device.sw_version !== "string") problems.push("device.sw_version must be a string");
  }

  if (config.availability !== undefined) {
    const list = config.availability;
    if (!Array.isArray(list) || list.length === 0) problems.push("availability must be a non-empty list");
    else for (const item of list as Record<string, unknown>[]) if (!isPublishTopic(item?.topic)) problems.push("availability entry without a valid topic");
    if (config.availability_topic !== undefined) problems.push("availability and availability_topic together");
  }
  if (config.availability_mode !== undefined && !["all", "any", "latest"].includes(String(config.availability_mode))) problems.push("availability_mode must be all, any or latest");
  if (config.entity_category !== undefined) {
    const allowed = isControl ? ["config", "diagnostic"] : ["diagnostic"];
    if (!allowed.includes(String(config.entity_category))) problems.push(`entity_category ${String(config.entity_category)} is not valid for a ${isControl ? "control" : "read-only entity"}`);
  }
  if (config.suggested_display_precision !== undefined && !(Number.isInteger(config.suggested_display_precision) && Number(config.suggested_display_precision) >= 0)) {
    problems.push("suggested_display_precision must be a non-negative integer");
  }

  const deviceClass = config.device_class as string | undefined;
  const stateClass = config.state_class as string | undefined;
  const unit = config.unit_of_measurement as string | undefined;
  if (component === "binary_sensor") {
    if (deviceClass !== undefined && !BINARY_SENSOR_DEVICE_CLASSES.has(deviceClass)) problems.push(`binary_sensor device_class ${deviceClass} unknown`);
    for (const key of ["state_class", "unit_of_measurement", "options"]) if (key in config) problems.push(`binary_sensor cannot have ${key}`);
    if (typeof config.payload_on !== "string" || typeof config.payload_off !== "string" || config.payload_on === config.payload_off) problems.push("payload_on/payload_off must be two different strings");
  }
  if (component === "sensor") {
    if (stateClass !== undefined && !STATE_CLASSES.has(stateClass)) problems.push(`state_class ${stateClass} unknown`);
    const options = config.options;
    if (options !== undefined) {
      if (!Array.isArray(options) || options.length === 0) problems.push("options must be a non-empty list");
      else if (new Set(options).size !== options.length) problems.push("options repeat a value");
      if (stateClass !== undefined || unit !== undefined) problems.push("options cannot go with state_class or unit_of_measurement");
      if (deviceClass !== "enum") problems.push("options need device_class enum");
    }
    if (deviceClass === "enum" && options === undefined) problems.push("device_class enum needs options");
    if (deviceClass !== undefined) {
      const rules = SENSOR_DEVICE_CLASSES[deviceClass];
      if (rules === undefined) {
        problems.push(`sensor device_class ${deviceClass} not allowed here`);
      } else {
        if (!rules.units.includes(unit ?? null)) problems.push(`unit ${String(unit)} is not valid for device_class ${deviceClass}`);
        if (stateClass !== undefined && !rules.stateClasses.includes(stateClass)) problems.push(`state_class ${stateClass} is not valid for device_class ${deviceClass}`);
      }
    }
  }
  if (component === "number") {
    const { min, max, step, mode } = config as { min?: unknown; max?: unknown; step?: unknown; mode?: unknown };
    const minValue = min === undefined ? 1 : Number(min);
    const maxValue = max === undefined ? 100 : Number(max);
    if (!Number.isFinite(minValue) || !Number.isFinite(maxValue)) problems.push("min/max must be numbers");
    else if (!(maxValue > minValue)) problems.push(`max (${maxValue}) must be > min (${minValue})`);
    if (step !== undefined && !(typeof step === "number" && step >= 1e-3)) problems.push("step must be a number >= 0.001");
    if (mode !== undefined && !["auto", "box", "slider"].includes(String(mode))) problems.push("mode must be auto, box or slider");
    if (config.payload_reset !== undefined && typeof config.payload_reset !== "string") problems.push("payload_reset must be a string");
    for (const key of ["state_class", "options", "payload_on", "payload_off"]) if (key in config) problems.push(`number cannot have ${key}`);
    if (deviceClass !== undefined) {
      const units = NUMBER_DEVICE_CLASSES[deviceClass];
      if (units === undefined) problems.push(`number device_class ${deviceClass} not allowed here`);
      else if (!units.includes(unit ?? null)) problems.push(`unit ${String(unit)} is not valid for number device_class ${deviceClass}`);
    }
  }
  if (component === "switch") {
    const { payload_on: on = "ON", payload_off: off = "OFF" } = config as { payload_on?: unknown; payload_off?: unknown };
    if (typeof on !== "string" || typeof off !== "string" || on === off) problems.push("payload_on/payload_off must be two different strings");
    for (const key of ["state_on", "state_off"]) if (key in config && typeof config[key] !== "string") problems.push(`${key} must be a string`);
    if (deviceClass !== undefined && !SWITCH_DEVICE_CLASSES.has(deviceClass)) problems.push(`switch device_class ${deviceClass} unknown`);
    for (const key of ["unit_of_measurement", "options", "state_class"]) if (key in config) problems.push(`switch cannot have ${key}`);
  }
  if (component === "button") {
    if (config.payload_press !== undefined && typeof config.payload_press !== "string") problems.push("payload_press must be a string");
    if (deviceClass !== undefined && !BUTTON_DEVICE_CLASSES.has(deviceClass)) problems.push(`button device_class ${deviceClass} unknown`);
  }
  if (component === "select") {
    const options = config.options;
    if (!Array.isArray(options) || options.length === 0 || !options.every((option) => typeof option === "string")) problems.push("select options must be a non-empty list of strings");
    else if (new Set(options).size !== options.length) problems.push("select options repeat a value");
    if ("device_class" in config) problems.push("select has no device_class");
  }
  return problems;
}
