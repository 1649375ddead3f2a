/**
 * Home Assistant controls (core/homeassistant/controls.ts and the bridge's control side): discovery configs checked
 * against Home Assistant's MQTT schemas, states that follow the charger's observations, command translation for
 * easee-command, answers for the last-command sensor, remove and republish.
 */
import { strict as assert } from "assert";
import {
  CONTROLS,
  HomeAssistantBridge,
  commandPayloadText,
  createSelection,
  findControl,
  parseCommandTopic,
  phasesState,
  readCommandAnswer,
  translateCommand,
  type ChargerReadings,
  type ControlDefinition,
  type ControlOptions,
  type MqttMessage,
} from "../../core/homeassistant";
import { discoveryProblems } from "../helpers/homeassistant";

const TOPICS = { prefix: "homeassistant", baseTopic: "easee" };
const SERIAL = "EH123456";
const ALL_CONTROLS: ControlOptions = { enabled: true, reboot: true, phases: true };
const DEFAULT_CONTROLS: ControlOptions = { enabled: true, reboot: false, phases: false };

/** `null`: a bridge built without the controls option, as for a node saved before controls existed. */
function bridge(controls: ControlOptions | null = DEFAULT_CONTROLS, selection = "useful", list?: string): HomeAssistantBridge {
  const selected = createSelection(selection, list);
  assert.ok(selected.ok);
  return new HomeAssistantBridge({ ...TOPICS, selection: selected.selection, retain: true, ...(controls ? { controls } : {}), origin: { name: "node-red-contrib-easee-amqp" } });
}

function observe(target: HomeAssistantBridge, observationId: number, value: unknown, extra: { chargerId?: string; device?: string } = {}): MqttMessage[] {
  return target.observe({ chargerId: extra.chargerId ?? SERIAL, observationId, value, ...(extra.device ? { device: extra.device } : {}) });
}

function byTopic(messages: readonly MqttMessage[]): Map<string, MqttMessage> {
  return new Map(messages.map((message) => [message.topic, message]));
}

function configAt(messages: readonly MqttMessage[], topic: string): Record<string, unknown> {
  const message = byTopic(messages).get(topic);
  assert.ok(message, `${topic} was sent`);
  return JSON.parse(message.payload) as Record<string, unknown>;
}

function control(key: string): ControlDefinition {
  const found = findControl(key);
  assert.ok(found, key);
  return found;
}

const CONFIGS = {
  number: "homeassistant/number/EH123456/dynamic_charger_current/config",
  enabled: "homeassistant/switch/EH123456/enabled/config",
  smart: "homeassistant/switch/EH123456/smart_charging/config",
  reboot: "homeassistant/button/EH123456/reboot/config",
  phases: "homeassistant/select/EH123456/phases/config",
  lastCommand: "homeassistant/sensor/EH123456/last_command/config",
};

describe("homeassistant controls: discovery", () => {
  it("announces every control with a config Home Assistant's number/switch/button/select schemas accept", () => {
    const messages = observe(bridge(ALL_CONTROLS), 120, 7.2);
    for (const topic of Object.values(CONFIGS)) {
      const message = byTopic(messages).get(topic);
      assert.ok(message, `${topic} announced`);
      assert.equal(message.retain, true);
      assert.deepEqual(discoveryProblems(topic, message.payload), [], topic);
    }
    // Controls come before the first sensor config, after both availability topics.
    const topics = messages.map((message) => message.topic);
    assert.deepEqual(topics.slice(0, 2), ["easee/bridge/availability", "easee/EH123456/availability"]);
    assert.ok(topics.indexOf(CONFIGS.number) < topics.indexOf("homeassistant/sensor/EH123456/total_power/config"));
  });

  it("reports a config Home Assistant would reject (the schema check is not a rubber stamp)", () => {
    const good = configAt(observe(bridge(ALL_CONTROLS), 120, 1), CONFIGS.number);
    assert.match(discoveryProblems(CONFIGS.number, JSON.stringify({ ...good, max: 0 })).join(), /max \(0\) must be > min \(0\)/);
    assert.match(discoveryProblems(CONFIGS.number, JSON.stringify({ ...good, unit_of_measurement: "kW" })).join(), /unit kW is not valid for number device_class current/);
    const { command_topic: _omitted, ...noCommand } = good;
    assert.match(discoveryProblems(CONFIGS.number, JSON.stringify(noCommand)).join(), /command_topic missing/);
    const select = configAt(observe(bridge(ALL_CONTROLS), 120, 1), CONFIGS.phases);
    assert.match(discoveryProblems(CONFIGS.phases, JSON.stringify({ ...select, options: [] })).join(), /select options must be a non-empty list/);
    const button = configAt(observe(bridge(ALL_CONTROLS), 120, 1), CONFIGS.reboot);
    assert.match(discoveryProblems(CONFIGS.reboot, JSON.stringify({ ...button, device_class: "power" })).join(), /button device_class power unknown/);
  });

  it("makes the dynamic current a 0 A to max-current slider in A, and follows the charger's MaxChargerCurrent", () => {
    const target = bridge();
    const first = configAt(observe(target, 120, 1), CONFIGS.number);
    assert.deepEqual([first.min, first.max, first.step, first.unit_of_measurement, first.device_class, first.mode], [0, 32, 1, "A", "current", "slider"]);
    assert.equal(first.command_topic, "easee/EH123456/dynamic_charger_current/set");
    // Same state topic as the DynamicChargerCurrent sensor: the state is what the charger reports.
    assert.equal(first.state_topic, "easee/EH123456/dynamic_charger_current/state");
    assert.equal(first.optimistic, false);
    assert.equal(first.unique_id, "easee_eh123456_dynamic_charger_current_number");
    assert.equal(first.default_entity_id, "number.easee_eh123456_dynamic_charger_current");

    const updated = configAt(observe(target, 47, 16), CONFIGS.number);
    assert.equal(updated.max, 16);
    assert.deepEqual(discoveryProblems(CONFIGS.number, JSON.stringify(updated)), []);
    // The same maximum again changes nothing; nor does a first MaxChargerCurrent equal to the default.
    assert.equal(byTopic(observe(target, 47, 16)).has(CONFIGS.number), false);
    const fresh = bridge();
    observe(fresh, 120, 1);
    assert.equal(byTopic(observe(fresh, 47, 32)).has(CONFIGS.number), false);
  });

  it("makes enabled and smart charging ON/OFF switches on the IsEnabled and SmartCharging state topics", () => {
    const messages = observe(bridge(), 120, 1);
    const enabled = configAt(messages, CONFIGS.enabled);
    const smart = configAt(messages, CONFIGS.smart);
    assert.deepEqual([enabled.payload_on, enabled.payload_off, enabled.state_topic, enabled.command_topic], ["ON", "OFF", "easee/EH123456/is_enabled/state", "easee/EH123456/enabled/set"]);
    assert.deepEqual([smart.state_topic, smart.command_topic], ["easee/EH123456/smart_charging/state", "easee/EH123456/smart_charging/set"]);
    // Not the binary sensor's unique id, although both are "smart_charging".
    assert.equal(smart.unique_id, "easee_eh123456_smart_charging_switch");
    for (const config of [enabled, smart]) {
      assert.deepEqual(config.availability, [
        { topic: "easee/bridge/availability", payload_available: "online", payload_not_available: "offline" },
        { topic: "easee/EH123456/availability", payload_available: "online", payload_not_available: "offline" },
      ]);
      assert.equal(config.availability_mode, "all");
      assert.deepEqual((config.device as { identifiers: string[] }).identifiers, ["easee_EH123456"]);
    }
  });

  it("announces the reboot button and the phases select only when ticked", () => {
    const defaults = byTopic(observe(bridge(), 120, 1));
    assert.equal(defaults.has(CONFIGS.reboot), false);
    assert.equal(defaults.has(CONFIGS.phases), false);
    const all = observe(bridge(ALL_CONTROLS), 120, 1);
    const reboot = configAt(all, CONFIGS.reboot);
    assert.deepEqual([reboot.payload_press, reboot.device_class, reboot.entity_category, reboot.state_topic], ["PRESS", "restart", "config", undefined]);
    const phases = configAt(all, CONFIGS.phases);
    assert.deepEqual(phases.options, ["1", "3"]);
    assert.equal(phases.state_topic, "easee/EH123456/phases/state");
  });

  it("adds a last-command enum sensor with attributes", () => {
    const config = configAt(observe(bridge(), 120, 1), CONFIGS.lastCommand);
    assert.deepEqual(config.options, ["sent", "accepted", "refused", "timeout", "failed"]);
    assert.equal(config.device_class, "enum");
    assert.equal(config.state_topic, "easee/EH123456/last_command/state");
    assert.equal(config.json_attributes_topic, "easee/EH123456/last_command/attributes");
  });

  it("announces nothing of the kind with controls off (the default for nodes saved before controls existed)", () => {
    for (const target of [bridge(null), bridge({ enabled: false, reboot: true, phases: true })]) {
      const messages = observe(target, 120, 7.2);
      assert.deepEqual(
        messages.map((message) => message.topic),
        ["easee/bridge/availability", "easee/EH123456/availability", "homeassistant/sensor/EH123456/total_power/config", "easee/EH123456/total_power/state"],
      );
      assert.equal(target.entityCount, 1);
      assert.equal(target.command("easee/EH123456/enabled/set", "ON")?.ok, false);
    }
  });

  it("gives an Equalizer no charger controls", () => {
    const target = bridge(ALL_CONTROLS);
    const messages = observe(target, 120, 1, { chargerId: "QH123456", device: "equalizer" });
    assert.equal(messages.some((message) => /\/(number|switch|button|select)\//.test(message.topic)), false);
    const command = target.command("easee/QH123456/enabled/set", "ON");
    assert.deepEqual(command && !command.ok ? command.problem : undefined, { code: "unknownControl", control: "enabled" });
  });

  it("counts the controls as entities and clears them all on remove, also when controls are now off", () => {
    const target = bridge(ALL_CONTROLS);
    observe(target, 120, 1);
    assert.equal(target.entityCount, 1 + CONTROLS.length + 1);
    const removed = byTopic(target.remove([SERIAL]));
    for (const topic of [...Object.values(CONFIGS), "easee/EH123456/phases/state", "easee/EH123456/last_command/state", "easee/EH123456/last_command/attributes", "easee/EH123456/is_enabled/state"]) {
      assert.equal(removed.get(topic)?.payload, "", `${topic} cleared`);
      assert.equal(removed.get(topic)?.retain, true);
    }
    assert.equal(target.entityCount, 0);
    // A read-only node still deletes controls announced before they were turned off.
    assert.equal(byTopic(bridge(null).remove([SERIAL])).get(CONFIGS.number)?.payload, "");
  });
});

describe("homeassistant controls: states follow the charger", () => {
  it("publishes the shared state once: by the sensor when it is selected, by the control when it is not", () => {
    const selected = observe(bridge(), 48, 16);
    assert.equal(selected.filter((message) => message.topic === "easee/EH123456/dynamic_charger_current/state").length, 1);
    const notSelected = bridge(DEFAULT_CONTROLS, "list", "120");
    const messages = observe(notSelected, 48, 16);
    assert.deepEqual(
      messages.filter((message) => message.topic.endsWith("/state")).map((message) => [message.topic, message.payload]),
      [["easee/EH123456/dynamic_charger_current/state", "16"]],
    );
    assert.deepEqual(
      observe(notSelected, 31, false).filter((message) => message.topic.endsWith("/state")).map((message) => message.payload),
      ["OFF"],
    );
  });

  it("derives the phases state from the dynamic circuit currents and sends it when it changes", () => {
    assert.equal(phasesState([16, 0, 0]), "1");
    assert.equal(phasesState([16, 16, 16]), "3");
    assert.equal(phasesState([0, 0, 0]), "None");
    assert.equal(phasesState([16, 16, 0]), "None");
    assert.equal(phasesState([16, undefined, 0]), "None");
    const target = bridge(ALL_CONTROLS);
    const states = (id: number, value: number) => observe(target, id, value).filter((message) => message.topic === "easee/EH123456/phases/state").map((message) => message.payload);
    assert.deepEqual(states(111, 16), ["None"]);
    assert.deepEqual(states(112, 16), []);
    assert.deepEqual(states(113, 16), ["3"]);
    assert.deepEqual(states(113, 16), []);
    assert.deepEqual(states(112, 0), ["None"]);
    assert.deepEqual(states(113, 0), ["1"]);
  });

  it("republishes control configs, their own states and the last command", () => {
    const target = bridge(ALL_CONTROLS, "list", "120");
    for (const [id, value] of [[120, 1], [31, true], [111, 10], [112, 0], [113, 0]] as const) observe(target, id, value);
    const sent = target.command("easee/EH123456/enabled/set", "OFF");
    assert.ok(sent?.ok);
    const again = byTopic(target.republish());
    for (const topic of Object.values(CONFIGS)) assert.ok(again.has(topic), topic);
    assert.equal(again.get("easee/EH123456/is_enabled/state")?.payload, "ON");
    assert.equal(again.get("easee/EH123456/phases/state")?.payload, "1");
    assert.equal(again.get("easee/EH123456/last_command/state")?.payload, "sent");
  });
});

describe("homeassistant controls: commands", () => {
  const readings: ChargerReadings = { maxCurrent: 16, circuit: [10, 0, 0], circuitMaxP1: 25 };

  it("turns each control's payload into the easee-command msg (topic = command, chargerId, arguments)", () => {
    const cases: [string, unknown, string, Record<string, unknown>][] = [
      ["dynamic_charger_current", "13", "SetDynamicChargerCurrent", { Current_Amp: 13 }],
      ["dynamic_charger_current", "0", "SetDynamicChargerCurrent", { Current_Amp: 0 }],
      ["dynamic_charger_current", Buffer.from("16.0"), "SetDynamicChargerCurrent", { Current_Amp: 16 }],
      ["dynamic_charger_current", 6, "SetDynamicChargerCurrent", { Current_Amp: 6 }],
      ["enabled", "ON", "SetEnabled", { IsEnabled: true }],
      ["enabled", "OFF", "SetEnabled", { IsEnabled: false }],
      ["smart_charging", "on", "SetSmartCharging", { SmartCharging: true }],
      ["smart_charging", false, "SetSmartCharging", { SmartCharging: false }],
      ["reboot", "PRESS", "Reboot", {}],
      ["phases", "1", "SetDynamicCircuitCurrent", { CurrentP1: 10, CurrentP2: 0, CurrentP3: 0 }],
      ["phases", "3", "SetDynamicCircuitCurrent", { CurrentP1: 10, CurrentP2: 10, CurrentP3: 10 }],
    ];
    for (const [key, payload, topic, args] of cases) {
      const translated = translateCommand(control(key), SERIAL, payload, readings);
      assert.ok(translated.ok, `${key} ${String(payload)}`);
      assert.deepEqual(translated.request, { topic, chargerId: SERIAL, payload: args }, `${key} ${String(payload)}`);
    }
  });

  it("sends nothing for a payload Home Assistant would not send, and says what was expected", () => {
    const problem = (key: string, payload: unknown, values = readings) => {
      const translated = translateCommand(control(key), SERIAL, payload, values);
      assert.equal(translated.ok, false, `${key} ${String(payload)}`);
      return translated.ok ? undefined : translated.problem;
    };
    assert.deepEqual(problem("dynamic_charger_current", "17"), { code: "outOfRange", control: "dynamic_charger_current", value: "17", min: 0, max: 16 });
    assert.deepEqual(problem("dynamic_charger_current", "-1"), { code: "outOfRange", control: "dynamic_charger_current", value: "-1", min: 0, max: 16 });
    assert.deepEqual(problem("dynamic_charger_current", "13.5"), { code: "badPayload", control: "dynamic_charger_current", expected: "0-16" });
    assert.equal(problem("dynamic_charger_current", "")?.code, "badPayload");
    assert.equal(problem("dynamic_charger_current", "abc")?.code, "badPayload");
    assert.equal(problem("dynamic_charger_current", { amps: 3 })?.code, "badPayload");
    assert.deepEqual(problem("enabled", "maybe"), { code: "badPayload", control: "enabled", expected: "ON/OFF" });
    assert.equal(problem("reboot", "ON")?.code, "badPayload");
    assert.equal(problem("phases", "2")?.code, "badPayload");
    assert.deepEqual(problem("phases", "3", { circuit: [] }), { code: "phaseCurrentUnknown" });
    // Without a dynamic value, the circuit's maximum is the per-phase current.
    const fromMax = translateCommand(control("phases"), SERIAL, "3", { circuit: [0, 0, 0], circuitMaxP1: 25 });
    assert.ok(fromMax.ok);
    assert.deepEqual(fromMax.request.payload, { CurrentP1: 25, CurrentP2: 25, CurrentP3: 25 });
    // Up to the default 32 A before MaxChargerCurrent is seen.
    assert.ok(translateCommand(control("dynamic_charger_current"), SERIAL, "32", { circuit: [] }).ok);
    assert.equal(translateCommand(control("dynamic_charger_current"), SERIAL, "33", { circuit: [] }).ok, false);
  });

  it("bounds hostile payloads and topics before looking at them", () => {
    assert.equal(commandPayloadText("1".repeat(1_000_000)), undefined);
    assert.equal(commandPayloadText(Buffer.alloc(1_000_000, 0x31)), undefined);
    const started = process.hrtime.bigint();
    assert.equal(parseCommandTopic(TOPICS, `easee/${"a/".repeat(500_000)}set`), undefined);
    assert.equal(bridge().command(`easee/${"EH1/".repeat(250_000)}set`, "ON"), undefined);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 50, "1 MB topics checked in under 50 ms");
  });

  it("says whether a refused command names a charger it has heard (only those get a last-command state)", () => {
    const target = bridge();
    observe(target, 120, 1);
    const known = target.command("easee/EH123456/enabled/set", "maybe");
    const madeUp = target.command("easee/XX0000000000000000/enabled/set", "maybe");
    assert.deepEqual([known?.ok, known && !known.ok && known.known], [false, true]);
    assert.deepEqual([madeUp?.ok, madeUp && !madeUp.ok && madeUp.known], [false, false]);
  });

  it("recognises only <stateTopic>/<serial>/<control>/set", () => {
    assert.deepEqual(parseCommandTopic(TOPICS, "easee/EH123456/enabled/set"), { level: "EH123456", key: "enabled" });
    assert.deepEqual(parseCommandTopic({ prefix: "ha", baseTopic: "home/easee" }, "home/easee/EH1/phases/set"), { level: "EH1", key: "phases" });
    for (const topic of ["easee/EH123456/enabled/state", "other/EH123456/enabled/set", "easee/EH123456/set", "easee/EH123456/x/enabled/set", "easee//enabled/set", "easee/EH1/enabled"]) {
      assert.equal(parseCommandTopic(TOPICS, topic), undefined, topic);
    }
  });

  it("uses what the charger reported: its max current and its circuit currents", () => {
    const target = bridge(ALL_CONTROLS);
    for (const [id, value] of [[47, 20], [111, 16], [112, 16], [113, 16]] as const) observe(target, id, value);
    const tooHigh = target.command("easee/EH123456/dynamic_charger_current/set", "21");
    assert.deepEqual(tooHigh && !tooHigh.ok ? tooHigh.problem : undefined, { code: "outOfRange", control: "dynamic_charger_current", value: "21", min: 0, max: 20 });
    const onePhase = target.command("easee/EH123456/phases/set", "1");
    assert.ok(onePhase?.ok);
    assert.deepEqual(onePhase.request, { topic: "SetDynamicCircuitCurrent", chargerId: SERIAL, payload: { CurrentP1: 16, CurrentP2: 0, CurrentP3: 0 } });
  });

  it("marks the last command sent, then shows the answer: accepted, refused, timeout, failed", () => {
    const target = bridge();
    observe(target, 120, 1);
    const sent = target.command("easee/EH123456/dynamic_charger_current/set", "13", new Date("2026-12-01T10:00:00Z"));
    assert.ok(sent?.ok);
    assert.deepEqual(
      sent.messages.map((message) => [message.topic, message.payload]),
      [
        ["easee/EH123456/last_command/attributes", JSON.stringify({ command: "SetDynamicChargerCurrent", outcome: "sent", at: "2026-12-01T10:00:00.000Z", arguments: { Current_Amp: 13 } })],
        ["easee/EH123456/last_command/state", "sent"],
      ],
    );

    const answer = {
      topic: "SetDynamicChargerCurrent",
      payload: { accepted: false, resultCode: 4, comment: "charger is rebooting" },
      easee: { chargerId: SERIAL, commandId: 48, command: "SetDynamicChargerCurrent", ticks: "1", arguments: { Current_Amp: 13 }, respondedAt: "2026-12-01T10:00:01.000Z", latencyMs: 412 },
    };
    const refused = readCommandAnswer(answer);
    assert.ok(refused);
    assert.deepEqual(refused, {
      chargerId: SERIAL,
      outcome: "refused",
      command: "SetDynamicChargerCurrent",
      arguments: { Current_Amp: 13 },
      resultCode: 4,
      comment: "charger is rebooting",
      at: "2026-12-01T10:00:01.000Z",
      latencyMs: 412,
    });
    const messages = target.reportCommand(refused);
    assert.equal(byTopic(messages).get("easee/EH123456/last_command/state")?.payload, "refused");
    assert.deepEqual(JSON.parse(byTopic(messages).get("easee/EH123456/last_command/attributes")?.payload ?? "{}"), {
      command: "SetDynamicChargerCurrent",
      outcome: "refused",
      at: "2026-12-01T10:00:01.000Z",
      arguments: { Current_Amp: 13 },
      result_code: 4,
      comment: "charger is rebooting",
      latency_ms: 412,
    });
    assert.equal(readCommandAnswer({ ...answer, payload: { accepted: true, resultCode: 0, comment: "" } })?.outcome, "accepted");

    // easee-command's errors, as a Catch node passes them on (the failed command msg plus msg.error).
    const failed = { topic: "SetEnabled", chargerId: SERIAL, payload: { IsEnabled: true }, error: { message: "no response within 30 s", source: { id: "cmd", type: "easee-command" } } };
    assert.equal(readCommandAnswer(failed)?.outcome, "failed");
    assert.equal(readCommandAnswer({ ...failed, error: { ...failed.error, code: "EASEE_COMMAND_TIMEOUT" } })?.outcome, "timeout");
    assert.equal(readCommandAnswer({ ...failed, error: { ...failed.error, source: { id: "x", type: "function" } } }), undefined);
    // Observations and other msgs are not answers.
    assert.equal(readCommandAnswer({ topic: "easee/EH1/TotalPower", payload: 7.2, easee: { chargerId: "EH1", observationId: 120 } }), undefined);
    assert.equal(readCommandAnswer({ payload: { accepted: "yes" }, easee: { chargerId: "EH1", command: "Reboot" } }), undefined);
  });

  it("keeps hostile answer texts short", () => {
    const report = readCommandAnswer({ payload: { accepted: false, comment: "x".repeat(1_000_000) }, easee: { chargerId: SERIAL, command: "Reboot", arguments: { a: "y".repeat(5000) } } });
    assert.ok(report);
    const attributes = JSON.parse(bridge().reportCommand(report)[0]?.payload ?? "{}") as Record<string, unknown>;
    assert.ok(String(attributes.comment).length <= 255);
    assert.equal(attributes.arguments, undefined);
  });
});
