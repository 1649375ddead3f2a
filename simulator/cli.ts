#!/usr/bin/env node
/**
 * `easee-simulator`: the Easee cloud simulator from the command line.
 * Prints the API URL and the credentials to put into an easee-config node; Ctrl-C stops it cleanly.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { SESSION_CONTROL_PATH, startSimulator, type LoadResult, type ShapeOption, type Simulator } from "./index";

const HELP = `Usage: easee-simulator [options]
       easee-simulator session start|stop [serial] [--api-url <url>]

Simulates the Easee cloud for an integration account: the REST API (login, refresh, amqp/v2)
and chargers streaming observations into Operator_<id>.Q on your RabbitMQ.

Options:
  --amqp-url <url>     RabbitMQ to use (default amqp://guest:guest@127.0.0.1:5672)
  --host <host>        REST API host (default 127.0.0.1)
  --port <port>        REST API port (default 8090; 0 = any free port)
  --operator-id <id>   queue Operator_<id>.Q, exchange Operator_<id>.C.X (default 1000)
  --chargers <n>       number of chargers, serials EH000001... (default 3)
  --equalizers <n>     number of Equalizers, serials QH000001..., measuring the grid (default 1)
  --shape <shape>      masterloop | signalr | pascal | mixed (default masterloop)
  --arrival-time <f>   ArrivalTime header as iso | epoch-ms (default iso)
  --speed <x>          simulated seconds per real second (default 60)
  --rate <n>           load mode: publish n messages per second ...
  --duration <s>       ... for s seconds (default 10)
  --backlog <m>        load mode: publish a backlog of m messages as fast as the broker takes them
  --live               in load mode, play the chargers as well
  --no-answer          take commands but never answer them (a charger that lost its connection)
  --help               show this text

Load mode publishes, prints the confirmed count and rate, and keeps the API running so a
consumer can drain the queue. The queue and exchange are deleted when the simulator stops.

While it runs, type a command and Enter:
  silent <serial>        the device stops talking (its network is gone)
  silent <serial> cloud  ... with the cloud's report first (ConnectedToCloud false)
  back <serial>          it talks again
The same over HTTP: POST <API URL>/simulator/devices/<serial>/presence {"silent": true}.

session start|stop asks a running simulator (default http://127.0.0.1:8090, the demo's) to plug
in a car and start charging, or to end the session, on the given charger (default: the first
one where it changes something). The charger's state (ChargerOpMode) changes at once.`;

const OP_MODE_NAMES: Readonly<Record<number, string>> = {
  0: "Offline",
  1: "Disconnected",
  2: "Awaiting Start",
  3: "Charging",
  4: "Completed",
  5: "Error",
  6: "Ready to Charge",
};

/** `easee-simulator session start|stop [serial]`: one request to a running simulator. */
async function sessionCommand(args: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { "api-url": { type: "string" } }, strict: true, allowPositionals: true });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
  const [action, serial, extra] = parsed.positionals;
  if ((action !== "start" && action !== "stop") || extra !== undefined) fail(`usage: easee-simulator session start|stop [serial] [--api-url <url>]`);
  const apiUrl = (parsed.values["api-url"] ?? process.env.EASEE_SIMULATOR_API_URL ?? "http://127.0.0.1:8090").replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${SESSION_CONTROL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(serial !== undefined ? { action, charger: serial } : { action }),
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    fail(`no simulator answers at ${safeUrl(apiUrl)}: start one (easee-simulator, or npm start) or give --api-url`);
  }
  const answer = (await response.json().catch(() => ({}))) as { serial?: string; changed?: boolean; opMode?: number; title?: string };
  if (!response.ok) fail(answer.title ?? `the simulator answered HTTP ${response.status}`);
  const state = OP_MODE_NAMES[answer.opMode ?? -1] ?? String(answer.opMode);
  process.stdout.write(
    answer.changed
      ? `${answer.serial}: session ${action === "start" ? "started" : "stopped"}, now ${state}\n`
      : `${answer.serial}: nothing to ${action} (${state})\n`,
  );
}

function fail(message: string): never {
  process.stderr.write(`easee-simulator: ${message}\n`);
  process.exit(2);
}

function numberOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number >= ${min}, got "${value}"`);
  return n;
}

/** The URL without its password, for printing. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.username = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparsable URL)";
  }
}

function describeStartError(error: unknown, amqpUrl: string, port: number): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === "EADDRINUSE") return `port ${port} is in use; pick another with --port (0 = any free port)`;
  if (err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" || err.code === "ETIMEDOUT") {
    return (
      `RabbitMQ does not answer at ${safeUrl(amqpUrl)}. Install and start one ` +
      `(sudo apt-get install rabbitmq-server, or docker run -d -p 5672:5672 rabbitmq:3), or give --amqp-url.`
    );
  }
  if (/ACCESS_REFUSED|403/.test(String(err.message))) return `RabbitMQ refused the credentials in --amqp-url ${safeUrl(amqpUrl)}`;
  return err.message ?? String(error);
}

function formatLoad(result: LoadResult): string {
  const target = result.targetRate !== undefined ? ` (asked ${result.targetRate}/s)` : "";
  return (
    `load ${result.mode}: ${result.confirmed} of ${result.published} confirmed` +
    `${result.nacked ? `, ${result.nacked} refused` : ""} in ${(result.durationMs / 1000).toFixed(2)} s = ` +
    `${result.ratePerSecond}/s${target}`
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === "session") {
    await sessionCommand(process.argv.slice(3));
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        "amqp-url": { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "operator-id": { type: "string" },
        chargers: { type: "string" },
        equalizers: { type: "string" },
        shape: { type: "string" },
        "arrival-time": { type: "string" },
        speed: { type: "string" },
        rate: { type: "string" },
        duration: { type: "string" },
        backlog: { type: "string" },
        live: { type: "boolean" },
        "no-answer": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const amqpUrl = v["amqp-url"] ?? process.env.EASEE_SIMULATOR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
  const port = numberOption(v.port, "port", 8090);
  const chargers = numberOption(v.chargers, "chargers", 3, 1);
  const equalizers = numberOption(v.equalizers, "equalizers", 1, 0);
  const speed = numberOption(v.speed, "speed", 60, 0);
  const shape = (v.shape ?? "masterloop") as ShapeOption;
  if (!["masterloop", "signalr", "pascal", "mixed"].includes(shape)) fail(`--shape must be masterloop, signalr, pascal or mixed`);
  const arrival = v["arrival-time"] ?? "iso";
  if (arrival !== "iso" && arrival !== "epoch-ms") fail(`--arrival-time must be iso or epoch-ms`);
  const rate = v.rate !== undefined ? numberOption(v.rate, "rate", 0, 1) : undefined;
  const backlog = v.backlog !== undefined ? numberOption(v.backlog, "backlog", 0, 1) : undefined;
  const durationMs = numberOption(v.duration, "duration", 10, 0.1) * 1000;
  const loadMode = rate !== undefined || backlog !== undefined;

  let simulator: Simulator;
  try {
    simulator = await startSimulator({
      amqpUrl,
      host: v.host ?? "127.0.0.1",
      port,
      operatorId: v["operator-id"] ?? "1000",
      answerCommands: v["no-answer"] !== true,
      chargers,
      equalizers,
      shape,
      arrivalTimeFormat: arrival === "epoch-ms" ? "epochMs" : "iso",
      speed,
      live: !loadMode || v.live === true,
    });
  } catch (error) {
    fail(describeStartError(error, amqpUrl, port));
  }

  const serials = simulator.chargers.map((c) => c.serial);
  const equalizerSerials = simulator.equalizers.map((e) => e.serial);
  process.stdout.write(
    [
      "Easee cloud simulator",
      `  API URL    ${simulator.apiUrl}   (easee-config: API URL)`,
      `  user name  ${simulator.credentials.userName}`,
      `  password   ${simulator.credentials.password}`,
      `  queue      ${simulator.queueName}, exchange ${simulator.exchangeName} on ${safeUrl(amqpUrl)}`,
      `  chargers   ${serials.length <= 5 ? serials.join(", ") : `${serials.slice(0, 3).join(", ")} … ${serials.at(-1)}`}` +
        ` (shape ${shape}, speed ${speed}x)`,
      ...(equalizerSerials.length > 0 ? [`  equalizers ${equalizerSerials.join(", ")}`] : []),
      `Type "silent ${serials[0] ?? "EH000001"}" / "back ${serials[0] ?? "EH000001"}" to cut a charger's network and restore it.`,
      "Ctrl-C stops the simulator.",
      "",
    ].join("\n"),
  );

  let stopping = false;
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write("easee-simulator: stopping anyway\n");
      process.exit(130);
    }
    stopping = true;
    abort.abort();
    process.stdout.write(`\n${signal}: stopping…\n`);
    simulator
      .close()
      .then(() => {
        process.stdout.write("stopped\n");
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`easee-simulator: ${(error as Error).message}\n`);
        process.exit(1);
      });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  // Commands on stdin: the only way to cut a device's network without writing code.
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on("line", (line) => {
    const [verb, serial, extra] = line.trim().slice(0, 200).split(/\s+/);
    if (!verb) return;
    if ((verb !== "silent" && verb !== "back") || !serial) {
      process.stdout.write(`unknown command "${line.trim().slice(0, 60)}": silent <serial> [cloud] | back <serial>\n`);
      return;
    }
    const done = verb === "silent" ? simulator.silence(serial, { cloudReport: extra === "cloud" }) : simulator.speak(serial);
    done
      .then((known) =>
        process.stdout.write(known ? `${serial} ${verb === "silent" ? "is silent" : "talks again"}\n` : `no simulated device ${serial}\n`),
      )
      .catch((error: unknown) => process.stderr.write(`easee-simulator: ${(error as Error).message}\n`));
  });
  // stdin closed (started from a script): the simulator keeps running until a signal.
  lines.on("close", () => undefined);

  if (loadMode) {
    const result = await simulator.runLoad({
      ...(rate !== undefined ? { rate, durationMs } : {}),
      ...(backlog !== undefined ? { count: backlog } : {}),
      signal: abort.signal,
    });
    process.stdout.write(`${formatLoad(result)}\nThe API keeps running so a consumer can drain ${simulator.queueName}; Ctrl-C stops.\n`);
  } else {
    let last = simulator.publisher.stats.confirmed;
    const timer = setInterval(() => {
      const now = simulator.publisher.stats.confirmed;
      const handled = simulator.commands?.handled ?? 0;
      process.stdout.write(`published ${now} observations (${((now - last) / 30).toFixed(1)}/s), ${handled} commands answered\n`);
      last = now;
    }, 30_000);
    timer.unref();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`easee-simulator: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
