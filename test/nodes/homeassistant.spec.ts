/**
 * easee-homeassistant in a real Node-RED runtime (test helper): msgs in, msgs for `mqtt out` out.
 * The connection state comes from the stand-in easee-config of test/helpers/flows; the real config node,
 * the real broker and Mosquitto are in test/integration/homeassistant.spec.ts.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import { OBSERVATIONS } from "../../core/catalogue";
import { controlTopics, describeEntity } from "../../core/homeassistant";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import { discoveryProblems } from "../helpers/homeassistant";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { CONNECTED, CONNECTING, DISCONNECTED, Inbox, type FlowNode, callText, calls, english, englishPattern, loadFlow, nextCall, stubConfig, stubEaseeConfigModule } from "../helpers/flows";

interface HaProps {
  config?: string;
  prefix?: string;
  stateTopic?: string;
  selection?: string;
  observations?: string;
  retain?: boolean;
}

function flow(props: HaProps = {}): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "cfg", type: "easee-config", name: "stub" },
    { id: "ha", type: "easee-homeassistant", z: "tab", name: "", prefix: "homeassistant", stateTopic: "easee", selection: "useful", observations: "", retain: true, wires: [["out"]], ...props },
    { id: "out", type: "helper", z: "tab" },
    { id: "catch1", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] },
    { id: "caught", type: "helper", z: "tab" },
    { id: "complete1", type: "complete", z: "tab", scope: ["ha"], uncaught: false, wires: [["completed"]] },
    { id: "completed", type: "helper", z: "tab" },
  ];
}

async function load(props: HaProps = {}): Promise<{ out: Inbox; caught: Inbox; completed: Inbox }> {
  await loadFlow([stubEaseeConfigModule, homeAssistantNode], flow(props));
  return { out: new Inbox("out"), caught: new Inbox("caught"), completed: new Inbox("completed") };
}

/**
 * Config + state topic of every catalogue observation that can be an entity and of Online and Last seen, the
 * controls' configs and own states (remove clears them even on a read-only node), plus the charger availability.
 */
const CONTROL_REMOVALS = Object.values(controlTopics({ prefix: "homeassistant", baseTopic: "easee" }, "EH123456")).flat().length;
const REMOVAL_MSGS = (OBSERVATIONS.filter((definition) => describeEntity(definition) !== null).length + 2) * 2 + CONTROL_REMOVALS + 1;

/** What easee-observations sends for an observation (CONTRACT.md). */
function observationMsg(observationId: number, name: string, payload: unknown, extra: Record<string, unknown> = {}): NodeMessage {
  return {
    topic: `easee/EH123456/${name}`,
    payload,
    easee: { chargerId: "EH123456", observationId, name, known: true, routingKey: `EH123456.O.${observationId}`, ...extra },
  } as NodeMessage;
}

function send(msg: NodeMessage): void {
  helper.getNode("ha").receive(msg);
}

const statusTexts = () => calls("ha", "status").map(callText);

describe("easee-homeassistant node", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("sends a retained discovery config the first time, then states, in the shape mqtt out takes", async () => {
    const { out } = await load();
    send(observationMsg(120, "TotalPower", 7.2));
    const first = await out.waitFor(4);
    assert.deepEqual(
      first.map((msg) => [msg.topic, (msg as { retain?: boolean }).retain, (msg as { qos?: number }).qos]),
      [
        ["easee/bridge/availability", true, 1],
        ["easee/EH123456/availability", true, 1],
        ["homeassistant/sensor/EH123456/total_power/config", true, 1],
        ["easee/EH123456/total_power/state", true, 1],
      ],
    );
    const config = first[2] as NodeMessage;
    assert.deepEqual(discoveryProblems(String(config.topic), String(config.payload)), []);
    assert.equal(JSON.parse(String(config.payload)).unique_id, "easee_eh123456_total_power");
    assert.equal(first[3]?.payload, "7.2");

    send(observationMsg(120, "TotalPower", 3.3));
    const next = await out.next();
    assert.equal(next.topic, "easee/EH123456/total_power/state");
    assert.equal(next.payload, "3.3");
    await nextCall("ha", "status", (args) => englishPattern("easee-homeassistant.status.entities").test(callText(args)));
  });

  it("turns ChargerOpMode into its label and booleans into ON/OFF", async () => {
    const { out } = await load();
    send(observationMsg(109, "ChargerOpMode", 3, { label: "Charging" }));
    assert.equal((await out.waitFor(4))[3]?.payload, "Charging");
    send(observationMsg(103, "CableLocked", true));
    const cable = await out.waitFor(6);
    assert.equal(cable[4]?.topic, "homeassistant/binary_sensor/EH123456/cable_locked/config");
    assert.equal(cable[5]?.payload, "ON");
  });

  it("reports a msg without msg.easee to Catch nodes and sends nothing", async () => {
    const { out, caught } = await load();
    send({ topic: "something", payload: 1 } as NodeMessage);
    const msg = (await caught.next()) as NodeMessage & { error?: { message?: string } };
    assert.equal(msg.topic, "something");
    assert.equal(msg.error?.message, english("easee-homeassistant.errors.notObservation"));
    assert.equal(out.msgs.length, 0);
  });

  it("uses the configured prefix, state topic, selection and retain setting", async () => {
    const { out } = await load({ prefix: "ha-test/", stateTopic: "ev/chargers", selection: "list", observations: "124", retain: false });
    send(observationMsg(120, "TotalPower", 7.2));
    send(observationMsg(124, "LifetimeEnergy", 1234.5));
    const msgs = await out.waitFor(4);
    assert.deepEqual(
      msgs.map((msg) => msg.topic),
      ["ev/chargers/bridge/availability", "ev/chargers/EH123456/availability", "ha-test/sensor/EH123456/lifetime_energy/config", "ev/chargers/EH123456/lifetime_energy/state"],
    );
    assert.equal((msgs[3] as { retain?: boolean }).retain, false);
    assert.equal(JSON.parse(String(msgs[2]?.payload)).state_topic, "ev/chargers/EH123456/lifetime_energy/state");
  });

  it("publishes empty retained configs on remove", async () => {
    const { out } = await load();
    send(observationMsg(120, "TotalPower", 7.2));
    await out.waitFor(4);
    send({ topic: "remove", payload: "EH123456" } as NodeMessage);
    const removed = (await out.waitFor(4 + REMOVAL_MSGS)).slice(4);
    assert.ok(removed.every((msg) => msg.payload === "" && (msg as { retain?: boolean }).retain === true));
    assert.ok(removed.some((msg) => msg.topic === "homeassistant/sensor/EH123456/total_power/config"));
    assert.ok(removed.some((msg) => msg.topic === "easee/EH123456/availability"));
    await nextCall("ha", "status", (args) => callText(args) === "easee-homeassistant.status.removed");
  });

  it("republishes everything when Home Assistant announces itself online", async () => {
    const { out } = await load();
    send(observationMsg(120, "TotalPower", 7.2));
    await out.waitFor(4);
    send({ topic: "homeassistant/status", payload: "offline" } as NodeMessage);
    send({ topic: "homeassistant/status", payload: "online" } as NodeMessage);
    const again = (await out.waitFor(8)).slice(4);
    assert.deepEqual(
      again.map((msg) => msg.topic),
      ["easee/bridge/availability", "easee/EH123456/availability", "homeassistant/sensor/EH123456/total_power/config", "easee/EH123456/total_power/state"],
    );
  });

  it("follows the config node's AMQP connection on the bridge availability topic, and deregisters on close", async () => {
    const { out } = await load({ config: "cfg" });
    assert.ok(stubConfig().subscribers.has("ha"));
    send(observationMsg(120, "TotalPower", 7.2));
    assert.equal((await out.waitFor(4))[0]?.payload, "online");
    stubConfig().setState(DISCONNECTED);
    const offline = await out.next();
    assert.deepEqual([offline.topic, offline.payload], ["easee/bridge/availability", "offline"]);
    await nextCall("ha", "status", (args) => callText(args) === "easee-homeassistant.status.offline");
    stubConfig().setState(CONNECTING);
    await nextCall("ha", "status", (args) => callText(args) === "easee-homeassistant.status.connecting");
    stubConfig().setState(CONNECTED);
    assert.equal((await out.next()).payload, "online");
    const cfg = stubConfig();
    await helper.unload();
    assert.deepEqual(cfg.deregistered, ["ha"]);
  });

  it("keeps deploying with an unreadable observation list, and says why", async () => {
    const { out, completed } = await load({ selection: "list", observations: "120, NoSuchThing" });
    const error = await nextCall("ha", "error");
    assert.equal(callText(error), english("easee-homeassistant.errors.badSelection", { reason: '"NoSuchThing" is not an observation name in the catalogue' }));
    assert.ok(statusTexts().includes("easee-homeassistant.status.badSelection"));
    send(observationMsg(120, "TotalPower", 7.2));
    await completed.next();
    assert.equal(out.msgs.length, 0);
  });
});
