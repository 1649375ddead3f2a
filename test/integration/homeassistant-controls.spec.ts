/**
 * Home Assistant controls end to end, acting as Home Assistant would: the simulator's chargers on the real RabbitMQ
 * → easee-config → easee-observations → easee-homeassistant → mqtt out → the real Mosquitto; a real MQTT client
 * reads the retained discovery configs and publishes to a control's command_topic → mqtt in → easee-homeassistant
 * → easee-command → the simulated charger, whose answer and new observation come back the same way. The flow is
 * examples/"Easee to Home Assistant.json" with the account, broker and topics filled in as a user would.
 * Own discovery prefix and state root per test; retained topics are deleted afterwards.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import commandNode from "../../nodes/easee-command";
import configNode from "../../nodes/easee-config";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import { startSimulator, type CommandEvent, type Simulator } from "../../simulator";
import { type FlowNode, callText, coreNodeModule, loadFlow, nextCall } from "../helpers/flows";
import { discoveryProblems } from "../helpers/homeassistant";
import { MQTT_URL, MqttRecorder, clearRetained, coreMqttNodes, retainedMessages, type ReceivedMessage } from "../helpers/mqtt";
import { startServer, stopServer } from "../helpers/node-red";

// The compiled spec runs from <build>/test/integration/; the example stays at the package root.
const EXAMPLE = path.join(__dirname, "..", "..", "..", "examples", "Easee to Home Assistant.json");

describe("Home Assistant controls (the shipped example): Mosquitto → homeassistant → easee-command → simulator and back", function () {
  this.timeout(60000);
  let sim: Simulator | undefined;
  let prefix = "";
  let base = "";
  let ha: MqttRecorder | undefined;
  const commands: CommandEvent[] = [];
  let commandWaiters: (() => void)[] = [];

  beforeEach(async () => {
    const run = `${process.pid}-${Date.now()}`;
    prefix = `ha-controls-${run}`;
    base = `easee-controls-${run}`;
    commands.length = 0;
    sim = await startSimulator({
      chargers: 1,
      startCharging: 1,
      live: false,
      onError: () => undefined,
      onCommand: (event) => {
        commands.push(event);
        for (const wake of commandWaiters) wake();
      },
    });
    await startServer();
    ha = await MqttRecorder.connect();
    await ha.subscribe(`${prefix}/#`, `${base}/#`);
  });

  afterEach(async () => {
    commandWaiters = [];
    await ha?.close();
    await stopServer();
    await sim?.close();
    await clearRetained(`${prefix}/#`, `${base}/#`);
  });

  /**
   * The shipped example, as a user fills it in: the Easee account (here the simulator), the broker (the test
   * Mosquitto), and this test's discovery prefix and state root; the reboot button ticked; a short command timeout.
   */
  async function deploy(): Promise<void> {
    const simulator = sim as Simulator;
    const url = new URL(MQTT_URL);
    const example = JSON.parse(fs.readFileSync(EXAMPLE, "utf8")) as FlowNode[];
    const flow = example.map((node): FlowNode => {
      switch (node.type) {
        case "easee-config":
          return { ...node, apiUrl: simulator.apiUrl };
        case "mqtt-broker":
          return { ...node, broker: url.hostname, port: url.port || "1883", closeTopic: `${base}/bridge/availability`, willTopic: `${base}/bridge/availability` };
        case "easee-homeassistant":
          return { ...node, prefix, stateTopic: base, reboot: true };
        case "mqtt in":
          return { ...node, topic: node.topic === "homeassistant/status" ? `${prefix}/status` : `${base}/+/+/set` };
        case "easee-command":
          return { ...node, timeoutSeconds: 3 };
        default:
          return node;
      }
    });
    const byType = (type: string) => flow.filter((node) => node.type === type).map((node) => node.id);
    const config = byType("easee-config")[0] as string;
    await loadFlow(
      [configNode, observationsNode, homeAssistantNode, commandNode, coreMqttNodes(), coreNodeModule("common/20-inject.js"), coreNodeModule("common/90-comment.js")],
      flow,
      { [config]: { username: simulator.credentials.userName, password: simulator.credentials.password } },
    );
    for (const id of [...byType("mqtt out"), ...byType("mqtt in")]) {
      await nextCall(id, "status", (args) => callText(args) === "node-red:common.status.connected", 10000);
    }
  }

  /** The charger boots: its observations go through the flow and its entities are announced. */
  async function boot(): Promise<string> {
    const simulator = sim as Simulator;
    const charger = simulator.chargers[0];
    assert.ok(charger);
    await simulator.publisher.publishObservations(charger.serial, charger.boot());
    return charger.serial;
  }

  /** Publishes as Home Assistant does when the user moves a control (not retained, QoS 0 unless set). */
  async function press(topic: string, payload: string): Promise<void> {
    await (ha as MqttRecorder).client.publishAsync(topic, payload, { qos: 1 });
  }

  async function commandReached(check: (event: CommandEvent) => boolean, what: string): Promise<CommandEvent> {
    const deadline = Date.now() + 15000;
    for (;;) {
      const found = commands.find(check);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not handled by the simulator (${commands.length} commands)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        commandWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  const last = (messages: readonly ReceivedMessage[], topic: string) => [...messages].reverse().find((message) => message.topic === topic);

  async function stateBecomes(topic: string, payload: string, what: string): Promise<void> {
    await (ha as MqttRecorder).until((messages) => last(messages, topic)?.payload === payload, what, 15000);
  }

  it("sets the dynamic current from the number's command_topic; the state follows the charger's report", async () => {
    await deploy();
    const serial = await boot();
    const numberTopic = `${prefix}/number/${serial}/dynamic_charger_current/config`;
    await ha?.until((messages) => messages.some((message) => message.topic === numberTopic), "number config");

    const retained = await retainedMessages(`${prefix}/#`);
    const wanted = ["number/%s/dynamic_charger_current", "switch/%s/enabled", "switch/%s/smart_charging", "button/%s/reboot", "sensor/%s/last_command"];
    for (const path of wanted) {
      const topic = `${prefix}/${path.replace("%s", serial)}/config`;
      const config = retained.get(topic);
      assert.ok(config, `retained ${topic}`);
      assert.deepEqual(discoveryProblems(topic, config.payload, prefix), [], topic);
    }
    const number = JSON.parse(retained.get(numberTopic)?.payload ?? "{}") as { command_topic: string; state_topic: string; max: number };
    assert.equal(number.max, 32, "max from the charger's MaxChargerCurrent");
    await stateBecomes(number.state_topic, "32", "the charger's dynamic current before the command");

    await press(number.command_topic, "10");
    const event = await commandReached((e) => e.commandId === 48, "SetDynamicChargerCurrent");
    assert.deepEqual(event.body?.Arguments?.find((argument) => Number(argument.Id) === 1)?.Value, "10");
    assert.equal(event.result?.wasAccepted, true);
    await stateBecomes(number.state_topic, "10", "the number's state from the charger's DynamicChargerCurrent");
    await stateBecomes(`${base}/${serial}/last_command/state`, "accepted", "last command accepted");
    const attributes = JSON.parse(last(ha?.messages ?? [], `${base}/${serial}/last_command/attributes`)?.payload ?? "{}") as Record<string, unknown>;
    assert.equal(attributes.command, "SetDynamicChargerCurrent");
    assert.deepEqual(attributes.arguments, { Current_Amp: 10 });
  });

  it("shows a refused command in the last-command sensor, and the switch keeps the charger's state", async () => {
    await deploy();
    const serial = await boot();
    const enabledTopic = `${prefix}/switch/${serial}/enabled/config`;
    await ha?.until((messages) => messages.some((message) => message.topic === enabledTopic), "switch config");
    const enabled = JSON.parse(last(ha?.messages ?? [], enabledTopic)?.payload ?? "{}") as { command_topic: string; state_topic: string };
    await stateBecomes(enabled.state_topic, "ON", "enabled before the command");

    // A rebooting charger refuses commands.
    await press(`${base}/${serial}/reboot/set`, "PRESS");
    await commandReached((e) => e.commandId === 1, "Reboot");
    await stateBecomes(`${base}/${serial}/last_command/state`, "accepted", "reboot accepted");

    await press(enabled.command_topic, "OFF");
    const refused = await commandReached((e) => e.commandId === 29, "SetEnabled");
    assert.equal(refused.result?.wasAccepted, false);
    await stateBecomes(`${base}/${serial}/last_command/state`, "refused", "last command refused");
    const attributes = JSON.parse(last(ha?.messages ?? [], `${base}/${serial}/last_command/attributes`)?.payload ?? "{}") as Record<string, unknown>;
    assert.deepEqual([attributes.command, attributes.comment], ["SetEnabled", "charger is rebooting"]);
    // The state is the charger's: still ON (the value asked for never shows).
    assert.equal(last(ha?.messages ?? [], enabled.state_topic)?.payload, "ON");
    assert.equal((await retainedMessages(enabled.state_topic)).get(enabled.state_topic)?.payload, "ON");
  });

  it("shows a command nobody answers as timed out, through the Catch node", async () => {
    await deploy();
    await boot();
    // A charger the simulator does not know: the command goes out and no answer comes back.
    await press(`${base}/EH999999/smart_charging/set`, "ON");
    await stateBecomes(`${base}/EH999999/last_command/state`, "sent", "last command sent");
    await (ha as MqttRecorder).until(
      (messages) => last(messages, `${base}/EH999999/last_command/state`)?.payload === "timeout",
      "last command timed out",
      15000,
    );
  });
});
