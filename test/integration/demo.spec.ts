/**
 * `npm start` end to end: the compiled demo script started as a child process beside any demo a developer runs
 * (its own ports, user directory, operator queue and MQTT topic root), watched the way a user watches it: the
 * editor answers, the debug sidebar (Node-RED's /comms websocket) shows decoded observations, the filter splits
 * them, Mosquitto receives them; Ctrl-C stops everything.
 * Needs the full build (`npm run build`): Node-RED loads the package's dist/nodes with their editor assets.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { MqttRecorder } from "../helpers/mqtt";
import { queueInfo, uniqueName } from "../helpers/rabbit";

const DEMO = path.join(__dirname, "../../scripts/start-demo.js");
const ROOT = path.resolve(__dirname, "../../..");

interface DebugMessage {
  readonly name: string;
  readonly topic?: string;
  readonly msg: unknown;
}

/** The websocket client Node-RED itself uses (a dependency of the runtime under test). */
type WsModule = typeof import("ws");
function wsModule(): WsModule {
  const runtime = path.dirname(require.resolve("node-red/package.json"));
  return require(require.resolve("ws", { paths: [runtime] })) as WsModule;
}

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

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

class DemoProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  private constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static start(env: Record<string, string>): DemoProcess {
    return new DemoProcess(spawn(process.execPath, [DEMO], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
  }

  /** Resolves when stdout matches; rejects if the demo exits first or the time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${pattern} not printed within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`)), timeoutMs);
      const check = (): void => {
        if (!pattern.test(this.stdout)) return;
        clearTimeout(timer);
        this.child.stdout?.off("data", check);
        resolve();
      };
      this.child.stdout?.on("data", check);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited (${code}) before printing ${pattern}:\n${this.stdout}\n${this.stderr}`));
      });
      check();
    });
  }
}

describe("npm start (demo) end to end", function () {
  this.timeout(90_000);

  before(function () {
    if (!fs.existsSync(path.join(ROOT, "dist", "nodes", "easee-config.js")) || !fs.existsSync(DEMO)) {
      throw new Error("the demo test needs the full build: run `npm run build` first");
    }
  });

  it("stops with one clear message saying how to get RabbitMQ when none answers", async () => {
    const deadPort = await freePort();
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-demo-norabbit-"));
    const demo = DemoProcess.start({
      EASEE_DEMO_AMQP_URL: `amqp://guest:guest@127.0.0.1:${deadPort}`,
      EASEE_DEMO_PORT: String(await freePort()),
      EASEE_DEMO_USER_DIR: userDir,
    });
    const code = await demo.exited;
    assert.deepEqual(fs.readdirSync(userDir), [], "nothing is prepared without a broker");
    fs.rmSync(userDir, { recursive: true, force: true });
    assert.notEqual(code, 0);
    assert.match(demo.stderr, /RabbitMQ/);
    assert.match(demo.stderr, /sudo apt-get install rabbitmq-server/);
    assert.match(demo.stderr, /docker run -d -p 5672:5672 rabbitmq:3/);
    assert.doesNotMatch(demo.stdout, /\[node-red\]/, "Node-RED is not started");
    assert.doesNotMatch(demo.stderr, /\n\s+at /, "no stack trace");
  });

  it("brings up the editor with the demo flow deployed: the filter splits the observations (the state by its label), the firehose debug is off, the session buttons change a charger's state, MQTT gets them, Ctrl-C stops it", async () => {
    const port = await freePort();
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-demo-e2e-"));
    const operatorId = uniqueName("demo-e2e");
    const topicRoot = uniqueName("demo-e2e");
    const mqttAvailable = await portAnswers(1883);
    const mqtt = mqttAvailable ? await MqttRecorder.connect() : undefined;
    if (mqtt) await mqtt.subscribe(`${topicRoot}/#`);
    const demo = DemoProcess.start({
      EASEE_DEMO_PORT: String(port),
      EASEE_DEMO_USER_DIR: userDir,
      EASEE_DEMO_API_PORT: "0",
      EASEE_DEMO_OPERATOR_ID: operatorId,
      EASEE_DEMO_TOPIC_ROOT: topicRoot,
      EASEE_DEMO_SPEED: "120",
    });
    let socket: import("ws").WebSocket | undefined;
    try {
      await demo.waitFor(/Ctrl-C stops everything/, 60_000);
      assert.match(demo.stdout, new RegExp(`Node-RED editor\\s+http://127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(demo.stdout, /Warning: Node-RED/, "the package loads");

      const editor = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(editor.status, 200);
      assert.match(await editor.text(), /Node-RED/);

      // the deployed flow, as the editor loads it
      const flows = (await (await fetch(`http://127.0.0.1:${port}/flows`, { headers: { "Node-RED-API-Version": "v1" } })).json()) as Array<{ type: string }>;
      const types = flows.map((n) => n.type);
      for (const type of ["easee-config", "easee-observations", "easee-filter", "debug"]) assert.ok(types.includes(type), `flow has ${type}`);
      assert.equal(types.includes("mqtt out"), mqttAvailable);

      // the debug sidebar: subscribe to Node-RED's comms websocket like the editor does
      const { WebSocket } = wsModule();
      const debug: DebugMessage[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
      socket = ws;
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`debug sidebar got ${debug.length} messages from ${[...new Set(debug.map((d) => d.name))].join(", ")}\n${demo.stdout}`)),
          30_000,
        );
        ws.on("message", (data) => {
          for (const event of JSON.parse(String(data)) as Array<{ topic: string; data: { name: string; topic?: string; msg: string } }>) {
            if (event.topic !== "debug") continue;
            let msg: unknown = event.data.msg;
            try {
              msg = JSON.parse(event.data.msg);
            } catch {
              // a plain payload (number, string) is shown as text
            }
            debug.push({ name: event.data.name, ...(event.data.topic !== undefined ? { topic: event.data.topic } : {}), msg });
          }
          const names = new Set(debug.map((d) => d.name));
          if (names.has("Power & energy") && names.has("State")) {
            clearTimeout(timer);
            resolve();
          }
        });
        ws.on("error", reject);
      });
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      ws.send(JSON.stringify({ subscribe: "debug" }));
      await seen;

      // Every observation of three chargers is a firehose: that debug node ships switched off.
      assert.equal(debug.filter((d) => d.name === "All observations").length, 0, "All observations is off until clicked");
      const energy = debug.filter((d) => d.name === "Power & energy");
      for (const entry of energy) {
        assert.match(String(entry.topic), new RegExp(`^${topicRoot}/EH00000[1-3]/(TotalPower|SessionEnergy|EnergyPerHour|LifetimeEnergy)$`));
        assert.equal(typeof entry.msg, "number");
      }
      // The state by its name, not its number.
      const states = (): DebugMessage[] => debug.filter((d) => d.name === "State");
      for (const entry of states()) {
        assert.match(String(entry.topic), new RegExp(`^${topicRoot}/EH00000[1-3]/ChargerOpMode$`));
        assert.ok(["Disconnected", "Awaiting Start", "Charging", "Completed", "Ready to Charge"].includes(String(entry.msg)), String(entry.msg));
      }

      // The session buttons: the simulator answers which charger, and State shows what that charger does.
      const until = (what: string, found: () => boolean): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${what}: not within 15 s; last debug msgs ${JSON.stringify(debug.slice(-6))}`)), 15_000);
          const check = (): void => {
            if (!found()) return;
            clearTimeout(timer);
            ws.off("message", check);
            resolve();
          };
          ws.on("message", check);
          check();
        });
      const press = async (inject: string, action: string, state: string): Promise<void> => {
        const seenBefore = debug.length;
        const response = await fetch(`http://127.0.0.1:${port}/inject/${inject}`, { method: "POST" });
        assert.equal(response.status, 200);
        let answer: { serial?: string; action?: string; changed?: boolean } = {};
        await until(`the simulator's answer to ${action}`, () => {
          const entry = debug.slice(seenBefore).find((d) => d.name === "Simulator answer");
          answer = (entry?.msg ?? {}) as typeof answer;
          return entry !== undefined;
        });
        assert.equal(answer.action, action);
        assert.equal(answer.changed, true, JSON.stringify(answer));
        assert.match(String(answer.serial), /^EH00000[1-3]$/);
        await until(`State ${state} for ${answer.serial}`, () =>
          debug.slice(seenBefore).some((d) => d.name === "State" && d.topic === `${topicRoot}/${answer.serial}/ChargerOpMode` && d.msg === state),
        );
      };
      // EH000001 starts out charging: there is a session to stop, and then a charger to start one on.
      await press("easee-demo-inject-stop", "stop", "Completed");
      await press("easee-demo-inject-start", "start", "Charging");

      if (mqtt) {
        await mqtt.until((messages) => messages.some((m) => /\/TotalPower$/.test(m.topic)), "observations on Mosquitto", 20_000);
      }
    } finally {
      socket?.close();
      await mqtt?.close();
      demo.child.kill("SIGINT");
    }
    assert.equal(await demo.exited, 0, demo.stderr);
    assert.match(demo.stdout, /Demo stopped\./);
    assert.equal(await portAnswers(port), false, "Node-RED is gone");
    await assert.rejects(queueInfo(`Operator_${operatorId}.Q`), "the simulator deleted its queue");
    // the user directory was prepared as documented
    assert.equal(fs.realpathSync(path.join(userDir, "node_modules", "node-red-contrib-easee-amqp")), fs.realpathSync(ROOT));
    const settings = fs.readFileSync(path.join(userDir, "settings.js"), "utf8");
    assert.match(settings, /"credentialSecret": false/);
    fs.rmSync(userDir, { recursive: true, force: true });
  });
});
