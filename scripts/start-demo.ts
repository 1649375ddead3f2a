/**
 * `npm start`: the Easee cloud simulator plus a Node-RED (the dev dependency) with this package and a demo flow
 * already deployed, in the git-ignored user directory `.demo/`. Ctrl-C stops both.
 *
 * Environment (all optional; the end-to-end test uses them to run beside a user's demo):
 *   EASEE_DEMO_PORT         Node-RED port (1880)          EASEE_DEMO_USER_DIR  user directory (<repo>/.demo)
 *   EASEE_DEMO_API_PORT     simulator REST port (8090; a free one if busy)
 *   EASEE_DEMO_AMQP_URL     RabbitMQ (amqp://guest:guest@127.0.0.1:5672)
 *   EASEE_DEMO_MQTT_URL     Mosquitto (mqtt://127.0.0.1:1883), or `off`
 *   EASEE_DEMO_TOPIC_ROOT   first MQTT topic level (easee)
 *   EASEE_DEMO_OPERATOR_ID  operator id of the simulated queue (demo)
 *   EASEE_DEMO_SPEED        simulated seconds per real second (30)
 *   EASEE_DEMO_STREAM       `amqp` (default: an integration account on the simulated queue) or `signalr` (a personal
 *                           account on the simulator's SignalR hub)
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { startSimulator, type Simulator } from "../simulator/index";
import { buildDemoFlow } from "./demo-flow";

/** dist/scripts/start-demo.js (or build-x/scripts/…) → the repository root. */
const ROOT = path.resolve(__dirname, "..", "..");
const PACKAGE_NAME = "node-red-contrib-easee-amqp";

const env = process.env;
const host = "127.0.0.1";
const port = Number(env.EASEE_DEMO_PORT ?? 1880);
const userDir = path.resolve(env.EASEE_DEMO_USER_DIR ?? path.join(ROOT, ".demo"));
const apiPort = Number(env.EASEE_DEMO_API_PORT ?? 8090);
const amqpUrl = env.EASEE_DEMO_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const mqttUrl = env.EASEE_DEMO_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const topicRoot = env.EASEE_DEMO_TOPIC_ROOT ?? "easee";
const operatorId = env.EASEE_DEMO_OPERATOR_ID ?? "demo";
const speed = Number(env.EASEE_DEMO_SPEED ?? 30);
const stream = (env.EASEE_DEMO_STREAM ?? "amqp").trim().toLowerCase() === "signalr" ? "signalr" : "amqp";
/** On the SignalR stream the demo logs in as a personal account, as a user of the Easee app would. */
const PERSONAL_DEMO_USER = { userName: "personal@example.com", password: "simulator" };

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** True when something accepts TCP connections at host:port within the timeout. */
function answers(targetHost: string, targetPort: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: targetHost, port: targetPort });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function httpGet(url: string, accept = "text/html"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept }, timeout: 2000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

function fatal(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

/** The package made visible to Node-RED the way `npm install` in the user dir would: <userDir>/node_modules/<name>. */
function linkPackage(): void {
  const modules = path.join(userDir, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, PACKAGE_NAME);
  try {
    if (fs.realpathSync(link) === fs.realpathSync(ROOT)) return;
  } catch {
    // missing or dangling: (re)create below
  }
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(ROOT, link, "dir");
}

function writeUserDir(sim: Simulator, mqtt: { host: string; port: number } | undefined): void {
  fs.mkdirSync(userDir, { recursive: true });
  const settings = {
    uiHost: host,
    uiPort: port,
    flowFile: "flows.json",
    flowFilePretty: true,
    // The demo's credentials are the simulator's, not secrets: keep them readable (and the file unencrypted).
    credentialSecret: false,
    logging: { console: { level: "info", metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false },
  };
  fs.writeFileSync(
    path.join(userDir, "settings.js"),
    `// Written by scripts/start-demo.ts on every \`npm start\`.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`,
  );
  if (!fs.existsSync(path.join(userDir, "package.json"))) {
    fs.writeFileSync(
      path.join(userDir, "package.json"),
      `${JSON.stringify({ name: "easee-amqp-demo", description: "Node-RED user directory of npm start", version: "0.0.1", private: true }, null, 2)}\n`,
    );
  }
  linkPackage();
  const account = stream === "signalr" ? PERSONAL_DEMO_USER : sim.credentials;
  const demo = buildDemoFlow({
    apiUrl: sim.apiUrl,
    username: account.userName,
    password: account.password,
    stream: stream === "signalr" ? { kind: "signalr", hubUrl: sim.hubUrl } : { kind: "amqp" },
    topicRoot,
    ...(mqtt ? { mqtt } : {}),
  });
  fs.writeFileSync(path.join(userDir, "flows.json"), `${JSON.stringify(demo.flows, null, 2)}\n`);
  fs.writeFileSync(path.join(userDir, "flows_cred.json"), `${JSON.stringify(demo.credentials, null, 2)}\n`);
}

async function startSimulatorOnFreePort(): Promise<Simulator> {
  const options = {
    amqpUrl,
    host,
    operatorId,
    chargers: 3,
    equalizers: 1,
    startCharging: 1,
    speed,
    api: {
      users: {
        "integration@example.com": { password: "simulator", kind: "integration" },
        [PERSONAL_DEMO_USER.userName]: { password: PERSONAL_DEMO_USER.password, kind: "personal" },
      },
    },
  } as const;
  try {
    return await startSimulator({ ...options, port: apiPort });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    say(`Port ${apiPort} is busy; the simulator takes a free port instead.`);
    return startSimulator({ ...options, port: 0 });
  }
}

async function waitForEditor(child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("Node-RED exited during start-up (see its log above)");
    try {
      const { status } = await httpGet(`http://${host}:${port}/`);
      if (status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Node-RED editor did not answer on http://${host}:${port} within ${timeoutMs / 1000} s`);
}

/** Warn (not fail) when Node-RED did not load this package: the flow then waits for missing types. */
async function checkPackageLoaded(): Promise<void> {
  try {
    const { status, body } = await httpGet(`http://${host}:${port}/nodes`, "application/json");
    if (status !== 200) return;
    const sets = JSON.parse(body) as Array<{ module: string; enabled: boolean; err?: string; types: string[] }>;
    const ours = sets.filter((set) => set.module === PACKAGE_NAME);
    const broken = ours.filter((set) => set.err !== undefined || !set.enabled);
    if (ours.length === 0) say(`Warning: Node-RED did not find ${PACKAGE_NAME} in ${path.join(userDir, "node_modules")}.`);
    for (const set of broken) say(`Warning: Node-RED could not load ${set.types.join(", ") || "a node"}: ${set.err ?? "disabled"}`);
  } catch {
    // the admin API is only a diagnostic here
  }
}

async function main(): Promise<void> {
  const broker = new URL(amqpUrl);
  const brokerHost = broker.hostname || "127.0.0.1";
  const brokerPort = Number(broker.port) || 5672;
  if (!(await answers(brokerHost, brokerPort))) {
    fatal(
      `The demo needs RabbitMQ, and nothing answers on ${brokerHost}:${brokerPort}.\n` +
        `Get one with   sudo apt-get install rabbitmq-server   (it starts on ${brokerPort} by itself)\n` +
        `or             docker run -d -p 5672:5672 rabbitmq:3\n` +
        `then run npm start again.`,
    );
  }
  if (!fs.existsSync(path.join(ROOT, "dist", "nodes", "easee-config.js"))) {
    fatal(`The package is not built (dist/nodes is missing). Run \`npm start\`, which builds first, or \`npm run build\`.`);
  }
  if (await answers(host, port, 500)) {
    fatal(`Something already listens on ${host}:${port}. Stop it, or pick another port: EASEE_DEMO_PORT=1881 npm start`);
  }
  let nodeRedMain: string;
  try {
    // NODE_RED_PACKAGE=node-red-5 (the 5.x alias dev dependency, with Node 22) runs the demo on Node-RED 5.
    nodeRedMain = require.resolve(`${process.env.NODE_RED_PACKAGE ?? "node-red"}/red.js`, { paths: [ROOT] });
  } catch {
    fatal("Node-RED is not installed. Run `npm install` first (it is a dev dependency).");
  }

  let mqtt: { host: string; port: number } | undefined;
  if (mqttUrl !== "off") {
    const parsed = new URL(mqttUrl);
    const candidate = { host: parsed.hostname || "127.0.0.1", port: Number(parsed.port) || 1883 };
    if (await answers(candidate.host, candidate.port)) mqtt = candidate;
  }

  let sim: Simulator;
  try {
    sim = await startSimulatorOnFreePort();
  } catch (error) {
    fatal(`The Easee simulator could not start: ${(error as Error).message}`);
  }
  writeUserDir(sim, mqtt);

  const child = spawn(process.execPath, [nodeRedMain, "-u", userDir, "-p", String(port)], {
    cwd: userDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: "false" },
  });
  const forward = (stream: NodeJS.ReadableStream | null, target: NodeJS.WriteStream): void => {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) target.write(`[node-red] ${line}\n`);
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);
  const childExit = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));

  let stopping = false;
  const stop = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`\n${reason}: stopping Node-RED and the simulator…`);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await childExit;
      clearTimeout(killer);
    }
    await sim.close().catch((error: unknown) => process.stderr.write(`simulator: ${(error as Error).message}\n`));
    say("Demo stopped.");
    process.exit(exitCode);
  };
  process.on("SIGINT", () => void stop("Ctrl-C", 0));
  process.on("SIGTERM", () => void stop("SIGTERM", 0));
  void childExit.then((code) => {
    // Ctrl-C in a terminal reaches Node-RED too, and it exits 0: then this is an orderly stop as well.
    if (!stopping) void stop(`Node-RED exited (code ${code})`, code === 0 ? 0 : 1);
  });

  try {
    await waitForEditor(child, 60_000);
  } catch (error) {
    await stop((error as Error).message, 1);
    return;
  }
  await checkPackageLoaded();
  say(
    [
      "",
      "Easee AMQP demo is running",
      `  Node-RED editor   http://${host}:${port}   (open the debug sidebar to watch the observations)`,
      `  Easee simulator   ${sim.apiUrl}   user ${sim.credentials.userName} / ${sim.credentials.password}`,
      `  queue             ${sim.queueName} with chargers ${sim.chargers.map((c) => c.serial).join(", ")}`,
      stream === "signalr"
        ? `  stream            SignalR hub ${sim.hubUrl}, personal account ${PERSONAL_DEMO_USER.userName} / ${PERSONAL_DEMO_USER.password} (EASEE_DEMO_STREAM=signalr)`
        : `  stream            AMQP (EASEE_DEMO_STREAM=signalr: the SignalR hub with a personal account)`,
      `  MQTT              ${mqtt ? `publishing ${topicRoot}/<charger>/<observation> to ${mqtt.host}:${mqtt.port}` : "off (no Mosquitto on 127.0.0.1:1883)"}`,
      `  charging session  press "Start a session" in the flow, or: node dist/simulator/cli.js session start --api-url ${sim.apiUrl}`,
      `  user directory    ${userDir} (rewritten on every npm start)`,
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => fatal(`The demo failed: ${(error as Error).message}`));
