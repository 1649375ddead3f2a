/**
 * easee-observations in a real Node-RED runtime (test helper), fed by a stand-in easee-config node so every
 * property and error path can be driven exactly. The real config node and broker: test/integration/flow*.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import observationsNode from "../../nodes/easee-observations";
import { helper, startServer, stopServer } from "../helpers/node-red";
import {
  CONNECTING,
  DISCONNECTED,
  Inbox,
  OBS,
  type FlowNode,
  callText,
  loadFlow,
  calls,
  nextCall,
  observation,
  stubConfig,
  stubEaseeConfigModule,
} from "../helpers/flows";

interface ObsProps {
  topic?: string;
  chargers?: string;
  includeUnknown?: boolean | string;
  maxAgeSeconds?: number | string;
  config?: string;
}

/** tab, stub config, the observations node `obs` wired to helper `out`, and a catch node wired to `caught`. */
function flow(props: ObsProps = {}, extra: FlowNode[] = []): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "t" },
    { id: "cfg", type: "easee-config", name: "stub" },
    { id: "obs", type: "easee-observations", z: "tab", name: "", config: "cfg", wires: [["out"]], ...props },
    { id: "out", type: "helper", z: "tab" },
    { id: "catch1", type: "catch", z: "tab", x: 100, y: 100, scope: null, uncaught: false, wires: [["caught"]] },
    { id: "caught", type: "helper", z: "tab" },
    // Fires after obs calls done() for an input msg, i.e. after anything it sent was delivered.
    { id: "complete1", type: "complete", z: "tab", x: 100, y: 200, scope: ["obs"], uncaught: false, wires: [["handled"]] },
    { id: "handled", type: "helper", z: "tab" },
    ...extra,
  ];
}

async function load(props: ObsProps = {}, extra: FlowNode[] = []): Promise<Inbox> {
  await loadFlow([stubEaseeConfigModule, observationsNode], flow(props, extra));
  return new Inbox("out");
}

describe("easee-observations node", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("registers with its config node and emits the contract msg for each observation", async () => {
    const out = await load();
    assert.ok(stubConfig().subscribers.has("obs"));
    stubConfig().emitObservation(
      observation({ timestamp: "2026-11-25T10:00:00.000Z", arrivalTime: "2026-11-25T10:00:00.120Z", latencyMs: 35 }),
    );
    const msg = await out.next();
    assert.equal(msg.topic, "easee/EH123456/TotalPower");
    assert.equal(msg.payload, 7.2);
    assert.deepEqual(msg.easee, {
      chargerId: "EH123456",
      observationId: 120,
      name: "TotalPower",
      known: true,
      description: "Total power",
      dataType: "Double",
      unit: "kW",
      category: "telemetry",
      timestamp: "2026-11-25T10:00:00.000Z",
      arrivalTime: "2026-11-25T10:00:00.120Z",
      latencyMs: 35,
      routingKey: "EH123456.O.120",
      device: "charger",
    });
    assert.equal(typeof msg._msgid, "string");
  });

  it("emits one msg per observation, in order, with typed payloads", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.opMode(3));
    stubConfig().emitObservation(observation({ observationId: 103, name: "CableLocked", dataType: "Boolean", value: true }));
    stubConfig().emitObservation(observation({ observationId: 25, name: "Location", dataType: "Position", value: { lat: 59.9, lon: 10.7 } }));
    const msgs = await out.waitFor(3);
    assert.deepEqual(
      msgs.map((m) => m.payload),
      [3, true, { lat: 59.9, lon: 10.7 }],
    );
    assert.equal((msgs[0]?.easee as { label?: string }).label, "Charging");
  });

  it("topic: renders the template with {chargerId} {name} {observationId}", async () => {
    const out = await load({ topic: "home/ev/{chargerId}/{observationId}/{name}" });
    stubConfig().emitObservation(OBS.sessionEnergy());
    assert.equal((await out.next()).topic, "home/ev/EH123456/121/SessionEnergy");
  });

  it("topic: an empty template falls back to easee/{chargerId}/{name}", async () => {
    const out = await load({ topic: "" });
    stubConfig().emitObservation(OBS.totalPower());
    assert.equal((await out.next()).topic, "easee/EH123456/TotalPower");
  });

  it("topic: unknown placeholders stay as typed and are warned about once", async () => {
    const out = await load({ topic: "easee/{site}/{name}" });
    const [warning] = await nextCall("obs", "warn");
    assert.match(String(warning), /\{site\}/);
    stubConfig().emitObservation(OBS.totalPower());
    assert.equal((await out.next()).topic, "easee/{site}/TotalPower");
  });

  it("chargers: passes only the listed serials (any case); the rest is silent", async () => {
    const out = await load({ chargers: "eh000001, EH000002" });
    stubConfig().emitObservation(OBS.totalPower(1, "EH123456"));
    stubConfig().emitObservation(OBS.totalPower(2, "EH000002"));
    stubConfig().emitObservation(OBS.totalPower(3, "EH999999"));
    stubConfig().emitObservation(OBS.totalPower(4, "EH000001"));
    await out.waitFor(2);
    // A later msg that must arrive proves the earlier ones that must not have not.
    stubConfig().emitObservation(OBS.totalPower(5, "EH000001"));
    await out.waitFor(3);
    assert.deepEqual(
      out.msgs.map((m) => m.payload),
      [2, 4, 5],
    );
  });

  it("chargers: empty passes every charger", async () => {
    const out = await load({ chargers: "" });
    stubConfig().emitObservation(OBS.totalPower(1, "EHAAAAAA"));
    stubConfig().emitObservation(OBS.totalPower(2, "EHBBBBBB"));
    assert.deepEqual(
      (await out.waitFor(2)).map((m) => (m.easee as { chargerId: string }).chargerId),
      ["EHAAAAAA", "EHBBBBBB"],
    );
  });

  const unknown = observation({ observationId: 157, name: "Observation157", known: false, description: "", dataType: "Integer", unit: null, category: null, value: 4 });

  it("includeUnknown (default true): passes ids the catalogue does not know", async () => {
    const out = await load();
    stubConfig().emitObservation(unknown);
    const msg = await out.next();
    assert.equal(msg.topic, "easee/EH123456/Observation157");
    assert.equal((msg.easee as { known: boolean }).known, false);
  });

  it("includeUnknown false: unknown ids are silent, known ones pass", async () => {
    const out = await load({ includeUnknown: false });
    stubConfig().emitObservation(unknown);
    stubConfig().emitObservation(OBS.totalPower());
    await out.waitFor(1);
    stubConfig().emitObservation(unknown);
    stubConfig().emitObservation(OBS.sessionEnergy());
    await out.waitFor(2);
    assert.deepEqual(
      out.msgs.map((m) => (m.easee as { observationId: number }).observationId),
      [120, 121],
    );
  });

  it("maxAgeSeconds: drops deliveries whose ArrivalTime is too old, keeps fresh ones and says how many it dropped", async () => {
    const out = await load({ maxAgeSeconds: 60 });
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const fresh = new Date(Date.now() - 1_000).toISOString();
    for (let i = 0; i < 5; i++) stubConfig().emitObservation(OBS.totalPower(i, "EH123456"));
    for (let i = 0; i < 3; i++) stubConfig().emitObservation(observation({ arrivalTime: old, value: 100 + i }));
    stubConfig().emitObservation(observation({ arrivalTime: fresh, value: 200 }));
    stubConfig().emitObservation(observation({ value: 300 })); // no ArrivalTime: age unknown, kept
    await out.waitFor(7);
    assert.deepEqual(
      out.msgs.map((m) => m.payload),
      [0, 1, 2, 3, 4, 200, 300],
    );
    const [warning] = await nextCall("obs", "warn", (args) => /older than/.test(String(args[0])));
    assert.match(String(warning), /Dropped 3 deliveries older than 60 s by ArrivalTime \(3 since deploy\)/);
    const status = await nextCall("obs", "status", (args) => /old/.test(callText(args)));
    assert.match(callText(status), /^\d+(\.\d)?\/s, 3 old$/);
    assert.ok(callText(status).length < 20);
  });

  it("maxAgeSeconds 0 (default) keeps old deliveries", async () => {
    const out = await load();
    stubConfig().emitObservation(observation({ arrivalTime: "2020-01-01T00:00:00.000Z" }));
    assert.equal((await out.next()).payload, 7.2);
  });

  it("maxAgeSeconds: an invalid value is warned about and keeps everything", async () => {
    const out = await load({ maxAgeSeconds: "soon" });
    const [warning] = await nextCall("obs", "warn");
    assert.match(String(warning), /"soon" is not a number of seconds/);
    stubConfig().emitObservation(observation({ arrivalTime: "2020-01-01T00:00:00.000Z" }));
    await out.next();
  });

  it("snapshot: input topic 'snapshot' sends the last value of every (charger, observation) seen since deploy", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower(1, "EH2"));
    stubConfig().emitObservation(OBS.opMode(1, "EH1"));
    stubConfig().emitObservation(OBS.totalPower(2, "EH2"));
    stubConfig().emitObservation(OBS.totalPower(5, "EH1"));
    stubConfig().emitObservation(OBS.opMode(3, "EH1"));
    await out.waitFor(5);
    helper.getNode("obs").receive({ topic: "snapshot" });
    const snapshot = await out.waitFor(8);
    assert.deepEqual(
      snapshot.slice(5).map((m) => [m.topic, m.payload]),
      [
        ["easee/EH1/ChargerOpMode", 3],
        ["easee/EH1/TotalPower", 5],
        ["easee/EH2/TotalPower", 2],
      ],
    );
    assert.equal((snapshot[5]?.easee as { label: string }).label, "Charging");
  });

  it("snapshot: nothing seen yet sends nothing; other topics are ignored with a warning", async () => {
    const out = await load();
    helper.getNode("obs").receive({ topic: "snapshot" });
    helper.getNode("obs").receive({ topic: "refresh", payload: 1 });
    await nextCall("obs", "warn", (args) => /snapshot/.test(String(args[0])));
    stubConfig().emitObservation(OBS.totalPower(9));
    await out.waitFor(1);
    helper.getNode("obs").receive({ topic: "snapshot" });
    await out.waitFor(2);
    assert.deepEqual(
      out.msgs.map((m) => m.payload),
      [9, 9],
    );
  });

  it("snapshot: only what passed the filters is remembered", async () => {
    const out = await load({ chargers: "EH1", includeUnknown: false });
    stubConfig().emitObservation(OBS.totalPower(1, "EH2"));
    stubConfig().emitObservation(observation({ chargerId: "EH1", observationId: 157, name: "Observation157", known: false }));
    stubConfig().emitObservation(OBS.totalPower(2, "EH1"));
    await out.waitFor(1);
    helper.getNode("obs").receive({ topic: "snapshot" });
    await out.waitFor(2);
    assert.deepEqual(
      out.msgs.map((m) => [m.topic, m.payload]),
      [
        ["easee/EH1/TotalPower", 2],
        ["easee/EH1/TotalPower", 2],
      ],
    );
  });

  it("undecodable delivery: node.error with a preview msg reaches a Catch node; the output stays silent", async () => {
    const out = await load();
    const caught = new Inbox("caught");
    const body = `{"Value": ${"x".repeat(400)}`;
    stubConfig().emitDecodeError({ kind: "error", problem: { code: "body-not-json" }, reason: "body-not-json", preview: body.slice(0, 200), routingKey: "EH123456.O.120" });
    const msg = await caught.next();
    assert.match((msg.error as { message: string }).message, /body is not valid JSON/);
    assert.equal((msg.error as { source: { id: string } }).source.id, "obs");
    assert.equal(msg.payload, body.slice(0, 200));
    assert.ok(String(msg.payload).length <= 200);
    assert.deepEqual(msg.easee, { routingKey: "EH123456.O.120" });
    stubConfig().emitObservation(OBS.totalPower(1));
    await out.waitFor(1);
    assert.equal(out.msgs.length, 1);
    assert.equal(caught.msgs.length, 1);
  });

  it("missing config: red status and an error, no throw; snapshot input still answers", async () => {
    const out = await load({ config: "" });
    const status = await nextCall("obs", "status");
    assert.deepEqual(status[0], { fill: "red", shape: "ring", text: "easee-observations.status.missingConfig" });
    const [error] = await nextCall("obs", "error");
    assert.match(String(error), /No Easee account is selected/);
    const handled = new Inbox("handled");
    helper.getNode("obs").receive({ topic: "snapshot" });
    await handled.waitFor(1);
    assert.equal(out.msgs.length, 0);
  });

  it("a config id that is not an easee-config node counts as missing", async () => {
    await load({ config: "out" });
    await nextCall("obs", "error", (args) => /No Easee account is selected/.test(String(args[0])));
    assert.deepEqual((await nextCall("obs", "status"))[0], { fill: "red", shape: "ring", text: "easee-observations.status.missingConfig" });
  });

  it("status: follows the config node's connection state", async () => {
    await load();
    await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.connected");
    assert.deepEqual(calls("obs", "status").at(-1)?.[0], { fill: "green", shape: "dot", text: "easee-config.status.connected" });
    stubConfig().setState(CONNECTING);
    assert.deepEqual((await nextCall("obs", "status", (a) => callText(a) === "easee-config.status.connecting"))[0], {
      fill: "yellow",
      shape: "ring",
      text: "easee-config.status.connecting",
    });
    stubConfig().setState(DISCONNECTED);
    assert.deepEqual((await nextCall("obs", "status", (a) => callText(a) === "easee-config.status.disconnected"))[0], {
      fill: "red",
      shape: "ring",
      text: "easee-config.status.disconnected",
    });
    stubConfig().setState({ phase: "error", reason: "wrong-password" });
    assert.deepEqual((await nextCall("obs", "status", (a) => callText(a) === "easee-config.status.wrong-password"))[0], {
      fill: "red",
      shape: "ring",
      text: "easee-config.status.wrong-password",
    });
  });

  it("status: shows the message rate, at most once a second, under 20 characters", async function () {
    this.timeout(30_000);
    const out = await load();
    const started = Date.now();
    for (let i = 0; i < 500; i++) stubConfig().emitObservation(OBS.totalPower(i));
    await out.waitFor(500);
    const rateStatus = await nextCall("obs", "status", (args) => / msg\/s$/.test(callText(args)) && callText(args) !== "0 msg/s");
    assert.match(callText(rateStatus), /^(\d+\.\d|[1-9]\d*) msg\/s$/);
    assert.deepEqual(Object.keys(rateStatus[0] as object).sort(), ["fill", "shape", "text"]);
    // Idle: the rate falls to 0 once the averaging window (10 s) has passed without a msg.
    await nextCall("obs", "status", (args) => callText(args) === "0 msg/s", 13_000);
    const elapsedSeconds = (Date.now() - started) / 1000;
    const rateCalls = calls("obs", "status").filter((args) => / msg\/s/.test(callText(args)));
    assert.ok(rateCalls.length <= Math.ceil(elapsedSeconds) + 1, `${rateCalls.length} rate updates in ${elapsedSeconds} s`);
    // Texts made at runtime (not i18n keys, which the editor translates) stay under 20 characters.
    for (const args of calls("obs", "status").filter((a) => !/^[\w-]+(\/[\w-]+)?:|^easee-/.test(callText(a)))) {
      assert.ok(callText(args).length < 20, callText(args));
    }
  });

  it("status: a connection the broker blocks keeps the config's yellow status, even with traffic", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower());
    await out.next();
    await nextCall("obs", "status", (args) => / msg\/s$/.test(callText(args)), 3000);
    stubConfig().setState({ phase: "connected", reason: "blocked" });
    const blocked = await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.blocked");
    assert.deepEqual(blocked[0], { fill: "yellow", shape: "dot", text: "easee-config.status.blocked" });
    stubConfig().emitObservation(OBS.totalPower());
    await out.next();
    stubConfig().setState(DISCONNECTED);
    await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.disconnected");
    // No rate text came between blocked and disconnected.
    const texts = calls("obs", "status").map(callText);
    const from = texts.indexOf("easee-config.status.blocked");
    assert.deepEqual(texts.slice(from), ["easee-config.status.blocked", "easee-config.status.disconnected"]);
  });

  it("output wired to two nodes: both get the msg, as separate copies", async () => {
    await loadFlow(
      [stubEaseeConfigModule, observationsNode],
      flow({}, [{ id: "out2", type: "helper", z: "tab" }]).map((n) =>
        n.id === "obs" ? { ...n, wires: [["out", "out2"]] } : n,
      ),
    );
    const [a, b] = [new Inbox("out"), new Inbox("out2")];
    stubConfig().emitObservation(observation({ dataType: "Position", name: "Location", observationId: 25, value: { lat: 1, lon: 2 } }));
    const [ma, mb] = [await a.next(), await b.next()];
    assert.notEqual(ma, mb);
    assert.deepEqual(ma.payload, mb.payload);
    assert.deepEqual(ma.easee, mb.easee);
    (ma.payload as { lat: number }).lat = 99;
    assert.equal((mb.payload as { lat: number }).lat, 1);
  });

  it("close: deregisters from the config node and completes", async () => {
    const out = await load();
    stubConfig().emitObservation(OBS.totalPower());
    await out.next();
    const config = stubConfig();
    await helper.unload();
    assert.deepEqual(config.deregistered, ["obs"]);
    assert.equal(config.subscribers.size, 0);
  });

  it("close: a deregister that fails still lets the flow stop", async () => {
    await load();
    const config = stubConfig() as unknown as { deregister: () => Promise<void> };
    config.deregister = () => Promise.reject(new Error("broker gone"));
    await helper.unload();
  });

  it("two observations nodes on one config both receive every observation", async () => {
    await loadFlow([stubEaseeConfigModule, observationsNode], [
      ...flow(),
      { id: "obs2", type: "easee-observations", z: "tab", config: "cfg", topic: "b/{name}", wires: [["out2"]] },
      { id: "out2", type: "helper", z: "tab" },
    ]);
    const [a, b] = [new Inbox("out"), new Inbox("out2")];
    stubConfig().emitObservation(OBS.totalPower(1));
    stubConfig().emitObservation(OBS.sessionEnergy(2));
    assert.deepEqual((await a.waitFor(2)).map((m: NodeMessage) => m.topic), ["easee/EH123456/TotalPower", "easee/EH123456/SessionEnergy"]);
    assert.deepEqual((await b.waitFor(2)).map((m: NodeMessage) => m.topic), ["b/TotalPower", "b/SessionEnergy"]);
  });
});
