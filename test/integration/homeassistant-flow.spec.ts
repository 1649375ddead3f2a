/**
 * The whole path a Home Assistant user wires: the simulator publishing on the real RabbitMQ → easee-config →
 * easee-observations → easee-homeassistant → Node-RED's mqtt out → the real Mosquitto, read back with a real
 * MQTT client. Own discovery prefix and state base per test; retained topics are deleted afterwards.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import configNode from "../../nodes/easee-config";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import { createSelection, snakeCase } from "../../core/homeassistant";
import { startSimulator, type Simulator } from "../../simulator";
import { Inbox, type FlowNode, callText, loadFlow, nextCall } from "../helpers/flows";
import { discoveryProblems } from "../helpers/homeassistant";
import { MqttRecorder, clearRetained, coreMqttNodes, mqttOutNodes, retainedMessages } from "../helpers/mqtt";
import { startServer, stopServer } from "../helpers/node-red";

interface EaseeFields {
  chargerId: string;
  observationId: number;
  name: string;
  label?: string;
}

/** What Home Assistant should show for an observation msg, worked out independently of the node's code. */
function expectedState(msg: NodeMessage): string | undefined {
  const easee = (msg as { easee: EaseeFields }).easee;
  if (typeof easee.label === "string") return easee.label;
  if (typeof msg.payload === "boolean") return msg.payload ? "ON" : "OFF";
  if (typeof msg.payload === "number") return String(msg.payload);
  return undefined;
}

describe("simulator → observations → homeassistant → mqtt out → Mosquitto", function () {
  this.timeout(60000);
  let sim: Simulator | undefined;
  let prefix = "";
  let base = "";
  let live: MqttRecorder | undefined;

  beforeEach(async () => {
    const run = `${process.pid}-${Date.now()}`;
    prefix = `ha-flow-${run}`;
    base = `easee-flow-${run}`;
    // Not live: the test publishes (boot, then simulated minutes) itself, so it knows when the stream has ended.
    sim = await startSimulator({ chargers: 2, startCharging: 1, live: false, onError: () => undefined });
    await startServer();
    live = await MqttRecorder.connect();
    await live.subscribe(`${prefix}/#`, `${base}/#`);
  });

  afterEach(async () => {
    await live?.close();
    await stopServer();
    await sim?.close();
    await clearRetained(`${prefix}/#`, `${base}/#`);
  });

  async function deploy(): Promise<Inbox> {
    const simulator = sim as Simulator;
    const flow: FlowNode[] = [
      { id: "tab", type: "tab", label: "ha flow" },
      { id: "cfg", type: "easee-config", name: "simulator", apiUrl: simulator.apiUrl, rejectUnauthorized: true, heartbeat: 30, prefetch: 200 },
      { id: "obs", type: "easee-observations", z: "tab", name: "", config: "cfg", topic: "easee/{chargerId}/{name}", chargers: "", includeUnknown: true, maxAgeSeconds: 0, wires: [["ha", "seen"]] },
      { id: "seen", type: "helper", z: "tab" },
      { id: "ha", type: "easee-homeassistant", z: "tab", name: "", config: "cfg", prefix, stateTopic: base, selection: "useful", observations: "", retain: true, wires: [["mout"]] },
      ...(mqttOutNodes("tab", { broker: "broker", out: "mout" }) as FlowNode[]),
    ];
    await loadFlow([configNode, observationsNode, homeAssistantNode, coreMqttNodes()], flow, {
      cfg: { username: simulator.credentials.userName, password: simulator.credentials.password },
    });
    const seen = new Inbox("seen");
    // mqtt out drops what arrives before it is connected (the birth-message republish covers that for users).
    await nextCall("mout", "status", (args) => callText(args) === "node-red:common.status.connected", 10000);
    return seen;
  }

  /** The chargers boot and run for a few simulated minutes, on the real RabbitMQ. */
  async function play(minutes: number): Promise<void> {
    const simulator = sim as Simulator;
    for (const charger of simulator.chargers) await simulator.publisher.publishObservations(charger.serial, charger.boot());
    for (let minute = 0; minute < minutes; minute++) await simulator.publisher.tick(1000);
  }

  /**
   * A last observation behind everything published so far: once its state is on the broker, the queue is drained
   * and everything before it has been through the flow (one consumer, in order, one QoS on the MQTT side).
   */
  async function drain(): Promise<void> {
    const simulator = sim as Simulator;
    const marker = `drained-${Date.now()}`;
    for (const charger of simulator.chargers) await simulator.publisher.publishObservations(charger.serial, [{ observationId: 251, value: marker }]);
    const topics = simulator.chargers.map((charger) => `${base}/${charger.serial}/cloud_disconnect_reason/state`);
    await live?.until((messages) => topics.every((topic) => messages.some((message) => message.topic === topic && message.payload === marker)), "the last observation");
  }

  const serials = () => (sim as Simulator).chargers.map((charger) => charger.serial);

  it("announces every charger with valid retained configs and states that match the stream", async () => {
    const seen = await deploy();
    await play(5);
    await drain();

    // Last value of every selected observation seen, by the state topic its entity reads.
    const useful = createSelection("useful");
    assert.ok(useful.ok);
    const expected = new Map<string, string>();
    for (const msg of seen.msgs) {
      const easee = (msg as { easee: EaseeFields }).easee;
      const state = expectedState(msg);
      if (state !== undefined && useful.selection.includes(easee.observationId)) {
        expected.set(`${base}/${easee.chargerId}/${snakeCase(easee.name)}/state`, state);
      }
    }
    const wanted = serials().flatMap((serial) => [
      `${prefix}/sensor/${serial}/charger_op_mode/config`,
      `${prefix}/sensor/${serial}/lifetime_energy/config`,
      `${prefix}/sensor/${serial}/total_power/config`,
      `${prefix}/binary_sensor/${serial}/connected_to_cloud/config`,
    ]);

    const retained = await retainedMessages(`${prefix}/#`, `${base}/#`);
    const configs = [...retained].filter(([topic]) => topic.endsWith("/config"));
    for (const topic of wanted) assert.ok(retained.has(topic), `retained ${topic}`);
    for (const [topic, message] of configs) assert.deepEqual(discoveryProblems(topic, message.payload, prefix), [], topic);
    assert.ok(expected.size >= 40, `${expected.size} states compared`);
    for (const [topic, state] of expected) assert.equal(retained.get(topic)?.payload, state, topic);

    for (const serial of serials()) {
      const device = (JSON.parse(retained.get(`${prefix}/sensor/${serial}/lifetime_energy/config`)?.payload ?? "{}") as { device?: { sw_version?: string } }).device;
      assert.equal(device?.sw_version, "321", `${serial} software version from SoftwareRelease`);
      assert.equal(retained.get(`${base}/${serial}/availability`)?.payload, "online");
    }
    assert.equal(retained.get(`${base}/bridge/availability`)?.payload, "online");
  });

  it("marks the entities unavailable when the AMQP stream goes away", async () => {
    await deploy();
    await play(0);
    const serial = serials()[0] as string;
    await live?.until((messages) => messages.some((message) => message.topic === `${prefix}/sensor/${serial}/total_power/config`), "first config");
    assert.equal(live?.on(`${base}/bridge/availability`).at(-1)?.payload, "online");
    // Deleting the operator queue cancels the config node's consumer: the bridge is no longer connected.
    await (sim as Simulator).close();
    await live?.until((messages) => [...messages].reverse().find((message) => message.topic === `${base}/bridge/availability`)?.payload === "offline", "bridge offline");
    await nextCall("ha", "status", (args) => callText(args) === "easee-homeassistant.status.offline");
  });
});

