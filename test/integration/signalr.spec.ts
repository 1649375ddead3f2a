/**
 * The SignalR stream end to end: the real SignalR client (@microsoft/signalr, in easee-config on stream `signalr`)
 * against the simulator's hub (negotiate-free WebSocket, JSON hub protocol) and REST API, through a real Node-RED
 * runtime to easee-observations. What a user with a personal Easee account sees: the charger's current state at
 * deploy (marked as a replay), live values, the stream coming back by itself after a hub restart or token expiry
 * without duplicate subscriptions, a charger added in the app appearing, unknown hub methods ignored, a 429 on the
 * charger list honoured, Test connection telling which stream the account can use, and no secret anywhere.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import type { NodeMessage } from "node-red";
import commandNode from "../../nodes/easee-command";
import configNode from "../../nodes/easee-config";
import observationsNode from "../../nodes/easee-observations";
import { startSimulator, type Simulator } from "../../simulator";
import { type FlowNode, Inbox, callText, english, loadFlow, nextCall, setTestTuning } from "../helpers/flows";
import { RuntimeCapture } from "../helpers/log-capture";
import { helper, startServer, stopServer } from "../helpers/node-red";

const INTEGRATION = { userName: "integration@example.com", password: "pw-integration-signalr-78" };
const PERSONAL = { userName: "personal@example.com", password: "pw-personal-signalr-77" };
const TUNING = {
  signalrBackoffMinMs: 100,
  signalrBackoffMaxMs: 400,
  signalrStableAfterMs: 0,
  chargerRefreshMs: 400,
  signalrConnectTimeoutMs: 1500,
  apiBackoffMinMs: 100,
  apiBackoffMaxMs: 400,
};

interface Easee {
  chargerId: string;
  observationId: number;
  name: string;
  timestamp?: string;
  routingKey?: string;
  replay?: boolean;
  label?: string;
}
const easee = (msg: NodeMessage): Easee => msg.easee as Easee;

describe("SignalR stream: real client → simulated Easee hub → easee-config → easee-observations", function () {
  this.timeout(40_000);
  let sim: Simulator;
  let capture: RuntimeCapture;

  beforeEach(async () => {
    sim = await startSimulator({
      operatorId: `signalr${Date.now()}${process.pid}`,
      chargers: 2,
      startCharging: 0,
      live: false,
      commands: false,
      api: {
        users: {
          [INTEGRATION.userName]: { password: INTEGRATION.password, kind: "integration" },
          [PERSONAL.userName]: { password: PERSONAL.password, kind: "personal" },
        },
      },
    });
    setTestTuning(TUNING);
    await startServer();
    capture = RuntimeCapture.start();
    capture.watchSecrets(() => [PERSONAL.password, INTEGRATION.password, ...sim.api.issuedSecrets()]);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      for (const line of capture.lines) console.log(`      log ${line.level} ${line.nodeId ?? ""} ${line.text.slice(0, 300)}`);
      for (const status of capture.statuses) console.log(`      status ${status.nodeId} ${status.text}`);
    }
    const leaks = capture.leaks();
    capture.stop();
    setTestTuning(undefined);
    await stopServer();
    await sim.close();
    assert.deepEqual(leaks, [], "no secret in any log line, status or msg");
  });

  function flow(observations: Partial<FlowNode> = {}): FlowNode[] {
    return [
      { id: "cfg", type: "easee-config", name: "personal", apiUrl: sim.apiUrl, stream: "signalr", signalrUrl: sim.hubUrl },
      { id: "obs", type: "easee-observations", config: "cfg", wires: [["out"]], ...observations },
      { id: "out", type: "helper" },
    ];
  }

  async function deploy(nodes: FlowNode[] = flow()): Promise<Inbox> {
    await loadFlow([configNode, observationsNode], nodes, { cfg: { username: PERSONAL.userName, password: PERSONAL.password } });
    return new Inbox("out");
  }

  /** The observations node shows the config's "connected" (green; with traffic already flowing, its msg rate). */
  const connected = (timeoutMs = 15_000): Promise<unknown[]> =>
    nextCall("obs", "status", (args) => (args[0] as { fill?: string } | undefined)?.fill === "green", timeoutMs);

  /** Both chargers subscribed once on one connection. */
  const subscribedOnce = (hub = sim.hub): boolean =>
    hub.connections.length === 1 &&
    hub.connections.every((c) => c.subscriptions.size === 2 && [...c.subscriptions.values()].every((n) => n === 1));

  /** A live value from the charger (device time now), as the simulator's chargers report. */
  function live(serial: string, observationId: number, value: number | string | boolean): void {
    sim.hub.publish(serial, [{ observationId, value, timestampMs: Date.now() - 40 }]);
  }

  async function waitForMsg(inbox: Inbox, match: (msg: NodeMessage) => boolean, timeoutMs = 10_000): Promise<NodeMessage> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < inbox.msgs.length; seen++) {
        const msg = inbox.msgs[seen] as NodeMessage;
        if (match(msg)) return msg;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching msg among ${inbox.msgs.length} within ${timeoutMs} ms`);
      await inbox.waitFor(seen + 1, left);
    }
  }

  it("subscribes to every charger once, replays the current state (marked, no routing key), then live values", async () => {
    const hourAgo = Date.now() - 3600_000;
    sim.hub.publish("EH000001", [
      { observationId: 109, value: 3, timestampMs: hourAgo },
      { observationId: 120, value: 7.2, timestampMs: hourAgo },
    ]);
    sim.hub.publish("EH000002", [{ observationId: 109, value: 1, timestampMs: hourAgo }]);
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    const replayed = await inbox.waitFor(3);
    for (const msg of replayed) {
      assert.equal(easee(msg).replay, true, `${msg.topic} marked as a replay`);
      assert.equal("routingKey" in (msg.easee as object), false, "no routing key on the SignalR stream");
      assert.equal(easee(msg).timestamp, new Date(hourAgo).toISOString(), "the device time of the replayed value");
    }
    const mode = replayed.find((msg) => msg.topic === "easee/EH000001/ChargerOpMode");
    assert.ok(mode, "the charger's operating mode is replayed");
    assert.equal(mode.payload, 3);
    assert.equal(easee(mode).label, "Charging");

    live("EH000001", 120, 11.04);
    const power = await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000001/TotalPower" && msg.payload === 11.04);
    assert.equal(easee(power).replay, undefined, "a live value is not a replay");
    assert.deepEqual(Object.keys(power.easee as object).sort(), [
      "category",
      "chargerId",
      "dataType",
      "description",
      "device",
      "known",
      "name",
      "observationId",
      "timestamp",
      "unit",
    ]);
  });

  it("maxAgeSeconds judges a replayed value by its device time; live values pass", async () => {
    sim.hub.publish("EH000001", [
      { observationId: 109, value: 3, timestampMs: Date.now() - 3600_000 },
      { observationId: 120, value: 4.2, timestampMs: Date.now() - 60_000 },
    ]);
    const inbox = await deploy(flow({ maxAgeSeconds: 600 }));
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    live("EH000001", 121, 1.5);
    const energy = await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000001/SessionEnergy");
    const topics = inbox.msgs.slice(0, inbox.msgs.indexOf(energy)).map((msg) => msg.topic);
    assert.deepEqual(topics, ["easee/EH000001/TotalPower"], "the 1-minute-old replay passes, the 1-hour-old one is dropped");
  });

  it("a hub restart: reconnects, subscribes every charger again, once; no duplicate msgs", async () => {
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    const before = sim.hub.accepted;
    sim.hub.dropAll();
    await sim.hub.waitFor((hub) => hub.accepted > before && subscribedOnce(hub));
    for (let i = 0; i < 3; i++) {
      // A reconnect right after the drop may race the first publish: publish until one arrives, then count.
      live("EH000002", 114, 20 + i);
    }
    await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000002/OutputCurrent" && msg.payload === 22);
    const currents = inbox.msgs.filter((msg) => msg.topic === "easee/EH000002/OutputCurrent").map((msg) => msg.payload);
    assert.deepEqual(currents, [20, 21, 22], "each value once");
    assert.equal(sim.hub.connections.length, 1, "one connection");
  });

  it("token expiry during a connection: the hub closes it, the client reconnects with a refreshed token", async () => {
    sim.api.setAccessTokenLifetime(3);
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    const before = sim.hub.accepted;
    // The hub closes the connection when the token it was opened with expires (3 s); the REST client has refreshed
    // the token by then (80 % of its lifetime), so the next connection is accepted at once.
    await sim.hub.waitFor((hub) => hub.accepted > before && subscribedOnce(hub), 15_000);
    live("EH000001", 109, 2);
    await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000001/ChargerOpMode" && msg.payload === 2);
    assert.equal(sim.api.count("login"), 1, "refreshed, not logged in again");
    assert.ok(sim.api.count("refresh") >= 1, "the token was refreshed");
  });

  it("the hub refuses a revoked token (401): the token is renewed and the stream comes back", async () => {
    sim.hub.refuseUpgrades(401, 1);
    const inbox = await deploy();
    await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.hub-refused", 10_000);
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    assert.ok(sim.api.count("refresh") >= 1, "the token was renewed before the next try");
    live("EH000002", 109, 6);
    await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000002/ChargerOpMode");
  });

  it("a charger added later in the Easee app is subscribed without a redeploy", async () => {
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    sim.api.addCharger("EH000099");
    await sim.hub.waitFor((hub) => hub.connections[0]?.subscriptions.get("EH000099") === 1);
    live("EH000099", 109, 3);
    await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000099/ChargerOpMode");
    assert.equal(sim.hub.accepted, 1, "on the same connection");
    assert.deepEqual([...(sim.hub.connections[0]?.subscriptions.values() ?? [])], [1, 1, 1], "each charger once");
  });

  it("an unknown hub method (SubscribeToMyProduct) is ignored: no error, no reconnect", async () => {
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    sim.hub.sendToAll("SubscribeToMyProduct", [{ productId: "EH000001" }]);
    sim.hub.sendToAll("SomethingNew", []);
    live("EH000001", 120, 3.3);
    await waitForMsg(inbox, (msg) => msg.topic === "easee/EH000001/TotalPower");
    assert.equal(sim.hub.accepted, 1, "the connection stayed up");
    assert.equal(capture.lines.filter((line) => line.level <= 20 && line.nodeId === "obs").length, 0, "no error");
  });

  it("a malformed ProductUpdate reaches a Catch node as an error; the stream goes on", async () => {
    const inbox = await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    sim.hub.sendToAll("ProductUpdate", [{ mid: "EH000001", id: 120, dataType: 3, value: { nested: [1, 2] } }]);
    const [text, msg] = await nextCall("obs", "error", () => true, 5000);
    assert.match(String(text), /ProductUpdate: value is an object/);
    assert.deepEqual((msg as NodeMessage).easee, {}, "no routing key on the SignalR stream");
    live("EH000001", 120, 5.5);
    await waitForMsg(inbox, (m) => m.topic === "easee/EH000001/TotalPower");
  });

  it("a 429 on the charger list: waits as long as Easee asks, then connects", async () => {
    sim.api.setFault({ kind: "rate-limit", endpoint: "chargers", times: 1, retryAfterSeconds: 1 });
    await deploy();
    await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.rate-limited", 10_000);
    await connected();
    const lists = sim.api.requests.filter((request) => request.endpoint === "chargers");
    assert.equal(lists[0]?.status, 429);
    assert.equal(lists[1]?.status, 200);
    const waited = (lists[1]?.atMs ?? 0) - (lists[0]?.atMs ?? 0);
    assert.ok(waited >= 950, `waited ${waited} ms after Retry-After: 1`);
  });

  it("Test connection: a personal account is told to use SignalR, an integration account that AMQP is available", async () => {
    await deploy();
    const post = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const response = await helper.request().post("/easee-config/test").send(body).expect(200);
      return response.body as Record<string, unknown>;
    };
    const personalOnAmqp = await post({ apiUrl: sim.apiUrl, username: PERSONAL.userName, password: PERSONAL.password, stream: "amqp" });
    assert.deepEqual([personalOnAmqp.ok, personalOnAmqp.code, personalOnAmqp.suggest], [false, "not-integration-account", "signalr"]);
    assert.match(String(personalOnAmqp.message), /^Personal account: use SignalR/);
    const personal = await post({ apiUrl: sim.apiUrl, username: PERSONAL.userName, password: PERSONAL.password, stream: "signalr" });
    assert.deepEqual([personal.ok, personal.code, personal.chargers], [true, "personal-account", 2]);
    assert.match(String(personal.message), /personal account: use SignalR/);
    const integration = await post({ apiUrl: sim.apiUrl, username: INTEGRATION.userName, password: INTEGRATION.password, stream: "signalr" });
    assert.deepEqual([integration.ok, integration.code, integration.suggest], [true, "integration-account", "amqp"]);
    assert.match(String(integration.message), /integration account: AMQP available/);
  });

  it("a hub that takes the connection but never answers: 'hub unreachable' after the connect timeout, then retried", async () => {
    const sockets = new Set<net.Socket>();
    let accepted = 0;
    const silent = net.createServer((socket) => {
      accepted += 1;
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const triedAgain = new Promise<void>((resolve) => silent.on("connection", () => accepted >= 2 && resolve()));
    try {
      const nodes = flow();
      (nodes[0] as FlowNode).signalrUrl = `http://127.0.0.1:${port}/hubs/chargers`;
      await deploy(nodes);
      await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.hub-unreachable", 10_000);
      await triedAgain;
      assert.ok(accepted >= 2, `tried again (${accepted} connections)`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("closing the flow closes the hub connection and leaves no subscription behind", async () => {
    await deploy();
    await connected();
    await sim.hub.waitFor(subscribedOnce);
    await helper.unload();
    await sim.hub.waitFor((hub) => hub.connections.length === 0, 5000);
  });

  describe("commands over Easee's REST API, answered on the hub", () => {
    function commandFlow(timeoutSeconds = 10): FlowNode[] {
      return [
        { id: "tab", type: "tab", label: "commands" },
        { id: "cfg", type: "easee-config", name: "personal", apiUrl: sim.apiUrl, stream: "signalr", signalrUrl: sim.hubUrl },
        { id: "cmd", type: "easee-command", z: "tab", config: "cfg", chargerId: "", command: "", timeoutSeconds, allowPermanent: false, wires: [["out1"], ["out2"]] },
        { id: "out1", type: "helper", z: "tab" },
        { id: "out2", type: "helper", z: "tab" },
        { id: "catcher", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] },
        { id: "caught", type: "helper", z: "tab" },
      ];
    }

    async function deployCommands(timeoutSeconds = 10): Promise<{ out1: Inbox; out2: Inbox; caught: Inbox }> {
      await loadFlow([configNode, commandNode], commandFlow(timeoutSeconds), { cfg: { username: PERSONAL.userName, password: PERSONAL.password } });
      await nextCall("cmd", "status", (args) => callText(args) === "easee-config.status.connected", 15_000);
      await sim.hub.waitFor(subscribedOnce);
      return { out1: new Inbox("out1"), out2: new Inbox("out2"), caught: new Inbox("caught") };
    }

    const send = (msg: Record<string, unknown>): void => {
      helper.getNode("cmd").receive({ chargerId: "EH000001", ...msg } as NodeMessage);
    };

    it("sends dynamic current, enabled, smart charging and reboot through REST; outputs as on AMQP, matched by ticks", async () => {
      const { out1, caught } = await deployCommands();
      const cases: [string, unknown, string, Record<string, unknown>][] = [
        ["SetDynamicChargerCurrent", { Current_Amp: 10, TTL_Minutes: 2 }, "/api/chargers/EH000001/commands/set_dynamic_charger_current", { amps: 10, minutes: 2 }],
        ["SetEnabled", false, "/api/chargers/EH000001/settings", { enabled: false }],
        ["SetSmartCharging", true, "/api/chargers/EH000001/settings", { smartCharging: true }],
        ["Reboot", undefined, "/api/chargers/EH000001/commands/reboot", {}],
      ];
      for (const [index, [command, payload, path, body]] of cases.entries()) {
        send({ topic: command, payload, keep: index });
        const msg = (await out1.waitFor(index + 1, 10_000))[index] as NodeMessage & { keep?: number };
        const answer = msg.payload as { accepted: boolean; resultCode: number; comment: string };
        const meta = msg.easee as Record<string, unknown>;
        assert.equal(msg.topic, command);
        assert.equal(answer.accepted, true, `${command}: ${answer.comment}`);
        assert.equal(answer.resultCode, 0);
        assert.match(String(meta.ticks), /^\d{18}$/);
        assert.deepEqual(Object.keys(meta).sort(), [
          "arguments", "chargerId", "command", "commandId", "deliveredAt", "latencyMs", "respondedAt", "sentAt", "ticks",
        ]);
        assert.equal(msg.keep, index, "the input msg's own properties are kept");
        const taken = sim.hub.restCommands[index];
        assert.equal(taken?.path, path);
        assert.deepEqual(taken?.body, body);
        assert.notEqual(taken?.ticks, meta.ticks, "Easee's ticks were translated back to the node's");
      }
      assert.equal(sim.chargers[0]?.settings.dynamicChargerCurrent, 10);
      assert.equal(caught.msgs.length, 0);
      const spacing = sim.api.requests.filter((r) => r.endpoint === "charger-settings" || r.endpoint === "charger-command").map((r) => r.atMs);
      for (let i = 1; i < spacing.length; i++) {
        assert.ok((spacing[i] as number) - (spacing[i - 1] as number) >= 950, "REST commands at most once a second");
      }
    });

    it("a command Easee's REST API has no endpoint for is a Catch error; nothing is sent", async () => {
      const { caught } = await deployCommands();
      send({ topic: "SetDynamicCircuitCurrent", payload: [10, 10, 10] });
      const error = await caught.next(5000);
      assert.match((error.error as { message: string }).message, /SetDynamicCircuitCurrent cannot be sent on the SignalR stream/);
      assert.equal(sim.hub.restCommands.length, 0);
    });

    it("a 429 on a command: a plain error, and no further REST call until Retry-After has passed", async () => {
      sim.api.setFault({ kind: "rate-limit", endpoint: "charger-command", times: 1, retryAfterSeconds: 30 });
      const { caught } = await deployCommands();
      send({ topic: "SetDynamicChargerCurrent", payload: 8 });
      const first = await caught.next(5000);
      assert.match((first.error as { message: string }).message, /HTTP 429/);
      send({ topic: "SetDynamicChargerCurrent", payload: 9 });
      const second = await caught.next(5000);
      assert.match((second.error as { message: string }).message, /next command in 3\d s/);
      assert.equal(sim.api.requests.filter((r) => r.endpoint === "charger-command").length, 1, "the second never reached Easee");
    });

    it("no response on the hub: times out as on AMQP; a response from the Easee app goes to output 2", async () => {
      const { out2, caught } = await deployCommands(2);
      sim.hub.silent = true;
      helper.getNode("cmd").receive({ chargerId: "EH000001", topic: "SetEnabled", payload: true } as NodeMessage);
      await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.inFlight", { count: 1 }));
      sim.hub.commandResponse({
        SerialNumber: "EH000002",
        ID: 48,
        Timestamp: new Date().toISOString(),
        DeliveredAt: new Date().toISOString(),
        WasAccepted: true,
        ResultCode: 0,
        Comment: "",
        Ticks: 638676000000000000,
      });
      const other = await out2.next(5000);
      assert.equal((other.easee as { chargerId: string }).chargerId, "EH000002");
      assert.equal("arguments" in (other.easee as object), false);
      const timedOut = await caught.next(5000);
      assert.equal(
        (timedOut.error as { message: string }).message,
        english("easee-command.errors.timeout", { command: "SetEnabled", charger: "EH000001", seconds: 2 }),
      );
    });
  });
});
