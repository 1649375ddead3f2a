/**
 * easee-observations presence in a real Node-RED runtime, on a fast silence time (a fraction of a minute):
 * offline after silence, online again with the next message (announced before that message), nothing while the
 * stream is down, listed chargers after a restart, the checkbox off, snapshot, and a bad setting.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import observationsNode from "../../nodes/easee-observations";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { CONNECTED, DISCONNECTED, Inbox, OBS, loadFlow, nextCall, stubConfig, stubEaseeConfigModule, type FlowNode } from "../helpers/flows";

/** 0.004 minutes = 240 ms: long enough to be sure of the order, short enough for a test. */
const FAST = 0.004;

function flow(props: Record<string, unknown>): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "cfg", type: "easee-config", name: "stub" },
    { id: "obs", type: "easee-observations", z: "tab", name: "", config: "cfg", wires: [["out"]], ...props },
    { id: "out", type: "helper", z: "tab" },
  ];
}

async function load(props: Record<string, unknown> = {}): Promise<Inbox> {
  await loadFlow([stubEaseeConfigModule, observationsNode], flow({ silenceMinutes: FAST, ...props }));
  return new Inbox("out");
}

interface PresenceEasee {
  chargerId: string;
  name: string;
  device: string;
  snapshot?: boolean;
  presence: {
    online: boolean;
    state: string;
    previous: string;
    reason: string;
    lastSeen: { timestamp?: string; arrivalTime?: string; receivedAt: string } | null;
    silenceMinutes: number;
    connectedToCloud?: boolean;
    cloudDisconnectReason?: string;
  };
}

function presenceOf(msg: NodeMessage | undefined): PresenceEasee {
  assert.ok(msg, "a msg");
  return (msg as NodeMessage & { easee: PresenceEasee }).easee;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("easee-observations presence", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("a silent charger goes offline (payload false on …/Online); its next message brings it back first", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower(7.2, "EH000001"));
    await out.waitFor(1);
    const offline = await out.next(3000);
    assert.equal(offline.topic, "easee/EH000001/Online");
    assert.equal(offline.payload, false);
    const easee = presenceOf(offline);
    assert.deepEqual([easee.chargerId, easee.name, easee.device], ["EH000001", "Online", "charger"]);
    assert.deepEqual([easee.presence.state, easee.presence.previous, easee.presence.reason], ["offline", "online", "silence"]);
    assert.equal(typeof easee.presence.lastSeen?.receivedAt, "string");
    assert.equal(easee.presence.silenceMinutes, FAST);

    stubConfig().emitObservation(OBS.totalPower(3.1, "EH000001"));
    const [back, value] = (await out.waitFor(4)).slice(2);
    assert.equal(back?.payload, true);
    assert.deepEqual([presenceOf(back).presence.state, presenceOf(back).presence.previous], ["online", "offline"]);
    assert.equal(value?.payload, 3.1);
  });

  it("the cloud's ConnectedToCloud false is reported at once, with the CloudDisconnectReason", async () => {
    const out = await load({ silenceMinutes: 20 });
    const cfg = stubConfig();
    cfg.emitObservation(OBS.totalPower(1, "EH000002"));
    cfg.emitObservation({ ...OBS.totalPower(0, "EH000002"), observationId: 251, name: "CloudDisconnectReason", dataType: "String", value: "MQTT_KEEP_ALIVE_TIMEOUT" });
    cfg.emitObservation({ ...OBS.totalPower(0, "EH000002"), observationId: 250, name: "ConnectedToCloud", dataType: "Boolean", value: false });
    const msgs = await out.waitFor(4);
    const offline = msgs[2];
    assert.equal(offline?.topic, "easee/EH000002/Online");
    assert.deepEqual(
      [presenceOf(offline).presence.reason, presenceOf(offline).presence.connectedToCloud, presenceOf(offline).presence.cloudDisconnectReason],
      ["cloudDisconnected", false, "MQTT_KEEP_ALIVE_TIMEOUT"],
    );
    assert.equal(msgs[3]?.payload, false, "then the ConnectedToCloud observation itself");
  });

  it("while the stream is down nobody goes offline; after it the silence time starts again", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower(1, "EH000003"));
    await out.waitFor(1);
    stubConfig().setState(DISCONNECTED);
    await wait(FAST * 60_000 * 2.5);
    assert.equal(out.msgs.length, 1, "no offline msg for our own outage");
    stubConfig().setState(CONNECTED);
    const offline = await out.next(3000);
    assert.equal(offline.payload, false);
  });

  it("after a (re)start a listed charger is unknown until the silence time has passed, then offline without last-seen", async () => {
    const out = await load({ chargers: "EH000004" });
    const offline = await out.next(3000);
    assert.equal(offline.topic, "easee/EH000004/Online");
    assert.deepEqual([presenceOf(offline).presence.previous, presenceOf(offline).presence.lastSeen], ["unknown", null]);
  });

  it("unticked: no presence msgs at all", async () => {
    const out = await load({ presence: false });
    stubConfig().emitObservation(OBS.totalPower(1, "EH000005"));
    await out.waitFor(1);
    await wait(FAST * 60_000 * 2.5);
    stubConfig().emitObservation(OBS.totalPower(2, "EH000005"));
    const msgs = await out.waitFor(2);
    assert.deepEqual(msgs.map((m) => m.payload), [1, 2]);
  });

  it("snapshot: the presence of every charger whose presence is known, marked snapshot", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower(1, "EH000006"));
    await out.waitFor(2, 3000); // the value, then offline
    helper.getNode("obs").receive({ topic: "snapshot" } as NodeMessage);
    const [value, presence] = (await out.waitFor(4)).slice(2);
    assert.equal(value?.payload, 1);
    assert.equal(presence?.topic, "easee/EH000006/Online");
    assert.equal(presence?.payload, false);
    assert.equal(presenceOf(presence).snapshot, true);
  });

  it("an unusable silence time is warned about and the default (20 minutes) is used", async () => {
    await load({ silenceMinutes: "soon" });
    const [warning] = await nextCall("obs", "warn");
    assert.match(String(warning), /soon/);
    assert.match(String(warning), /20/);
  });
});
