import { strict as assert } from "assert";
import { englishRuleError } from "../helpers/english";
import { OBSERVATIONS, VALUE_TABLES, findObservationById, findObservationByName } from "../../core/catalogue";
import {
  HomeAssistantBridge,
  MAX_STATE_LENGTH,
  USEFUL_OBSERVATION_IDS,
  createSelection,
  describeEntity,
  discoveryConfig,
  discoveryTopic,
  formatState,
  friendlyName,
  snakeCase,
  type EntityDescription,
  type MqttMessage,
  type Selection,
} from "../../core/homeassistant";
import { discoveryProblems } from "../helpers/homeassistant";

const TOPICS = { prefix: "homeassistant", baseTopic: "easee" };
const SERIAL = "EH123456";

function entityFor(nameOrId: string | number): EntityDescription {
  const definition = typeof nameOrId === "number" ? findObservationById(nameOrId) : findObservationByName(nameOrId);
  assert.ok(definition, `${nameOrId} is in the catalogue`);
  const entity = describeEntity(definition);
  assert.ok(entity, `${nameOrId} becomes an entity`);
  return entity;
}

function configOf(entity: EntityDescription, swVersion?: string): Record<string, unknown> {
  return discoveryConfig(TOPICS, { chargerId: SERIAL, ...(swVersion ? { swVersion } : {}) }, entity, { name: "node-red-contrib-easee-amqp" });
}

function selection(mode: string, list?: string): Selection {
  const result = createSelection(mode, list);
  assert.ok(result.ok, "selection parses");
  return result.selection;
}

function bridge(options: Partial<ConstructorParameters<typeof HomeAssistantBridge>[0]> = {}): HomeAssistantBridge {
  return new HomeAssistantBridge({ ...TOPICS, selection: selection("useful"), retain: true, ...options });
}

function topics(messages: readonly MqttMessage[]): string[] {
  return messages.map((message) => message.topic);
}

describe("homeassistant: discovery mapping", () => {
  it("gives every default-selected observation a config Home Assistant accepts", () => {
    const useful = selection("useful");
    const checked: number[] = [];
    for (const id of USEFUL_OBSERVATION_IDS) {
      if (!useful.includes(id)) continue;
      const entity = entityFor(id);
      const problems = discoveryProblems(discoveryTopic(TOPICS, SERIAL, entity), JSON.stringify(configOf(entity, "337")));
      assert.deepEqual(problems, [], `${id} ${entity.observationName}`);
      checked.push(id);
    }
    // Every listed id is in the catalogue and none is left out silently.
    assert.equal(checked.length, USEFUL_OBSERVATION_IDS.length);
  });

  it("gives every catalogue observation a valid config (the 'all known' selection)", () => {
    let count = 0;
    for (const definition of OBSERVATIONS) {
      const entity = describeEntity(definition);
      if (entity === null) continue;
      assert.deepEqual(discoveryProblems(discoveryTopic(TOPICS, SERIAL, entity), JSON.stringify(configOf(entity))), [], `${definition.id} ${definition.name}`);
      count++;
    }
    assert.ok(count >= OBSERVATIONS.length - 5, `${count} of ${OBSERVATIONS.length} observations are entities`);
  });

  it("keeps debug observations and RFID tokens out of the default selection", () => {
    const useful = selection("useful");
    for (const definition of OBSERVATIONS) {
      if (definition.category === "debug") assert.equal(useful.includes(definition.id), false, definition.name);
    }
    assert.equal(useful.includes(108), false);
    assert.equal(useful.includes(128), false);
    assert.equal(useful.includes(120), true);
  });

  it("makes LifetimeEnergy a total_increasing kWh energy sensor (Energy dashboard)", () => {
    const config = configOf(entityFor("LifetimeEnergy"));
    assert.equal(config.device_class, "energy");
    assert.equal(config.state_class, "total_increasing");
    assert.equal(config.unit_of_measurement, "kWh");
    assert.equal(config.entity_category, undefined);
    assert.equal(config.unique_id, "easee_eh123456_lifetime_energy");
    assert.equal(config.default_entity_id, "sensor.easee_eh123456_lifetime_energy");
  });

  it("maps power, current, voltage, temperature and signal strength to their device classes", () => {
    const cases: [string, string, string, string | undefined][] = [
      ["TotalPower", "power", "kW", undefined],
      ["InCurrent_T3", "current", "A", undefined],
      ["InVolt_T1_T2", "voltage", "V", undefined],
      ["TempMax", "temperature", "°C", "diagnostic"],
      ["WiFiRSSI", "signal_strength", "dBm", "diagnostic"],
      ["CellRSSI", "signal_strength", "dBm", "diagnostic"],
    ];
    for (const [name, deviceClass, unit, category] of cases) {
      const config = configOf(entityFor(name));
      assert.equal(config.device_class, deviceClass, name);
      assert.equal(config.unit_of_measurement, unit, name);
      assert.equal(config.state_class, "measurement", name);
      assert.equal(config.entity_category, category, name);
    }
  });

  it("does not give hourly energy a state class Home Assistant would read as meter resets", () => {
    const config = configOf(entityFor("EnergyPerHour"));
    assert.equal(config.device_class, "energy");
    assert.equal(config.state_class, undefined);
  });

  it("makes ChargerOpMode an enum sensor with the value table's labels as options", () => {
    const entity = entityFor("ChargerOpMode");
    const config = configOf(entity);
    assert.equal(config.device_class, "enum");
    assert.equal(config.state_class, undefined);
    assert.equal(config.unit_of_measurement, undefined);
    const options = config.options as string[];
    assert.ok(options.includes("Charging"));
    assert.ok(options.includes("Awaiting Start"));
    assert.deepEqual(options, [...new Set(Object.values(VALUE_TABLES.ChargerOpMode.labels))]);
    assert.equal(formatState(entity, 3, "Charging"), "Charging");
    // A value outside the table is "unknown" rather than a state Home Assistant would reject.
    assert.equal(formatState(entity, 77, undefined), "None");
  });

  it("makes every closed value table an enum with unique options, and RebootReason (a bit mask) plain text", () => {
    for (const definition of OBSERVATIONS) {
      if (!definition.valueTable) continue;
      const entity = describeEntity(definition);
      assert.ok(entity);
      if (VALUE_TABLES[definition.valueTable].bitFlags) {
        assert.equal(entity.options, undefined, definition.name);
        assert.equal(entity.deviceClass, undefined, definition.name);
      } else {
        assert.equal(entity.deviceClass, "enum", definition.name);
        assert.equal(new Set(entity.options).size, entity.options?.length, definition.name);
      }
    }
  });

  it("makes booleans binary sensors with ON/OFF payloads", () => {
    const entity = entityFor("CableLocked");
    const config = configOf(entity);
    assert.equal(entity.component, "binary_sensor");
    assert.equal(discoveryTopic(TOPICS, SERIAL, entity), "homeassistant/binary_sensor/EH123456/cable_locked/config");
    assert.equal(config.payload_on, "ON");
    assert.equal(config.payload_off, "OFF");
    assert.equal(formatState(entity, true, undefined), "ON");
    assert.equal(formatState(entity, false, undefined), "OFF");
    assert.equal(formatState(entity, null, undefined), "None");
    const cloud = configOf(entityFor("ConnectedToCloud"));
    assert.equal(cloud.device_class, "connectivity");
    assert.equal(cloud.entity_category, "diagnostic");
  });

  it("formats states: numbers as numbers, objects as JSON, long text cut to Home Assistant's limit", () => {
    assert.equal(formatState(entityFor("TotalPower"), 7.25, undefined), "7.25");
    assert.equal(formatState(entityFor("TotalPower"), "n/a", undefined), "None");
    assert.equal(formatState(entityFor("SoftwareRelease"), 337, undefined), "337");
    assert.equal(formatState(entityFor("RebootReason"), 12, "Brownout"), "Brownout");
    assert.equal(formatState(entityFor("RebootReason"), 4096, undefined), "4096");
    assert.equal(formatState(entityFor("ChargingSession"), { id: 1, kwh: 2.5 }, undefined), '{"id":1,"kwh":2.5}');
    const long = formatState(entityFor("ErrorString"), "x".repeat(400), undefined);
    assert.equal(long.length, MAX_STATE_LENGTH);
  });

  it("puts the device block with identifiers from the serial and the software version in every config", () => {
    const config = configOf(entityFor("TotalPower"), "337");
    assert.deepEqual(config.device, {
      identifiers: ["easee_EH123456"],
      manufacturer: "Easee",
      model: "EV charger",
      name: "Easee EH123456",
      sw_version: "337",
    });
    assert.deepEqual(config.availability, [
      { topic: "easee/bridge/availability", payload_available: "online", payload_not_available: "offline" },
      { topic: "easee/EH123456/availability", payload_available: "online", payload_not_available: "offline" },
    ]);
    assert.equal(config.availability_mode, "all");
    assert.equal(config.state_topic, "easee/EH123456/total_power/state");
  });

  it("derives names Home Assistant users can read", () => {
    assert.equal(snakeCase("TotalPower"), "total_power");
    assert.equal(snakeCase("InVolt_T1_T2"), "in_volt_t1_t2");
    assert.equal(snakeCase("WiFiRSSI"), "wifi_rssi");
    assert.equal(snakeCase("LEDMode"), "led_mode");
    assert.equal(friendlyName("TotalPower"), "Total power");
    assert.equal(friendlyName("CellRSSI"), "Cell RSSI");
    assert.equal(friendlyName("InCurrent_T2"), "In current T2");
    assert.equal(friendlyName("WiFiRSSI"), "WiFi RSSI");
    // Object ids are unique across the catalogue, so no two entities of a charger share a topic.
    const ids = OBSERVATIONS.map((definition) => snakeCase(definition.name));
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe("homeassistant: the rules the tests check against", () => {
  const good = () => configOf(entityFor("TotalPower"));
  const problemsOf = (config: Record<string, unknown>, topic = "homeassistant/sensor/EH123456/total_power/config") =>
    discoveryProblems(topic, JSON.stringify(config));

  it("catch what Home Assistant rejects", () => {
    assert.deepEqual(problemsOf(good()), []);
    assert.notDeepEqual(problemsOf({ ...good(), device_class: "energy", unit_of_measurement: "kWh" }), []);
    assert.notDeepEqual(problemsOf({ ...good(), unit_of_measurement: "W/h" }), []);
    assert.notDeepEqual(problemsOf({ ...good(), options: ["a"] }), []);
    assert.notDeepEqual(problemsOf({ ...good(), entity_category: "config" }), []);
    assert.notDeepEqual(problemsOf({ ...good(), object_id: "x" }), []);
    const { unique_id: _dropped, ...withoutId } = good();
    assert.notDeepEqual(problemsOf(withoutId), []);
    assert.notDeepEqual(problemsOf(good(), "homeassistant/sensor/EH 1/total_power/config"), []);
    assert.deepEqual(discoveryProblems("homeassistant/sensor/a/b/config", "{not json"), ["payload is not valid JSON"]);
  });
});

describe("homeassistant: selection", () => {
  it("takes a list of ids, ranges and names", () => {
    const chosen = selection("list", "120, 182-183, ChargerOpMode");
    assert.deepEqual(
      OBSERVATIONS.filter((definition) => chosen.includes(definition.id)).map((definition) => definition.id),
      [109, 120, 182, 183],
    );
  });

  it("reports a list it cannot read", () => {
    const result = createSelection("list", "120, NoSuchThing");
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(englishRuleError(result.error), /"NoSuchThing" is not an observation name/);
  });

  it("'all' takes every known observation and no unknown id", () => {
    const all = selection("all");
    assert.equal(all.includes(133), true);
    assert.equal(all.includes(999), false);
  });
});

describe("homeassistant: bridge", () => {
  it("announces an entity once (retained config), then sends only states", () => {
    const ha = bridge();
    const first = ha.observe({ chargerId: SERIAL, observationId: 120, value: 7.2 });
    assert.deepEqual(topics(first), [
      "easee/bridge/availability",
      "easee/EH123456/availability",
      "homeassistant/sensor/EH123456/total_power/config",
      "easee/EH123456/total_power/state",
    ]);
    assert.deepEqual(first.map((message) => [message.retain, message.qos]), [[true, 1], [true, 1], [true, 1], [true, 1]]);
    assert.equal(first[0]?.payload, "online");
    assert.equal(first[3]?.payload, "7.2");
    const second = ha.observe({ chargerId: SERIAL, observationId: 120, value: 3.1 });
    assert.deepEqual(second, [{ topic: "easee/EH123456/total_power/state", payload: "3.1", retain: true, qos: 1 }]);
    assert.equal(ha.entityCount, 1);
  });

  it("uses the decoder's label, or the catalogue's, for enum states", () => {
    const ha = bridge();
    const withLabel = ha.observe({ chargerId: SERIAL, observationId: 109, value: 3, label: "Charging" });
    assert.equal(withLabel.at(-1)?.payload, "Charging");
    const withoutLabel = ha.observe({ chargerId: SERIAL, observationId: 109, value: 1 });
    assert.equal(withoutLabel.at(-1)?.payload, "Disconnected");
  });

  it("produces identical configs and unique ids after a restart", () => {
    const configs = (ha: HomeAssistantBridge) =>
      [120, 109, 124, 103].flatMap((id) => ha.observe({ chargerId: SERIAL, observationId: id, value: id === 103 ? true : 1 })).filter((message) => message.topic.endsWith("/config"));
    assert.deepEqual(configs(bridge()), configs(bridge()));
  });

  it("ignores unknown ids and observations outside the selection", () => {
    const ha = bridge({ selection: selection("list", "120") });
    assert.deepEqual(ha.observe({ chargerId: SERIAL, observationId: 999, value: 1 }), []);
    assert.deepEqual(ha.observe({ chargerId: SERIAL, observationId: 121, value: 1 }), []);
    assert.equal(ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 }).length, 4);
  });

  it("puts SoftwareRelease into the device block of every config", () => {
    const ha = bridge();
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    ha.observe({ chargerId: SERIAL, observationId: 124, value: 1000 });
    const update = ha.observe({ chargerId: SERIAL, observationId: 80, value: 337 });
    const configs = update.filter((message) => message.topic.endsWith("/config"));
    // The two earlier entities get a refreshed config, then SoftwareRelease's own entity is announced.
    assert.deepEqual(topics(configs), [
      "homeassistant/sensor/EH123456/total_power/config",
      "homeassistant/sensor/EH123456/lifetime_energy/config",
      "homeassistant/sensor/EH123456/software_release/config",
    ]);
    for (const message of configs) assert.equal((JSON.parse(message.payload) as { device: { sw_version: string } }).device.sw_version, "337");
    // The same release again changes nothing.
    assert.deepEqual(topics(ha.observe({ chargerId: SERIAL, observationId: 80, value: 337 })), ["easee/EH123456/software_release/state"]);
  });

  it("follows ConnectedToCloud on the charger's availability topic", () => {
    const ha = bridge({ selection: selection("list", "120") });
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    assert.deepEqual(ha.observe({ chargerId: SERIAL, observationId: 250, value: false }), [
      { topic: "easee/EH123456/availability", payload: "offline", retain: true, qos: 1 },
    ]);
    assert.deepEqual(ha.observe({ chargerId: SERIAL, observationId: 250, value: false }), []);
    assert.equal(ha.observe({ chargerId: SERIAL, observationId: 250, value: true })[0]?.payload, "online");
  });

  it("follows the AMQP connection on the bridge availability topic", () => {
    const ha = bridge();
    // Before any entity exists nothing is sent; the first announcement carries the current state.
    assert.deepEqual(ha.setConnection(false), []);
    assert.equal(ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 })[0]?.payload, "offline");
    assert.deepEqual(ha.setConnection(true), [{ topic: "easee/bridge/availability", payload: "online", retain: true, qos: 1 }]);
    assert.deepEqual(ha.setConnection(true), []);
  });

  it("sends states unretained when retain is off, configs and availability retained always", () => {
    const ha = bridge({ retain: false });
    const messages = ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    assert.deepEqual(messages.map((message) => message.retain), [true, true, true, false]);
  });

  it("republishes availability, configs and last states (Home Assistant restarted)", () => {
    const ha = bridge();
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 2.5 });
    ha.observe({ chargerId: "EH000001", observationId: 109, value: 3 });
    const again = ha.republish();
    assert.deepEqual(topics(again), [
      "easee/bridge/availability",
      "easee/EH123456/availability",
      "homeassistant/sensor/EH123456/total_power/config",
      "easee/EH123456/total_power/state",
      "easee/EH000001/availability",
      "homeassistant/sensor/EH000001/charger_op_mode/config",
      "easee/EH000001/charger_op_mode/state",
    ]);
    assert.equal(again[3]?.payload, "2.5");
    assert.equal(again[6]?.payload, "Charging");
  });

  it("removes a charger's entities with empty retained configs, and announces them again when it sends", () => {
    const ha = bridge();
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    ha.observe({ chargerId: "EH000001", observationId: 120, value: 1 });
    const removed = ha.remove([SERIAL]);
    assert.ok(removed.every((message) => message.payload === "" && message.retain));
    assert.ok(topics(removed).includes("homeassistant/sensor/EH123456/total_power/config"));
    assert.ok(topics(removed).includes("homeassistant/binary_sensor/EH123456/cable_locked/config"));
    assert.ok(topics(removed).includes("easee/EH123456/total_power/state"));
    assert.ok(topics(removed).includes("easee/EH123456/availability"));
    assert.ok(!topics(removed).some((topic) => topic.includes("EH000001")));
    assert.equal(ha.entityCount, 1);
    assert.ok(topics(ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 })).includes("homeassistant/sensor/EH123456/total_power/config"));
  });

  it("removes every charger heard, and the bridge availability, when no serial is given", () => {
    const ha = bridge();
    ha.observe({ chargerId: SERIAL, observationId: 120, value: 1 });
    ha.observe({ chargerId: "EH000001", observationId: 120, value: 1 });
    const removed = topics(ha.remove());
    assert.ok(removed.includes("homeassistant/sensor/EH123456/total_power/config"));
    assert.ok(removed.includes("homeassistant/sensor/EH000001/total_power/config"));
    assert.equal(removed.at(-1), "easee/bridge/availability");
    assert.equal(ha.entityCount, 0);
    assert.equal(ha.chargerCount, 0);
  });

  it("keeps memory bounded: at most maxChargers chargers are remembered", () => {
    const ha = bridge({ maxChargers: 3 });
    for (let n = 0; n < 10; n++) ha.observe({ chargerId: `EH${n}`, observationId: 120, value: n });
    assert.equal(ha.chargerCount, 3);
    assert.equal(ha.entityCount, 3);
    assert.equal(ha.evictions, 7);
    // A forgotten charger is announced again (same config, which Home Assistant ignores).
    assert.ok(topics(ha.observe({ chargerId: "EH0", observationId: 120, value: 1 })).includes("homeassistant/sensor/EH0/total_power/config"));
  });

  it("keeps odd serials inside one topic level", () => {
    const ha = bridge();
    const messages = ha.observe({ chargerId: "EH/1+2#", observationId: 120, value: 1 });
    assert.ok(topics(messages).includes("homeassistant/sensor/EH_1_2_/total_power/config"));
  });
});
