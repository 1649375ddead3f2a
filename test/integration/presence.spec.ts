/**
 * Presence and Equalizers end to end: the simulator on the real RabbitMQ (a charger told to go silent and come
 * back over its HTTP control endpoint, an Equalizer publishing grid data) → easee-config → easee-observations on a
 * fast silence time → (easee-homeassistant → mqtt out → the real Mosquitto).
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import configNode from "../../nodes/easee-config";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import { startSimulator, type Simulator } from "../../simulator";
import { Inbox, type FlowNode, callText, loadFlow, nextCall } from "../helpers/flows";
import { discoveryProblems } from "../helpers/homeassistant";
import { MqttRecorder, clearRetained, coreMqttNodes, mqttOutNodes, retainedMessages } from "../helpers/mqtt";
import { startServer, stopServer } from "../helpers/node-red";

/** 0.01 minutes = 600 ms of silence: quick, yet far longer than a delivery takes on this machine. */
const SILENCE_MINUTES = 0.01;

interface Easee {
  chargerId: string;
  name: string;
  device: string;
  unit?: string | null;
  presence?: { online: boolean; state: string; previous: string; reason: string; connectedToCloud?: boolean };
}

const easeeOf = (msg: NodeMessage): Easee => (msg as NodeMessage & { easee: Easee }).easee;

async function post(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

describe("presence and Equalizers through the real stream", function () {
  this.timeout(60000);
  let sim: Simulator | undefined;
  let prefix = "";
  let base = "";
  let live: MqttRecorder | undefined;

  beforeEach(async () => {
    const run = `${process.pid}-${Date.now()}`;
    prefix = `ha-presence-${run}`;
    base = `easee-presence-${run}`;
    // Not live: the test decides who speaks, so silence is silence.
    sim = await startSimulator({ chargers: 2, equalizers: 1, startCharging: 1, live: false, onError: () => undefined });
    await startServer();
  });

  afterEach(async () => {
    await live?.close();
    live = undefined;
    await stopServer();
    await sim?.close();
    await clearRetained(`${prefix}/#`, `${base}/#`);
  });

  function configFlow(): FlowNode {
    const simulator = sim as Simulator;
    return { id: "cfg", type: "easee-config", name: "simulator", apiUrl: simulator.apiUrl, rejectUnauthorized: true, heartbeat: 30, prefetch: 200 };
  }

  const credentials = () => ({ cfg: { username: (sim as Simulator).credentials.userName, password: (sim as Simulator).credentials.password } });

  async function boot(): Promise<void> {
    const simulator = sim as Simulator;
    for (const charger of simulator.chargers) await simulator.publisher.publishObservations(charger.serial, charger.boot());
    for (const equalizer of simulator.equalizers) await simulator.publisher.publishObservations(equalizer.serial, equalizer.boot());
  }

  async function waitFor(inbox: Inbox, check: (msg: NodeMessage) => boolean, what: string, timeoutMs = 10000): Promise<NodeMessage> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      const found = inbox.msgs.slice(seen).find(check);
      if (found) return found;
      seen = inbox.msgs.length;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
      await inbox.waitFor(seen + 1, left).catch(() => undefined);
    }
  }

  it("a silenced charger goes offline after the silence time and comes back when it speaks; Equalizer data decodes", async () => {
    const simulator = sim as Simulator;
    await loadFlow(
      [configNode, observationsNode],
      [
        { id: "tab", type: "tab", label: "presence" },
        configFlow(),
        { id: "obs", type: "easee-observations", z: "tab", name: "", config: "cfg", topic: "", chargers: "", includeUnknown: true, maxAgeSeconds: 0, presence: true, silenceMinutes: SILENCE_MINUTES, wires: [["out"]] },
        { id: "out", type: "helper", z: "tab" },
      ],
      credentials(),
    );
    const out = new Inbox("out");
    await nextCall("obs", "status", (args) => /connected|msg\/s/.test(callText(args)), 15000);
    await boot();

    const power = await waitFor(out, (msg) => easeeOf(msg).chargerId === "QH000001" && easeeOf(msg).name === "ActivePowerImport", "Equalizer power");
    assert.equal(easeeOf(power).device, "equalizer");
    assert.equal(easeeOf(power).unit, "kW");
    assert.equal(typeof power.payload, "number");
    const energy = await waitFor(out, (msg) => easeeOf(msg).chargerId === "QH000001" && easeeOf(msg).name === "CumulativeActivePowerImport", "Equalizer energy");
    assert.equal(easeeOf(energy).unit, "kWh");
    const chargerMsg = await waitFor(out, (msg) => easeeOf(msg).chargerId === "EH000001" && easeeOf(msg).name === "TotalPower", "charger power");
    assert.equal(easeeOf(chargerMsg).device, "charger");

    // The charger's network goes: told over the simulator's HTTP control endpoint.
    assert.equal(await post(`${simulator.apiUrl}/simulator/devices/EH000001/presence`, { silent: true }), 200);
    const offline = await waitFor(out, (msg) => msg.topic === "easee/EH000001/Online" && msg.payload === false, "EH000001 offline");
    assert.deepEqual([easeeOf(offline).presence?.reason, easeeOf(offline).presence?.previous], ["silence", "online"]);
    // Silent means silent: what it does meanwhile never arrives.
    await simulator.publisher.publishObservations("EH000001", [{ observationId: 120, value: 9.9 }]);

    assert.equal(await post(`${simulator.apiUrl}/simulator/devices/EH000001/presence`, { silent: false }), 200);
    const back = await waitFor(out, (msg) => msg.topic === "easee/EH000001/Online" && msg.payload === true, "EH000001 back");
    assert.deepEqual([easeeOf(back).presence?.previous, easeeOf(back).presence?.reason, easeeOf(back).presence?.connectedToCloud], ["offline", "cloudConnected", true]);
    assert.ok(!out.msgs.some((msg) => msg.payload === 9.9), "nothing of the silent time arrived");
    assert.equal(await post(`${simulator.apiUrl}/simulator/devices/EH999999/presence`, { silent: true }), 404);
  });

  it("Home Assistant: availability, Online and Last seen follow presence in Mosquitto; the Equalizer is its own device", async () => {
    const simulator = sim as Simulator;
    live = await MqttRecorder.connect();
    await live.subscribe(`${prefix}/#`, `${base}/#`);
    await loadFlow(
      [configNode, observationsNode, homeAssistantNode, coreMqttNodes()],
      [
        { id: "tab", type: "tab", label: "presence ha" },
        configFlow(),
        { id: "obs", type: "easee-observations", z: "tab", name: "", config: "cfg", topic: "", chargers: "", includeUnknown: true, maxAgeSeconds: 0, presence: true, silenceMinutes: SILENCE_MINUTES, wires: [["ha"]] },
        { id: "ha", type: "easee-homeassistant", z: "tab", name: "", config: "cfg", prefix, stateTopic: base, selection: "useful", observations: "", retain: true, wires: [["mout"]] },
        ...(mqttOutNodes("tab", { broker: "broker", out: "mout" }) as FlowNode[]),
      ],
      credentials(),
    );
    await nextCall("mout", "status", (args) => callText(args) === "node-red:common.status.connected", 10000);
    await nextCall("obs", "status", (args) => /connected|msg\/s/.test(callText(args)), 15000);
    await boot();

    const recorder = live;
    const last = (topic: string) => recorder.on(topic).at(-1)?.payload;
    await recorder.until(() => last(`${base}/EH000001/online/state`) === "ON" && last(`${base}/EH000001/availability`) === "online", "EH000001 online");
    await simulator.silence("EH000001");
    await recorder.until(() => last(`${base}/EH000001/availability`) === "offline" && last(`${base}/EH000001/online/state`) === "OFF", "EH000001 offline in Mosquitto");
    const lastSeen = last(`${base}/EH000001/last_seen/state`);
    assert.ok(lastSeen !== undefined && Number.isFinite(Date.parse(lastSeen)), `last seen is a time: ${lastSeen}`);
    await simulator.speak("EH000001");
    await recorder.until(() => last(`${base}/EH000001/availability`) === "online" && last(`${base}/EH000001/online/state`) === "ON", "EH000001 back in Mosquitto");

    const retained = await retainedMessages(`${prefix}/#`, `${base}/#`);
    const configs = [...retained].filter(([topic]) => topic.endsWith("/config"));
    for (const [topic, message] of configs) assert.deepEqual(discoveryProblems(topic, message.payload, prefix), [], topic);
    const online = JSON.parse(retained.get(`${prefix}/binary_sensor/EH000001/online/config`)?.payload ?? "{}") as { device_class?: string };
    assert.equal(online.device_class, "connectivity");
    const energy = JSON.parse(retained.get(`${prefix}/sensor/QH000001/cumulative_active_power_import/config`)?.payload ?? "{}") as {
      device_class?: string;
      state_class?: string;
      unit_of_measurement?: string;
      device?: { model?: string; identifiers?: string[] };
    };
    assert.deepEqual([energy.device_class, energy.state_class, energy.unit_of_measurement], ["energy", "total_increasing", "kWh"]);
    assert.equal(energy.device?.model, "Equalizer");
    assert.ok(retained.has(`${prefix}/sensor/QH000001/active_power_import/config`));
    assert.ok(!retained.has(`${prefix}/binary_sensor/QH000001/is_enabled/config`), "Equalizer id 31 is a current, not IsEnabled");
  });
});
