/**
 * Bad configuration in a real Node-RED runtime (node-red-node-test-helper): empty credentials, malformed API URLs,
 * prefetch 0 or negative, garbage heartbeat, filter rules with garbage, observations nodes without a usable config,
 * and garbage sent to the "Test connection" admin endpoint. Each must give a clear message in the status or the log,
 * never an exception, and never a request to Easee or the broker it cannot make sense of.
 *
 * The helper's RED._ has no catalogue, so the nodes show the English texts of locales/en-US (nodes/shared/i18n):
 * messages are checked as the English sentence a user reads; statuses the editor translates stay i18n keys.
 */
import assert from "node:assert/strict";
import configNode from "../../nodes/easee-config";
import filterNode from "../../nodes/easee-filter";
import observationsNode from "../../nodes/easee-observations";
import { englishText } from "../../nodes/shared/i18n";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { callText, calls, englishPattern, loadFlow, nextCall, type FlowNode } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { uniqueName } from "../helpers/rabbit";

interface ConfigCase {
  readonly name: string;
  readonly props?: Record<string, unknown>;
  readonly creds?: Record<string, string>;
  readonly statusKey: string;
  /** The i18n key of the error the config node logs. */
  readonly errorKey: string;
}

describe("bad configuration: clear messages, never an exception", function () {
  this.timeout(20_000);
  let api: EaseeApiServer;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => {
    uncaught.push(error);
  };

  before(async () => {
    api = await startEaseeApiServer({ declareTopology: false });
    process.on("unhandledRejection", onUncaught);
  });

  after(async () => {
    process.removeListener("unhandledRejection", onUncaught);
    await api.close();
  });

  beforeEach(async () => {
    await startServer();
  });

  afterEach(async () => {
    await stopServer();
  });

  const cases: ConfigCase[] = [
    { name: "no credentials at all", creds: {}, statusKey: "easee-config.status.no-credentials", errorKey: "easee-config.errors.no-credentials" },
    { name: "empty user name", creds: { username: "", password: "secret-pw-1" }, statusKey: "easee-config.status.no-credentials", errorKey: "easee-config.errors.no-credentials" },
    { name: "blank user name", creds: { username: "   ", password: "secret-pw-1" }, statusKey: "easee-config.status.no-credentials", errorKey: "easee-config.errors.no-credentials" },
    { name: "empty password", creds: { username: "integration@example.com", password: "" }, statusKey: "easee-config.status.no-credentials", errorKey: "easee-config.errors.no-credentials" },
    { name: "API URL without a scheme", props: { apiUrl: "api.easee.com" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL ftp://", props: { apiUrl: "ftp://api.easee.com" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL javascript:", props: { apiUrl: "javascript:alert(1)" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL http:// alone", props: { apiUrl: "http://" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL with a space in the host", props: { apiUrl: "https://api.ea see.com" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL with a password in it", props: { apiUrl: "https://me:secret-in-url@api.easee.com" }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "API URL that is a number", props: { apiUrl: 42 }, statusKey: "easee-config.status.invalid-url", errorKey: "easee-config.errors.invalid-url" },
    { name: "prefetch 0", props: { prefetch: 0 }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "prefetch -1", props: { prefetch: -1 }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "prefetch \"-200\"", props: { prefetch: "-200" }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "prefetch 1.5", props: { prefetch: 1.5 }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "prefetch \"lots\"", props: { prefetch: "lots" }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "prefetch 70000", props: { prefetch: 70000 }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-prefetch" },
    { name: "heartbeat -5", props: { heartbeat: -5 }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-heartbeat" },
    { name: "heartbeat \"often\"", props: { heartbeat: "often" }, statusKey: "easee-config.status.invalid-settings", errorKey: "easee-config.errors.invalid-heartbeat" },
  ];

  for (const testCase of cases) {
    it(`easee-config, ${testCase.name}: "${testCase.statusKey}" on the nodes using it, a plain error in the log`, async () => {
      const cfgId = uniqueName("badcfg");
      const flow: FlowNode[] = [
        { id: "tab", type: "tab", label: "bad config" },
        { id: cfgId, type: "easee-config", name: "bad", apiUrl: api.url, heartbeat: 30, prefetch: 200, rejectUnauthorized: true, ...testCase.props },
        { id: "obs", type: "easee-observations", z: "tab", config: cfgId, topic: "", chargers: "", includeUnknown: true, maxAgeSeconds: 0, wires: [[]] },
      ];
      const requestsBefore = api.requests.length;
      await loadFlow([configNode, observationsNode], flow, {
        [cfgId]: testCase.creds ?? { username: "integration@example.com", password: "simulator" },
      });
      const status = await nextCall("obs", "status", (args) => callText(args) === testCase.statusKey);
      assert.deepEqual(status[0], { fill: "red", shape: "ring", text: testCase.statusKey });
      const errors = calls(cfgId, "error").map(callText);
      assert.ok(errors.some((text) => englishPattern(testCase.errorKey).test(text)), `error ${testCase.errorKey} logged: ${errors.join(" | ")}`);
      const sentence = englishText(testCase.errorKey);
      assert.ok(sentence && sentence.length > 30, `the user reads a sentence: ${String(sentence)}`);
      const statusText = englishText(testCase.statusKey);
      assert.ok(statusText && statusText.length <= 20, `short status text: ${String(statusText)}`);
      for (const text of errors) assert.ok(!text.includes("secret-in-url") && !text.includes("secret-pw-1"), `no password in: ${text}`);
      // No login, so no AMQP details, so no AMQP connection either.
      assert.equal(api.requests.length, requestsBefore, "nothing was sent to the Easee API");
      assert.deepEqual(uncaught, []);
    });
  }

  const filterCases: { name: string; rules: unknown; reason: RegExp }[] = [
    { name: "letters in an id", rules: [{ ids: "12a" }], reason: /"12a" is not an observation id/ },
    { name: "a backwards range", rules: [{ ids: "185-182" }], reason: /runs backwards: write 182-185/ },
    { name: "an unknown name", rules: [{ ids: "NoSuchObservation" }], reason: /"NoSuchObservation" is not an observation name/ },
    { name: "\"constructor\" as a name", rules: [{ ids: "constructor" }], reason: /"constructor" is not an observation name/ },
    { name: "\"__proto__\" as a name", rules: [{ ids: "__proto__" }], reason: /"__proto__" is not an observation name/ },
    { name: "a huge id", rules: [{ ids: "99999999999" }], reason: /too large for an observation id/ },
    { name: "semicolons", rules: [{ ids: "120;121" }], reason: /"120;121" is not an observation id/ },
    { name: "a negative id", rules: [{ ids: "-5" }], reason: /"-5" is not an observation id/ },
    { name: "garbage in the second rule", rules: [{ ids: "120" }, { ids: "%%%" }], reason: /^Rule 2: "%%%"/ },
    { name: "rules that are a string, not a list", rules: "120, 121", reason: /The rules are not a list/ },
    { name: "rules that are an object", rules: { ids: "120" }, reason: /The rules are not a list/ },
    { name: "ids that are an object", rules: [{ ids: { evil: 1 } }], reason: /^Rule 1: "\{"evil":1\}" is not an observation id/ },
    { name: "ids that are a list", rules: [{ ids: "120" }, { ids: ["120"] }], reason: /^Rule 2: "\["120"\]" is not an observation id/ },
    { name: "ids that are true", rules: [{ ids: true }], reason: /^Rule 1: "true" is not an observation id/ },
  ];

  for (const testCase of filterCases) {
    it(`easee-filter, ${testCase.name}: red status and "Rule n: …" in the log; passes nothing`, async () => {
      await loadFlow(filterNode, [
        { id: "tab", type: "tab", label: "bad filter" },
        { id: "f", type: "easee-filter", z: "tab", rules: testCase.rules, otherwise: false, checkall: true, outputs: 1, wires: [["out"]] },
        { id: "out", type: "helper", z: "tab" },
      ]);
      const status = await nextCall("f", "status");
      assert.deepEqual(status[0], { fill: "red", shape: "ring", text: "easee-filter.status.invalidRules" });
      assert.ok(englishText("easee-filter.status.invalidRules"), "the status text is in the catalogue");
      const errors = calls("f", "error").map(callText);
      assert.ok(errors.some((text) => /^Rule \d+: /.test(text) && testCase.reason.test(text)), `error logged: ${errors.join(" | ")}`);
      const received: unknown[] = [];
      helper.getNode("out").on("input", (msg: unknown) => received.push(msg));
      const filter = helper.getNode("f");
      filter.receive({ payload: 1, easee: { observationId: 120 } } as never);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(received, []);
      assert.deepEqual(uncaught, []);
    });
  }

  it("easee-observations without a config node, or with a config id that does not exist: red status and a plain error", async () => {
    await loadFlow([configNode, observationsNode], [
      { id: "tab", type: "tab", label: "no config" },
      { id: "obs1", type: "easee-observations", z: "tab", wires: [[]] },
      { id: "obs2", type: "easee-observations", z: "tab", config: "no-such-node", wires: [[]] },
      { id: "obs3", type: "easee-observations", z: "tab", config: "no-such-node", maxAgeSeconds: "soon", topic: "easee/{nonsense}/{name}", chargers: ",,, ;;", wires: [[]] },
    ]);
    for (const id of ["obs1", "obs2", "obs3"]) {
      const status = await nextCall(id, "status", (args) => callText(args) === "easee-observations.status.missingConfig");
      assert.deepEqual(status[0], { fill: "red", shape: "ring", text: "easee-observations.status.missingConfig" });
      const errors = calls(id, "error").map(callText);
      assert.ok(errors.some((text) => /No Easee account is selected/.test(text)), `${id}: ${errors.join(" | ")}`);
    }
    const warnings = calls("obs3", "warn").map(callText);
    assert.ok(warnings.some((text) => /maxAgeSeconds "soon" is not a number/.test(text)), warnings.join(" | "));
    assert.ok(warnings.some((text) => /unknown placeholders \(\{nonsense\}\)/.test(text)), warnings.join(" | "));
    assert.deepEqual(uncaught, []);
  });

  it("the Test connection endpoint answers garbage with a plain { ok: false } and never a server error", async () => {
    await loadFlow([configNode], [{ id: "cfg-test", type: "easee-config", name: "t", apiUrl: api.url }], {
      "cfg-test": { username: "integration@example.com", password: "simulator" },
    });
    const bodies: unknown[] = [
      {},
      [],
      { apiUrl: 42, username: ["a"], password: { $gt: "" } },
      { apiUrl: "javascript:alert(1)", username: "a", password: "b" },
      { apiUrl: "ftp://x", username: "a", password: "b" },
      { apiUrl: "https://me:pw@api.easee.com", username: "a", password: "b" },
      { apiUrl: api.url, username: "x".repeat(100_000), password: "y" },
      { id: "no-such-node", password: "__PWRD__", apiUrl: api.url },
      { id: { __proto__: null }, password: "__PWRD__" },
      JSON.parse('{"__proto__": {"polluted": "yes"}, "apiUrl": "http://", "username": "a", "password": "b"}') as unknown,
    ];
    for (const body of bodies) {
      const response = await helper.request().post("/easee-config/test").send(body as object);
      assert.equal(response.status, 200, `${JSON.stringify(body)?.slice(0, 80)} → ${response.status}`);
      const answer = response.body as { ok?: unknown; message?: unknown; code?: unknown };
      assert.equal(answer.ok, false, JSON.stringify(answer));
      assert.equal(typeof answer.message, "string");
      assert.ok((answer.message as string).length < 400, `short message: ${String(answer.message).slice(0, 100)}…`);
    }
    const text = await helper.request().post("/easee-config/test").set("Content-Type", "text/plain").send("not json at all");
    assert.equal(text.status, 200);
    assert.equal((text.body as { ok?: unknown }).ok, false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(uncaught, []);
  });
});
