import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as amqp from "amqplib";
import { operatorNames } from "../../simulator/api-server";
import { encodeCommand } from "../../simulator/encode";
import { startSimulator, type Simulator } from "../../simulator/index";
import { QueueRecorder } from "../helpers/queue-recorder";
import { ADMIN_AMQP_URL, createLeastPrivilegeUser, queueInfo, rabbitmqctl, uniqueName, type TestUser } from "../helpers/rabbit";

interface AmqpDetails {
  server: string;
  port: number;
  useSsl: boolean;
  virtualHost: string;
  queueName: string;
  exchangeName: string;
  username: string;
  password: string;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** What an integrator does: log in, then fetch the AMQP details with the token. */
async function amqpDetails(sim: Simulator): Promise<AmqpDetails> {
  const login = await post(`${sim.apiUrl}/api/accounts/login`, sim.credentials);
  assert.equal(login.status, 200);
  const response = await fetch(`${sim.apiUrl}/api/streams/amqp/v2`, { headers: { authorization: `Bearer ${String(login.json.accessToken)}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as AmqpDetails;
}

/**
 * Closes, as the broker operator would, the connections whose connection_name contains `fragment`.
 * (helpers/rabbit.ts `closeConnections` passes the connection *name* to close_connection, which RabbitMQ 3.10 refuses
 * with invalid_pid_syntax: it wants the pid as the text listing prints it, `<rabbit@host.N.N.N>`.)
 */
async function closeConnectionsByName(fragment: string): Promise<number> {
  const rows = JSON.parse((await rabbitmqctl("list_connections", "name", "client_properties", "--formatter", "json")).trim() || "[]") as Array<{
    name: string;
    client_properties: Array<[string, string, unknown]>;
  }>;
  const names = new Set(
    rows.filter((row) => row.client_properties.some(([key, , value]) => key === "connection_name" && String(value).includes(fragment))).map((row) => row.name),
  );
  const pids = (await rabbitmqctl("list_connections", "pid", "name"))
    .split("\n")
    .map((line) => line.split("\t"))
    .filter(([pid, name]) => pid?.startsWith("<") && name !== undefined && names.has(name.trim()))
    .map(([pid]) => pid as string);
  for (const pid of pids) await rabbitmqctl("close_connection", pid, "closed by the simulator test");
  return pids.length;
}

function urlOf(details: AmqpDetails): string {
  const vhost = details.virtualHost === "/" ? "" : encodeURIComponent(details.virtualHost);
  return `amqp://${encodeURIComponent(details.username)}:${encodeURIComponent(details.password)}@${details.server}:${details.port}/${vhost}`;
}

describe("simulator against the real RabbitMQ", function () {
  this.timeout(30_000);
  const open: Simulator[] = [];
  const recorders: QueueRecorder[] = [];
  afterEach(async () => {
    for (const recorder of recorders.splice(0)) await recorder.close();
    for (const sim of open.splice(0)) await sim.close();
  });
  async function start(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
    const sim = await startSimulator({ operatorId: uniqueName("simulator"), onError: () => undefined, ...options });
    open.push(sim);
    return sim;
  }

  it("answers login, refresh and amqp/v2 like Easee, pointing at its operator queue and exchange", async () => {
    const sim = await start({ live: false, commands: false });
    const login = await post(`${sim.apiUrl}/api/accounts/login`, { userName: "integration@example.com", password: "simulator" });
    assert.equal(login.status, 200);
    assert.equal(login.json.tokenType, "Bearer");
    assert.equal(typeof login.json.accessToken, "string");
    assert.ok(Number(login.json.expiresIn) > 0);
    const refreshed = await post(`${sim.apiUrl}/api/accounts/refresh_token`, {
      accessToken: login.json.accessToken,
      refreshToken: login.json.refreshToken,
    });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.json.accessToken, login.json.accessToken);
    const details = await amqpDetails(sim);
    assert.equal(details.queueName, sim.queueName);
    assert.match(details.queueName, /^Operator_.+\.Q$/);
    assert.equal(details.exchangeName, sim.exchangeName);
    assert.equal(details.server, "127.0.0.1");
    assert.equal(details.port, 5672);
    assert.equal(details.virtualHost, "/");
    // the queue really exists, with nothing in it while the chargers are not playing
    assert.deepEqual(await queueInfo(sim.queueName), { messageCount: 0, consumerCount: 0 });
    const wrong = await post(`${sim.apiUrl}/api/accounts/login`, { userName: "integration@example.com", password: "nope" });
    assert.equal(wrong.status, 400);
  });

  for (const shape of ["masterloop", "signalr", "pascal", "mixed"] as const) {
    it(`streams boot observations and telemetry of every charger (${shape}) that decode without error`, async () => {
      const sim = await start({ shape, chargers: 2, speed: 600, tickMs: 100, commands: false });
      const details = await amqpDetails(sim);
      const recorder = await QueueRecorder.connect(urlOf(details), details.queueName);
      recorders.push(recorder);
      await recorder.until(
        () =>
          recorder.observations("EH000001", 80).length > 0 &&
          recorder.observations("EH000002", 80).length > 0 &&
          recorder.observations("EH000001", 120).length >= 3,
        "boot observations of both chargers and power telemetry",
      );
      for (const delivery of recorder.deliveries) {
        assert.equal(delivery.decoded.kind, "observation", `${delivery.routingKey} ${delivery.body}`);
        assert.equal(delivery.contentType, "application/json");
        assert.equal(typeof delivery.headers.ArrivalTime, "string");
        assert.match(delivery.routingKey, /^EH00000[12]\.O\.\d+$/);
      }
      const power = recorder.observations("EH000001", 120);
      assert.ok(power.some((o) => typeof o.value === "number" && o.value > 3), "charger 1 is charging");
      for (const o of power) {
        assert.equal(o.unit, "kW");
        assert.ok(o.latencyMs !== undefined && o.latencyMs >= 0 && o.latencyMs < 5000, `latency ${o.latencyMs}`);
      }
      const opModes = recorder.observations("EH000002", 109);
      assert.equal(opModes[0]?.label, "Disconnected");
      if (shape === "mixed") {
        const bodies = new Set(recorder.deliveries.map((d) => Object.keys(JSON.parse(d.body) as object)[0]));
        assert.deepEqual([...bodies].sort(), ["ChargerId", "Timestamp", "mid"]);
      }
    });
  }

  describe("charging sessions on demand", () => {
    it("POST /simulator/session starts a session (Awaiting Start, then Charging) and stops it (Completed, then Disconnected)", async () => {
      // Slow clock: the model starts no session of its own during the test.
      const sim = await start({ chargers: 2, startCharging: 0, speed: 10, tickMs: 100, commands: false });
      const details = await amqpDetails(sim);
      const recorder = await QueueRecorder.connect(urlOf(details), details.queueName);
      recorders.push(recorder);
      const labels = (): (string | undefined)[] => recorder.observations("EH000002", 109).map((o) => o.label);
      await recorder.until(() => labels().length > 0, "boot state of EH000002");
      assert.deepEqual(labels(), ["Disconnected"]);

      const started = await post(`${sim.apiUrl}/simulator/session`, { action: "start", charger: "eh000002" });
      assert.equal(started.status, 200);
      assert.deepEqual(started.json, { serial: "EH000002", action: "start", changed: true, opMode: 2 });
      await recorder.until(() => labels().includes("Charging"), "EH000002 charging");
      assert.deepEqual(labels(), ["Disconnected", "Awaiting Start", "Charging"]);
      await recorder.until(() => recorder.observations("EH000002", 120).some((o) => Number(o.value) > 1), "power flows");
      const again = await post(`${sim.apiUrl}/simulator/session`, { action: "start", charger: "EH000002" });
      assert.equal(again.json.changed, false);

      const stopped = await post(`${sim.apiUrl}/simulator/session`, { action: "stop", charger: "EH000002" });
      assert.deepEqual(stopped.json, { serial: "EH000002", action: "stop", changed: true, opMode: 4 });
      await recorder.until(() => labels().includes("Disconnected") && labels().lastIndexOf("Disconnected") > 0, "the car leaves");
      assert.deepEqual(labels().slice(3), ["Completed", "Disconnected"]);
      assert.equal(recorder.observations("EH000001", 109).length, 1, "the other charger is left alone");

      assert.equal((await post(`${sim.apiUrl}/simulator/session`, { action: "start", charger: "EH999999" })).status, 404);
      assert.equal((await post(`${sim.apiUrl}/simulator/session`, { action: "plug" })).status, 400);
    });

    it("easee-simulator session start|stop asks a running simulator and says what the charger does", async () => {
      const sim = await start({ chargers: 1, startCharging: 0, speed: 1, commands: false });
      const run = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          const cli = spawn(process.execPath, [path.join(__dirname, "../../simulator/cli.js"), "session", ...args], { stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          cli.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
          cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          cli.on("exit", (code) => resolve({ code, stdout, stderr }));
        });
      const started = await run("start", "--api-url", sim.apiUrl);
      assert.equal(started.code, 0, started.stderr);
      assert.equal(started.stdout, "EH000001: session started, now Awaiting Start\n");
      const stopped = await run("stop", "EH000001", "--api-url", sim.apiUrl);
      assert.equal(stopped.stdout, "EH000001: session stopped, now Completed\n");
      const nothing = await run("stop", "--api-url", sim.apiUrl);
      assert.equal(nothing.stdout, "EH000001: nothing to stop (Completed)\n");
      const unknown = await run("start", "EH999999", "--api-url", sim.apiUrl);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /No simulated charger EH999999/);
    });
  });

  describe("commands", () => {
    let user: TestUser | undefined;
    afterEach(async () => {
      await user?.delete();
      user = undefined;
    });

    it("48 SetDynamicChargerCurrent from a least-privilege consumer changes observation 48, power and currents, and is answered", async () => {
      const operatorId = uniqueName("simulator-cmd");
      const names = operatorNames(operatorId);
      user = await createLeastPrivilegeUser({ ...names, prefix: "simulator-cmd" });
      const sim = await start({
        operatorId,
        chargers: 2,
        speed: 60,
        api: { consumer: { username: user.username, password: user.password } },
      });
      const details = await amqpDetails(sim);
      assert.equal(details.username, user.username);
      const recorder = await QueueRecorder.connect(urlOf(details), details.queueName);
      recorders.push(recorder);
      await recorder.until(() => recorder.observations("EH000001", 120).length > 0, "first power reading");

      // publish like an integrator: to the exchange, with the credentials amqp/v2 handed out
      const connection = await amqp.connect(urlOf(details));
      try {
        const channel = await connection.createConfirmChannel();
        const command = encodeCommand("EH000001", 48, [
          { id: 1, value: 13 },
          { id: 2, value: 5 },
        ]);
        channel.publish(details.exchangeName, command.routingKey, command.body, { contentType: "application/json", deliveryMode: 2 });
        const unknown = encodeCommand("EH000001", 99, [], { nowMs: Date.now() + 1 });
        channel.publish(details.exchangeName, unknown.routingKey, unknown.body, { contentType: "application/json" });
        await channel.waitForConfirms();

        const responseOf = (ticks: bigint) =>
          recorder.deliveries.findIndex((d) => d.decoded.kind === "commandResponse" && d.decoded.ticks === String(ticks));
        await recorder.until(() => responseOf(command.ticks) >= 0 && responseOf(unknown.ticks) >= 0, "both command responses");
        const index = responseOf(command.ticks);
        const response = recorder.deliveries[index]?.decoded;
        assert.ok(response && response.kind === "commandResponse");
        assert.equal(response.chargerId, "EH000001");
        assert.equal(response.commandId, 48);
        assert.equal(response.wasAccepted, true);
        assert.equal(response.resultCode, 0);
        assert.equal(recorder.deliveries[index]?.routingKey, `EH000001.CR.48.${command.ticks}`);
        const refused = recorder.deliveries[responseOf(unknown.ticks)]?.decoded;
        assert.ok(refused && refused.kind === "commandResponse");
        assert.equal(refused.wasAccepted, false);
        assert.equal(refused.resultCode, 1);

        // the new state is on the queue before the response: 48 = 13 A, and power and currents follow
        const before = recorder.deliveries.slice(0, index).map((d) => d.decoded);
        const last = (id: number) => [...before].reverse().find((d) => d.kind === "observation" && d.chargerId === "EH000001" && d.observationId === id);
        const dynamic = last(48);
        assert.ok(dynamic && dynamic.kind === "observation");
        assert.equal(dynamic.value, 13);
        const amps = last(182);
        const power = last(120);
        assert.ok(amps && amps.kind === "observation" && power && power.kind === "observation");
        assert.ok(Math.abs(Number(amps.value) - 13) < 0.5, `phase current ${String(amps.value)} A`);
        assert.ok(Number(power.value) > 8 && Number(power.value) < 9.5, `power ${String(power.value)} kW`);
        assert.equal(sim.chargers[0]?.value(48), 13);
        assert.equal(sim.chargers[1]?.value(48), 32, "the other charger is untouched");
      } finally {
        await connection.close();
      }
    });

    it("1 Reboot: the charger goes offline and reports its boot observations again", async () => {
      const sim = await start({ chargers: 1, speed: 120, tickMs: 100 });
      const recorder = await QueueRecorder.connect(ADMIN_AMQP_URL, sim.queueName);
      recorders.push(recorder);
      await recorder.until(() => recorder.observations("EH000001", 80).length === 1, "first boot");
      const connection = await amqp.connect(ADMIN_AMQP_URL);
      try {
        const channel = await connection.createConfirmChannel();
        const reboot = encodeCommand("EH000001", 1);
        channel.publish(sim.exchangeName, reboot.routingKey, reboot.body, { contentType: "application/json" });
        await channel.waitForConfirms();
        await recorder.until(() => recorder.observations("EH000001", 80).length === 2, "boot observations after the reboot");
        const modes = recorder.observations("EH000001", 109).map((o) => o.label);
        assert.ok(modes.includes("Offline"), modes.join());
        const reason = recorder.observations("EH000001", 89).at(-1);
        assert.equal(reason?.value, 20);
        assert.ok(recorder.deliveries.some((d) => d.decoded.kind === "commandResponse" && d.decoded.commandId === 1 && d.decoded.wasAccepted));
      } finally {
        await connection.close();
      }
    });
  });

  it("reconnects after the broker closes its connections, and goes on publishing and answering commands", async () => {
    const sim = await start({ chargers: 1, speed: 600, tickMs: 100 });
    const recorder = await QueueRecorder.connect(ADMIN_AMQP_URL, sim.queueName);
    recorders.push(recorder);
    await recorder.until(() => recorder.observations("EH000001", 120).length > 0, "power before");
    assert.equal(await closeConnectionsByName(`easee-simulator ${sim.operatorId}`), 2);
    const before = recorder.deliveries.length;
    await recorder.until((d) => d.length > before + 20, "observations after the broker closed the connections");
    assert.equal(sim.publisher.connected, true);
    const connection = await amqp.connect(ADMIN_AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      // the command side reconnects on its own rhythm: keep asking until it answers
      const answered = (ticks: bigint) => recorder.deliveries.some((d) => d.decoded.kind === "commandResponse" && d.decoded.ticks === String(ticks));
      const deadline = Date.now() + 10_000;
      let done = false;
      for (let i = 0; !done && Date.now() < deadline; i++) {
        const command = encodeCommand("EH000001", 11, [{ id: 1, value: true }], { nowMs: Date.now() + i });
        channel.publish(sim.exchangeName, command.routingKey, command.body, { contentType: "application/json" });
        await channel.waitForConfirms();
        done = await recorder.until(() => answered(command.ticks), "answer", 1000).then(
          () => true,
          () => false,
        );
      }
      assert.ok(done, "a command is answered after the reconnect");
    } finally {
      await connection.close();
    }
  });

  describe("load mode", () => {
    it("publishes a backlog of M messages that all sit in the operator queue and decode", async () => {
      const sim = await start({ live: false, commands: false, shape: "mixed" });
      const result = await sim.runLoad({ count: 5000 });
      assert.equal(result.mode, "backlog");
      assert.equal(result.confirmed, 5000);
      assert.equal(result.nacked, 0);
      assert.ok(result.ratePerSecond > 500, `rate ${result.ratePerSecond}/s`);
      assert.equal((await queueInfo(sim.queueName)).messageCount, 5000);
      const recorder = await QueueRecorder.connect(ADMIN_AMQP_URL, sim.queueName);
      recorders.push(recorder);
      await recorder.until((d) => d.length === 5000, "the whole backlog");
      assert.equal(recorder.deliveries.filter((d) => d.decoded.kind !== "observation").length, 0);
      assert.equal(new Set(recorder.observations().map((o) => o.chargerId)).size, 3);
    });

    it("holds a fixed rate", async () => {
      const sim = await start({ live: false, commands: false });
      const result = await sim.runLoad({ rate: 2000, durationMs: 1500 });
      assert.equal(result.mode, "rate");
      assert.equal(result.confirmed, 3000);
      assert.ok(result.publishMs >= 1400, `published over ${result.publishMs} ms`);
      assert.ok(result.ratePerSecond > 1000 && result.ratePerSecond <= 2100, `rate ${result.ratePerSecond}/s`);
    });
  });

  describe("easee-simulator CLI", () => {
    it("prints the API URL and credentials, serves them, and stops cleanly on Ctrl-C", async () => {
      const operatorId = uniqueName("simulator-cli");
      const cli = spawn(process.execPath, [path.join(__dirname, "../../simulator/cli.js"), "--port", "0", "--operator-id", operatorId, "--chargers", "2"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      cli.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (/Ctrl-C/.test(stdout)) resolve();
          };
          cli.stdout.on("data", check);
          void exited.then((code) => reject(new Error(`CLI exited ${code}: ${stderr}`)));
          setTimeout(() => reject(new Error(`no banner within 10 s: ${stdout} ${stderr}`)), 10_000).unref();
        });
        const url = /API URL\s+(http:\/\/\S+)/.exec(stdout)?.[1];
        const userName = /user name\s+(\S+)/.exec(stdout)?.[1];
        const password = /password\s+(\S+)/.exec(stdout)?.[1];
        assert.ok(url && userName && password, stdout);
        assert.match(stdout, /Operator_.*\.Q/);
        assert.doesNotMatch(stdout, /guest:guest/, "the broker password is not printed");
        const login = await post(`${url}/api/accounts/login`, { userName, password });
        assert.equal(login.status, 200);
        assert.ok((await queueInfo(`Operator_${operatorId}.Q`)).messageCount > 0, "the chargers publish");
      } finally {
        cli.kill("SIGINT");
      }
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /stopped/);
      await assert.rejects(queueInfo(`Operator_${operatorId}.Q`), "the queue is deleted on stop");
    });

    it("--backlog publishes the backlog, prints the confirmed rate and keeps the queue until Ctrl-C", async () => {
      const operatorId = uniqueName("simulator-cli-load");
      const cli = spawn(process.execPath, [path.join(__dirname, "../../simulator/cli.js"), "--port", "0", "--operator-id", operatorId, "--backlog", "3000", "--shape", "mixed"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          cli.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            if (/keeps running/.test(stdout)) resolve();
          });
          void exited.then((code) => reject(new Error(`CLI exited ${code}: ${stdout} ${stderr}`)));
          setTimeout(() => reject(new Error(`no load result within 15 s: ${stdout} ${stderr}`)), 15_000).unref();
        });
        assert.match(stdout, /load backlog: 3000 of 3000 confirmed in [\d.]+ s = \d+\/s/);
        assert.equal((await queueInfo(`Operator_${operatorId}.Q`)).messageCount, 3000, "no live chargers in load mode: exactly the backlog");
      } finally {
        cli.kill("SIGINT");
      }
      assert.equal(await exited, 0, stderr);
    });
  });
});
