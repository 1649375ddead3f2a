/**
 * easee-homeassistant in a real Node-RED runtime, fed presence msgs and Equalizer observations as
 * easee-observations sends them: availability, the Online and Last seen entities, the Equalizer device.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { Inbox, loadFlow, stubEaseeConfigModule, type FlowNode } from "../helpers/flows";

function flow(): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "ha", type: "easee-homeassistant", z: "tab", name: "", prefix: "homeassistant", stateTopic: "easee", selection: "useful", observations: "", retain: true, wires: [["out"]] },
    { id: "out", type: "helper", z: "tab" },
    { id: "catch1", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] },
    { id: "caught", type: "helper", z: "tab" },
  ];
}

function send(msg: Record<string, unknown>): void {
  helper.getNode("ha").receive(msg as NodeMessage);
}

const observation = (chargerId: string, observationId: number, name: string, payload: unknown, device: string) => ({
  topic: `easee/${chargerId}/${name}`,
  payload,
  easee: { chargerId, observationId, name, known: true, device, arrivalTime: "2026-12-01T10:00:00.120Z", routingKey: `${chargerId}.O.${observationId}` },
});

const presence = (chargerId: string, online: boolean) => ({
  topic: `easee/${chargerId}/Online`,
  payload: online,
  easee: {
    chargerId,
    name: "Online",
    device: "charger",
    presence: {
      online,
      state: online ? "online" : "offline",
      previous: online ? "offline" : "online",
      reason: online ? "message" : "silence",
      since: "2026-12-01T10:20:00.000Z",
      lastSeen: { arrivalTime: "2026-12-01T10:00:05.000Z", receivedAt: "2026-12-01T10:00:05.040Z" },
      silenceMinutes: 20,
    },
  },
});

describe("easee-homeassistant: presence msgs and Equalizers", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("a presence msg makes the charger unavailable with Online OFF and Last seen; the return brings it back", async () => {
    await loadFlow([stubEaseeConfigModule, homeAssistantNode], flow());
    const out = new Inbox("out");
    const caught = new Inbox("caught");
    send(observation("EH123456", 120, "TotalPower", 7.2, "charger"));
    const first = await out.waitFor(8);
    assert.deepEqual(first.slice(4).map((m) => [m.topic, m.payload]).filter(([topic]) => String(topic).endsWith("/state")), [
      ["easee/EH123456/online/state", "ON"],
      ["easee/EH123456/last_seen/state", "2026-12-01T10:00:00.120Z"],
    ]);

    send(presence("EH123456", false));
    const offline = (await out.waitFor(11)).slice(8);
    assert.deepEqual(offline.map((m) => [m.topic, m.payload]), [
      ["easee/EH123456/availability", "offline"],
      ["easee/EH123456/online/state", "OFF"],
      ["easee/EH123456/last_seen/state", "2026-12-01T10:00:05.000Z"],
    ]);
    send(presence("EH123456", true));
    const back = (await out.waitFor(13)).slice(11);
    assert.deepEqual(back.map((m) => [m.topic, m.payload]), [
      ["easee/EH123456/availability", "online"],
      ["easee/EH123456/online/state", "ON"],
    ]);
    assert.equal(caught.msgs.length, 0, "presence msgs are not 'not an observation' errors");
  });

  it("an Equalizer's observation becomes a sensor of its own device, read with the Equalizer table", async () => {
    await loadFlow([stubEaseeConfigModule, homeAssistantNode], flow());
    const out = new Inbox("out");
    send(observation("QH000001", 45, "CumulativeActivePowerImport", 10234.5, "equalizer"));
    const msgs = await out.waitFor(4);
    const config = msgs.find((m) => m.topic === "homeassistant/sensor/QH000001/cumulative_active_power_import/config");
    assert.ok(config, msgs.map((m) => m.topic).join(", "));
    const parsed = JSON.parse(String(config.payload)) as { device_class: string; state_class: string; unit_of_measurement: string; device: { model: string } };
    assert.deepEqual([parsed.device_class, parsed.state_class, parsed.unit_of_measurement, parsed.device.model], ["energy", "total_increasing", "kWh", "Equalizer"]);
    assert.equal(msgs.find((m) => m.topic === "easee/QH000001/cumulative_active_power_import/state")?.payload, "10234.5");
  });
});
