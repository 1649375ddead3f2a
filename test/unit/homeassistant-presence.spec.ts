/**
 * Home Assistant for presence and Equalizers: availability follows presence (and ConnectedToCloud, and the
 * stream), every device gets an Online (connectivity) and a Last seen (timestamp) entity that stay available while
 * it is gone, and an Equalizer is its own device with power and energy-dashboard-ready sensors.
 */
import { strict as assert } from "assert";
import { EQUALIZER_OBSERVATIONS } from "../../core/catalogue";
import {
  HomeAssistantBridge,
  LAST_SEEN_ENTITY,
  ONLINE_ENTITY,
  USEFUL_EQUALIZER_OBSERVATION_IDS,
  createSelection,
  describeEntity,
  discoveryConfig,
  discoveryTopic,
  type MqttMessage,
} from "../../core/homeassistant";
import { compileFilter, routeObservation } from "../../core/routing";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { discoveryProblems } from "../helpers/homeassistant";

const TOPICS = { prefix: "homeassistant", baseTopic: "easee" };
const CHARGER = "EH123456";
const EQUALIZER = "QH000001";

function bridge(mode = "useful", list?: string): HomeAssistantBridge {
  const parsed = createSelection(mode, list);
  assert.ok(parsed.ok);
  return new HomeAssistantBridge({ ...TOPICS, selection: parsed.selection, retain: true });
}

function byTopic(messages: readonly MqttMessage[]): Record<string, string> {
  return Object.fromEntries(messages.map((message) => [message.topic, message.payload]));
}

describe("homeassistant: presence", () => {
  it("the first observation with a time announces Online (ON) and Last seen after the entity", () => {
    const out = bridge().observe({ chargerId: CHARGER, observationId: 120, value: 7.2, seenAt: "2026-12-01T10:00:00.120Z" });
    assert.deepEqual(out.map((m) => m.topic), [
      "easee/bridge/availability",
      "easee/EH123456/availability",
      "homeassistant/sensor/EH123456/total_power/config",
      "easee/EH123456/total_power/state",
      "homeassistant/binary_sensor/EH123456/online/config",
      "easee/EH123456/online/state",
      "homeassistant/sensor/EH123456/last_seen/config",
      "easee/EH123456/last_seen/state",
    ]);
    const states = byTopic(out);
    assert.equal(states["easee/EH123456/online/state"], "ON");
    assert.equal(states["easee/EH123456/last_seen/state"], "2026-12-01T10:00:00.120Z");
    for (const message of out.filter((m) => m.topic.endsWith("/config"))) {
      assert.deepEqual(discoveryProblems(message.topic, message.payload), [], message.topic);
    }
    const online = JSON.parse(states["homeassistant/binary_sensor/EH123456/online/config"] ?? "{}");
    assert.equal(online.device_class, "connectivity");
    assert.equal(online.unique_id, "easee_eh123456_online");
    const lastSeen = JSON.parse(states["homeassistant/sensor/EH123456/last_seen/config"] ?? "{}");
    assert.equal(lastSeen.device_class, "timestamp");
    // Readable exactly when the charger is gone: only the bridge's availability applies to them.
    assert.deepEqual(online.availability.map((a: { topic: string }) => a.topic), ["easee/bridge/availability"]);
    assert.deepEqual(lastSeen.availability.map((a: { topic: string }) => a.topic), ["easee/bridge/availability"]);
    const power = JSON.parse(states["homeassistant/sensor/EH123456/total_power/config"] ?? "{}");
    assert.deepEqual(power.availability.map((a: { topic: string }) => a.topic), ["easee/bridge/availability", "easee/EH123456/availability"]);
  });

  it("last seen moves at most once a minute with observations, and always with a presence change", () => {
    const b = bridge();
    b.observe({ chargerId: CHARGER, observationId: 120, value: 1, seenAt: "2026-12-01T10:00:00.000Z" });
    assert.deepEqual(topicsOf(b.observe({ chargerId: CHARGER, observationId: 120, value: 2, seenAt: "2026-12-01T10:00:30.000Z" })), [
      "easee/EH123456/total_power/state",
    ]);
    assert.deepEqual(byTopic(b.observe({ chargerId: CHARGER, observationId: 120, value: 3, seenAt: "2026-12-01T10:01:00.000Z" })), {
      "easee/EH123456/last_seen/state": "2026-12-01T10:01:00.000Z",
      "easee/EH123456/total_power/state": "3",
    });
    // An older time never moves it back.
    assert.deepEqual(topicsOf(b.observe({ chargerId: CHARGER, observationId: 120, value: 4, seenAt: "2026-12-01T09:00:00.000Z" })), [
      "easee/EH123456/total_power/state",
    ]);
  });

  it("a presence msg offline: availability offline, Online OFF, last seen; the next message brings both back", () => {
    const b = bridge();
    b.observe({ chargerId: CHARGER, observationId: 120, value: 1, seenAt: "2026-12-01T10:00:00.000Z" });
    const offline = b.presence({ chargerId: CHARGER, online: false, lastSeen: "2026-12-01T10:00:10.000Z" });
    assert.deepEqual(byTopic(offline), {
      "easee/EH123456/availability": "offline",
      "easee/EH123456/online/state": "OFF",
      "easee/EH123456/last_seen/state": "2026-12-01T10:00:10.000Z",
    });
    assert.ok(offline.every((m) => m.topic.endsWith("/state") ? m.retain === true : m.retain));
    // A repeat changes nothing.
    assert.deepEqual(b.presence({ chargerId: CHARGER, online: false }), []);
    // Back, by a presence msg …
    assert.deepEqual(byTopic(b.presence({ chargerId: CHARGER, online: true })), {
      "easee/EH123456/availability": "online",
      "easee/EH123456/online/state": "ON",
    });
    // … or by any message, when no presence msg comes (presence unticked upstream).
    b.presence({ chargerId: CHARGER, online: false });
    const back = byTopic(b.observe({ chargerId: CHARGER, observationId: 120, value: 2 }));
    assert.equal(back["easee/EH123456/availability"], "online");
    assert.equal(back["easee/EH123456/online/state"], "ON");
  });

  it("availability is online only while ConnectedToCloud is true AND the charger is not silent", () => {
    const b = bridge();
    b.observe({ chargerId: CHARGER, observationId: 120, value: 1, seenAt: "2026-12-01T10:00:00.000Z" });
    assert.equal(byTopic(b.observe({ chargerId: CHARGER, observationId: 250, value: false }))["easee/EH123456/availability"], "offline");
    // Silent as well: availability stays offline (no duplicate), Online goes OFF.
    assert.deepEqual(byTopic(b.presence({ chargerId: CHARGER, online: false })), { "easee/EH123456/online/state": "OFF" });
    assert.deepEqual(byTopic(b.presence({ chargerId: CHARGER, online: true })), { "easee/EH123456/online/state": "ON" });
    assert.equal(byTopic(b.observe({ chargerId: CHARGER, observationId: 250, value: true }))["easee/EH123456/availability"], "online");
  });

  it("a listed charger silent since a restart is announced as gone (availability offline, Online OFF)", () => {
    const out = bridge().presence({ chargerId: "EH000009", online: false });
    assert.deepEqual(byTopic(out), {
      "easee/bridge/availability": "online",
      "easee/EH000009/availability": "offline",
      "homeassistant/binary_sensor/EH000009/online/config": out[2]?.payload ?? "",
      "easee/EH000009/online/state": "OFF",
      "homeassistant/sensor/EH000009/last_seen/config": out[4]?.payload ?? "",
    });
  });

  it("republish and remove include the presence entities", () => {
    const b = bridge();
    b.observe({ chargerId: CHARGER, observationId: 120, value: 1, seenAt: "2026-12-01T10:00:00.000Z" });
    const again = topicsOf(b.republish());
    assert.ok(again.includes("homeassistant/binary_sensor/EH123456/online/config"));
    assert.ok(again.includes("easee/EH123456/last_seen/state"));
    const removed = topicsOf(b.remove([CHARGER]));
    assert.ok(removed.includes("homeassistant/binary_sensor/EH123456/online/config"));
    assert.ok(removed.includes("homeassistant/sensor/EH123456/last_seen/config"));
  });
});

function topicsOf(messages: readonly MqttMessage[]): string[] {
  return messages.map((m) => m.topic);
}

describe("homeassistant: Equalizers", () => {
  it("an Equalizer is its own device (model Equalizer) with power and energy sensors ready for the energy dashboard", () => {
    const b = bridge();
    const out = [
      ...b.observe({ chargerId: EQUALIZER, observationId: 40, value: 3.2, seenAt: "2026-12-01T10:00:00.000Z" }),
      ...b.observe({ chargerId: EQUALIZER, observationId: 41, value: 0 }),
      ...b.observe({ chargerId: EQUALIZER, observationId: 45, value: 10234.5 }),
      ...b.observe({ chargerId: EQUALIZER, observationId: 46, value: 812.25 }),
      ...b.observe({ chargerId: EQUALIZER, observationId: 31, value: 14.2 }),
    ];
    const configs = Object.fromEntries(
      out.filter((m) => m.topic.endsWith("/config")).map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]),
    );
    const importPower = configs["homeassistant/sensor/QH000001/active_power_import/config"];
    assert.deepEqual([importPower?.device_class, importPower?.state_class, importPower?.unit_of_measurement], ["power", "measurement", "kW"]);
    for (const name of ["cumulative_active_power_import", "cumulative_active_power_export"]) {
      const energy = configs[`homeassistant/sensor/QH000001/${name}/config`];
      assert.deepEqual([energy?.device_class, energy?.state_class, energy?.unit_of_measurement], ["energy", "total_increasing", "kWh"], name);
    }
    const current = configs["homeassistant/sensor/QH000001/current_l1/config"];
    assert.deepEqual([current?.device_class, current?.unit_of_measurement], ["current", "A"]);
    assert.deepEqual((importPower?.device as Record<string, unknown>).model, "Equalizer");
    assert.deepEqual((importPower?.device as Record<string, unknown>).identifiers, ["easee_QH000001"]);
    for (const [topic, config] of Object.entries(configs)) assert.deepEqual(discoveryProblems(topic, JSON.stringify(config)), [], topic);
    // Id 31 on an Equalizer is a current, never the charger's IsEnabled switch.
    assert.equal(configs["homeassistant/binary_sensor/QH000001/is_enabled/config"], undefined);
  });

  it("every Equalizer observation that can be an entity gets a config Home Assistant accepts", () => {
    for (const definition of EQUALIZER_OBSERVATIONS) {
      const entity = describeEntity(definition, "equalizer");
      if (entity === null) continue;
      const config = discoveryConfig(TOPICS, { chargerId: EQUALIZER, device: "equalizer" }, entity);
      assert.deepEqual(discoveryProblems(discoveryTopic(TOPICS, EQUALIZER, entity), JSON.stringify(config)), [], definition.name);
    }
    for (const entity of [ONLINE_ENTITY, LAST_SEEN_ENTITY]) {
      const config = discoveryConfig(TOPICS, { chargerId: CHARGER }, entity);
      assert.deepEqual(discoveryProblems(discoveryTopic(TOPICS, CHARGER, entity), JSON.stringify(config)), [], entity.name);
    }
  });

  it("SoftwareRelease (21 on an Equalizer) goes into its device block", () => {
    const b = bridge();
    b.observe({ chargerId: EQUALIZER, observationId: 40, value: 1 });
    const out = b.observe({ chargerId: EQUALIZER, observationId: 21, value: 512 });
    const config = out.find((m) => m.topic.endsWith("active_power_import/config"));
    assert.equal((JSON.parse(config?.payload ?? "{}").device as Record<string, unknown>).sw_version, "512");
  });

  it("selections pick per device: useful, and names from either table in a list", () => {
    const useful = createSelection("useful");
    assert.ok(useful.ok);
    for (const id of USEFUL_EQUALIZER_OBSERVATION_IDS) assert.ok(useful.selection.includes(id, "equalizer"), String(id));
    assert.equal(useful.selection.includes(40, "charger"), false, "LedStripBrightness is not useful on a charger");
    const list = createSelection("list", "ActivePowerImport, TotalPower");
    assert.ok(list.ok);
    assert.equal(list.selection.includes(40, "equalizer"), true);
    assert.equal(list.selection.includes(40, "charger"), false);
    assert.equal(list.selection.includes(120, "charger"), true);
    assert.equal(list.selection.includes(120, "equalizer"), false);
  });

  it("remove clears an Equalizer's own entity topics", () => {
    const removed = topicsOf(bridge().remove([EQUALIZER]));
    assert.ok(removed.includes("homeassistant/sensor/QH000001/cumulative_active_power_import/config"));
    assert.ok(!removed.includes("homeassistant/sensor/QH000001/total_power/config"));
  });
});

describe("filter: names per device table", () => {
  it("an Equalizer name routes that id on Equalizers only; numbers route on every device", () => {
    const compiled = compileFilter({ rules: [{ ids: "ActivePowerImport" }, { ids: "40" }, { ids: "LEDMode" }] }, catalogueNameLookup);
    assert.ok(compiled.ok);
    const filter = compiled.filter;
    assert.deepEqual(routeObservation(filter, 40, "equalizer"), [0, 1]);
    assert.deepEqual(routeObservation(filter, 40, "charger"), [1]);
    // LEDMode is 46 on a charger and 100 on an Equalizer.
    assert.deepEqual(routeObservation(filter, 46, "charger"), [2]);
    assert.deepEqual(routeObservation(filter, 46, "equalizer"), []);
    assert.deepEqual(routeObservation(filter, 100, "equalizer"), [2]);
    // A msg without msg.easee.device (older flows, hand-made msgs) is read as a charger's.
    assert.deepEqual(routeObservation(filter, 46, undefined), [2]);
  });
});
