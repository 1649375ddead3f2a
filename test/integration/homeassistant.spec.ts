/**
 * easee-homeassistant → Node-RED's real `mqtt out` → the real Mosquitto on 127.0.0.1:1883, checked with a real MQTT
 * client the way Home Assistant sees the broker: retained discovery configs, retained states, availability,
 * stable unique ids across a redeploy, and removal. Every test uses its own discovery prefix and state base, and
 * deletes what it retained.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import { Inbox, type FlowNode, callText, loadFlow, nextCall } from "../helpers/flows";
import { discoveryProblems } from "../helpers/homeassistant";
import { MqttRecorder, clearRetained, coreMqttNodes, mqttOutNodes, retainedMessages, type ReceivedMessage } from "../helpers/mqtt";
import { helper, startServer, stopServer } from "../helpers/node-red";

interface Observed {
  readonly id: number;
  readonly name: string;
  readonly value: unknown;
  readonly label?: string;
  /** The state Home Assistant should read. */
  readonly state: string;
  readonly component: "sensor" | "binary_sensor";
}

/** One charger's worth of observations as easee-observations sends them, with the states they should give. */
function observations(round: 1 | 2): Observed[] {
  return [
    { id: 120, name: "TotalPower", value: round === 1 ? 7.2 : 3.6, state: round === 1 ? "7.2" : "3.6", component: "sensor" },
    { id: 124, name: "LifetimeEnergy", value: round === 1 ? 1234.5 : 1240, state: round === 1 ? "1234.5" : "1240", component: "sensor" },
    { id: 109, name: "ChargerOpMode", value: round === 1 ? 3 : 1, label: round === 1 ? "Charging" : "Disconnected", state: round === 1 ? "Charging" : "Disconnected", component: "sensor" },
    { id: 103, name: "CableLocked", value: round === 1, state: round === 1 ? "ON" : "OFF", component: "binary_sensor" },
    { id: 183, name: "InCurrent_T3", value: 15.9, state: "15.9", component: "sensor" },
    { id: 132, name: "WiFiRSSI", value: -61, state: "-61", component: "sensor" },
    { id: 80, name: "SoftwareRelease", value: 337, state: "337", component: "sensor" },
    { id: 250, name: "ConnectedToCloud", value: true, state: "ON", component: "binary_sensor" },
  ];
}

const CHARGERS = ["EH000101", "EH000102"];
const OBJECT_IDS: Record<string, string> = {
  TotalPower: "total_power",
  LifetimeEnergy: "lifetime_energy",
  ChargerOpMode: "charger_op_mode",
  CableLocked: "cable_locked",
  InCurrent_T3: "in_current_t3",
  WiFiRSSI: "wifi_rssi",
  SoftwareRelease: "software_release",
  ConnectedToCloud: "connected_to_cloud",
};

function observationMsg(chargerId: string, observed: Observed): NodeMessage {
  return {
    topic: `easee/${chargerId}/${observed.name}`,
    payload: observed.value,
    easee: {
      chargerId,
      observationId: observed.id,
      name: observed.name,
      known: true,
      ...(observed.label ? { label: observed.label } : {}),
      routingKey: `${chargerId}.O.${observed.id}`,
    },
  } as NodeMessage;
}

describe("easee-homeassistant → mqtt out → Mosquitto", function () {
  this.timeout(30000);
  let run = 0;
  let prefix = "";
  let base = "";
  let live: MqttRecorder | undefined;

  beforeEach(async () => {
    run++;
    prefix = `ha-it-${process.pid}-${Date.now()}-${run}`;
    base = `easee-it-${process.pid}-${Date.now()}-${run}`;
    await startServer();
    live = await MqttRecorder.connect();
    await live.subscribe(`${prefix}/#`, `${base}/#`);
  });

  afterEach(async () => {
    await live?.close();
    await stopServer();
    await clearRetained(`${prefix}/#`, `${base}/#`);
  });

  /** The HA node wired to a real mqtt out (and to a helper that counts what it sent); resolves once mqtt out is connected. */
  async function deploy(): Promise<Inbox> {
    const flow: FlowNode[] = [
      { id: "tab", type: "tab", label: "ha" },
      { id: "ha", type: "easee-homeassistant", z: "tab", name: "", prefix, stateTopic: base, selection: "useful", observations: "", retain: true, wires: [["mout", "sent"]] },
      { id: "sent", type: "helper", z: "tab" },
      ...(mqttOutNodes("tab", { broker: "broker", out: "mout" }) as FlowNode[]),
    ];
    await loadFlow([homeAssistantNode, coreMqttNodes()], flow);
    await nextCall("mout", "status", (args) => callText(args) === "node-red:common.status.connected", 10000);
    return new Inbox("sent");
  }

  function feed(round: 1 | 2): void {
    const node = helper.getNode("ha");
    for (const chargerId of CHARGERS) for (const observed of observations(round)) node.receive(observationMsg(chargerId, observed));
  }

  const stateTopic = (chargerId: string, observed: Observed) => `${base}/${chargerId}/${OBJECT_IDS[observed.name]}/state`;
  const configTopic = (chargerId: string, observed: Observed) => `${prefix}/${observed.component}/${chargerId}/${OBJECT_IDS[observed.name]}/config`;

  /** Waits until the broker has passed on the state of every observation of the round. */
  async function published(round: 1 | 2): Promise<void> {
    const expected = CHARGERS.flatMap((chargerId) => observations(round).map((observed) => [stateTopic(chargerId, observed), observed.state] as const));
    await live?.until(
      (messages) => expected.every(([topic, state]) => messages.some((message) => message.topic === topic && message.payload === state)),
      `states of round ${round}`,
    );
  }

  function configs(retained: Map<string, ReceivedMessage>): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const [topic, message] of retained) if (topic.endsWith("/config")) out.set(topic, JSON.parse(message.payload) as Record<string, unknown>);
    return out;
  }

  it("leaves retained configs Home Assistant accepts, with states matching the observations", async () => {
    await deploy();
    feed(1);
    await published(1);

    const retained = await retainedMessages(`${prefix}/#`, `${base}/#`);
    const found = configs(retained);
    assert.equal(found.size, CHARGERS.length * observations(1).length);
    for (const chargerId of CHARGERS) {
      for (const observed of observations(1)) {
        const topic = configTopic(chargerId, observed);
        const message = retained.get(topic);
        assert.ok(message, `retained config ${topic}`);
        assert.deepEqual(discoveryProblems(topic, message.payload, prefix), [], topic);
        const config = found.get(topic) as Record<string, unknown>;
        assert.equal(config.state_topic, stateTopic(chargerId, observed));
        assert.deepEqual((config.device as { identifiers: string[] }).identifiers, [`easee_${chargerId}`]);
        // SoftwareRelease came after the first entities: every retained config carries it anyway.
        assert.equal((config.device as { sw_version?: string }).sw_version, "337", topic);
        assert.equal(retained.get(stateTopic(chargerId, observed))?.payload, observed.state, `state of ${observed.name}`);
      }
      assert.equal(retained.get(`${base}/${chargerId}/availability`)?.payload, "online");
    }
    assert.equal(retained.get(`${base}/bridge/availability`)?.payload, "online");

    const energy = found.get(`${prefix}/sensor/EH000101/lifetime_energy/config`) as Record<string, unknown>;
    assert.deepEqual([energy.device_class, energy.state_class, energy.unit_of_measurement], ["energy", "total_increasing", "kWh"]);
    const opMode = found.get(`${prefix}/sensor/EH000101/charger_op_mode/config`) as Record<string, unknown>;
    assert.equal(opMode.device_class, "enum");
    assert.ok((opMode.options as string[]).includes("Charging"));
    const uniqueIds = [...found.values()].map((config) => config.unique_id);
    assert.equal(new Set(uniqueIds).size, uniqueIds.length);
  });

  it("keeps the same configs and unique ids after the flow is redeployed", async () => {
    await deploy();
    feed(1);
    await published(1);
    const before = configs(await retainedMessages(`${prefix}/#`));

    await helper.unload();
    const redeployedAt = live?.messages.length ?? 0;
    await deploy();
    feed(2);
    await published(2);
    const retained = await retainedMessages(`${prefix}/#`, `${base}/#`);
    const after = configs(retained);

    assert.equal(after.size, CHARGERS.length * observations(1).length);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [topic, config] of after) {
      assert.equal(config.unique_id, before.get(topic)?.unique_id, topic);
      assert.deepEqual(config, before.get(topic), topic);
      // The redeployed flow announced the entity again itself, ending with the very same config.
      const again = (live?.messages.slice(redeployedAt) ?? []).filter((message) => message.topic === topic);
      assert.ok(again.length > 0, `${topic} announced again after the redeploy`);
      assert.deepEqual(JSON.parse(again[again.length - 1]?.payload ?? "null"), config, topic);
    }
    for (const observed of observations(2)) assert.equal(retained.get(stateTopic("EH000102", observed))?.payload, observed.state);
  });

  it("clears every retained config, state and availability on remove", async () => {
    const sent = await deploy();
    feed(1);
    await published(1);
    const before = await retainedMessages(`${prefix}/#`, `${base}/#`);
    assert.ok(before.size > 0);

    helper.getNode("ha").receive({ topic: "remove" } as NodeMessage);
    // Home Assistant deletes an entity when its config topic gets an empty retained payload.
    await live?.until(
      (messages) => [...before.keys()].every((topic) => messages.some((message) => message.topic === topic && message.payload === "")),
      "empty payloads on every retained topic",
    );
    const after = await retainedMessages(`${prefix}/#`, `${base}/#`);
    assert.deepEqual([...after.keys()], []);
    assert.ok(sent.msgs.length > before.size);
  });
});
