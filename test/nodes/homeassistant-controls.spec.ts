/**
 * easee-homeassistant's controls in a real Node-RED runtime (test helper): commands from Home Assistant (as an
 * `mqtt in` hands them over) leave on output 2 in easee-command's input shape; easee-command's answers and, through
 * a Catch node, its errors come back in and set the last-command sensor. A stand-in `easee-command` type only
 * raises errors the way the real node does (node.error(text, msg)); the real one is in the integration test.
 */
import assert from "node:assert/strict";
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import { discoveryProblems } from "../helpers/homeassistant";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { Inbox, type FlowNode, callText, calls, english, loadFlow, nextCall } from "../helpers/flows";

/** Stand-in for easee-command's error path: every msg is a failure reported with node.error(text, msg). */
function failingCommandModule(RED: NodeAPI): void {
  function FailingCommand(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    this.on("input", (msg, _send, done) => {
      this.error(`no response from ${String((msg as { chargerId?: unknown }).chargerId)} within 30 s`, msg);
      done();
    });
  }
  RED.nodes.registerType("easee-command", FailingCommand);
}

interface Props {
  controls?: boolean;
  reboot?: boolean;
  phases?: boolean;
}

function flow(props: Props): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "ha", type: "easee-homeassistant", z: "tab", name: "", prefix: "homeassistant", stateTopic: "easee", selection: "useful", observations: "", retain: true, wires: [["out"], ["cmd"]], ...props },
    { id: "out", type: "helper", z: "tab" },
    { id: "cmd", type: "helper", z: "tab" },
    // The failing stand-in is fed from its own inject-like entry: the test sends to it directly.
    { id: "failing", type: "easee-command", z: "tab", wires: [[], []] },
    // One Catch node per flow: the test helper loads the catch module once per catch node and refuses the second.
    { id: "catchCommand", type: "catch", z: "tab", scope: ["failing"], uncaught: false, wires: [["ha"]] },
  ];
}

async function load(props: Props): Promise<{ out: Inbox; cmd: Inbox }> {
  await loadFlow([homeAssistantNode, failingCommandModule], flow(props));
  return { out: new Inbox("out"), cmd: new Inbox("cmd") };
}

/** The text and msg of the next node.error(text, msg) of the home assistant node (what a Catch node would get). */
async function nextError(): Promise<{ text: string; msg: NodeMessage }> {
  const seen = calls("ha", "error").length;
  const args = await nextCall("ha", "error", () => calls("ha", "error").length > seen);
  return { text: callText(args), msg: args[1] as NodeMessage };
}

function send(id: string, msg: Record<string, unknown>): void {
  helper.getNode(id).receive(msg as NodeMessage);
}

function observation(observationId: number, name: string, payload: unknown): Record<string, unknown> {
  return { topic: `easee/EH123456/${name}`, payload, easee: { chargerId: "EH123456", observationId, name, known: true } };
}

/** Waits until a msg on `topic` (with `payload`, when given) has arrived at the inbox, and returns the last such. */
async function waitForTopic(inbox: Inbox, topic: string, payload?: string): Promise<NodeMessage> {
  for (;;) {
    const found = [...inbox.msgs].reverse().find((msg) => msg.topic === topic && (payload === undefined || msg.payload === payload));
    if (found) return found;
    await inbox.next();
  }
}

describe("easee-homeassistant node: controls", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("announces the controls and turns a Home Assistant command into an easee-command msg on output 2", async () => {
    const { out, cmd } = await load({ controls: true, reboot: true, phases: true });
    send("ha", observation(120, "TotalPower", 7.2));
    const announced = await out.waitFor(10);
    for (const topic of [
      "homeassistant/number/EH123456/dynamic_charger_current/config",
      "homeassistant/switch/EH123456/enabled/config",
      "homeassistant/switch/EH123456/smart_charging/config",
      "homeassistant/button/EH123456/reboot/config",
      "homeassistant/select/EH123456/phases/config",
      "homeassistant/sensor/EH123456/last_command/config",
    ]) {
      const config = announced.find((msg) => msg.topic === topic);
      assert.ok(config, topic);
      assert.deepEqual(discoveryProblems(topic, String(config.payload)), [], topic);
    }
    assert.equal(cmd.msgs.length, 0);

    // What an `mqtt in` on easee/+/+/set passes on (payload as a Buffer when its output is "a Buffer").
    send("ha", { topic: "easee/EH123456/dynamic_charger_current/set", payload: Buffer.from("13"), qos: 0, retain: false });
    const command = await cmd.next();
    assert.deepEqual({ topic: command.topic, chargerId: (command as { chargerId?: unknown }).chargerId, payload: command.payload }, {
      topic: "SetDynamicChargerCurrent",
      chargerId: "EH123456",
      payload: { Current_Amp: 13 },
    });
    assert.equal((await waitForTopic(out, "easee/EH123456/last_command/state")).payload, "sent");

    send("ha", { topic: "easee/EH123456/reboot/set", payload: "PRESS" });
    assert.deepEqual((await cmd.next()).topic, "Reboot");
  });

  it("does not act on a retained command (the broker would replay it at every reconnect)", async () => {
    const { out, cmd } = await load({ controls: true, reboot: true });
    send("ha", observation(120, "TotalPower", 7.2));
    await out.waitFor(9);
    const warning = nextCall("ha", "warn");
    send("ha", { topic: "easee/EH123456/reboot/set", payload: "PRESS", retain: true });
    assert.equal(callText(await warning), english("easee-homeassistant.warn.retainedCommand", { topic: "easee/EH123456/reboot/set" }));
    send("ha", { topic: "easee/EH123456/reboot/set", payload: "PRESS", retain: false });
    assert.equal((await cmd.next()).topic, "Reboot");
    assert.equal(cmd.msgs.length, 1);
  });

  it("shows easee-command's answer in the last-command sensor: a refused command is visible", async () => {
    const { out } = await load({ controls: true });
    send("ha", observation(120, "TotalPower", 7.2));
    await out.waitFor(8);
    // easee-command output 1, as CONTRACT.md specifies it.
    send("ha", {
      topic: "SetEnabled",
      payload: { accepted: false, resultCode: 4, comment: "charger is rebooting" },
      easee: { chargerId: "EH123456", commandId: 29, command: "SetEnabled", ticks: "638", arguments: { IsEnabled: false }, respondedAt: "2026-12-01T10:00:00.000Z", latencyMs: 400 },
    });
    const attributes = await waitForTopic(out, "easee/EH123456/last_command/attributes");
    assert.equal(JSON.parse(String(attributes.payload)).comment, "charger is rebooting");
    assert.equal((await waitForTopic(out, "easee/EH123456/last_command/state")).payload, "refused");
  });

  it("shows easee-command's errors, passed on by a Catch node, as failed", async () => {
    const { out } = await load({ controls: true });
    send("ha", observation(120, "TotalPower", 7.2));
    await out.waitFor(8);
    send("failing", { topic: "SetEnabled", chargerId: "EH123456", payload: { IsEnabled: true } });
    assert.equal((await waitForTopic(out, "easee/EH123456/last_command/state")).payload, "failed");
    const attributes = JSON.parse(String((await waitForTopic(out, "easee/EH123456/last_command/attributes")).payload)) as Record<string, unknown>;
    assert.deepEqual([attributes.command, attributes.error], ["SetEnabled", "no response from EH123456 within 30 s"]);
  });

  it("reports a command it cannot translate to Catch nodes, sends nothing to easee-command, and shows it as failed", async () => {
    const { out, cmd } = await load({ controls: true });
    send("ha", observation(47, "MaxChargerCurrent", 16));
    await out.waitFor(8);
    const error = nextError();
    send("ha", { topic: "easee/EH123456/dynamic_charger_current/set", payload: "20" });
    const text = english("easee-homeassistant.errors.outOfRange", { control: "dynamic_charger_current", value: "20", min: 0, max: 16 });
    assert.equal((await error).text, text);
    assert.equal((await error).msg.topic, "easee/EH123456/dynamic_charger_current/set");
    assert.equal((await waitForTopic(out, "easee/EH123456/last_command/state")).payload, "failed");
    assert.equal(JSON.parse(String((await waitForTopic(out, "easee/EH123456/last_command/attributes")).payload)).error, text);

    const unknown = nextError();
    send("ha", { topic: "easee/EH123456/phases/set", payload: "1" });
    assert.equal((await unknown).text, english("easee-homeassistant.errors.unknownControl", { control: "phases" }));
    assert.equal(cmd.msgs.length, 0);
  });

  it("stays read-only for a node saved before controls existed (no controls property)", async () => {
    const { out, cmd } = await load({});
    send("ha", observation(120, "TotalPower", 7.2));
    const msgs = await out.waitFor(4);
    assert.ok(msgs.every((msg) => !/\/(number|switch|button|select)\/|last_command/.test(String(msg.topic))));
    const error = nextError();
    send("ha", { topic: "easee/EH123456/enabled/set", payload: "ON" });
    assert.equal((await error).text, english("easee-homeassistant.errors.controlsOff"));
    assert.equal(cmd.msgs.length, 0);
  });

  it("deletes the controls on remove", async () => {
    const { out } = await load({ controls: true, reboot: true });
    send("ha", observation(120, "TotalPower", 7.2));
    const before = (await out.waitFor(9)).length;
    send("ha", { topic: "remove", payload: "EH123456" });
    await waitForTopic(out, "homeassistant/button/EH123456/reboot/config", "");
    await waitForTopic(out, "easee/EH123456/availability", "");
    const removed = out.msgs.slice(before);
    for (const topic of ["homeassistant/number/EH123456/dynamic_charger_current/config", "homeassistant/sensor/EH123456/last_command/config", "easee/EH123456/last_command/state"]) {
      assert.ok(removed.some((msg) => msg.topic === topic && msg.payload === ""), topic);
    }
  });
});
