/**
 * easee-command in a real Node-RED runtime (test helper), with the stand-in config node: what a user sees for
 * each input, both outputs, the rate guard, statuses and close. The broker path is in test/integration/command.spec.ts.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import { CommandSendError } from "../../core/command";
import type { DecodedCommandResponse } from "../../core/types";
import commandNode from "../../nodes/easee-command";
import { type FlowNode, Inbox, callText, english, englishPattern, loadFlow, nextCall, stubConfig, stubEaseeConfigModule, DISCONNECTED } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";

function flow(props: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: "tab", type: "tab", label: "commands" },
    { id: "cfg", type: "easee-config", name: "stub" },
    { id: "cmd", type: "easee-command", z: "tab", config: "cfg", chargerId: "", command: "", timeoutSeconds: 30, allowPermanent: false, wires: [["out1"], ["out2"]], ...props },
    { id: "out1", type: "helper", z: "tab" },
    { id: "out2", type: "helper", z: "tab" },
    { id: "catcher", type: "catch", z: "tab", scope: null, uncaught: false, wires: [["caught"]] },
    { id: "caught", type: "helper", z: "tab" },
  ];
}

function response(overrides: Partial<DecodedCommandResponse> = {}): DecodedCommandResponse {
  const chargerId = overrides.chargerId ?? "EH123456";
  const commandId = overrides.commandId ?? 48;
  const ticks = overrides.ticks ?? "638000000000000000";
  return {
    kind: "commandResponse",
    chargerId,
    commandId,
    ticks,
    wasAccepted: true,
    resultCode: 0,
    comment: "",
    deliveredAt: new Date().toISOString(),
    routingKey: `${chargerId}.CR.${commandId}.${ticks}`,
    ...overrides,
  };
}

const errorText = (msg: NodeMessage) => (msg as NodeMessage & { error: { message: string } }).error.message;

describe("easee-command node", function () {
  this.timeout(10_000);
  beforeEach(startServer);
  afterEach(stopServer);

  async function deploy(props: Record<string, unknown> = {}): Promise<void> {
    await loadFlow([stubEaseeConfigModule, commandNode], flow(props));
  }

  it("a response Easee answered itself (the charger already had the setting) says so in the comment", async () => {
    await deploy({ chargerId: "EH123456" });
    const out1 = new Inbox("out1");
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    const sent = stubConfig().sent[0];
    assert.ok(sent);
    stubConfig().emitCommandResponse(response({ commandId: 29, ticks: sent.ticks, comment: undefined, unchanged: true }));
    const msg = await out1.next();
    assert.deepEqual(msg.payload, { accepted: true, resultCode: 0, comment: "Easee sent nothing to the charger: it already has this setting" });
  });

  it("sends the command on the wire format and outputs the matching response with the input msg's properties", async () => {
    await deploy({ chargerId: "eh123456" });
    const [out1, out2] = [new Inbox("out1"), new Inbox("out2")];
    helper.getNode("cmd").receive({ topic: "setdynamicchargercurrent", payload: { current_amp: 13, TTL_Minutes: 5 }, mine: 1 } as NodeMessage);
    const config = stubConfig();
    const sent = config.sent[0];
    assert.ok(sent);
    assert.equal(sent.chargerId, "EH123456");
    assert.match(sent.routingKey, /^EH123456\.C\.48\.\d{18}$/);
    const body = JSON.parse(sent.body.toString("utf8")) as { Id: number; Arguments: unknown[]; Timestamp: string; ExpiresAt: string };
    assert.equal(body.Id, 48);
    assert.deepEqual(body.Arguments, [{ Id: 1, Value: "13" }, { Id: 2, Value: "5" }]);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.inFlight", { count: 1 }));
    // Another system's response first: output 2, and the waiting command is untouched.
    config.emitCommandResponse(response({ ticks: "637999999999999999" }));
    const other = await out2.next();
    assert.equal(other.topic, "SetDynamicChargerCurrent");
    config.emitCommandResponse(response({ ticks: sent.ticks, wasAccepted: true, comment: "ok" }));
    const msg = await out1.next();
    assert.equal(msg.topic, "SetDynamicChargerCurrent");
    assert.deepEqual(msg.payload, { accepted: true, resultCode: 0, comment: "ok" });
    const easee = (msg as NodeMessage & { easee: Record<string, unknown> }).easee;
    assert.deepEqual(easee.arguments, { Current_Amp: 13, TTL_Minutes: 5 });
    assert.equal(easee.ticks, sent.ticks);
    assert.equal((msg as NodeMessage & { mine: number }).mine, 1);
    assert.equal(out2.msgs.length, 1, "the matched response is not also unsolicited");
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.accepted"));
  });

  it("takes the command from msg.topic (name or id) and the charger from msg.chargerId or msg.easee.chargerId", async () => {
    await deploy();
    helper.getNode("cmd").receive({ topic: "29", chargerId: "EH000001", payload: "off" } as NodeMessage);
    helper.getNode("cmd").receive({ topic: "Reboot", easee: { chargerId: "EH000002" }, payload: Date.now() } as NodeMessage);
    const sent = stubConfig().sent;
    assert.equal(sent.length, 2);
    assert.equal(sent[0]?.routingKey.split(".").slice(0, 3).join("."), "EH000001.C.29");
    assert.deepEqual(JSON.parse(sent[0]?.body.toString() ?? "{}").Arguments, [{ Id: 1, Value: "0" }]);
    assert.equal(sent[1]?.routingKey.split(".").slice(0, 3).join("."), "EH000002.C.1");
  });

  const invalid: Array<[string, Record<string, unknown>, string, Record<string, string | number>]> = [
    ["no command", { chargerId: "EH1" }, "easee-command.errors.missing-command", {}],
    ["an unknown command", { chargerId: "EH1", topic: "Explode" }, "easee-command.errors.unknown-command", { value: "Explode" }],
    ["no charger", { topic: "Reboot" }, "easee-command.errors.missing-charger", {}],
    ["a charger with a dot", { topic: "Reboot", chargerId: "EH1.#" }, "easee-command.errors.invalid-charger", { value: '"EH1.#"' }],
    ["an unknown argument", { topic: "SetEnabled", chargerId: "EH1", payload: { enabled: true } }, "easee-command.errors.unknown-argument", { command: "SetEnabled", argument: "enabled", arguments: "IsEnabled" }],
    ["a current above 80 A", { topic: "SetDynamicChargerCurrent", chargerId: "EH1", payload: 81 }, "easee-command.errors.out-of-range", { argument: "Current_Amp", command: "SetDynamicChargerCurrent", min: 0, max: 80, unit: "A", value: "81" }],
    ["a fraction for whole amperes", { topic: "SetDynamicChargerCurrent", chargerId: "EH1", payload: 13.5 }, "easee-command.errors.not-whole", { argument: "Current_Amp", command: "SetDynamicChargerCurrent", value: "13.5" }],
    ["a word for a boolean", { topic: "SetEnabled", chargerId: "EH1", payload: "maybe" }, "easee-command.errors.not-boolean", { argument: "IsEnabled", command: "SetEnabled", value: '"maybe"' }],
    ["too many values", { topic: "SetEnabled", chargerId: "EH1", payload: [true, false] }, "easee-command.errors.too-many-arguments", { command: "SetEnabled", expected: 1, given: 2, arguments: "IsEnabled" }],
    ["a missing phase", { topic: "SetDynamicCircuitCurrent", chargerId: "EH1", payload: { CurrentP1: 16 } }, "easee-command.errors.missing-argument", { command: "SetDynamicCircuitCurrent", argument: "CurrentP2", arguments: "CurrentP1, CurrentP2, CurrentP3, TTL_Minutes" }],
    ["a permanent command", { topic: "SetMaxChargerCurrent", chargerId: "EH1", payload: 16 }, "easee-command.errors.permanent", { command: "SetMaxChargerCurrent", id: 47 }],
    // A value core cannot quote is named by its kind, in the user's words.
    ["a list for one current", { topic: "SetDynamicChargerCurrent", chargerId: "EH1", payload: { Current_Amp: [6] } }, "easee-command.errors.not-a-number", { argument: "Current_Amp", command: "SetDynamicChargerCurrent", value: "an array" }],
    ["a value for a command without arguments", { topic: "Reboot", chargerId: "EH1", payload: [1] }, "easee-command.errors.too-many-arguments", { command: "Reboot", expected: 0, given: 1, arguments: "none" }],
  ];
  for (const [what, input, key, params] of invalid) {
    it(`refuses ${what} with a plain error on Catch, and sends nothing`, async () => {
      await deploy();
      const caught = new Inbox("caught");
      helper.getNode("cmd").receive(input as NodeMessage);
      const msg = await caught.next();
      assert.equal(errorText(msg), english(key, params));
      assert.equal(stubConfig().sent.length, 0);
      await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.failed"));
    });
  }

  it("sends a permanent command when allowed", async () => {
    await deploy({ allowPermanent: true, chargerId: "EH1" });
    helper.getNode("cmd").receive({ topic: "SetMaxCircuitCurrent", payload: [25, 25, 25] } as NodeMessage);
    assert.equal(stubConfig().sent.length, 1);
  });

  it("rate guard: an identical repeat is skipped, more than 6 a minute is an error, msg.force passes", async () => {
    await deploy({ chargerId: "EH1", command: "SetDynamicChargerCurrent" });
    const caught = new Inbox("caught");
    const node = helper.getNode("cmd");
    node.receive({ payload: 10 } as NodeMessage);
    node.receive({ payload: 10 } as NodeMessage);
    assert.equal(stubConfig().sent.length, 1, "the repeat is coalesced");
    await nextCall("cmd", "debug", (args) => englishPattern("easee-command.log.coalesced").test(callText(args)));
    for (let amps = 11; amps <= 15; amps++) node.receive({ payload: amps } as NodeMessage);
    assert.equal(stubConfig().sent.length, 6);
    node.receive({ payload: 16 } as NodeMessage);
    const limited = await caught.next();
    assert.match(errorText(limited), /already 6 commands to this charger in the last minute/);
    node.receive({ payload: 16, force: true } as NodeMessage);
    node.receive({ payload: 16, force: true } as NodeMessage);
    assert.equal(stubConfig().sent.length, 8, "forced commands pass, also identical ones");
  });

  it("the broker refusing the publish is an error with the reason; the msg goes to Catch", async () => {
    await deploy({ chargerId: "EH1" });
    stubConfig().sendBehaviour = new CommandSendError("no-write-permission", { exchange: "Operator_1.C.X" });
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    const msg = await caught.next();
    assert.equal(
      errorText(msg),
      english("easee-command.errors.notSent", {
        command: "SetEnabled",
        charger: "EH1",
        reason: english("easee-command.send.no-write-permission", { exchange: "Operator_1.C.X" }),
      }),
    );
    assert.equal(stubConfig().commands.pending.size, 0);
  });

  it("times out after timeoutSeconds when no response comes", async () => {
    await deploy({ chargerId: "EH1", timeoutSeconds: 0.3 });
    const caught = new Inbox("caught");
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    const msg = await caught.next(3000);
    assert.equal(errorText(msg), english("easee-command.errors.timeout", { command: "SetEnabled", charger: "EH1", seconds: 0.3 }));
    // The code lets a flow (and the Home Assistant last-command sensor) tell a timeout from other failures.
    assert.equal((msg as { error?: { code?: unknown } }).error?.code, "timeout");
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.timeout"));
  });

  it("shows commands waiting for the connection; output 2 only for its own charger when one is set", async () => {
    await deploy({ chargerId: "EH1" });
    const config = stubConfig();
    config.sendBehaviour = "hang";
    config.setState(DISCONNECTED);
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    await nextCall("cmd", "status", (args) => callText(args) === english("easee-command.status.waiting", { count: 1 }));
    const out2 = new Inbox("out2");
    config.emitCommandResponse(response({ chargerId: "EH2" }));
    config.emitCommandResponse(response({ chargerId: "EH1", commandId: 999 }));
    const msg = await out2.next();
    assert.equal(msg.topic, "Command999");
    assert.equal(out2.msgs.length, 1);
  });

  it("a response matched for one command node is not unsolicited for another on the same config", async () => {
    const nodes = flow({ chargerId: "EH1" });
    nodes.push({ id: "cmd2", type: "easee-command", z: "tab", config: "cfg", chargerId: "", command: "", timeoutSeconds: 30, allowPermanent: false, wires: [[], ["other2"]] });
    nodes.push({ id: "other2", type: "helper", z: "tab" });
    await loadFlow([stubEaseeConfigModule, commandNode], nodes);
    const out1 = new Inbox("out1");
    const other2 = new Inbox("other2");
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    const sent = stubConfig().sent[0];
    stubConfig().emitCommandResponse(response({ chargerId: "EH1", commandId: 29, ticks: sent?.ticks ?? "" }));
    await out1.next();
    assert.equal(other2.msgs.length, 0);
  });

  it("closes with commands in flight: done() at once, no callbacks afterwards, nothing left pending", async () => {
    await deploy({ chargerId: "EH1", timeoutSeconds: 0.3 });
    const config = stubConfig();
    config.sendBehaviour = "hang";
    helper.getNode("cmd").receive({ topic: "SetEnabled", payload: true } as NodeMessage);
    assert.equal(config.commands.pending.size, 1);
    const pending = config.commands.pending;
    // Every error or send of this node from now on, also after the helper removed its spies.
    const node = helper.getNode("cmd") as unknown as { error: (...args: unknown[]) => void; send: (...args: unknown[]) => void };
    let late = 0;
    node.error = () => void (late += 1);
    node.send = () => void (late += 1);
    await helper.unload();
    assert.equal(pending.size, 0);
    // Past the timeout: nothing fires.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(late, 0);
  });
});
