/**
 * End to end through the real broker: deliveries in each Easee shape published to the operator queue served by
 * the simulated Easee API → easee-config (real login, real AMQP) → easee-observations → easee-filter → outputs.
 * Every test has its own operator (queue and exchange), deleted on close.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import configNode from "../../nodes/easee-config";
import filterNode from "../../nodes/easee-filter";
import observationsNode from "../../nodes/easee-observations";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { type FlowNode, Inbox, callText, calls, loadFlow, nextCall } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { openPublisher, queueInfo } from "../helpers/rabbit";

type Publisher = Awaited<ReturnType<typeof openPublisher>>;

interface Easee {
  chargerId: string;
  observationId: number;
  name: string;
  label?: string;
  arrivalTime?: string;
  latencyMs?: number;
  routingKey: string;
}
const easee = (msg: NodeMessage) => msg.easee as Easee;

describe("flow: Easee API + RabbitMQ → config → observations → filter", function () {
  this.timeout(30000);
  let api: EaseeApiServer;
  let publisher: Publisher;

  beforeEach(async () => {
    api = await startEaseeApiServer({ operatorId: `flownodes${Date.now()}${process.pid}` });
    publisher = await openPublisher();
    await startServer();
  });

  afterEach(async () => {
    await stopServer();
    await publisher.close();
    await api.close();
  });

  function config(): FlowNode {
    return { id: "cfg", type: "easee-config", name: "sim", apiUrl: api.url, rejectUnauthorized: true, heartbeat: 30, prefetch: 200 };
  }

  async function deploy(flow: FlowNode[]): Promise<void> {
    await loadFlow([configNode, observationsNode, filterNode], flow, {
      cfg: { username: api.credentials.userName, password: api.credentials.password },
    });
  }

  /** Waits until the config node consumes: the observations node shows the config's "connected". */
  async function connected(nodeId = "obs"): Promise<void> {
    await nextCall(nodeId, "status", (args) => callText(args) === "easee-config.status.connected", 15000);
  }

  const now = () => new Date().toISOString();
  const headers = (arrivalTime = now()) => ({ headers: { ArrivalTime: arrivalTime } });

  /** One delivery of each shape of issue 2, plus a command response (not an observation). */
  function publishEachShape(): void {
    // 1. Masterloop: id in the routing key, typed value.
    publisher.publish(api.exchangeName, "EH000001.O.120", JSON.stringify({ Timestamp: now(), Value: 7.2 }), headers());
    // 2. SignalR ProductUpdate: camelCase, value always a string.
    publisher.publish(
      api.exchangeName,
      "EH000001.O.109",
      JSON.stringify({ mid: "EH000001", dataType: 4, id: 109, timestamp: now(), value: "3" }),
      headers(),
    );
    // 3. PascalCase.
    publisher.publish(
      api.exchangeName,
      "EH000002.O.183",
      JSON.stringify({ ChargerId: "EH000002", ObservationId: 183, DataType: 3, Value: "16.5", Timestamp: now() }),
      headers(),
    );
    publisher.publish(api.exchangeName, "EH000002.O.121", JSON.stringify({ Timestamp: now(), Value: 4.25 }), headers());
  }

  it("delivers each shape through the filter's outputs; a second observations node gets everything too", async () => {
    await deploy([
      { id: "tab", type: "tab", label: "e2e" },
      config(),
      { id: "obs", type: "easee-observations", z: "tab", config: "cfg", topic: "easee/{chargerId}/{name}", chargers: "", includeUnknown: true, maxAgeSeconds: 0, wires: [["filter", "seen"]] },
      { id: "seen", type: "helper", z: "tab" },
      { id: "obs2", type: "easee-observations", z: "tab", config: "cfg", topic: "two/{observationId}", chargers: "", includeUnknown: true, maxAgeSeconds: 0, wires: [["seen2"]] },
      { id: "seen2", type: "helper", z: "tab" },
      {
        id: "filter",
        type: "easee-filter",
        z: "tab",
        rules: [{ ids: "120" }, { ids: "ChargerOpMode" }, { ids: "182-185" }],
        otherwise: true,
        checkall: true,
        onlyOnChange: false,
        outputs: 4,
        wires: [["power"], ["opMode"], ["current"], ["other"]],
      },
      { id: "power", type: "helper", z: "tab" },
      { id: "opMode", type: "helper", z: "tab" },
      { id: "current", type: "helper", z: "tab" },
      { id: "other", type: "helper", z: "tab" },
    ]);
    const [seen, seen2, power, opMode, current, other] = ["seen", "seen2", "power", "opMode", "current", "other"].map((id) => new Inbox(id)) as [
      Inbox,
      Inbox,
      Inbox,
      Inbox,
      Inbox,
      Inbox,
    ];
    await connected();
    publishEachShape();

    const all = await seen.waitFor(4, 10000);
    assert.deepEqual(
      all.map((m) => [m.topic, m.payload]),
      [
        ["easee/EH000001/TotalPower", 7.2],
        ["easee/EH000001/ChargerOpMode", 3],
        ["easee/EH000002/InCurrent_T3", 16.5],
        ["easee/EH000002/SessionEnergy", 4.25],
      ],
    );
    for (const msg of all) {
      assert.ok(easee(msg).arrivalTime, "arrivalTime from the ArrivalTime header");
      assert.equal(typeof easee(msg).latencyMs, "number");
    }
    assert.equal(easee(all[1] as NodeMessage).label, "Charging");

    assert.deepEqual((await power.waitFor(1)).map((m) => m.payload), [7.2]);
    assert.deepEqual((await opMode.waitFor(1)).map((m) => easee(m).label), ["Charging"]);
    assert.deepEqual((await current.waitFor(1)).map((m) => easee(m).observationId), [183]);
    assert.deepEqual((await other.waitFor(1)).map((m) => easee(m).observationId), [121]);

    // The second observations node on the same config node: every observation, with its own topic.
    assert.deepEqual(
      (await seen2.waitFor(4)).map((m) => m.topic),
      ["two/120", "two/109", "two/183", "two/121"],
    );
    // The same msg content reached both nodes, so both were fed from one decode of each delivery.
    assert.deepEqual(
      seen2.msgs.map((m) => m.payload),
      all.map((m) => m.payload),
    );
    // Nothing more anywhere: each output got exactly its one msg.
    assert.deepEqual([power, opMode, current, other].map((inbox) => inbox.msgs.length), [1, 1, 1, 1]);
    // One consumer on the operator queue for two observations nodes, and every delivery acknowledged.
    const info = await queueInfo(api.queueName);
    assert.equal(info.consumerCount, 1);
    assert.equal(info.messageCount, 0);
  });

  it("a poison delivery in the middle of a stream is reported once to a Catch node and the rest arrives", async () => {
    await deploy([
      { id: "tab", type: "tab", label: "e2e" },
      config(),
      { id: "obs", type: "easee-observations", z: "tab", config: "cfg", wires: [["seen"]] },
      { id: "seen", type: "helper", z: "tab" },
      { id: "catch1", type: "catch", z: "tab", x: 100, y: 100, scope: null, uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "tab" },
    ]);
    const [seen, caught] = [new Inbox("seen"), new Inbox("caught")];
    await connected();
    for (let i = 0; i < 10; i++) {
      publisher.publish(api.exchangeName, "EH000001.O.120", JSON.stringify({ Timestamp: now(), Value: i }), headers());
      if (i === 4) publisher.publish(api.exchangeName, "EH000001.O.121", `{"Value": 1, "Timestamp": ${"x".repeat(500)}`, headers());
    }
    const msgs = await seen.waitFor(10, 10000);
    assert.deepEqual(
      msgs.map((m) => m.payload),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const [error] = await caught.waitFor(1);
    assert.match((error?.error as { message: string }).message, /^Undecodable delivery: /);
    assert.equal((error?.error as { source: { id: string } }).source.id, "obs");
    assert.ok(String(error?.payload).startsWith('{"Value": 1, "Timestamp": xxx'));
    assert.ok(String(error?.payload).length <= 200);
    assert.deepEqual(error?.easee, { routingKey: "EH000001.O.121" });
    // A later delivery proves nothing else was reported: the error came once, and the stream went on.
    publisher.publish(api.exchangeName, "EH000001.O.120", JSON.stringify({ Timestamp: now(), Value: 10 }), headers());
    await seen.waitFor(11);
    assert.equal(caught.msgs.length, 1);
    assert.equal((await queueInfo(api.queueName)).messageCount, 0);
  });

  it("maxAgeSeconds drops the backlog judged by ArrivalTime, says how much, and passes fresh deliveries", async () => {
    // The backlog queues while Node-RED is down: published before the flow is deployed.
    const old = new Date(Date.now() - 3_600_000).toISOString();
    for (let i = 0; i < 25; i++) {
      publisher.publish(api.exchangeName, "EH000001.O.120", JSON.stringify({ Timestamp: old, Value: 100 + i }), headers(old));
    }
    publisher.publish(api.exchangeName, "EH000001.O.109", JSON.stringify({ Timestamp: now(), Value: 3 }), headers());
    await deploy([
      { id: "tab", type: "tab", label: "e2e" },
      config(),
      { id: "obs", type: "easee-observations", z: "tab", config: "cfg", maxAgeSeconds: 300, wires: [["seen"]] },
      { id: "seen", type: "helper", z: "tab" },
    ]);
    const seen = new Inbox("seen");
    const [first] = await seen.waitFor(1, 15000);
    assert.equal(easee(first as NodeMessage).name, "ChargerOpMode");
    const [warning] = await nextCall("obs", "warn", (args) => /older than/.test(String(args[0])), 5000);
    assert.match(String(warning), /Dropped 25 deliveries older than 300 s by ArrivalTime \(25 since deploy\)/);
    // The status may pass through partial counts while the backlog drains; it settles on the total.
    const status = await nextCall("obs", "status", (args) => /, 25 old$/.test(callText(args)), 5000);
    assert.match(callText(status), /^\d+(?:\.\d)?\/s, 25 old$/);
    publisher.publish(api.exchangeName, "EH000001.O.120", JSON.stringify({ Timestamp: now(), Value: 1 }), headers());
    assert.equal((await seen.next()).payload, 1);
    assert.equal(seen.msgs.length, 2);
  });

  it("snapshot after a stream: the last value of every (charger, observation), on a Node-RED inject", async () => {
    await deploy([
      { id: "tab", type: "tab", label: "e2e" },
      config(),
      { id: "obs", type: "easee-observations", z: "tab", config: "cfg", wires: [["seen", "seenToo"]] },
      { id: "seen", type: "helper", z: "tab" },
      { id: "seenToo", type: "helper", z: "tab" },
    ]);
    const [seen, seenToo] = [new Inbox("seen"), new Inbox("seenToo")];
    await connected();
    for (let i = 1; i <= 3; i++) {
      for (const serial of ["EH000002", "EH000001"]) {
        publisher.publish(api.exchangeName, `${serial}.O.120`, JSON.stringify({ Timestamp: now(), Value: i }), headers());
        publisher.publish(api.exchangeName, `${serial}.O.109`, JSON.stringify({ Timestamp: now(), Value: i }), headers());
      }
    }
    await seen.waitFor(12, 10000);
    helper.getNode("obs").receive({ topic: "snapshot" });
    const snapshot = (await seen.waitFor(16)).slice(12);
    assert.deepEqual(
      snapshot.map((m) => [m.topic, m.payload]),
      [
        ["easee/EH000001/ChargerOpMode", 3],
        ["easee/EH000001/TotalPower", 3],
        ["easee/EH000002/ChargerOpMode", 3],
        ["easee/EH000002/TotalPower", 3],
      ],
    );
    // Wired to two nodes: both get every msg, each its own copy (plain JSON, cloneable).
    const twins = await seenToo.waitFor(16);
    twins.forEach((msg, i) => {
      assert.notEqual(msg, seen.msgs[i]);
      assert.deepEqual(msg, seen.msgs[i]);
    });
    // Status shows a rate once the stream flowed.
    await nextCall("obs", "status", (args) => / msg\/s$/.test(callText(args)), 3000);
    assert.ok(calls("obs", "status").length >= 2);
  });
});
