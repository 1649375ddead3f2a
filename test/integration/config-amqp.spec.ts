/**
 * The easee-config node in a real Node-RED runtime, against the simulated Easee API (real HTTP, random port) and
 * the real RabbitMQ on 127.0.0.1:5672, consuming as a least-privilege user (no configure permission), one
 * operator queue per test. Subscribers register directly on the config node, as flow nodes do.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import configNode from "../../nodes/easee-config";
import type { DeliverySubscriber, EaseeConfigNode } from "../../nodes/shared/config-api";
import type { ConnectionState, DecodeError, DecodedCommandResponse, DecodedObservation } from "../../core/types";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { englishPattern, loadFlow, setTestTuning, type FlowNode } from "../helpers/flows";
import {
  changePassword,
  closeConnections,
  createLeastPrivilegeUser,
  findConnections,
  openPublisher,
  queueInfo,
  uniqueName,
  type TestUser,
} from "../helpers/rabbit";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { statusKeyOf } from "../../nodes/shared/status";
import { englishDecodeError } from "../helpers/english";

const TUNING = {
  amqpBackoffMinMs: 100,
  amqpBackoffMaxMs: 400,
  apiBackoffMinMs: 100,
  apiBackoffMaxMs: 400,
  authRetryMs: 60_000,
  refetchAfterFailures: 3,
  connectTimeoutMs: 3000,
};

/** Everything the Node-RED logger saw, at every level, including while nodes close. */
const logLines: string[] = [];
/** Every secret used or handed out anywhere in this file. */
const secrets = new Set<string>();

class TestSubscriber implements DeliverySubscriber {
  readonly states: ConnectionState[] = [];
  readonly observations: DecodedObservation[] = [];
  readonly decodeErrors: DecodeError[] = [];
  readonly commandResponses: DecodedCommandResponse[] = [];
  private readonly events = new EventEmitter();

  constructor(readonly id: string) {
    this.events.setMaxListeners(100);
  }

  onObservation(observation: DecodedObservation): void {
    this.observations.push(observation);
    this.events.emit("change");
  }
  onDecodeError(error: DecodeError): void {
    this.decodeErrors.push(error);
    this.events.emit("change");
  }
  onCommandResponse(response: DecodedCommandResponse): void {
    this.commandResponses.push(response);
    this.events.emit("change");
  }
  onConnectionState(state: ConnectionState): void {
    this.states.push(state);
    this.events.emit("change");
  }

  get state(): ConnectionState | undefined {
    return this.states.at(-1);
  }

  /** Resolves as soon as `predicate` holds (checked on every callback); fails after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.events.removeListener("change", check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.removeListener("change", check);
        reject(new Error(`timed out waiting for ${what}; states: ${this.states.map((s) => s.reason).join(" → ")}`));
      }, timeoutMs);
      this.events.on("change", check);
    });
  }

  connected(timeoutMs?: number): Promise<void> {
    return this.until("connected", () => this.state?.phase === "connected", timeoutMs);
  }

  /** Resolves when the status text with i18n key `statusKey` shows up after the `from`-th state. */
  sawStatus(statusKey: string, from = 0, timeoutMs?: number): Promise<void> {
    return this.until(statusKey, () => this.states.slice(from).some((s) => statusKeyOf(s.reason) === statusKey), timeoutMs);
  }
}

function observationBody(value: number): string {
  return JSON.stringify({ Timestamp: new Date().toISOString(), Value: value });
}

describe("easee-config node with RabbitMQ and the simulated Easee API (integration)", function () {
  this.timeout(30_000);

  let api: EaseeApiServer;
  let user: TestUser;
  let cfgId: string;
  let integrationPassword: string;
  let proxy: TcpProxy | undefined;
  const logHandler = new EventEmitter();
  logHandler.on("log", (msg: unknown) => logLines.push(JSON.stringify(msg)));
  const runtimeLog = (helper as unknown as { _log?: { addHandler(h: EventEmitter): void; removeHandler(h: EventEmitter): void } })
    ._log;

  /** Operator ids of this suite start with this; each test gets its own queue and exchange. */
  const suitePrefix = uniqueName("cfg").replace(/-/g, "");
  let operatorCounter = 0;

  before(async () => {
    setTestTuning(TUNING);
    // The AMQP user Easee would hand out: read on the operator queue, write on the operator exchange, NO configure
    // permission. One user for the suite (rabbitmqctl is slow); its rights cover only this suite's queues.
    user = await createLeastPrivilegeUser({
      queueRegex: `^Operator_${suitePrefix}n\\d+\\.Q$`,
      exchangeRegex: `^Operator_${suitePrefix}n\\d+\\.C\\.X$`,
      prefix: "config-lp",
    });
  });

  after(async () => {
    setTestTuning(undefined);
    await user.delete();
  });

  beforeEach(async () => {
    await startServer();
    // After startServer (its init resets the log handlers). A handler sees every level, also during close,
    // when the helper's log spy is already gone.
    runtimeLog?.addHandler(logHandler);
    integrationPassword = uniqueName("Integr4tion-pw");
    secrets.add(integrationPassword);
    operatorCounter += 1;
    api = await startEaseeApiServer({
      operatorId: `${suitePrefix}n${operatorCounter}`,
      users: {
        "integration@example.com": { password: integrationPassword, kind: "integration" },
        "unverified@example.com": { password: "pw-unverified-42", emailVerified: false },
        "personal@example.com": { password: "pw-personal-42", kind: "personal" },
      },
    });
    secrets.add(user.password);
    api.setConsumer({ username: user.username, password: user.password });
    cfgId = uniqueName("cfg");
  });

  afterEach(async () => {
    await stopServer();
    runtimeLog?.removeHandler(logHandler);
    for (const secret of api.issuedSecrets()) secrets.add(secret);
    await proxy?.close();
    proxy = undefined;
    await api.close();
  });

  function flow(props: Record<string, unknown> = {}): FlowNode[] {
    return [
      {
        id: cfgId,
        type: "easee-config",
        name: "test",
        apiUrl: api.url,
        heartbeat: 30,
        prefetch: 200,
        rejectUnauthorized: true,
        ...props,
      },
    ];
  }

  function credentials(username = "integration@example.com", password = integrationPassword) {
    return { [cfgId]: { username, password } };
  }

  async function load(props: Record<string, unknown> = {}, creds = credentials()): Promise<EaseeConfigNode> {
    await loadFlow(configNode, flow(props), creds);
    return helper.getNode(cfgId) as unknown as EaseeConfigNode;
  }

  it("consumes as a user with no configure permission: checkQueue works, deliveries decoded, handed over, acked", async () => {
    const config = await load();
    const sub = new TestSubscriber("sub-a");
    config.register(sub);
    await sub.connected();
    assert.equal(config.connectionState.phase, "connected");

    const publisher = await openPublisher();
    publisher.publish(api.exchangeName, "EH123456.O.120", observationBody(7.2), {
      headers: { ArrivalTime: new Date().toISOString() },
    });
    publisher.publish(api.exchangeName, "EH123456.O.120", "this is not json");
    publisher.publish(
      api.exchangeName,
      "EH123456.CR.48.638000000000000000",
      JSON.stringify({ Id: 48, Timestamp: new Date().toISOString(), WasAccepted: true, ResultCode: 0 }),
    );
    await publisher.close();
    await sub.until("3 deliveries", () => sub.observations.length + sub.decodeErrors.length + sub.commandResponses.length === 3);

    assert.equal(sub.observations[0]?.chargerId, "EH123456");
    assert.equal(sub.observations[0]?.name, "TotalPower");
    assert.equal(sub.observations[0]?.value, 7.2);
    assert.equal(sub.decodeErrors[0] && englishDecodeError(sub.decodeErrors[0]), "body is not valid JSON");
    assert.equal(sub.commandResponses[0]?.commandId, 48);

    const connections = await findConnections(cfgId);
    assert.equal(connections.length, 1);
    assert.equal(connections[0]?.user, user.username, "connected as the least-privilege user");
    const info = await queueInfo(api.queueName);
    assert.deepEqual(info, { messageCount: 0, consumerCount: 1 }, "everything acked (the undecodable one too), one consumer");
  });

  it("two subscribers both receive every message; still one connection and one consumer", async () => {
    const config = await load();
    const a = new TestSubscriber("obs-a");
    const b = new TestSubscriber("obs-b");
    config.register(a);
    config.register(b);
    await a.connected();
    await b.connected();
    const publisher = await openPublisher();
    for (let i = 0; i < 50; i += 1) publisher.publish(api.exchangeName, `EH00000${i % 3}.O.120`, observationBody(i));
    await publisher.close();
    await a.until("50 observations", () => a.observations.length === 50);
    await b.until("50 observations", () => b.observations.length === 50);
    assert.deepEqual(
      a.observations.map((o) => o.value),
      b.observations.map((o) => o.value),
    );
    assert.deepEqual(a.observations.map((o) => o.value).sort((x, y) => Number(x) - Number(y)), [...Array(50).keys()]);
    assert.deepEqual(await queueInfo(api.queueName), { messageCount: 0, consumerCount: 1 });

    // The last one leaving closes the connection.
    await config.deregister(a);
    assert.equal((await queueInfo(api.queueName)).consumerCount, 1);
    await config.deregister(b);
    assert.equal((await findConnections(cfgId)).length, 0);
    assert.equal((await queueInfo(api.queueName)).consumerCount, 0);
  });

  it("every login failure kind and bad setting: a plain status and error, never an exception", async () => {
    interface Case {
      readonly name: string;
      readonly props?: Record<string, unknown>;
      readonly creds?: Record<string, { username: string; password: string }>;
      readonly before?: () => void;
      readonly reason: string;
      readonly logged: RegExp;
    }
    const cases: Case[] = [
      {
        name: "wrong password",
        creds: credentials("integration@example.com", "Wrong-Pw-123"),
        reason: "wrong-password",
        logged: /Easee rejected the user name or password/,
      },
      {
        name: "e-mail not verified",
        creds: credentials("unverified@example.com", "pw-unverified-42"),
        reason: "email-not-verified",
        logged: /e-mail address of this account is not verified/,
      },
      {
        name: "not an integration account",
        creds: credentials("personal@example.com", "pw-personal-42"),
        reason: "not-integration",
        logged: /only for Easee integration \(partner\) accounts/,
      },
      {
        name: "rate limited",
        before: () => api.setFault({ kind: "rate-limit", endpoint: "login", retryAfterSeconds: 30 }),
        reason: "rate-limited",
        logged: /limiting requests .*next try in 30 s/,
      },
      {
        name: "API unreachable",
        before: () => api.setFault({ kind: "down" }),
        reason: "api-unreachable",
        logged: /Cannot reach the Easee API/,
      },
      {
        name: "malformed API URL",
        props: { apiUrl: "api.easee.com" },
        reason: "invalid-url",
        logged: englishPattern("easee-config.errors.invalid-url"),
      },
      {
        name: "no credentials",
        creds: {},
        reason: "no-credentials",
        logged: englishPattern("easee-config.errors.no-credentials"),
      },
      {
        name: "prefetch 0",
        props: { prefetch: 0 },
        reason: "invalid-settings",
        logged: englishPattern("easee-config.errors.invalid-prefetch"),
      },
      {
        name: "negative heartbeat",
        props: { heartbeat: -5 },
        reason: "invalid-settings",
        logged: englishPattern("easee-config.errors.invalid-heartbeat"),
      },
    ];
    for (const testCase of cases) {
      api.clearFaults();
      testCase.before?.();
      const from = logLines.length;
      const config = await load(testCase.props, testCase.creds ?? credentials());
      const sub = new TestSubscriber(`sub-${testCase.name}`);
      config.register(sub);
      await sub.until(testCase.name, () => sub.state?.reason === testCase.reason);
      assert.equal(sub.state?.phase, "error", testCase.name);
      assert.ok(
        logLines.slice(from).some((line) => testCase.logged.test(line) && /"level":20/.test(line)),
        `${testCase.name}: an error log line matching ${testCase.logged}`,
      );
      assert.equal((await queueInfo(api.queueName)).consumerCount, 0, `${testCase.name}: no consumer`);
      await config.deregister(sub);
      if (testCase !== cases.at(-1)) await helper.unload();
    }
  });

  it("reconnects after the broker closes the connection (rabbitmqctl close_connection), without new AMQP details", async () => {
    const config = await load();
    const sub = new TestSubscriber("sub-reconnect");
    config.register(sub);
    await sub.connected();
    const mark = sub.states.length;
    assert.equal(await closeConnections(cfgId, "test: broker closes"), 1);
    await sub.sawStatus("easee-config.status.disconnected", mark);
    await sub.until("connected again", () => sub.states.slice(mark).some((s) => s.phase === "connected"));
    const publisher = await openPublisher();
    publisher.publish(api.exchangeName, "EH123456.O.121", observationBody(1.5));
    await publisher.close();
    await sub.until("the observation after reconnecting", () => sub.observations.length === 1);
    assert.equal((await findConnections(cfgId)).length, 1);
    assert.deepEqual(await queueInfo(api.queueName), { messageCount: 0, consumerCount: 1 });
    assert.equal(api.count("amqp"), 1, "cached details reused");
    assert.equal(api.count("login"), 1);
  });

  it("fetches the AMQP details again after the broker password changed (ACCESS_REFUSED)", async () => {
    const config = await load();
    const sub = new TestSubscriber("sub-password");
    config.register(sub);
    await sub.connected();
    assert.equal(api.count("amqp"), 1);
    const newPassword = uniqueName("new-amqp-pw");
    secrets.add(newPassword);
    await changePassword(user, newPassword);
    api.setConsumer({ username: user.username, password: newPassword });
    const mark = sub.states.length;
    await closeConnections(cfgId, "test: password changed");
    await sub.sawStatus("easee-config.status.access-refused", mark);
    await sub.until("connected with the new password", () => sub.states.slice(mark).some((s) => s.phase === "connected"));
    assert.equal(api.count("amqp"), 2, "details fetched again once");
    assert.equal(api.count("login"), 1, "the token was still good: no new login");
    const publisher = await openPublisher();
    publisher.publish(api.exchangeName, "EH123456.O.120", observationBody(3));
    await publisher.close();
    await sub.until("an observation", () => sub.observations.length === 1);
  });

  it("network cut (TCP proxy): dropped, refused for a while, then reconnected; no unknown-delivery-tag error", async () => {
    proxy = await startTcpProxy({ port: 5672 });
    api.setAdvertisedEndpoint({ server: "127.0.0.1", port: proxy.port });
    const config = await load();
    const sub = new TestSubscriber("sub-proxy");
    config.register(sub);
    await sub.connected();
    const publisher = await openPublisher();
    publisher.publish(api.exchangeName, "EH1.O.120", observationBody(1));
    await sub.until("first observation", () => sub.observations.length === 1);

    const mark = sub.states.length;
    proxy.refuse();
    proxy.dropAll();
    await sub.sawStatus("easee-config.status.disconnected", mark);
    await sub.sawStatus("easee-config.status.broker-unreachable", mark);
    // Refused 3 times in a row → the details are fetched again (they might have moved).
    await sub.until("details fetched again", () => api.count("amqp") >= 2);
    proxy.accept();
    await sub.until("connected again", () => sub.states.slice(mark).some((s) => s.phase === "connected"));
    publisher.publish(api.exchangeName, "EH1.O.120", observationBody(2));
    await publisher.close();
    // At-least-once: the first message may come again if its ack was lost in the cut; the second must come.
    await sub.until("second observation", () => sub.observations.some((o) => o.value === 2));
    assert.ok(sub.observations.every((o) => o.value === 1 || o.value === 2));
    assert.equal((await findConnections(cfgId)).length, 1);
    assert.deepEqual(await queueInfo(api.queueName), { messageCount: 0, consumerCount: 1 });
    assert.ok(!logLines.some((line) => /unknown delivery tag|PRECONDITION_FAILED/i.test(line)));
  });

  it("20 redeploys: exactly one connection and one consumer, no new login, no new AMQP details", async () => {
    const creds = credentials();
    await loadFlow(configNode, flow(), creds);
    const started = Date.now();
    for (let i = 0; i < 20; i += 1) {
      await helper.setFlows(flow({ name: `deploy ${i}` }) as never, "full", creds as never);
      const config = helper.getNode(cfgId) as unknown as EaseeConfigNode;
      const sub = new TestSubscriber(`sub-deploy-${i}`);
      config.register(sub);
      await sub.connected();
    }
    const elapsed = Date.now() - started;
    const connections = await findConnections(cfgId);
    assert.equal(connections.length, 1, `connections: ${JSON.stringify(connections)}`);
    assert.equal((await queueInfo(api.queueName)).consumerCount, 1);
    assert.equal(api.count("login"), 1, "the token is reused across deploys");
    assert.equal(api.count("amqp"), 1, "the AMQP details are reused across deploys");
    console.log(`      20 redeploys with connect: ${elapsed} ms (${Math.round(elapsed / 20)} ms each)`);
  });

  it("close finishes within a few seconds with a broker that stopped answering, leaving no socket", async () => {
    proxy = await startTcpProxy({ port: 5672 });
    api.setAdvertisedEndpoint({ server: "127.0.0.1", port: proxy.port });
    const config = await load();
    const sub = new TestSubscriber("sub-close");
    config.register(sub);
    await sub.connected();
    assert.equal(proxy.openConnections, 1);
    proxy.blackhole();
    const started = Date.now();
    await helper.unload();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 4000, `close took ${elapsed} ms`);
    const open = proxy;
    await sub.until("the proxy to see our socket closed", () => open.openConnections === 0, 2000).catch(() => undefined);
    assert.equal(open.openConnections, 0, "our socket was destroyed");
    console.log(`      close with an unresponsive broker: ${elapsed} ms`);
  });

  it("'Test connection' endpoint: OK with the queue name, or the reason; stored password used for __PWRD__; no secret", async () => {
    await load();
    const post = async (body: Record<string, unknown>): Promise<{ ok: boolean; message: string; code?: string; queueName?: string }> => {
      const response = await helper.request().post("/easee-config/test").send(body).expect(200);
      const text = JSON.stringify(response.body);
      for (const secret of [integrationPassword, user.password, ...api.issuedSecrets()]) {
        assert.ok(!text.includes(secret), "the answer contains no secret");
      }
      return response.body as { ok: boolean; message: string; code?: string; queueName?: string };
    };
    const ok = await post({ apiUrl: api.url, username: "integration@example.com", password: integrationPassword });
    assert.equal(ok.ok, true);
    assert.equal(ok.queueName, api.queueName);
    assert.match(ok.message, new RegExp(`easee-config.test.ok|${api.queueName.replace(/\./g, "\\.")}`));

    const stored = await post({ id: cfgId, apiUrl: api.url, username: "integration@example.com", password: "__PWRD__" });
    assert.equal(stored.ok, true, "the stored password was used");

    const wrong = await post({ apiUrl: api.url, username: "integration@example.com", password: "Wrong-Pw-456" });
    assert.deepEqual([wrong.ok, wrong.code], [false, "wrong-credentials"]);
    assert.match(wrong.message, /rejected the user name or password/);

    const personal = await post({ apiUrl: api.url, username: "personal@example.com", password: "pw-personal-42" });
    assert.deepEqual([personal.ok, personal.code], [false, "not-integration-account"]);

    const badUrl = await post({ apiUrl: "ftp://x", username: "a", password: "b" });
    assert.deepEqual([badUrl.ok, badUrl.code], [false, "invalid-url"]);

    const empty = await post({ apiUrl: api.url, username: "", password: "" });
    assert.deepEqual([empty.ok, empty.code], [false, "missing-credentials"]);
  });

  it("no secret (password, tokens, AMQP password) in any log line of this file", () => {
    for (const secret of ["Wrong-Pw-123", "Wrong-Pw-456", "pw-unverified-42", "pw-personal-42"]) secrets.add(secret);
    assert.ok(logLines.length > 20, `captured ${logLines.length} log lines`);
    assert.ok(secrets.size > 10, `checking ${secrets.size} secrets`);
    for (const line of logLines) {
      for (const secret of secrets) {
        assert.ok(!line.includes(secret), `a secret leaked into the log: ${line.slice(0, 200)}`);
      }
    }
  });
});
