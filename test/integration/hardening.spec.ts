/**
 * Issue 12 against real parts: a real Node-RED runtime (node-red-node-test-helper), the simulated Easee API (real
 * HTTP), the real RabbitMQ (127.0.0.1:5672), a TCP proxy in front of it, and a capture HTTP server standing in for
 * an attacker's URL. Each test gets its own operator queue (the simulator declares it) and its own names.
 *
 * - defect 1: "Test connection" never sends a stored password anywhere but where its node was deployed to;
 * - defect 3: a redirect from the AMQP details request at boot: the node connects by itself once it passes;
 * - defect 4: config + Home Assistant node alone leave the operator queue alone (50 messages stay);
 * - defect 6: a close that does not finish (broker blackholed) still ends in a reconnect;
 * - defect 7: two easee-config nodes on one account warn in the log and the status.
 */
import assert from "node:assert/strict";
import { englishDetail, englishError } from "../helpers/english";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { NodeAPI } from "node-red";
import { ConnectionManager } from "../../core/amqp/connection-manager";
import type { ConnectionState } from "../../core/types";
import configNode from "../../nodes/easee-config";
import homeAssistantNode from "../../nodes/easee-homeassistant";
import observationsNode from "../../nodes/easee-observations";
import type { EaseeConfigNode } from "../../nodes/shared/config-api";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { coreNodeModule, loadFlow, setTestTuning, type FlowNode } from "../helpers/flows";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { ADMIN_AMQP_URL, openPublisher, queueInfo, uniqueName } from "../helpers/rabbit";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { createAxiosTransport, MAX_RESPONSE_BYTES } from "../../core/easee-api/transport";
import { EaseeApiError } from "../../core/easee-api";

const BROKER = { host: new URL(ADMIN_AMQP_URL).hostname, port: Number(new URL(ADMIN_AMQP_URL).port || 5672) };

const TUNING = {
  amqpBackoffMinMs: 100,
  amqpBackoffMaxMs: 400,
  apiBackoffMinMs: 100,
  apiBackoffMaxMs: 400,
  urlRetryMs: 300,
  connectTimeoutMs: 3000,
  closeTimeoutMs: 500,
};

/** Resolves once `predicate` holds, checking every `everyMs`; fails after `timeoutMs` saying `what`. */
async function eventually(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** An HTTP server that answers 200 {} to everything and keeps every request body: the attacker's URL. */
async function startCaptureServer(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      bodies.push(`${request.method} ${request.url} ${JSON.stringify(request.headers)} ${body}`);
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("hardening against real parts (issue 12, integration)", function () {
  this.timeout(60_000);

  let api: EaseeApiServer;
  let password: string;
  let cfgId: string;
  let proxy: TcpProxy | undefined;
  const suitePrefix = uniqueName("hard").replace(/-/g, "");
  let counter = 0;

  before(() => {
    setTestTuning(TUNING);
  });
  after(() => {
    setTestTuning(undefined);
  });

  beforeEach(async () => {
    await startServer();
    counter += 1;
    password = uniqueName("Hardening-pw");
    api = await startEaseeApiServer({
      operatorId: `${suitePrefix}n${counter}`,
      users: { "integration@example.com": { password, kind: "integration" } },
    });
    cfgId = uniqueName("cfg");
  });

  afterEach(async () => {
    await stopServer();
    await proxy?.close();
    proxy = undefined;
    await api.close();
  });

  function configFlowNode(props: Record<string, unknown> = {}): FlowNode {
    return { id: cfgId, type: "easee-config", name: "hardening", apiUrl: api.url, heartbeat: 30, prefetch: 200, ...props };
  }

  function credentials(): Record<string, Record<string, string>> {
    return { [cfgId]: { username: "integration@example.com", password } };
  }

  describe("defect 1: 'Test connection' and stored passwords", () => {
    it("no combination of id, __PWRD__, empty password and URL sends a stored password elsewhere; the deployed URL still tests OK", async () => {
      const capture = await startCaptureServer();
      const mqttPassword = uniqueName("Mqtt-secret");
      const mqttId = uniqueName("mqtt");
      try {
        await loadFlow(
          [configNode, coreNodeModule("network/10-mqtt.js") as (RED: NodeAPI) => void],
          [configFlowNode(), { id: mqttId, type: "mqtt-broker", name: "broker", broker: "127.0.0.1", port: "1", autoConnect: false }],
          { ...credentials(), [mqttId]: { user: "mqtt-user", password: mqttPassword } },
        );
        const post = async (body: Record<string, unknown>): Promise<{ ok: boolean; code?: string; message: string }> => {
          const response = await helper.request().post("/easee-config/test").send(body).expect(200);
          return response.body as { ok: boolean; code?: string; message: string };
        };
        const answers: string[] = [];
        for (const id of [mqttId, cfgId, "no-such-node", ""]) {
          for (const typed of ["__PWRD__", ""]) {
            for (const apiUrl of [capture.url, `${capture.url}/`, `${api.url}/other`]) {
              for (const username of ["integration@example.com", "mqtt-user", "attacker@example.com", ""]) {
                const answer = await post({ id, apiUrl, username, password: typed });
                answers.push(`${id || "(none)"} ${typed || "(empty)"} ${apiUrl} ${username || "(none)"} → ${answer.code ?? "ok"}`);
                assert.notEqual(answer.ok, true, answers.at(-1));
              }
            }
          }
        }
        const leaked = capture.bodies.filter((body) => body.includes(password) || body.includes(mqttPassword));
        // Before the fix: 15 logins reached the capture server carrying a stored password (12 the mqtt-broker's, 3 the
        // easee-config node's); only the cap of 5 logins an hour per URL and user name kept it from all 48 combinations.
        assert.equal(leaked.length, 0, `${leaked.length} requests to the capture server carried a stored password`);
        assert.equal(capture.bodies.length, 0, "nothing at all is sent when the stored password may not be used");
        const askedAgain = answers.filter((line) => line.endsWith("password-needed"));
        assert.ok(askedAgain.length > 0, "the answer asks for the password to be typed again");
        const apiLogins = api.count("login");

        // The deployed URL and user name: the stored password is used, and works.
        const ok = await post({ id: cfgId, apiUrl: api.url, username: "integration@example.com", password: "__PWRD__" });
        assert.equal(ok.ok, true, JSON.stringify(ok));
        const okSlash = await post({ id: cfgId, apiUrl: `${api.url}/`, username: "integration@example.com", password: "" });
        assert.equal(okSlash.ok, true, "the same URL written with a trailing slash is the same URL");
        assert.ok(api.count("login") <= apiLogins + 2);
        // A typed password is always used as typed, wherever the user points it.
        await post({ id: mqttId, apiUrl: capture.url, username: "someone", password: "typed-by-the-user" });
        assert.equal(capture.bodies.length, 1);
        assert.ok(capture.bodies[0]?.includes("typed-by-the-user"));
      } finally {
        await capture.close();
      }
    });
  });

  describe("defect 3: a redirect does not end the connection loop", () => {
    it("the AMQP details request answers 301 once, then works: the node connects by itself", async () => {
      api.setFault({ kind: "server-error", endpoint: "amqp", status: 301, times: 1 });
      await loadFlow(configNode, [configFlowNode()], credentials());
      const config = helper.getNode(cfgId) as unknown as EaseeConfigNode;
      const states: ConnectionState[] = [];
      config.register({ id: "obs", onObservation: () => undefined, onConnectionState: (state) => states.push(state) });
      // Before the fix: stuck at "invalid API URL" until a redeploy.
      await eventually("connected", () => states.at(-1)?.phase === "connected");
      const redirect = states.find((state) => state.reason === "invalid-url");
      assert.ok(redirect, "the redirect was reported");
      assert.match(englishDetail(redirect.detail), /next try in/i);
      assert.equal(api.count("amqp"), 2);
    });
  });

  describe("defect 4: a state-only node does not drain the queue", () => {
    it("config + Home Assistant node alone: 50 published messages stay in the operator queue", async () => {
      const haId = uniqueName("ha");
      await loadFlow(
        [configNode, homeAssistantNode, observationsNode],
        [configFlowNode(), { id: haId, type: "easee-homeassistant", config: cfgId, prefix: "homeassistant", stateTopic: "easee", selection: "useful", retain: true, wires: [[]] }],
        credentials(),
      );
      const config = helper.getNode(cfgId) as unknown as EaseeConfigNode;
      // Settled: idle (after the fix) or connected (before).
      await eventually("the config node to settle", () => ["connected", "disconnected"].includes(config.connectionState.phase));
      assert.equal(config.connectionState.reason, "idle");
      const publisher = await openPublisher();
      for (let i = 0; i < 50; i += 1) {
        publisher.publish(api.exchangeName, "EH123456.O.120", JSON.stringify({ Timestamp: new Date().toISOString(), Value: i }));
      }
      await publisher.close();
      await eventually("50 messages in the queue", async () => (await queueInfo(api.queueName)).messageCount === 50, 5000);
      assert.deepEqual(await queueInfo(api.queueName), { messageCount: 50, consumerCount: 0 });

      // An observations node joining takes them all (nothing was lost), and the Home Assistant node sees "connected".
      const obsId = uniqueName("obs");
      await helper.setFlows(
        [
          configFlowNode(),
          { id: haId, type: "easee-homeassistant", config: cfgId, prefix: "homeassistant", stateTopic: "easee", selection: "useful", retain: true, wires: [[]] },
          { id: obsId, type: "easee-observations", config: cfgId, wires: [[]] },
        ] as never,
        "full",
        credentials() as never,
      );
      await eventually("the queue drained by the observations node", async () => (await queueInfo(api.queueName)).messageCount === 0);
    });
  });

  describe("defect 6: a forced close reconnects", () => {
    it("broker blackholed, the close times out, the socket is destroyed, and the loop connects again", async () => {
      proxy = await startTcpProxy(BROKER);
      const states: ConnectionState[] = [];
      const manager = new ConnectionManager({
        connectionName: uniqueName("hardening-forced-close"),
        prefetch: 10,
        heartbeatSeconds: 0,
        rejectUnauthorized: true,
        closeTimeoutMs: 500,
        backoff: { minMs: 100, maxMs: 400 },
        getDetails: async () => ({
          server: "127.0.0.1",
          port: (proxy as TcpProxy).port,
          useSsl: false,
          virtualHost: "/",
          queueName: api.queueName,
          exchangeName: api.exchangeName,
          username: "guest",
          password: "guest",
        }),
      });
      try {
        manager.register({ id: "obs", onObservation: () => undefined, onConnectionState: (state) => states.push(state) });
        await eventually("connected", () => manager.state.phase === "connected");
        assert.equal(proxy.acceptedTotal, 1);
        proxy.blackhole();
        const started = Date.now();
        await manager.dropConnection();
        assert.ok(Date.now() - started < 2000);
        proxy.accept();
        // Before the fix: the state stayed "connected" and no second connection ever came.
        await eventually("a second connection", () => (proxy as TcpProxy).acceptedTotal === 2 && manager.state.phase === "connected");
        assert.ok(states.some((state) => state.phase === "disconnected"), "the status left green meanwhile");
        assert.equal(manager.stats.connects, 2);
        assert.equal((await queueInfo(api.queueName)).consumerCount, 1);
      } finally {
        await manager.close();
      }
    });
  });

  describe("defect 7: hostile sizes and a split stream", () => {
    it("an Easee API answer of 3 MB is refused after 2 MB, in plain words", async () => {
      const big = JSON.stringify({ accessToken: "x".repeat(3 * 1024 * 1024), expiresIn: 3600 });
      const server = http.createServer((_request, response) => {
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(big);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
      try {
        const transport = createAxiosTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 5000 });
        // Before the fix: the whole answer was read and parsed, however large.
        await assert.rejects(transport({ method: "POST", path: "/api/accounts/login", body: {} }), (error: unknown) => {
          assert.ok(error instanceof EaseeApiError);
          assert.equal(error.code, "unexpected-response");
          assert.match(englishError(error), new RegExp(`more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MB`));
          return true;
        });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it("two easee-config nodes on one account: both warn in the log and show 'queue shared'; one left, it is 'connected'", async () => {
      const otherId = uniqueName("cfg-other");
      await loadFlow(configNode, [configFlowNode({ name: "first" }), { ...configFlowNode({ name: "second" }), id: otherId }], {
        ...credentials(),
        [otherId]: { username: "integration@example.com", password },
      });
      const first = helper.getNode(cfgId) as unknown as EaseeConfigNode;
      const second = helper.getNode(otherId) as unknown as EaseeConfigNode;
      const seen = { first: [] as ConnectionState[], second: [] as ConnectionState[], firstCount: 0, secondCount: 0 };
      const a = { id: "obs-a", onObservation: () => (seen.firstCount += 1), onConnectionState: (state: ConnectionState) => seen.first.push(state) };
      const b = { id: "obs-b", onObservation: () => (seen.secondCount += 1), onConnectionState: (state: ConnectionState) => seen.second.push(state) };
      first.register(a);
      second.register(b);
      await eventually("both consuming", async () => (await queueInfo(api.queueName)).consumerCount === 2);
      // Before the fix: both said "connected", nothing was logged, and each got part of the stream.
      await eventually("both warned", () =>
        first.connectionState.reason === "queue-shared" && second.connectionState.reason === "queue-shared",
      );
      assert.equal(seen.first.at(-1)?.reason, "queue-shared");
      assert.equal(seen.second.at(-1)?.reason, "queue-shared");
      assert.match(englishDetail(seen.first.at(-1)?.detail), /second/);
      const warnings = (helper.getNode(cfgId) as unknown as { warn: { args: unknown[][] } }).warn.args.map((args) => String(args[0]));
      assert.ok(warnings.some((text) => /consumes the queue of the same Easee account/.test(text) || /queue-shared/.test(text)), warnings.join("\n"));

      const publisher = await openPublisher();
      for (let i = 0; i < 100; i += 1) publisher.publish(api.exchangeName, "EH123456.O.120", JSON.stringify({ Timestamp: new Date().toISOString(), Value: i }));
      await publisher.close();
      await eventually("100 delivered in all", () => seen.firstCount + seen.secondCount === 100);
      console.log(`      two config nodes, one account: ${seen.firstCount} + ${seen.secondCount} of 100 deliveries`);

      await second.deregister(b);
      await eventually("the first alone again", () => first.connectionState.reason === "connected");
      assert.equal(seen.first.at(-1)?.reason, "connected");
    });
  });
});
