/**
 * Secrets and security, the way a user's installation sees them:
 *
 * - a real Node-RED (the runtime under test, started as a child process like `node-red` itself, with `adminAuth`
 *   so permissions are enforced and a `credentialSecret`), with this package installed in its user directory:
 *   the admin endpoints refuse callers without the permission; credentials live only in the credentials store
 *   (flows.json, the flows API and exports carry none, flows_cred.json is encrypted); and while a live flow goes
 *   through faults (broker closes, AMQP password rotated, tokens expired and refresh refused, wrong password in
 *   Test connection) nothing secret appears in its log at trace level (which includes every msg, through a debug
 *   node writing to the log) nor in any admin API answer;
 * - TLS verification is on by default: a broker with a self-signed certificate (a TLS front to the real RabbitMQ)
 *   is refused unless rejectUnauthorized is false (checked in the test helper's runtime).
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter, once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { promisify } from "node:util";
import configNode from "../../nodes/easee-config";
import observationsNode from "../../nodes/easee-observations";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { HUB_PATH, attachSignalrHub } from "../../simulator/signalr-hub";
import { callText, calls, loadFlow, nextCall, setTestTuning } from "../helpers/flows";
import { RuntimeCapture } from "../helpers/log-capture";
import { startServer, stopServer } from "../helpers/node-red";
import {
  changePassword,
  closeConnections,
  connectionsOfUser,
  createLeastPrivilegeUser,
  findConnections,
  openPublisher,
  uniqueName,
  type TestUser,
} from "../helpers/rabbit";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../../..");
const COMPILED_NODES = path.resolve(__dirname, "../../nodes");
const PACKAGE_NAME = "node-red-contrib-easee-amqp";
const RUNTIME = process.env.NODE_RED_PACKAGE ?? "node-red";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A user directory with this package installed the way npm would put it (`node_modules/<name>`), built from the
 * compiled nodes next to this test (dist/ or a build-x/ folder) and the editor assets of the repository.
 */
function writeUserDir(dir: string, settings: Record<string, unknown>): void {
  const pkg = path.join(dir, "node_modules", PACKAGE_NAME);
  const nodesDir = path.join(pkg, "nodes");
  fs.mkdirSync(nodesDir, { recursive: true });
  const nodes: Record<string, string> = {};
  for (const name of ["easee-config", "easee-observations", "easee-filter"]) {
    // A link to the compiled file: Node resolves it to its real place, so its ../core imports work.
    fs.symlinkSync(path.join(COMPILED_NODES, `${name}.js`), path.join(nodesDir, `${name}.js`));
    fs.copyFileSync(path.join(ROOT, "nodes", `${name}.html`), path.join(nodesDir, `${name}.html`));
    nodes[name] = `nodes/${name}.js`;
  }
  fs.cpSync(path.join(ROOT, "locales"), path.join(nodesDir, "locales"), { recursive: true });
  fs.cpSync(path.join(ROOT, "icons"), path.join(nodesDir, "icons"), { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: PACKAGE_NAME, version: "0.0.0-test", "node-red": { nodes } }, null, 2),
  );
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "secrets-test", private: true, dependencies: { [PACKAGE_NAME]: "*" } }));
  fs.writeFileSync(path.join(dir, "settings.js"), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
}

class NodeRedProcess {
  output = "";
  private readonly watchers: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString("utf8");
      for (const watcher of [...this.watchers]) watcher();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Resolves when the output after `from` matches; fails after `timeoutMs` or if the process exits. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(this.output.slice(from))) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${pattern} not in the Node-RED log within ${timeoutMs} ms:\n${this.output.slice(-3000)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        const index = this.watchers.indexOf(check);
        if (index >= 0) this.watchers.splice(index, 1);
      };
      this.watchers.push(check);
      void this.exited.then((code) => {
        done();
        reject(new Error(`Node-RED exited (${code}):\n${this.output.slice(-3000)}`));
      });
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

describe("secrets and security (integration)", function () {
  this.timeout(60_000);

  describe("a real Node-RED with adminAuth and this package installed", () => {
    let api: EaseeApiServer;
    let user: TestUser;
    let nodeRed: NodeRedProcess;
    let baseUrl: string;
    let userDir: string;
    let adminToken: string;
    let viewerToken: string;
    const cfgId = uniqueName("secrets-cfg").replace(/[^a-z0-9]/gi, "");
    const integrationPassword = `Int3gration-${randomBytes(9).toString("base64url")}`;
    const credentialSecret = randomBytes(24).toString("hex");
    const adminPassword = `Admin-${randomBytes(9).toString("base64url")}`;
    const viewerPassword = `Viewer-${randomBytes(9).toString("base64url")}`;
    const secrets = new Set<string>([integrationPassword, credentialSecret, adminPassword, viewerPassword]);
    const answers: string[] = [];

    async function request(method: string, route: string, options: { token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
      const headers: Record<string, string> = { ...options.headers };
      let body: string | undefined;
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      if (options.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(options.json);
      } else if (options.form) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(options.form).toString();
      }
      const response = await fetch(`${baseUrl}${route}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      // The token endpoint's answer is the one place a (Node-RED admin) token belongs.
      if (route !== "/auth/token") answers.push(text);
      return { status: response.status, text };
    }

    async function token(username: string, password: string): Promise<string> {
      const answer = await request("POST", "/auth/token", {
        // A user can only ask for the scope it has.
        form: { client_id: "node-red-admin", grant_type: "password", scope: username === "admin" ? "*" : "read", username, password },
      });
      assert.equal(answer.status, 200, `login as ${username}: ${answer.text}`);
      const value = (JSON.parse(answer.text) as { access_token?: string }).access_token;
      assert.ok(value);
      secrets.add(value);
      return value;
    }

    before(async function () {
      this.timeout(90_000);
      api = await startEaseeApiServer({
        operatorId: uniqueName("secrets").replace(/-/g, ""),
        users: { "integration@example.com": { password: integrationPassword, kind: "integration" } },
        accessTokenLifetimeSeconds: 3600,
      });
      user = await createLeastPrivilegeUser({ queueName: api.queueName, exchangeName: api.exchangeName, prefix: "secrets-lp" });
      secrets.add(user.password);
      api.setConsumer({ username: user.username, password: user.password });

      const runtimeMain = require.resolve(RUNTIME);
      const bcrypt = require(require.resolve("bcryptjs", { paths: [path.dirname(runtimeMain)] })) as { hashSync(text: string, rounds: number): string };
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      userDir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-secrets-"));
      writeUserDir(userDir, {
        uiHost: "127.0.0.1",
        uiPort: port,
        flowFile: "flows.json",
        credentialSecret,
        adminAuth: {
          type: "credentials",
          users: [
            { username: "admin", password: bcrypt.hashSync(adminPassword, 8), permissions: "*" },
            { username: "viewer", password: bcrypt.hashSync(viewerPassword, 8), permissions: "read" },
          ],
        },
        // Everything, down to trace and the audit log: what a user would see with the most verbose setting.
        logging: { console: { level: "trace", metrics: false, audit: true } },
        editorTheme: { tours: false, projects: { enabled: false } },
        telemetry: { enabled: false },
        // Shorter reconnects for the test (nodes/easee-config.ts reads it from the settings; not a user setting).
        easeeAmqpTestTuning: {
          amqpBackoffMinMs: 200,
          amqpBackoffMaxMs: 1000,
          apiBackoffMinMs: 200,
          apiBackoffMaxMs: 1000,
          signalrBackoffMinMs: 200,
          signalrBackoffMaxMs: 1000,
        },
      });
      const redJs = path.join(path.dirname(require.resolve(`${RUNTIME}/package.json`)), "red.js");
      nodeRed = new NodeRedProcess(
        spawn(process.execPath, [redJs, "--userDir", userDir, "--settings", path.join(userDir, "settings.js"), "--port", String(port)], {
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
      await nodeRed.waitFor(/Started flows|Server now running/i, 0, 60_000);
      await nodeRed.waitFor(/Server now running/i, 0, 30_000);
      const version = (require(`${RUNTIME}/package.json`) as { version: string }).version;
      assert.ok(nodeRed.output.includes(`Node-RED version: v${version}`), `the child runs ${RUNTIME} ${version}`);
      adminToken = await token("admin", adminPassword);
      viewerToken = await token("viewer", viewerPassword);
      const nodes = await request("GET", "/nodes", { token: adminToken, headers: { Accept: "application/json" } });
      const sets = JSON.parse(nodes.text) as { module: string; types: string[]; err?: string }[];
      const ours = sets.filter((set) => set.module === PACKAGE_NAME);
      assert.deepEqual(
        ours.map((set) => [set.types.join(","), set.err ?? "loaded"]).sort(),
        [["easee-config", "loaded"], ["easee-filter", "loaded"], ["easee-observations", "loaded"]],
        `the package loaded in ${RUNTIME}: ${JSON.stringify(ours)}`,
      );
    });

    after(async () => {
      await nodeRed?.stop();
      await api?.close();
      await user?.delete();
      if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    });

    it("admin endpoints refuse callers without the permission (401), and serve those with it", async () => {
      const body = { id: "", apiUrl: api.url, username: "integration@example.com", password: "whatever-pw" };
      const anonymous = await request("POST", "/easee-config/test", { json: body });
      assert.equal(anonymous.status, 401, `no token: ${anonymous.status}`);
      const forged = await request("POST", "/easee-config/test", { json: body, token: "not-a-real-token" });
      assert.equal(forged.status, 401, `forged token: ${forged.status}`);
      const viewer = await request("POST", "/easee-config/test", { json: body, token: viewerToken });
      assert.equal(viewer.status, 401, `read-only user (no easee-config.write): ${viewer.status}`);
      const admin = await request("POST", "/easee-config/test", { json: body, token: adminToken });
      assert.equal(admin.status, 200, `admin: ${admin.status} ${admin.text}`);
      assert.equal((JSON.parse(admin.text) as { ok: boolean }).ok, false, "a wrong password, said plainly");

      assert.equal((await request("GET", "/easee/catalogue")).status, 401, "the catalogue needs a login too");
      assert.equal((await request("GET", "/easee/catalogue", { token: viewerToken })).status, 200, "reading it needs read only");
      assert.ok(nodeRed.output.includes("permission.fail"), "the refused calls are in the audit log");
      assert.equal(api.count("login"), 1, "only the admin's test reached Easee");
    });

    it("credentials only in the credentials store: not in flows.json, the flows API or an export; flows_cred.json encrypted", async () => {
      const flows = [
        { id: "tab1", type: "tab", label: "secrets" },
        {
          id: cfgId,
          type: "easee-config",
          name: "secrets",
          apiUrl: api.url,
          heartbeat: 30,
          prefetch: 200,
          credentials: { username: "integration@example.com", password: integrationPassword },
        },
        { id: "obs1", type: "easee-observations", z: "tab1", name: "", config: cfgId, topic: "", chargers: "", includeUnknown: true, maxAgeSeconds: 0, x: 100, y: 100, wires: [["debug1"]] },
        // console: every msg also goes to the log, so the log check below covers every msg.
        { id: "debug1", type: "debug", z: "tab1", name: "all", active: true, tosidebar: true, console: true, tostatus: false, complete: "true", targetType: "full", x: 300, y: 100, wires: [] },
      ];
      const mark = nodeRed.output.length;
      const deployed = await request("POST", "/flows", { token: adminToken, json: flows, headers: { "Node-RED-Deployment-Type": "full" } });
      assert.ok(deployed.status === 204 || deployed.status === 200, `deploy: ${deployed.status} ${deployed.text}`);
      await nodeRed.waitFor(/Connected to 127\.0\.0\.1:\d+, consuming/, mark);

      const flowsFile = fs.readFileSync(path.join(userDir, "flows.json"), "utf8");
      assert.ok(flowsFile.includes(cfgId), "the config node is in flows.json");
      assert.ok(!flowsFile.includes(integrationPassword), "no password in flows.json");
      assert.ok(!flowsFile.includes("integration@example.com"), "no user name in flows.json");
      const credFile = fs.readFileSync(path.join(userDir, "flows_cred.json"), "utf8");
      assert.match(credFile, /^\{\s*"\$":\s*"[0-9a-f]+/, "flows_cred.json is encrypted");
      assert.ok(!credFile.includes(integrationPassword) && !credFile.includes("integration@example.com"), "nothing readable in flows_cred.json");

      const listed = await request("GET", "/flows", { token: adminToken, headers: { "Node-RED-API-Version": "v2" } });
      assert.equal(listed.status, 200);
      assert.ok(listed.text.includes(cfgId) && !listed.text.includes(integrationPassword), "GET /flows has no password");
      const credentials = await request("GET", `/credentials/easee-config/${cfgId}`, { token: adminToken });
      assert.equal(credentials.status, 200);
      assert.deepEqual(JSON.parse(credentials.text), { username: "integration@example.com", has_password: true }, "the editor gets has_password, not the password");
      const asViewer = await request("GET", `/credentials/easee-config/${cfgId}`, { token: viewerToken });
      assert.ok(!asViewer.text.includes(integrationPassword), "nor does a read-only user");
    });

    it("through broker closes, a rotated AMQP password, expired tokens and a refused refresh: nothing secret in the log (trace), in msgs or in any answer", async function () {
      this.timeout(90_000);
      assert.ok(nodeRed.output.includes("Connected to"), "the flow of the previous test is running");
      const publisher = await openPublisher();
      let value = 0;
      const observe = async (what: string): Promise<void> => {
        value += 1;
        const mark = nodeRed.output.length;
        publisher.publish(api.exchangeName, "EH123456.O.120", JSON.stringify({ Timestamp: new Date().toISOString(), Value: 1000 + value }));
        await nodeRed.waitFor(new RegExp(`payload"?: ?${1000 + value}\\b`), mark, 20_000).catch((error: Error) => {
          throw new Error(`${what}: ${error.message}`);
        });
      };
      await observe("first msg");

      // The broker closes the connection (by the connection's name, through its pid).
      let mark = nodeRed.output.length;
      assert.equal(await closeConnections(cfgId, "secrets test: broker closes"), 1, "test/helpers/rabbit closeConnections closed our connection");
      await nodeRed.waitFor(/Connected to/, mark);
      await observe("after the broker closed the connection");

      // The AMQP password is rotated on the broker and by Easee; the old connection is closed.
      const rotated = `Rotated-${randomBytes(9).toString("base64url")}`;
      secrets.add(rotated);
      await changePassword(user, rotated);
      api.setConsumer({ username: user.username, password: rotated });
      mark = nodeRed.output.length;
      await closeConnections(cfgId, "secrets test: password rotated");
      await nodeRed.waitFor(/Connected to/, mark, 30_000);
      await observe("after the password rotation");

      // Every token expires and refresh tokens are refused: the next details fetch must log in again.
      api.expireAccessTokens();
      api.revokeRefreshTokens();
      const rotatedAgain = `Rotated2-${randomBytes(9).toString("base64url")}`;
      secrets.add(rotatedAgain);
      await changePassword(user, rotatedAgain);
      api.setConsumer({ username: user.username, password: rotatedAgain });
      mark = nodeRed.output.length;
      await closeConnections(cfgId, "secrets test: tokens expired");
      await nodeRed.waitFor(/Connected to/, mark, 30_000);
      await observe("after tokens expired");
      assert.ok(api.count("login") >= 2, "logged in again after the refresh was refused");

      // The editor's Test connection: with the stored password, and with a wrong one.
      const stored = await request("POST", "/easee-config/test", {
        token: adminToken,
        json: { id: cfgId, apiUrl: api.url, username: "integration@example.com", password: "__PWRD__" },
      });
      assert.equal((JSON.parse(stored.text) as { ok: boolean }).ok, true, stored.text);
      const wrong = await request("POST", "/easee-config/test", {
        token: adminToken,
        json: { apiUrl: api.url, username: "integration@example.com", password: "Wrong-Secret-Pw-77" },
      });
      secrets.add("Wrong-Secret-Pw-77");
      assert.equal((JSON.parse(wrong.text) as { ok: boolean }).ok, false);
      await publisher.close();

      // An export of the flows as the editor makes it (GET /flows) carries none either.
      await request("GET", "/flows", { token: adminToken });

      for (const secret of api.issuedSecrets()) secrets.add(secret);
      const checked = [...secrets].filter((secret) => secret.length >= 6);
      const log = nodeRed.output;
      const leaks = checked.filter((secret) => log.includes(secret) || answers.some((answer) => answer.includes(secret)));
      console.log(`      checked ${checked.length} secrets against ${log.split("\n").length} log lines (trace) and ${answers.length} admin API answers`);
      assert.ok(checked.length >= 12, `${checked.length} secrets checked`);
      assert.ok(/\[trace\]/.test(log) && /\[debug:all\]|\[debug\]/.test(log), "the log really is at trace level, msgs included");
      assert.deepEqual(
        leaks.map((secret) => `${secret.slice(0, 4)}…`),
        [],
        `secrets found; first place: ${leaks.length ? (log.includes(leaks[0] as string) ? log.slice(Math.max(0, log.indexOf(leaks[0] as string) - 300), log.indexOf(leaks[0] as string)) : answers.find((answer) => answer.includes(leaks[0] as string))?.slice(0, 300)) : ""}`,
      );
    });

    it("SignalR stream: through hub restarts, a refused token, a 429 and expired tokens, nothing secret in the log (trace), in msgs or in any answer", async function () {
      this.timeout(90_000);
      const hub = attachSignalrHub(api);
      const serial = "EH777001";
      api.setChargers([serial]);
      const personalPassword = `Pers0nal-${randomBytes(9).toString("base64url")}`;
      secrets.add(personalPassword);
      api.addUser("personal@example.com", { password: personalPassword, kind: "personal" });
      const cfg2 = `${cfgId}sr`;
      const current = JSON.parse((await request("GET", "/flows", { token: adminToken })).text) as Record<string, unknown>[];
      const flows = [
        ...current,
        {
          id: cfg2,
          type: "easee-config",
          name: "personal",
          apiUrl: api.url,
          stream: "signalr",
          signalrUrl: `${api.url}${HUB_PATH}`,
          credentials: { username: "personal@example.com", password: personalPassword },
        },
        { id: "obs2", type: "easee-observations", z: "tab1", name: "", config: cfg2, topic: "", chargers: "", includeUnknown: true, maxAgeSeconds: 0, x: 100, y: 200, wires: [["debug2"]] },
        { id: "debug2", type: "debug", z: "tab1", name: "signalr", active: true, tosidebar: true, console: true, tostatus: false, complete: "true", targetType: "full", x: 300, y: 200, wires: [] },
      ];
      let mark = nodeRed.output.length;
      const deployed = await request("POST", "/flows", { token: adminToken, json: flows, headers: { "Node-RED-Deployment-Type": "full" } });
      assert.ok(deployed.status === 204 || deployed.status === 200, `deploy: ${deployed.status} ${deployed.text}`);
      const connected = /Connected to the Easee SignalR hub; subscribed to EH777001/;
      await nodeRed.waitFor(connected, mark, 30_000);
      let value = 2000;
      const observe = async (what: string): Promise<void> => {
        value += 1;
        const from = nodeRed.output.length;
        hub.publish(serial, [{ observationId: 120, value, timestampMs: Date.now() }]);
        await nodeRed.waitFor(new RegExp(`payload"?: ?${value}\\b`), from, 20_000).catch((error: Error) => {
          throw new Error(`${what}: ${error.message}`);
        });
      };
      await observe("first SignalR msg");

      const fault = async (what: string, before: () => void): Promise<void> => {
        before();
        mark = nodeRed.output.length;
        hub.dropAll();
        await nodeRed.waitFor(connected, mark, 30_000);
        await observe(what);
      };
      await fault("after a hub restart", () => undefined);
      await fault("after the hub refused the token (401)", () => hub.refuseUpgrades(401, 1));
      await fault("after a 429 on the charger list", () => api.setFault({ kind: "rate-limit", endpoint: "chargers", times: 1, retryAfterSeconds: 1 }));
      await fault("after every token expired and the refresh was refused", () => {
        api.expireAccessTokens();
        api.revokeRefreshTokens();
      });

      const tested = await request("POST", "/easee-config/test", {
        token: adminToken,
        json: { apiUrl: api.url, username: "personal@example.com", password: personalPassword, stream: "signalr" },
      });
      assert.equal((JSON.parse(tested.text) as { code: string }).code, "personal-account", tested.text);

      for (const secret of api.issuedSecrets()) secrets.add(secret);
      const checked = [...secrets].filter((secret) => secret.length >= 6);
      const log = nodeRed.output;
      const leaks = checked.filter((secret) => log.includes(secret) || answers.some((answer) => answer.includes(secret)));
      console.log(`      SignalR: checked ${checked.length} secrets against ${log.split("\n").length} log lines (trace) and ${answers.length} admin API answers`);
      assert.ok(/SignalR client: /.test(log), "the SignalR client's own lines are in the log (debug)");
      assert.deepEqual(leaks.map((secret) => `${secret.slice(0, 4)}…`), [], "no secret in the log or an answer");
    });
  });

  describe("TLS verification", () => {
    let api: EaseeApiServer;
    let user: TestUser;
    let tlsFront: tls.Server;
    let tlsPort: number;
    let easeeFront: http.Server;
    let easeeFrontUrl: string;
    /** TLS sessions the client closed without sending a single byte of AMQP (it did not trust the certificate). */
    let refusedSessions = 0;
    const tlsEvents = new EventEmitter();
    let dir: string;
    let capture: RuntimeCapture;

    before(async function () {
      this.timeout(30_000);
      api = await startEaseeApiServer({ operatorId: uniqueName("secretstls").replace(/-/g, "") });
      user = await createLeastPrivilegeUser({ queueName: api.queueName, exchangeName: api.exchangeName, prefix: "secrets-tls" });
      api.setConsumer({ username: user.username, password: user.password });
      // A self-signed certificate, as an attacker in the middle would present.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-tls-"));
      await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=localhost"], { timeout: 30_000 });
      tlsFront = tls.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (socket) => {
        // Node's TLS client checks the certificate once the handshake is done, then hangs up before writing.
        let spoke = false;
        socket.once("data", () => {
          spoke = true;
        });
        socket.once("close", () => {
          if (spoke) return;
          refusedSessions += 1;
          tlsEvents.emit("refused");
        });
        const upstream = net.connect({ host: "127.0.0.1", port: 5672 });
        socket.pipe(upstream).pipe(socket);
        const drop = (): void => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on("error", drop);
        upstream.on("error", drop);
        socket.on("close", drop);
        upstream.on("close", drop);
      });
      // With TLS 1.3 the client may refuse during the handshake instead (an alert): counted the same.
      tlsFront.on("tlsClientError", () => {
        refusedSessions += 1;
        tlsEvents.emit("refused");
      });
      await new Promise<void>((resolve) => tlsFront.listen(0, "127.0.0.1", () => resolve()));
      tlsPort = (tlsFront.address() as net.AddressInfo).port;
      // The Easee API, as seen through a front that says the stream is TLS on that port (Easee's is TLS on 5671).
      easeeFront = http.createServer((incoming, outgoing) => {
        const target = new URL(api.url);
        const forward = http.request(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on("data", (chunk: Buffer) => chunks.push(chunk));
            answer.on("end", () => {
              let body = Buffer.concat(chunks);
              if (incoming.url === "/api/streams/amqp/v2" && answer.statusCode === 200) {
                const details = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
                body = Buffer.from(JSON.stringify({ ...details, useSsl: true, server: "127.0.0.1", port: tlsPort }));
              }
              outgoing.writeHead(answer.statusCode ?? 500, { "Content-Type": "application/json" });
              outgoing.end(body);
            });
          },
        );
        incoming.pipe(forward);
      });
      await new Promise<void>((resolve) => easeeFront.listen(0, "127.0.0.1", () => resolve()));
      easeeFrontUrl = `http://127.0.0.1:${(easeeFront.address() as net.AddressInfo).port}`;
    });

    after(async () => {
      await new Promise<void>((resolve) => tlsFront?.close(() => resolve()));
      easeeFront?.closeAllConnections();
      await new Promise<void>((resolve) => easeeFront?.close(() => resolve()));
      await api?.close();
      await user?.delete();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      setTestTuning({ amqpBackoffMinMs: 200, amqpBackoffMaxMs: 500, connectTimeoutMs: 3000 });
      await startServer();
      capture = RuntimeCapture.start();
      capture.watchSecrets(() => [user.password, ...api.issuedSecrets()]);
    });

    afterEach(async () => {
      await stopServer();
      capture.stop();
      setTestTuning(undefined);
      assert.deepEqual(capture.leaks(), [], "nothing secret in the log, statuses or msgs");
    });

    async function deploy(rejectUnauthorized: unknown): Promise<string> {
      const cfgId = uniqueName("secrets-tls-cfg");
      const config: Record<string, unknown> = { id: cfgId, type: "easee-config", name: "tls", apiUrl: easeeFrontUrl, heartbeat: 30, prefetch: 200 };
      if (rejectUnauthorized !== undefined) config.rejectUnauthorized = rejectUnauthorized;
      await loadFlow([configNode, observationsNode], [
        { id: "tab", type: "tab", label: "tls" },
        config as { id: string; type: string },
        { id: "obs", type: "easee-observations", z: "tab", config: cfgId, wires: [[]] },
      ], { [cfgId]: { username: api.credentials.userName, password: api.credentials.password } });
      return cfgId;
    }

    for (const [label, value] of [["left at its default", undefined], ["written as garbage (\"maybe\")", "maybe"]] as const) {
      it(`rejectUnauthorized ${label}: the self-signed broker is refused, plainly; no AMQP session behind it`, async () => {
        const before = refusedSessions;
        const cfgId = await deploy(value);
        const status = await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.broker-unreachable", 15_000);
        assert.equal((status[0] as { fill?: string }).fill, "red");
        const errors = calls(cfgId, "error").map(callText);
        assert.ok(errors.some((text) => /self[- ]signed|certificate/i.test(text)), `says why: ${errors.join(" | ")}`);
        // The front may see the hang-up a moment after the node reports it.
        if (refusedSessions === before) await once(tlsEvents, "refused", { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        assert.ok(refusedSessions > before, "our side hung up on the TLS front without a byte of AMQP");
        assert.deepEqual(await connectionsOfUser(user.username), [], "no AMQP connection reached the broker");
      });
    }

    it("rejectUnauthorized false (the user's explicit choice): connects through the same TLS front and consumes", async () => {
      const cfgId = await deploy(false);
      await nextCall("obs", "status", (args) => callText(args) === "easee-config.status.connected", 15_000);
      const connections = await findConnections(cfgId);
      assert.equal(connections.length, 1);
      assert.equal(connections[0]?.user, user.username);
    });
  });
});
