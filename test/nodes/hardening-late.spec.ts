/**
 * Issue 12, defect 7 in a real Node-RED runtime: deliveries out of order, as a user's flow sees them.
 * A stand-in easee-config feeds easee-observations, which is wired to a debug helper, to easee-filter (only on
 * change) and to easee-homeassistant. The late delivery reaches the user flagged `msg.easee.late`; the filter does
 * not pass it as a change; Home Assistant publishes no state for it; the snapshot keeps the newer value and says so.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import filterNode from "../../nodes/easee-filter";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import { Inbox, loadFlow, observation, stubConfig, stubEaseeConfigModule, type FlowNode } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";

const T = (second: number): string => `2026-11-25T10:00:${String(second).padStart(2, "0")}.000Z`;

function flow(): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "cfg", type: "easee-config", name: "stub" },
    { id: "obs", type: "easee-observations", z: "tab", config: "cfg", wires: [["all", "filter", "ha"]] },
    { id: "all", type: "helper", z: "tab" },
    { id: "filter", type: "easee-filter", z: "tab", rules: [{ ids: "120" }], onlyOnChange: true, outputs: 1, wires: [["changes"]] },
    { id: "changes", type: "helper", z: "tab" },
    { id: "ha", type: "easee-homeassistant", z: "tab", prefix: "homeassistant", stateTopic: "easee", selection: "useful", retain: true, wires: [["mqtt"]] },
    { id: "mqtt", type: "helper", z: "tab" },
  ];
}

function easee(msg: NodeMessage | undefined): Record<string, unknown> {
  return ((msg as { easee?: Record<string, unknown> } | undefined)?.easee ?? {}) as Record<string, unknown>;
}

describe("hardening: out-of-order deliveries in a flow (issue 12, defect 7)", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("late is sent and flagged; only-on-change, Home Assistant and the snapshot keep the newer value", async () => {
    await loadFlow([stubEaseeConfigModule, observationsNode, filterNode, homeAssistantNode], flow());
    const all = new Inbox("all");
    const changes = new Inbox("changes");
    const mqtt = new Inbox("mqtt");
    const config = stubConfig();

    config.emitObservation(observation({ value: 7.2, timestamp: T(10) }));
    await all.waitFor(1);
    await changes.waitFor(1);
    // Home Assistant: availability, discovery config, then the state of TotalPower.
    await mqtt.waitFor(4);
    const statesAfterFirst = mqtt.msgs.filter((msg) => String(msg.topic).endsWith("/state")).length;
    assert.ok(statesAfterFirst >= 1, "the first value is a Home Assistant state");

    config.emitObservation(observation({ value: 3.1, timestamp: T(5) }));
    config.emitObservation(observation({ value: 7.2, timestamp: T(11) }));
    config.emitObservation(observation({ value: 8, timestamp: T(12) }));
    const msgs = await all.waitFor(4);
    assert.deepEqual(
      msgs.map((msg) => [msg.payload, easee(msg).late]),
      [
        [7.2, undefined],
        [3.1, true],
        [7.2, undefined],
        [8, undefined],
      ],
    );
    // Before the fix: 4 changes (7.2, 3.1, 7.2, 8) and a Home Assistant state of 3.1.
    await changes.waitFor(2);
    assert.deepEqual(changes.msgs.map((msg) => msg.payload), [7.2, 8]);
    // The states of 7.2 (at 11 s) and 8 follow the first four Home Assistant msgs; none for the late 3.1.
    await mqtt.waitFor(6);
    const states = mqtt.msgs.filter((msg) => String(msg.topic).endsWith("/state")).map((msg) => msg.payload);
    assert.ok(!states.includes("3.1") && !states.includes(3.1), `Home Assistant states: ${states.join(", ")}`);

    helper.getNode("obs").receive({ topic: "snapshot" });
    const snapshot = await all.waitFor(5);
    assert.equal(snapshot[4]?.payload, 8);
    assert.equal(easee(snapshot[4]).snapshot, true);
    assert.equal(easee(snapshot[4]).late, undefined);
  });
});
