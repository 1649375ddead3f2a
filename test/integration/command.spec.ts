/**
 * easee-command end to end: a real Node-RED runtime, the real easee-config node (real login against the simulated
 * Easee API, real AMQP with a least-privilege user: NO configure, read on the operator queue, write on the command
 * exchange only), the simulator's charger answering on the real RabbitMQ.
 * Every test has its own operator (queue and exchange), deleted on close.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeMessage } from "node-red";
import { COMMANDS, ticksFromMs } from "../../core/command";
import commandNode from "../../nodes/easee-command";
import configNode from "../../nodes/easee-config";
import filterNode from "../../nodes/easee-filter";
import observationsNode from "../../nodes/easee-observations";
import { DEMO_COMMAND_CHARGER, DEMO_COMMAND_IDS, buildDemoFlow } from "../../scripts/demo-flow";
import type { EaseeConfigNode } from "../../nodes/shared/config-api";
import { startSimulator, type Simulator } from "../../simulator/index";
import { type FlowNode, Inbox, callText, calls, coreNodeModule, english, loadFlow, nextCall, setTestTuning } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { closeConnections, createLeastPrivilegeUser, openPublisher, uniqueName, type TestUser } from "../helpers/rabbit";

interface CommandEasee {
  chargerId: string;
  commandId: number;
  command: string;
  ticks: string;
  arguments?: Record<string, unknown>;
  sentAt?: string;
  deliveredAt?: string;
  respondedAt: string;
  latencyMs: number;
}
const easee = (msg: NodeMessage) => (msg as NodeMessage & { easee: CommandEasee }).easee;
const payload = (msg: NodeMessage) => msg.payload as { accepted: boolean; resultCode: number | null; comment: string };

/** Valid arguments for every command of the table; Reboot last (a rebooting charger refuses commands). */
const VALID: Record<string, unknown> = {
  SetDynamicChargerCurrent: { Current_Amp: 13, TTL_Minutes: 5 },
  SetDynamicCircuitCurrent: [16, 0, 0],
  SetEnabled: true,
  SetSmartCharging: "false",
  SetLockCablePermanently: 0,
  AuthorizeCharging: undefined,
  DeauthorizeCharging: { IDToken: "04AABBCCDD" },
  SetDynamicCurrentOfflineFallback: [6, 6, 6],
  OverrideSchedule: undefined,
  SetMaxChargerCurrent: 32,
  SetMaxCircuitCurrent: { currentP1: 25, currentP2: 25, currentP3: 25 },
  UpgradeFirmware: undefined,
  Reboot: undefined,
};

describe("easee-command with RabbitMQ and the simulator (integration)", function () {
  this.timeout(30_000);
  const suitePrefix = uniqueName("cmd").replace(/-/g, "");
  let operatorCounter = 0;
  let writer: TestUser;
  let readOnly: TestUser;
  let sim: Simulator;
  let serial: string;

  before(async () => {
    // Quick reconnects for the connection-drop test; not a user setting.
    setTestTuning({ amqpBackoffMinMs: 1500, amqpBackoffMaxMs: 2000 });
    writer = await createLeastPrivilegeUser({
      queueRegex: `^Operator_${suitePrefix}n\\d+\\.Q$`,
      exchangeRegex: `^Operator_${suitePrefix}n\\d+\\.C\\.X$`,
      prefix: "command-lp",
    });
    // Reads the queue, may write nowhere: the broker refuses its publishes.
    readOnly = await createLeastPrivilegeUser({
      queueRegex: `^Operator_${suitePrefix}n\\d+\\.Q$`,
      exchangeRegex: "^$",
      prefix: "command-ro",
    });
  });

  after(async () => {
    setTestTuning(undefined);
    await writer.delete();
    await readOnly.delete();
  });

  beforeEach(async () => {
    operatorCounter += 1;
    sim = await startSimulator({
      operatorId: `${suitePrefix}n${operatorCounter}`,
      chargers: 1,
      startCharging: 1,
      live: false,
      api: { consumer: { username: writer.username, password: writer.password } },
      onError: () => undefined,
    });
    serial = sim.chargers[0]?.serial as string;
    await startServer();
  });

  afterEach(async () => {
    await stopServer();
    await sim.close();
  });

  function flow(command: Record<string, unknown> = {}): FlowNode[] {
    return [
      { id: "tab", type: "tab", label: "commands" },
      { id: "cfg", type: "easee-config", name: "sim", apiUrl: sim.apiUrl, rejectUnauthorized: true, heartbeat: 30, prefetch: 200 },
      {
        id: "cmd",
        type: "easee-command",
        z: "tab",
        config: "cfg",
        chargerId: "",
        command: "",
        timeoutSeconds: 10,
        allowPermanent: false,
        wires: [["out1"], ["out2"]],
        ...command,
      },
      { id: "out1", type: "helper", z: "tab" },
      { id: "out2", type: "helper", z: "tab" },
      { id: "catcher", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "helper", z: "tab" },
    ];
  }

  async function deploy(command: Record<string, unknown> = {}): Promise<void> {
    await loadFlow([configNode, commandNode], flow(command), {
      cfg: { username: sim.credentials.userName, password: sim.credentials.password },
    });
    await nextCall("cmd", "status", (args) => callText(args) === "easee-config.status.connected", 15_000);
  }

  it("sends every command of the table and outputs the charger's answer (least-privilege user)", async () => {
    await deploy({ allowPermanent: true, chargerId: serial });
    const out1 = new Inbox("out1");
    const caught = new Inbox("caught");
    const names = COMMANDS.map((command) => command.name).sort((a, b) => (a === "Reboot" ? 1 : b === "Reboot" ? -1 : 0));
    for (const [index, name] of names.entries()) {
      helper.getNode("cmd").receive({ topic: name, payload: VALID[name], force: true, keep: index } as NodeMessage);
      const msg = await out1.waitFor(index + 1, 10_000).then((msgs) => msgs[index] as NodeMessage);
      const spec = COMMANDS.find((command) => command.name === name);
      assert.equal(msg.topic, name);
      assert.deepEqual(payload(msg).accepted, true, `${name}: ${payload(msg).comment}`);
      assert.equal(payload(msg).resultCode, 0);
      assert.equal(easee(msg).chargerId, serial);
      assert.equal(easee(msg).commandId, spec?.id);
      assert.match(easee(msg).ticks, /^\d{18}$/);
      assert.ok(easee(msg).sentAt && easee(msg).respondedAt && easee(msg).deliveredAt, "times");
      assert.ok(easee(msg).latencyMs >= 0);
      assert.equal((msg as NodeMessage & { keep?: number }).keep, index, "the input msg's own properties are kept");
    }
    assert.equal(caught.msgs.length, 0, "no errors");
    const settings = sim.chargers[0]?.settings;
    assert.deepEqual(settings?.dynamicCircuitCurrent, [16, 0, 0]);
    assert.deepEqual(settings?.offlineFallback, [6, 6, 6]);
    assert.equal(settings?.dynamicChargerCurrent, 13);
  });

  it("names the arguments as sent; a refused command is an answer on output 1, not an error", async () => {
    await deploy();
    const out1 = new Inbox("out1");
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetDynamicChargerCurrent", chargerId: serial, payload: { current_amp: "10", ttlminutes: 2 } } as NodeMessage);
    const first = await out1.next(10_000);
    assert.deepEqual(easee(first).arguments, { Current_Amp: 10, TTL_Minutes: 2 });
    // The circuit's maximum is 25 A: the charger refuses 32 A on a phase.
    helper.getNode("cmd").receive({ topic: "SetDynamicCircuitCurrent", chargerId: serial, payload: [32, 32, 32] } as NodeMessage);
    const refused = await out1.next(10_000);
    assert.equal(payload(refused).accepted, false);
    assert.match(payload(refused).comment, /above the circuit's maximum of 25 A/);
    assert.equal(caught.msgs.length, 0);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.refused"));
  });

  it("checks before sending: a bad argument or a permanent command is a Catch error and nothing is published", async () => {
    let seen = 0;
    const previous = sim.commands?.handled ?? 0;
    await deploy();
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetDynamicChargerCurrent", chargerId: serial, payload: 95 } as NodeMessage);
    const bad = await caught.next();
    assert.equal(
      (bad.error as { message: string }).message,
      english("easee-command.errors.out-of-range", { argument: "Current_Amp", command: "SetDynamicChargerCurrent", min: 0, max: 80, unit: "A", value: "95" }),
    );
    helper.getNode("cmd").receive({ topic: "SetMaxChargerCurrent", chargerId: serial, payload: 16 } as NodeMessage);
    const permanent = await caught.next();
    assert.match((permanent.error as { message: string }).message, /flash/);
    seen = (sim.commands?.handled ?? 0) - previous;
    assert.equal(seen, 0, "nothing reached the charger");
  });

  it("times out when the charger does not answer, and says so", async () => {
    sim.commands?.setAnswering(false);
    await deploy({ timeoutSeconds: 1 });
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetEnabled", chargerId: serial, payload: false } as NodeMessage);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.inFlight", { count: 1 }));
    const timedOut = await caught.next(5000);
    assert.equal(
      (timedOut.error as { message: string }).message,
      english("easee-command.errors.timeout", { command: "SetEnabled", charger: serial, seconds: 1 }),
    );
    assert.equal(timedOut.topic, "SetEnabled", "the input msg goes to Catch");
    const config = helper.getNode("cfg") as unknown as EaseeConfigNode;
    assert.equal(config.commands.pending.size, 0);
  });

  it("a broker that refuses the publish (no write permission) is a plain error; the stream goes on", async () => {
    sim.api.setConsumer({ username: readOnly.username, password: readOnly.password });
    await deploy();
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetDynamicChargerCurrent", chargerId: serial, payload: 8 } as NodeMessage);
    const refused = await caught.next(10_000);
    const text = (refused.error as { message: string }).message;
    assert.match(text, /the broker refused the publish \(no write permission on the command exchange Operator_.*\.C\.X\)/);
    assert.ok(!text.includes(readOnly.password));
    // Only the command channel closed: the consumer still receives (an unsolicited response arrives on output 2).
    const out2 = new Inbox("out2");
    const publisher = await openPublisher();
    try {
      const ticks = ticksFromMs(Date.now()).toString();
      publisher.publish(sim.exchangeName, `${serial}.CR.29.${ticks}`, JSON.stringify({ Id: 29, WasAccepted: true, ResultCode: 0, Comment: "app" }));
      const other = await out2.next(10_000);
      assert.equal(other.topic, "SetEnabled");
    } finally {
      await publisher.close();
    }
    // And a second try reopens the channel and is refused the same way (not "channel closed").
    helper.getNode("cmd").receive({ topic: "SetDynamicChargerCurrent", chargerId: serial, payload: 9 } as NodeMessage);
    const again = await caught.next(10_000);
    assert.match((again.error as { message: string }).message, /no write permission/);
  });

  it("responses to commands sent by others go to output 2, with no arguments or sentAt", async () => {
    await deploy();
    const out1 = new Inbox("out1");
    const out2 = new Inbox("out2");
    const publisher = await openPublisher();
    try {
      const ticks = ticksFromMs(Date.now() - 400).toString();
      publisher.publish(
        sim.exchangeName,
        `${serial}.CR.48.${ticks}`,
        JSON.stringify({ Id: 48, DeliveredAt: new Date().toISOString(), WasAccepted: false, ResultCode: 2, Comment: "from the app" }),
      );
      const msg = await out2.next(10_000);
      assert.equal(msg.topic, "SetDynamicChargerCurrent");
      assert.deepEqual(msg.payload, { accepted: false, resultCode: 2, comment: "from the app" });
      assert.equal(easee(msg).ticks, ticks);
      assert.equal(easee(msg).arguments, undefined);
      assert.equal(easee(msg).sentAt, undefined);
      assert.ok(easee(msg).latencyMs >= 400);
      assert.equal(out1.msgs.length, 0);
    } finally {
      await publisher.close();
    }
  });

  it("a command sent while the connection is down waits for it, then goes out on the new connection", async () => {
    await deploy();
    const out1 = new Inbox("out1");
    const closed = await closeConnections("easee-config cfg", "test: connection drop");
    assert.ok(closed >= 1);
    await nextCall("cmd", "status", (args) => callText(args) === "easee-config.status.disconnected", 10_000);
    helper.getNode("cmd").receive({ topic: "SetDynamicChargerCurrent", chargerId: serial, payload: 6 } as NodeMessage);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.waiting", { count: 1 }), 5000);
    const msg = await out1.next(15_000);
    assert.equal(payload(msg).accepted, true);
    assert.equal(sim.chargers[0]?.settings.dynamicChargerCurrent, 6);
  });

  it("examples/Control a charger.json: solar surplus, enable/disable and phase switching change the simulated charger", async () => {
    // The compiled spec runs from <build>/test/integration/; the example stays at the package root.
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "examples", "Control a charger.json"), "utf8")) as FlowNode[];
    const flowNodes = example.map((node): FlowNode => {
      if (node.type === "easee-config") return { ...node, apiUrl: sim.apiUrl };
      if (node.type === "debug") return { id: node.id, type: "helper", z: node.z };
      if (node.type === "easee-command") return { ...node, chargerId: serial };
      return node;
    });
    const cfg = example.find((node) => node.type === "easee-config")?.id as string;
    await loadFlow(
      [configNode, commandNode, coreNodeModule("common/20-inject.js"), coreNodeModule("common/90-comment.js"), coreNodeModule("common/25-catch.js"), coreNodeModule("function/10-function.js")],
      flowNodes,
      { [cfg]: { username: sim.credentials.userName, password: sim.credentials.password } },
    );
    const byName = (type: string, name: string) => example.find((node) => node.type === type && node.name === name)?.id as string;
    const commandIds = example.filter((node) => node.type === "easee-command").map((node) => node.id);
    await Promise.all(commandIds.map((id) => nextCall(id, "status", (args) => callText(args) === "easee-config.status.connected", 15_000)));
    const responses = new Inbox(byName("debug", "responses"));
    const errors = new Inbox(byName("debug", "errors"));
    const click = async (name: string, count: number) => {
      helper.getNode(byName("inject", name)).receive({});
      const msg = (await responses.waitFor(count, 10_000))[count - 1] as NodeMessage;
      assert.equal(payload(msg).accepted, true, `${name}: ${payload(msg).comment}`);
      return msg;
    };
    const surplus = await click("solar surplus 4.2 kW", 1);
    assert.deepEqual(easee(surplus).arguments, { Current_Amp: 6, TTL_Minutes: 10 });
    assert.equal(sim.chargers[0]?.settings.dynamicChargerCurrent, 6);
    await click("disable", 2);
    assert.equal(sim.chargers[0]?.settings.enabled, false);
    await click("enable", 3);
    await click("1 phase (16 A)", 4);
    assert.deepEqual(sim.chargers[0]?.settings.dynamicCircuitCurrent, [16, 0, 0]);
    await click("3 phases (16 A)", 5);
    assert.deepEqual(sim.chargers[0]?.settings.dynamicCircuitCurrent, [16, 16, 16]);
    assert.equal(errors.msgs.length, 0);
  });

  it("the demo's command group: 6 A and 16 A change the charger's dynamic current, seen in its observations", async () => {
    assert.equal(serial, DEMO_COMMAND_CHARGER, "the demo drives the simulator's first charger");
    const demo = buildDemoFlow({ apiUrl: sim.apiUrl, username: sim.credentials.userName, password: sim.credentials.password });
    // The command group is self-contained: it needs only the tab and the account node beside it.
    const ours = demo.flows.filter(
      (node) => node.type === "tab" || node.type === "easee-config" || node.id === DEMO_COMMAND_IDS.group || node.g === DEMO_COMMAND_IDS.group,
    );
    assert.equal(ours.filter((node) => node.g === DEMO_COMMAND_IDS.group).length, 7);
    const flowNodes = ours.map((node): FlowNode => (node.type === "debug" ? { id: node.id, type: "helper", z: node.z } : { ...node }));
    await loadFlow(
      [configNode, observationsNode, filterNode, commandNode, coreNodeModule("common/20-inject.js"), coreNodeModule("common/90-comment.js")],
      flowNodes,
      demo.credentials,
    );
    await nextCall(DEMO_COMMAND_IDS.command, "status", (args) => callText(args) === "easee-config.status.connected", 15_000);
    const responses = new Inbox(DEMO_COMMAND_IDS.debugResponses);
    const effect = new Inbox(DEMO_COMMAND_IDS.debugEffect);
    const limitSeen = async (amps: number) => {
      for (;;) {
        const msg = await effect.next(10_000);
        const name = (msg as NodeMessage & { easee: { name: string } }).easee.name;
        if (name === "DynamicChargerCurrent" && msg.payload === amps) return;
      }
    };
    for (const [inject, amps] of [[DEMO_COMMAND_IDS.inject6, 6], [DEMO_COMMAND_IDS.inject16, 16]] as const) {
      const seen = limitSeen(amps);
      helper.getNode(inject).receive({});
      const response = await responses.next(10_000);
      assert.equal(payload(response).accepted, true);
      await seen;
      assert.equal(sim.chargers[0]?.settings.dynamicChargerCurrent, amps);
    }
  });

  it("a redeploy with commands in flight: no crash, no error, no timer left", async () => {
    sim.commands?.setAnswering(false);
    await deploy({ timeoutSeconds: 2 });
    const config = helper.getNode("cfg") as unknown as EaseeConfigNode;
    helper.getNode("cmd").receive({ topic: "SetEnabled", chargerId: serial, payload: true } as NodeMessage);
    helper.getNode("cmd").receive({ topic: "SetSmartCharging", chargerId: serial, payload: true } as NodeMessage);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.inFlight", { count: 2 }));
    assert.equal(config.commands.pending.size, 2);
    // Replace only the command node: the config node (and its connection) stay.
    const next = flow({ timeoutSeconds: 3, name: "redeployed" });
    const started = Date.now();
    await helper.setFlows(next as never, "nodes", { cfg: { username: sim.credentials.userName, password: sim.credentials.password } } as never);
    assert.ok(Date.now() - started < 5000, "the old node closed at once");
    assert.equal(config.commands.pending.size, 0, "its commands (and their timers) are gone");
    const errorsBefore = calls("cmd", "error").length;
    // Past the old timeout: nothing fires.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(calls("cmd", "error").length, errorsBefore);
  });
});
