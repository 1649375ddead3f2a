/**
 * The example flows of examples/ (Import > Examples), except Home Assistant's: each must be valid flow JSON a user
 * can import as is, and must work once the account is filled in. Deployed here against the simulated Easee API,
 * the real RabbitMQ and the real Mosquitto, with each debug node swapped for a test helper node of the same id.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import configNode from "../../nodes/easee-config";
import filterNode from "../../nodes/easee-filter";
import observationsNode from "../../nodes/easee-observations";
import { compileFilter, type FilterOptions } from "../../core/routing";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { type FlowNode, Inbox, callText, coreNodeModule, loadFlow, nextCall } from "../helpers/flows";
import { MQTT_URL, MqttRecorder, coreMqttNodes } from "../helpers/mqtt";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { openPublisher } from "../helpers/rabbit";

/** examples/ at the package root, found from the compiled test (in dist/ or a build folder). */
function examplesDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "examples");
    if (fs.existsSync(path.join(candidate, "Observations in the Debug sidebar.json"))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("examples/ not found");
}

const EXAMPLES = ["Observations in the Debug sidebar", "Chosen values to MQTT", "Last values on demand", "Charger offline alert"];
const OUR_TYPES = new Set(["easee-config", "easee-observations", "easee-filter"]);
const CORE_TYPES = new Set(["tab", "comment", "debug", "inject", "catch", "switch", "mqtt out", "mqtt-broker"]);

function readExample(name: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(examplesDir(), `${name}.json`), "utf8")) as FlowNode[];
}

describe("flow: examples", function () {
  this.timeout(30000);

  describe("import as they are", () => {
    it("every example is listed (examples/*.json beside the Home Assistant and the command ones)", () => {
      // Home Assistant's and the command example have their own specs (homeassistant-example, integration/command).
      const files = fs.readdirSync(examplesDir()).filter((f) => f.endsWith(".json") && !f.includes("Home Assistant") && !f.startsWith("Control a charger"));
      assert.deepEqual(files.sort(), EXAMPLES.map((e) => `${e}.json`).sort());
    });

    for (const name of EXAMPLES) {
      it(`${name}: valid flow JSON with a comment, its config node, and no credentials`, () => {
        const flow = readExample(name);
        assert.ok(Array.isArray(flow));
        const byId = new Map(flow.map((node) => [node.id, node]));
        assert.equal(byId.size, flow.length, "unique ids");
        const tabs = flow.filter((node) => node.type === "tab");
        assert.equal(tabs.length, 1);
        const comments = flow.filter((node) => node.type === "comment");
        assert.equal(comments.length, 1);
        assert.ok(String(comments[0]?.info).length > 100, "the comment explains the flow");
        for (const node of flow) {
          assert.ok(OUR_TYPES.has(node.type) || CORE_TYPES.has(node.type), `${node.type} is ours or core`);
          assert.equal("credentials" in node, false, `${node.id} carries no credentials`);
          const isConfig = node.type === "easee-config" || node.type === "mqtt-broker";
          if (node.type !== "tab") {
            if (isConfig) assert.equal(node.z, undefined, `${node.id} is a global config node`);
            else assert.equal(node.z, tabs[0]?.id, `${node.id} is on the example's tab`);
          }
          for (const port of (node.wires as string[][] | undefined) ?? []) {
            for (const target of port) assert.ok(byId.has(target), `${node.id} wires to ${target}`);
          }
          if (typeof node.config === "string") assert.equal(byId.get(node.config)?.type, "easee-config");
          if (node.type === "mqtt out") assert.equal(byId.get(String(node.broker))?.type, "mqtt-broker");
        }
        const configs = flow.filter((node) => node.type === "easee-config");
        assert.equal(configs.length, 1);
        assert.equal(configs[0]?.apiUrl, "https://api.easee.com");
        assert.ok(flow.some((node) => node.type === "easee-observations"));
        for (const filter of flow.filter((node) => node.type === "easee-filter")) {
          const compiled = compileFilter(filter as FilterOptions, catalogueNameLookup);
          assert.ok(compiled.ok, "filter rules are valid");
          if (compiled.ok) {
            assert.equal(filter.outputs, compiled.filter.outputs);
            assert.equal((filter.wires as unknown[]).length, compiled.filter.outputs);
          }
        }
      });
    }

    it("every example file is named as a title, and its flow's description (the Info sidebar on import) has its steps and how to try it with the simulator", () => {
      const files = fs.readdirSync(examplesDir()).filter((f) => f.endsWith(".json"));
      for (const file of files) {
        const title = file.replace(/\.json$/, "");
        assert.match(title, /^[A-Z][a-z]*( [A-Za-z]+)+$/, `${file}: words a user reads, not a slug`);
        const [tab] = readExample(title).filter((node) => node.type === "tab");
        assert.equal(tab?.label, title, `${file}: the tab is named as the example`);
        const info = String(tab?.info);
        assert.match(info, /^[^\n]+\n\n1\. [^\n]+\n2\. /, `${file}: a sentence, then numbered steps`);
        assert.match(info, /\*\*Easee account\*\*/, `${file}: names the config node as the dialogs do`);
        assert.match(info, /npx easee-simulator/, `${file}: how to try it with the simulator`);
        assert.match(info, /http:\/\/127\.0\.0\.1:8090/, `${file}: the simulator's port`);
        const config = readExample(title).find((node) => node.type === "easee-config");
        assert.equal(config?.name, "Easee account");
      }
    });

    it("the examples share one Easee account node (same id and settings), so importing several adds it once", () => {
      const configs = [...EXAMPLES, "Easee to Home Assistant"]
        .filter((name) => fs.existsSync(path.join(examplesDir(), `${name}.json`)))
        .map((name) => readExample(name).find((node) => node.type === "easee-config"));
      for (const config of configs) assert.deepEqual(config, configs[0]);
    });
  });

  describe("work once deployed", () => {
    let api: EaseeApiServer;
    let publisher: Awaited<ReturnType<typeof openPublisher>>;
    let recorder: MqttRecorder | undefined;

    beforeEach(async () => {
      api = await startEaseeApiServer({ operatorId: `flowexamples${Date.now()}${process.pid}` });
      publisher = await openPublisher();
      await startServer();
    });

    afterEach(async () => {
      await stopServer();
      await recorder?.close();
      recorder = undefined;
      await publisher.close();
      await api.close();
    });

    /** The example with the simulator's API URL, the test broker, and helper nodes in place of debug nodes. */
    async function deploy(name: string, change: (node: FlowNode) => FlowNode = (node) => node): Promise<FlowNode[]> {
      const mqttUrl = new URL(MQTT_URL);
      const flow = readExample(name).map(change).map((node): FlowNode => {
        if (node.type === "easee-config") return { ...node, apiUrl: api.url };
        if (node.type === "mqtt-broker") return { ...node, broker: mqttUrl.hostname, port: mqttUrl.port || "1883" };
        if (node.type === "debug") return { id: node.id, type: "helper", z: node.z as string, name: node.name };
        return node;
      });
      const config = flow.find((node) => node.type === "easee-config") as FlowNode;
      await loadFlow(
        [
          configNode,
          observationsNode,
          filterNode,
          coreMqttNodes(),
          coreNodeModule("common/20-inject.js"),
          coreNodeModule("common/90-comment.js"),
          coreNodeModule("function/10-switch.js"),
        ],
        flow,
        { [config.id]: { username: api.credentials.userName, password: api.credentials.password } },
      );
      const observations = flow.find((node) => node.type === "easee-observations") as FlowNode;
      await nextCall(observations.id, "status", (args) => callText(args) === "easee-config.status.connected", 15000);
      return flow;
    }

    const idOf = (flow: FlowNode[], type: string, name?: string) =>
      (flow.find((node) => node.type === type && (name === undefined || node.name === name)) as FlowNode).id;
    const publish = (serial: string, id: number, value: unknown) =>
      publisher.publish(api.exchangeName, `${serial}.O.${id}`, JSON.stringify({ Timestamp: new Date().toISOString(), Value: value }), {
        headers: { ArrivalTime: new Date().toISOString() },
      });

    it("Observations in the Debug sidebar: observations and decode errors reach their debug nodes", async () => {
      const flow = await deploy("Observations in the Debug sidebar");
      const observations = new Inbox(idOf(flow, "helper", "observations"));
      const errors = new Inbox(idOf(flow, "helper", "decode errors"));
      publish("EH000001", 120, 3.5);
      publisher.publish(api.exchangeName, "EH000001.O.121", "not json", {});
      publish("EH000001", 109, 3);
      const msgs = await observations.waitFor(2, 10000);
      assert.deepEqual(
        msgs.map((m) => [m.topic, m.payload]),
        [
          ["easee/EH000001/TotalPower", 3.5],
          ["easee/EH000001/ChargerOpMode", 3],
        ],
      );
      const [error] = await errors.waitFor(1);
      assert.equal(error?.payload, "not json");
    });

    it("Chosen values to MQTT: the chosen observations reach the MQTT broker, on change only", async () => {
      const serial = `EHX${Date.now().toString(36).toUpperCase()}${process.pid}`;
      recorder = await MqttRecorder.connect();
      await recorder.subscribe(`easee/${serial}/#`);
      const flow = await deploy("Chosen values to MQTT");
      await nextCall(idOf(flow, "mqtt out"), "status", (args) => callText(args) === "node-red:common.status.connected", 10000);
      const passed = new Inbox(idOf(flow, "helper", "passed"));
      publish(serial, 109, 3);
      publish(serial, 109, 3); // unchanged: held back
      publish(serial, 120, 7.4);
      publish(serial, 183, 16);
      publish(serial, 150, 41); // TempMax: no rule
      publish(serial, 109, 4);
      await passed.waitFor(4, 10000);
      await recorder.until((messages) => messages.length >= 4, "four MQTT messages");
      publish(serial, 121, 2.5);
      await recorder.until((messages) => messages.length >= 5, "the last MQTT message");
      assert.deepEqual(
        recorder.messages.map((m) => [m.topic, m.payload]),
        [
          [`easee/${serial}/ChargerOpMode`, "3"],
          [`easee/${serial}/TotalPower`, "7.4"],
          [`easee/${serial}/InCurrent_T3`, "16"],
          [`easee/${serial}/ChargerOpMode`, "4"],
          [`easee/${serial}/SessionEnergy`, "2.5"],
        ],
      );
    });

    it("Last values on demand: the inject button sends the last value of every observation", async () => {
      const flow = await deploy("Last values on demand");
      const debug = new Inbox(idOf(flow, "helper", "observations"));
      publish("EH000001", 120, 1);
      publish("EH000001", 120, 2);
      publish("EH000001", 109, 3);
      await debug.waitFor(3, 10000);
      // What the editor's inject button does: the inject node sends its msg (topic "snapshot").
      helper.getNode(idOf(flow, "inject")).receive({});
      const snapshot = (await debug.waitFor(5)).slice(3);
      assert.deepEqual(
        snapshot.map((m) => [m.topic, m.payload]),
        [
          ["easee/EH000001/ChargerOpMode", 3],
          ["easee/EH000001/TotalPower", 2],
        ],
      );
    });

    it("Charger offline alert: a silent charger reaches 'went offline', its next message 'back online'", async () => {
      // The example's 20 minutes, shortened the way a user would in the dialog.
      const flow = await deploy("Charger offline alert", (node) => (node.type === "easee-observations" ? { ...node, silenceMinutes: 0.01 } : node));
      const offline = new Inbox(idOf(flow, "helper", "went offline"));
      const online = new Inbox(idOf(flow, "helper", "back online"));
      publish("EH000007", 120, 1);
      const [gone] = await offline.waitFor(1, 10000);
      assert.equal(gone?.topic, "easee/EH000007/Online");
      assert.equal(gone?.payload, false);
      publish("EH000007", 120, 2);
      const [back] = await online.waitFor(1, 10000);
      assert.equal(back?.payload, true);
      assert.equal(online.msgs.length + offline.msgs.length, 2, "observations themselves go to neither");
    });
  });
});
