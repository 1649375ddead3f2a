/**
 * easee-filter in a real Node-RED runtime (test helper). Msgs are built exactly as easee-observations builds
 * them. "Nothing arrived" is proven by a later msg that must arrive: Node-RED delivers in send order.
 */
import assert from "node:assert/strict";
import type { NodeMessage } from "node-red";
import { buildObservationMsg, compileTopicTemplate } from "../../core/observations";
import type { DecodedObservation } from "../../core/types";
import filterNode from "../../nodes/easee-filter";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { type FlowNode, Inbox, OBS, callText, loadFlow, nextCall } from "../helpers/flows";

interface FilterProps {
  rules?: unknown;
  otherwise?: boolean | string;
  checkall?: boolean | string;
  onlyOnChange?: boolean | string;
  chargers?: string;
  outputs?: number;
}

const TOPIC = compileTopicTemplate(undefined);
const msgOf = (observation: DecodedObservation): NodeMessage =>
  buildObservationMsg(observation, TOPIC) as unknown as NodeMessage;

/** A Complete node watching `f`: it fires after f calls done(), i.e. after anything f sent was delivered. */
const completeNode: FlowNode[] = [
  { id: "complete1", type: "complete", z: "tab", x: 100, y: 200, scope: ["f"], uncaught: false, wires: [["handled"]] },
  { id: "handled", type: "helper", z: "tab" },
];

/** Resolves once f has finished the n-th msg: a silent output is then proven silent, without sleeping. */
async function handled(count: number): Promise<void> {
  await new Inbox("handled").waitFor(count);
}

/** The filter `f` with one helper per output (o0, o1, ...) and a catch node wired to `caught`. */
async function load(props: FilterProps, outputs: number): Promise<Inbox[]> {
  const ids = Array.from({ length: outputs }, (_, i) => `o${i}`);
  const flow: FlowNode[] = [
    { id: "tab", type: "tab", label: "t" },
    { id: "f", type: "easee-filter", z: "tab", name: "", ...props, outputs, wires: ids.map((id) => [id]) } as FlowNode,
    ...ids.map((id): FlowNode => ({ id, type: "helper", z: "tab" })),
    ...completeNode,
  ];
  await loadFlow(filterNode, flow);
  return ids.map((id) => new Inbox(id));
}

function send(...observations: DecodedObservation[]): void {
  for (const observation of observations) helper.getNode("f").receive(msgOf(observation));
}

const ids = (inbox: Inbox) => inbox.msgs.map((m) => (m.easee as { observationId: number }).observationId);
const payloads = (inbox: Inbox) => inbox.msgs.map((m) => m.payload);

describe("easee-filter node", function () {
  beforeEach(startServer);
  afterEach(stopServer);

  it("routes by observation id: one output per rule, nothing elsewhere", async () => {
    const [o0, o1] = await load({ rules: [{ ids: "120" }, { ids: "121" }] }, 2) as [Inbox, Inbox];
    send(OBS.totalPower(1), OBS.opMode(), OBS.sessionEnergy(2), OBS.totalPower(3));
    await o0.waitFor(2);
    await o1.waitFor(1);
    send(OBS.sessionEnergy(4)); // the last msg sent; everything before it has been delivered by now
    await o1.waitFor(2);
    assert.deepEqual(payloads(o0), [1, 3]);
    assert.deepEqual(payloads(o1), [2, 4]);
  });

  it("passes the msg object on unchanged", async () => {
    const [o0] = await load({ rules: [{ ids: "120" }] }, 1) as [Inbox];
    const input = { ...msgOf(OBS.totalPower(7)), _msgid: "m-1", extra: { keep: [1, 2] } };
    helper.getNode("f").receive(input);
    const out = await o0.next();
    assert.deepEqual(out, input);
  });

  it("reads ranges and catalogue names (any case), and Observation<id> for unknown ids", async () => {
    const [o0, o1, o2] = await load(
      { rules: [{ ids: "182-185" }, { ids: "chargeropmode, ReasonForNoCurrent" }, { ids: "Observation157" }] },
      3,
    ) as [Inbox, Inbox, Inbox];
    send(OBS.current(181), OBS.current(182), OBS.current(185), OBS.current(186), OBS.opMode());
    send({ ...OBS.opMode(), observationId: 96, name: "ReasonForNoCurrent" });
    send({ ...OBS.opMode(), observationId: 157, name: "Observation157", known: false });
    await o2.waitFor(1);
    assert.deepEqual(ids(o0), [182, 185]);
    assert.deepEqual(ids(o1), [109, 96]);
    assert.deepEqual(ids(o2), [157]);
  });

  it("checkall true (default): a msg goes to every matching output", async () => {
    const [o0, o1, o2] = await load({ rules: [{ ids: "120" }, { ids: "100-130" }, { ids: "121" }] }, 3) as [Inbox, Inbox, Inbox];
    send(OBS.totalPower(1));
    send(OBS.sessionEnergy(2));
    await o2.waitFor(1);
    await o1.waitFor(2);
    assert.deepEqual(payloads(o0), [1]);
    assert.deepEqual(payloads(o1), [1, 2]);
    assert.deepEqual(payloads(o2), [2]);
  });

  it("checkall false: the first matching rule only", async () => {
    const [o0, o1] = await load({ rules: [{ ids: "120" }, { ids: "100-130" }], checkall: "false" }, 2) as [Inbox, Inbox];
    send(OBS.totalPower(1), OBS.sessionEnergy(2));
    await o1.waitFor(1);
    assert.deepEqual(payloads(o0), [1]);
    assert.deepEqual(payloads(o1), [2]);
  });

  it("otherwise: an extra last output takes what no rule matched, and only that", async () => {
    const [o0, other] = await load({ rules: [{ ids: "120" }], otherwise: true }, 2) as [Inbox, Inbox];
    send(OBS.opMode(), OBS.totalPower(1), OBS.sessionEnergy(2));
    await other.waitFor(2);
    send(OBS.totalPower(3));
    await o0.waitFor(2);
    assert.deepEqual(ids(other), [109, 121]);
    assert.deepEqual(payloads(o0), [1, 3]);
  });

  it("without otherwise, unmatched msgs go nowhere", async () => {
    const [o0] = await load({ rules: [{ ids: "109" }], otherwise: false }, 1) as [Inbox];
    send(OBS.totalPower(1), OBS.sessionEnergy(2), OBS.opMode(3));
    await o0.waitFor(1);
    assert.deepEqual(ids(o0), [109]);
  });

  it("onlyOnChange: passes a (charger, observation) only when its value changed", async () => {
    const [o0] = await load({ rules: [{ ids: "109, 120" }], onlyOnChange: true }, 1) as [Inbox];
    send(
      OBS.opMode(3, "EH1"),
      OBS.opMode(3, "EH1"), // same value: dropped
      OBS.opMode(3, "EH2"), // other charger: passes
      OBS.totalPower(3, "EH1"), // other observation, same value: passes
      OBS.opMode(1, "EH1"),
      OBS.opMode(1, "EH1"), // dropped
      OBS.opMode(3, "EH1"),
    );
    await o0.waitFor(5);
    send(OBS.totalPower(4, "EH1"));
    await o0.waitFor(6);
    assert.deepEqual(
      o0.msgs.map((m) => `${(m.easee as { chargerId: string }).chargerId}/${(m.easee as { observationId: number }).observationId}=${m.payload}`),
      ["EH1/109=3", "EH2/109=3", "EH1/120=3", "EH1/109=1", "EH1/109=3", "EH1/120=4"],
    );
  });

  it("onlyOnChange false (default): repeated values all pass", async () => {
    const [o0] = await load({ rules: [{ ids: "109" }] }, 1) as [Inbox];
    send(OBS.opMode(3), OBS.opMode(3), OBS.opMode(3));
    await o0.waitFor(3);
  });

  it("onlyOnChange also holds back unchanged msgs from the otherwise output", async () => {
    const [o0, other] = await load({ rules: [{ ids: "120" }], otherwise: true, onlyOnChange: "true" }, 2) as [Inbox, Inbox];
    send(OBS.opMode(3), OBS.opMode(3), OBS.opMode(4), OBS.totalPower(1));
    await o0.waitFor(1);
    assert.deepEqual(payloads(other), [3, 4]);
  });

  it("default properties: one empty rule, which matches nothing", async () => {
    const flow: FlowNode[] = [
      { id: "tab", type: "tab", label: "t" },
      { id: "f", type: "easee-filter", z: "tab", wires: [["o0"]] },
      { id: "o0", type: "helper", z: "tab" },
      ...completeNode,
    ];
    await loadFlow(filterNode, flow);
    const o0 = new Inbox("o0");
    const finished = handled(2);
    send(OBS.totalPower(), OBS.opMode());
    await finished;
    assert.equal(o0.msgs.length, 0);
  });

  it("a msg without msg.easee.observationId matches no rule: otherwise takes it, with one warning", async () => {
    const [o0, other] = await load({ rules: [{ ids: "120" }], otherwise: true }, 2) as [Inbox, Inbox];
    helper.getNode("f").receive({ payload: "not an observation" });
    helper.getNode("f").receive({ payload: "again", easee: { observationId: "abc" } });
    await other.waitFor(2);
    const [warning] = await nextCall("f", "warn");
    assert.match(String(warning), /msg\.easee\.observationId/);
    send(OBS.totalPower(1));
    await o0.waitFor(1);
    const warnings = (helper.getNode("f").warn as unknown as { getCalls(): { thisValue: unknown }[] })
      .getCalls()
      .filter((c) => c.thisValue === helper.getNode("f"));
    assert.equal(warnings.length, 1);
  });

  it("accepts an observationId given as an integer string", async () => {
    const [o0] = await load({ rules: [{ ids: "120" }] }, 1) as [Inbox];
    helper.getNode("f").receive({ payload: 1, easee: { observationId: "120", chargerId: "EH1" } });
    await o0.waitFor(1);
  });

  for (const [ids, expected] of [
    ["NoSuchObservation", /Rule 2: "NoSuchObservation" is not an observation name in the catalogue/],
    ["12a", /Rule 2: "12a" is not an observation id/],
    ["185-182", /Rule 2: range "185-182" runs backwards/],
  ] as const) {
    it(`invalid rule ${JSON.stringify(ids)}: node.error and red status, no throw, nothing passes`, async () => {
      const [o0] = await load({ rules: [{ ids: "120" }, { ids }] }, 2) as [Inbox];
      const [error] = await nextCall("f", "error");
      assert.match(String(error), expected);
      const status = await nextCall("f", "status");
      assert.deepEqual(status[0], { fill: "red", shape: "ring", text: "easee-filter.status.invalidRules" });
      const finished = handled(1);
      send(OBS.totalPower());
      await finished;
      assert.equal(o0.msgs.length, 0);
    });
  }

  it("an invalid rule: the error lists every problem of every rule, not only the first", async () => {
    await load({ rules: [{ ids: "TotalPowr, 300-200" }, { ids: "120" }, { ids: "x!" }] }, 3);
    const [error] = await nextCall("f", "error");
    assert.equal(
      String(error),
      'Rule 1: "TotalPowr" is not an observation name in the catalogue; Rule 1: range "300-200" runs backwards: write 200-300; ' +
        'Rule 3: "x!" is not an observation id (120), a range (182-185) or a name (ChargerOpMode)',
    );
  });

  it("chargers: only the listed serials reach the rules, and the others not even otherwise", async () => {
    const [o0, o1] = await load({ rules: [{ ids: "120" }], otherwise: true, chargers: "eh000002, EH000003" }, 2) as [Inbox, Inbox];
    const finished = handled(5);
    send(
      OBS.totalPower(1, "EH000001"),
      OBS.totalPower(2, "EH000002"),
      OBS.sessionEnergy(3, "EH000001"),
      OBS.sessionEnergy(4, "EH000003"),
      OBS.totalPower(5, "EH000003"),
    );
    await finished;
    assert.deepEqual(payloads(o0), [2, 5]);
    assert.deepEqual(payloads(o1), [4]);
  });

  it("serves the serials it has seen to the edit dialog (GET easee/chargers), for the chargers field's suggestions", async () => {
    await load({ rules: [{ ids: "120" }], chargers: "EH000002" }, 1);
    const finished = handled(2);
    send(OBS.totalPower(1, "EH000007"), OBS.totalPower(2, "EH000002"));
    await finished;
    const response = await helper.request().get("/easee/chargers").expect(200);
    const chargers = (response.body as { chargers: string[] }).chargers;
    for (const serial of ["EH000002", "EH000007"]) assert.ok(chargers.includes(serial), `${serial} in ${chargers.join(", ")}`);
  });

  it("chargers with onlyOnChange: another charger's value does not count as a change", async () => {
    const [o0] = await load({ rules: [{ ids: "120" }], onlyOnChange: true, chargers: "EH000002" }, 1) as [Inbox];
    const finished = handled(4);
    send(OBS.totalPower(7, "EH000002"), OBS.totalPower(1, "EH000001"), OBS.totalPower(7, "EH000002"), OBS.totalPower(8, "EH000002"));
    await finished;
    assert.deepEqual(payloads(o0), [7, 8]);
  });

  it("rules that are not a list fall back to one empty rule", async () => {
    const [o0] = await load({ rules: "120" }, 1) as [Inbox];
    const finished = handled(1);
    send(OBS.totalPower());
    await finished;
    assert.equal(o0.msgs.length, 0);
  });

  it("an output wired to two nodes: both get the msg, as separate copies", async () => {
    const flow: FlowNode[] = [
      { id: "tab", type: "tab", label: "t" },
      { id: "f", type: "easee-filter", z: "tab", rules: [{ ids: "25" }], outputs: 1, wires: [["a", "b"]] },
      { id: "a", type: "helper", z: "tab" },
      { id: "b", type: "helper", z: "tab" },
    ];
    await loadFlow(filterNode, flow);
    const [a, b] = [new Inbox("a"), new Inbox("b")];
    send({ ...OBS.totalPower(), observationId: 25, name: "Location", dataType: "Position", value: { lat: 1, lon: 2 } });
    const [ma, mb] = [await a.next(), await b.next()];
    assert.notEqual(ma, mb);
    assert.deepEqual(ma, mb);
    (ma.payload as { lat: number }).lat = 5;
    assert.equal((mb.payload as { lat: number }).lat, 1);
  });

  it("serves the catalogue to the editor at GET /easee/catalogue", async () => {
    await load({ rules: [{ ids: "120" }] }, 1);
    const response = await helper.request().get("/easee/catalogue").expect(200).expect("Content-Type", /json/);
    type Entry = { id: number; name: string; unit: string | null; dataType: string; description: string };
    const observations = (response.body as { observations: Entry[] }).observations;
    assert.ok(observations.length >= 48);
    const opMode = observations.find((o) => o.id === 109);
    assert.deepEqual(Object.keys(opMode ?? {}).sort(), ["dataType", "description", "id", "name", "unit"]);
    assert.equal(opMode?.name, "ChargerOpMode");
    assert.equal(opMode?.dataType, "Integer");
    assert.equal(observations.find((o) => o.id === 120)?.unit, "kW");
    const sorted = observations.map((o) => o.id);
    assert.deepEqual(sorted, [...sorted].sort((x, y) => x - y));
  });

  it("status text stays unset on a healthy filter", async () => {
    await load({ rules: [{ ids: "120" }] }, 1);
    send(OBS.totalPower());
    const sent = (helper.getNode("f").status as unknown as { getCalls(): { thisValue: unknown; args: unknown[] }[] })
      .getCalls()
      .filter((c) => c.thisValue === helper.getNode("f"))
      .map((c) => callText(c.args));
    assert.deepEqual(sent, []);
  });
});
