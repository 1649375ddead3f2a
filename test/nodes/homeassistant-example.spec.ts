/**
 * examples/"Easee to Home Assistant.json" deploys on the real runtime as a user imports it: every node is created, the
 * home assistant node is wired to mqtt out and fed by observations, the birth message and the remove button, and the
 * control loop is closed: Home Assistant's commands (mqtt in) → home assistant → easee-command → back with answers
 * and errors. The loop itself runs end to end in test/integration/homeassistant-controls.spec.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import commandNode from "../../nodes/easee-command";
import configNode from "../../nodes/easee-config";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import { type FlowNode, callText, coreNodeModule, loadFlow, nextCall } from "../helpers/flows";
import { clearRetained, coreMqttNodes } from "../helpers/mqtt";
import { helper, startServer, stopServer } from "../helpers/node-red";

// The compiled spec runs from <build>/test/nodes/; the example stays at the package root.
const EXAMPLE = path.join(__dirname, "..", "..", "..", "examples", "Easee to Home Assistant.json");

describe("example: Easee to Home Assistant", function () {
  // The broker node's Close message is published on the shared Mosquitto: give it a topic of this run only.
  const closeTopic = `ha-example-${process.pid}-${Date.now()}/bridge/availability`;

  beforeEach(startServer);
  afterEach(async () => {
    await stopServer();
    await clearRetained(closeTopic);
  });

  it("deploys with every node created and wired as the walk-through says", async () => {
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, "utf8")) as FlowNode[];
    assert.ok(!flow.some((node) => "credentials" in node), "the example carries no credentials");
    const byType = (type: string) => flow.filter((node) => node.type === type);
    const [ha] = byType("easee-homeassistant");
    const [cfg] = byType("easee-config");
    const [broker] = byType("mqtt-broker");
    assert.ok(ha && cfg && broker);
    assert.equal(cfg.apiUrl, "https://api.easee.com");
    assert.equal(broker.willTopic, "easee/bridge/availability");

    const patched = flow.map((node) => (node.type === "mqtt-broker" ? { ...node, closeTopic, willTopic: closeTopic } : node));
    await loadFlow([configNode, observationsNode, homeAssistantNode, commandNode, coreMqttNodes(), coreNodeModule("common/20-inject.js"), coreNodeModule("common/90-comment.js")], patched);

    for (const node of flow) if (node.type !== "tab") assert.ok(helper.getNode(node.id), `${node.type} ${node.id} created`);
    const wiredTo = (id: string) => flow.filter((node) => Array.isArray(node.wires) && (node.wires as string[][]).flat().includes(id)).map((node) => node.type).sort();
    assert.deepEqual(wiredTo(ha.id), ["catch", "easee-command", "easee-observations", "inject", "mqtt in", "mqtt in"]);
    // Output 1 to mqtt out, output 2 (command msgs) to easee-command.
    assert.deepEqual(
      (ha.wires as string[][]).map((port) => port.map((id) => flow.find((node) => node.id === id)?.type)),
      [["mqtt out"], ["easee-command"]],
    );
    assert.equal(ha.controls, true);
    const [command] = byType("easee-command");
    assert.ok(command);
    // Charger and command come from each msg; both outputs (answers to our commands and to others') come back.
    assert.deepEqual([command.chargerId, command.command, command.config], ["", "", cfg.id]);
    assert.deepEqual(command.wires, [[ha.id], [ha.id]]);
    assert.deepEqual(byType("catch").map((node) => node.scope), [[command.id]]);
    const topics = byType("mqtt in").map((node) => node.topic).sort();
    assert.deepEqual(topics, [`${String(ha.prefix)}/status`, `${String(ha.stateTopic)}/+/+/set`].sort());
    const out = flow.find((node) => node.type === "mqtt out");
    assert.equal(out?.qos, "");
    assert.equal(out?.retain, "");
    await nextCall(ha.id, "status", (args) => /^easee-homeassistant\.status\./.test(callText(args)));
  });
});
