/**
 * `npm run bench:signalr`: msgs/s through the SignalR path against the AMQP path, in one run.
 *
 * This process runs the Easee simulator (REST API, SignalR hub, operator queue on the local RabbitMQ). The consumer
 * runs in a child process (this file, forked with `consume`), so the sender never shares an event loop with what is
 * measured. For each stream the child runs what easee-config and easee-observations run, without Node-RED: the
 * stream source (AMQP ConnectionManager, or SignalrStream with the official SignalR client) decoding each message,
 * and the observation pipeline building the contract msg. It reports msgs/s from the first to the last of N.
 *
 *   amqp     N deliveries queued first (backlog), then drained: prefetch 200, batched acks
 *   signalr  N ProductUpdates sent by the hub as fast as the socket takes them, one message per WebSocket frame
 *
 * Usage: node dist/bench/signalr.js [count]   (default 100000). Prints a table and one line of JSON.
 */
import { fork } from "node:child_process";
import { ConnectionManager } from "../core/amqp/connection-manager";
import { acquireEaseeSession } from "../core/easee-api";
import { ObservationPipeline } from "../core/observations/pipeline";
import { signalrStreamFor } from "../core/signalr";
import type { StreamSource, StreamSubscriber } from "../core/stream-source";
import { startSimulator, type Simulator } from "../simulator/index";

const PERSONAL = { userName: "bench-personal@example.com", password: "bench-signalr" };
const OBSERVATION_IDS = [120, 121, 109, 182, 183, 184, 114, 48] as const;

interface ConsumeRequest {
  readonly kind: "amqp" | "signalr";
  readonly apiUrl: string;
  readonly hubUrl: string;
  readonly userName: string;
  readonly password: string;
  readonly count: number;
}

type ChildReport = { readonly type: "ready" } | { readonly type: "done"; readonly ms: number; readonly count: number; readonly rssMB: number };

// --- child: the consumer --------------------------------------------------------------------------------------

async function consume(request: ConsumeRequest): Promise<void> {
  const send = (report: ChildReport): void => {
    process.send?.(report);
  };
  const session = acquireEaseeSession({ apiUrl: request.apiUrl, userName: request.userName, password: request.password });
  const client = session.client;
  const pipeline = new ObservationPipeline({});
  let received = 0;
  let firstAt = 0;
  let source: StreamSource | undefined;
  const finished = new Promise<number>((resolve) => {
    const subscriber: StreamSubscriber = {
      id: "bench",
      onObservation: (observation) => {
        if (received === 0) firstAt = performance.now();
        // What easee-observations does with each observation: filter, cache, build the contract msg.
        pipeline.accept(observation);
        received += 1;
        if (received === request.count) resolve(performance.now() - firstAt);
      },
      onConnectionState: (state) => {
        if (state.phase === "connected") send({ type: "ready" });
      },
    };
    source =
      request.kind === "signalr"
        ? signalrStreamFor(client, { hubUrl: request.hubUrl })
        : new ConnectionManager({
            connectionName: "bench signalr-vs-amqp",
            prefetch: 200,
            heartbeatSeconds: 30,
            rejectUnauthorized: true,
            getDetails: ({ forceRefresh, signal }) => client.getAmqpDetails({ forceRefresh, signal }),
          });
    source.register(subscriber);
  });
  const ms = await finished;
  await source?.close();
  session.release(true);
  send({ type: "done", ms, count: received, rssMB: Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10 });
}

// --- parent: simulator and sender -----------------------------------------------------------------------------

function startConsumer(request: ConsumeRequest): { ready: Promise<void>; done: Promise<ChildReport & { type: "done" }> } {
  const child = fork(__filename, ["consume", JSON.stringify(request)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const done = new Promise<ChildReport & { type: "done" }>((resolve, reject) => {
    child.on("message", (message: ChildReport) => {
      if (message.type === "ready") onReady();
      else {
        resolve(message);
        child.disconnect();
      }
    });
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`consumer exited with ${code}`));
    });
  });
  return { ready, done };
}

async function sendOverHub(sim: Simulator, count: number): Promise<void> {
  const serials = sim.chargers.map((charger) => charger.serial);
  const batch = 500;
  for (let sent = 0; sent < count; ) {
    const n = Math.min(batch, count - sent);
    const serial = serials[(sent / batch) % serials.length] as string;
    const now = Date.now();
    sim.hub.publish(
      serial,
      Array.from({ length: n }, (_, i) => ({
        observationId: OBSERVATION_IDS[(sent + i) % OBSERVATION_IDS.length] as number,
        value: ((sent + i) % 320) / 10,
        timestampMs: now,
      })),
    );
    sent += n;
    // Let the socket write before queueing more: the hub is not the thing measured.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

async function main(): Promise<void> {
  const count = Math.max(1000, Number(process.argv[2] ?? 100_000) || 100_000);
  const sim = await startSimulator({
    operatorId: `benchsignalr${process.pid}`,
    chargers: 4,
    live: false,
    commands: false,
    api: {
      users: {
        "bench-integration@example.com": { password: "bench-amqp", kind: "integration" },
        [PERSONAL.userName]: { password: PERSONAL.password, kind: "personal" },
      },
    },
  });
  const results: Record<string, { msgsPerSecond: number; ms: number; rssMB: number }> = {};
  try {
    // AMQP: a backlog first, then drained.
    const load = await sim.runLoad({ count, shape: "masterloop" });
    const amqp = startConsumer({
      kind: "amqp",
      apiUrl: sim.apiUrl,
      hubUrl: sim.hubUrl,
      userName: "bench-integration@example.com",
      password: "bench-amqp",
      count: load.confirmed,
    });
    const amqpDone = await amqp.done;
    results.amqp = { msgsPerSecond: Math.round((amqpDone.count / amqpDone.ms) * 1000), ms: Math.round(amqpDone.ms), rssMB: amqpDone.rssMB };

    // SignalR: connected and subscribed first, then the hub sends.
    const signalr = startConsumer({ kind: "signalr", apiUrl: sim.apiUrl, hubUrl: sim.hubUrl, ...PERSONAL, count });
    await signalr.ready;
    await sim.hub.waitFor((hub) => hub.connections.some((c) => c.subscriptions.size === sim.chargers.length));
    await sendOverHub(sim, count);
    const signalrDone = await signalr.done;
    results.signalr = {
      msgsPerSecond: Math.round((signalrDone.count / signalrDone.ms) * 1000),
      ms: Math.round(signalrDone.ms),
      rssMB: signalrDone.rssMB,
    };
  } finally {
    await sim.close();
  }
  const row = (name: string, r: { msgsPerSecond: number; ms: number; rssMB: number } | undefined): string =>
    `${name.padEnd(8)} ${String(r?.msgsPerSecond.toLocaleString("en-US") ?? "-").padStart(10)} msg/s  ${String(r?.ms ?? "-").padStart(6)} ms  RSS ${r?.rssMB ?? "-"} MB`;
  process.stdout.write(`\n${count.toLocaleString("en-US")} observations, stream source + observation pipeline (no Node-RED):\n`);
  process.stdout.write(`${row("amqp", results.amqp)}\n${row("signalr", results.signalr)}\n`);
  if (results.amqp && results.signalr) {
    process.stdout.write(`signalr / amqp = ${(results.signalr.msgsPerSecond / results.amqp.msgsPerSecond).toFixed(2)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ count, ...results })}\n`);
}

if (process.argv[2] === "consume") {
  consume(JSON.parse(process.argv[3] ?? "{}") as ConsumeRequest).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`consumer failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
