/**
 * The AMQP connection manager with an injected fake `connect` and a manual clock: the reconnect logic, the
 * single consumer, ack discipline and clean shutdown, without a broker. (Against the real RabbitMQ:
 * test/integration/config-amqp.spec.ts.)
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import {
  ConnectionManager,
  type ChannelLike,
  type ConnectSocketOptions,
  type ConnectUrl,
  type ConnectionLike,
  type DeliveryLike,
  type ManagerSubscriber,
} from "../../core/amqp/connection-manager";
import { ManualScheduler } from "../../core/timing/scheduler";
import { EaseeApiError, type AmqpDetails } from "../../core/easee-api";
import type { ConnectionState, DecodedDelivery, RawDelivery } from "../../core/types";
import { englishLog } from "../helpers/english";

const DETAILS: AmqpDetails = {
  server: "broker.example.com",
  port: 5671,
  useSsl: true,
  virtualHost: "/",
  queueName: "Operator_7.Q",
  exchangeName: "Operator_7.C.X",
  username: "op7",
  password: "amqp-pw-1",
};

class FakeChannel extends EventEmitter implements ChannelLike {
  readonly calls: string[] = [];
  readonly acked: number[] = [];
  consumer: ((message: DeliveryLike | null) => void) | undefined;
  checkQueueFails: Error | undefined;
  closed = false;

  async prefetch(count: number): Promise<void> {
    this.calls.push(`prefetch ${count}`);
  }
  async checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    this.calls.push(`checkQueue ${queue}`);
    if (this.checkQueueFails) throw this.checkQueueFails;
    return { messageCount: 0, consumerCount: 0 };
  }
  async consume(queue: string, onMessage: (message: DeliveryLike | null) => void): Promise<{ consumerTag: string }> {
    this.calls.push(`consume ${queue}`);
    this.consumer = onMessage;
    return { consumerTag: "ctag-1" };
  }
  /** Tags delivered and not acked yet, oldest first (what an ack with allUpTo covers). */
  private readonly unacked: number[] = [];
  /** Ack frames sent (an ack with allUpTo is one frame however many deliveries it covers). */
  ackFrames = 0;
  ack(message: DeliveryLike, allUpTo?: boolean): void {
    if (this.closed) throw new Error("Channel closed");
    this.ackFrames += 1;
    const tag = message.fields.deliveryTag;
    const covered = allUpTo ? this.unacked.filter((t) => t <= tag) : [tag];
    for (const t of covered) this.unacked.splice(this.unacked.indexOf(t), 1);
    this.acked.push(...covered);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  deliver(tag: number, routingKey: string, body = '{"Value":1}'): void {
    this.unacked.push(tag);
    this.consumer?.({
      content: Buffer.from(body),
      fields: { routingKey, deliveryTag: tag },
      properties: { headers: { ArrivalTime: "2026-11-25T10:00:00Z" }, contentType: "application/json" },
    });
  }
}

class FakeConnection extends EventEmitter implements ConnectionLike {
  readonly channels: FakeChannel[] = [];
  closeCalls = 0;
  /** When true, close() never settles (broker gone without a FIN). */
  hangOnClose = false;
  destroyed = false;
  readonly connection = { stream: { destroy: () => (this.destroyed = true) } };
  nextChannelFails: Error | undefined;

  async createChannel(): Promise<ChannelLike> {
    const channel = new FakeChannel();
    if (this.nextChannelFails) channel.checkQueueFails = this.nextChannelFails;
    this.channels.push(channel);
    return channel;
  }
  close(): Promise<void> {
    this.closeCalls += 1;
    if (this.hangOnClose) return new Promise<void>(() => undefined);
    this.serverClose();
    return Promise.resolve();
  }
  /** As amqplib: channels close, then the connection emits 'close'. */
  serverClose(error?: Error): void {
    for (const channel of this.channels) {
      if (!channel.closed) {
        channel.closed = true;
        channel.emit("close");
      }
    }
    this.emit("close", error);
  }
  get channel(): FakeChannel {
    const channel = this.channels.at(-1);
    if (!channel) throw new Error("no channel yet");
    return channel;
  }
}

interface Harness {
  clock: ManualScheduler;
  manager: ConnectionManager;
  connections: FakeConnection[];
  connectArgs: { url: ConnectUrl; socket: ConnectSocketOptions }[];
  detailsRequests: boolean[];
  decodeCalls: RawDelivery[];
  logs: string[];
  /** Queue of outcomes for the next connect attempts (default: succeed). */
  connectOutcomes: (Error | "hang")[];
  detailsOutcomes: (Error | AmqpDetails)[];
}

function decode(raw: RawDelivery): DecodedDelivery {
  const [chargerId = "", kind = "", id = "0"] = raw.routingKey.split(".");
  if (raw.routingKey.startsWith("bad")) return { kind: "error", problem: { code: "body-not-json" }, reason: "body-not-json", preview: "x", routingKey: raw.routingKey };
  if (kind === "CR") {
    return { kind: "commandResponse", chargerId, commandId: Number(id), ticks: "1", wasAccepted: true, routingKey: raw.routingKey };
  }
  return {
    kind: "observation",
    chargerId,
    observationId: Number(id),
    name: "TotalPower",
    known: true,
    description: "",
    dataType: "Double",
    unit: "kW",
    category: "telemetry",
    value: 1,
    routingKey: raw.routingKey,
  };
}

function harness(overrides: Partial<ConstructorParameters<typeof ConnectionManager>[0]> = {}): Harness {
  const h = {
    clock: new ManualScheduler(1_000_000),
    connections: [] as FakeConnection[],
    connectArgs: [] as { url: ConnectUrl; socket: ConnectSocketOptions }[],
    detailsRequests: [] as boolean[],
    decodeCalls: [] as RawDelivery[],
    logs: [] as string[],
    connectOutcomes: [] as (Error | "hang")[],
    detailsOutcomes: [] as (Error | AmqpDetails)[],
  } as Harness;
  h.manager = new ConnectionManager({
    connectionName: "test-connection",
    prefetch: 200,
    heartbeatSeconds: 30,
    rejectUnauthorized: true,
    scheduler: h.clock,
    getDetails: async ({ forceRefresh }) => {
      h.detailsRequests.push(forceRefresh);
      const next = h.detailsOutcomes.shift() ?? DETAILS;
      if (next instanceof Error) throw next;
      return next;
    },
    decode: (raw) => {
      h.decodeCalls.push(raw);
      return decode(raw);
    },
    connect: async (url, socket) => {
      h.connectArgs.push({ url, socket });
      const outcome = h.connectOutcomes.shift();
      if (outcome === "hang") return new Promise<ConnectionLike>(() => undefined);
      if (outcome) throw outcome;
      const connection = new FakeConnection();
      h.connections.push(connection);
      return connection;
    },
    log: (level, event) => h.logs.push(`${level}: ${englishLog(event)}`),
    ...overrides,
  });
  return h;
}

function recorder(id: string) {
  const states: ConnectionState[] = [];
  const got: DecodedDelivery[] = [];
  const subscriber: ManagerSubscriber = {
    id,
    onConnectionState: (state) => states.push(state),
    onObservation: (o) => got.push(o),
    onDecodeError: (e) => got.push(e),
    onCommandResponse: (r) => got.push(r),
  };
  return { subscriber, states, got };
}

describe("ConnectionManager (fake broker, manual clock)", () => {
  it("the first subscriber connects: prefetch, checkQueue (never declare), one consumer; state connecting → connected", async () => {
    const h = harness();
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    assert.equal(h.connections.length, 1);
    assert.deepEqual(h.connections[0]!.channel.calls, ["prefetch 200", "checkQueue Operator_7.Q", "consume Operator_7.Q"]);
    assert.deepEqual(
      a.states.map((s) => s.phase),
      ["disconnected", "connecting", "connected"],
    );
    assert.equal(a.states.at(-1)?.reason, "connected");
    assert.equal(h.manager.state.phase, "connected");
    await h.manager.close();
  });

  it("TLS, heartbeat and connection name come from the details and the node", async () => {
    const h = harness({ rejectUnauthorized: false, heartbeatSeconds: 45 });
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    const [{ url, socket }] = h.connectArgs as [{ url: ConnectUrl; socket: ConnectSocketOptions }];
    assert.deepEqual(url, {
      protocol: "amqps",
      hostname: "broker.example.com",
      port: 5671,
      username: "op7",
      password: "amqp-pw-1",
      vhost: "/",
      heartbeat: 45,
    });
    assert.equal(socket.servername, "broker.example.com");
    assert.equal(socket.rejectUnauthorized, false);
    assert.equal(socket.clientProperties.connection_name, "test-connection");
    await h.manager.close();

    const plain = harness();
    plain.detailsOutcomes.push({ ...DETAILS, server: "127.0.0.1", port: 5672, useSsl: false });
    plain.manager.register(recorder("b").subscriber);
    await plain.clock.settle();
    assert.equal(plain.connectArgs[0]?.url.protocol, "amqp");
    assert.equal(plain.connectArgs[0]?.socket.servername, undefined);
    assert.equal(plain.connectArgs[0]?.socket.rejectUnauthorized, undefined);
    await plain.manager.close();
  });

  it("each delivery is decoded once, handed to every subscriber, then acked once on its channel", async () => {
    const h = harness();
    const a = recorder("a");
    const b = recorder("b");
    h.manager.register(a.subscriber);
    h.manager.register(b.subscriber);
    await h.clock.settle();
    const channel = h.connections[0]!.channel;
    channel.deliver(1, "EH123456.O.120");
    channel.deliver(2, "EH123456.CR.48.638000000000000000");
    channel.deliver(3, "bad.body");
    await Promise.resolve(); // the acks of a socket read go out together, in a microtask after its deliveries
    assert.equal(h.decodeCalls.length, 3, "decoded once, not once per subscriber");
    assert.equal(h.decodeCalls[0]?.headers?.["ArrivalTime"], "2026-11-25T10:00:00Z");
    for (const r of [a, b]) assert.deepEqual(r.got.map((d) => d.kind), ["observation", "commandResponse", "error"]);
    assert.deepEqual(channel.acked, [1, 2, 3], "undecodable deliveries are acked too (no requeue loop)");
    assert.deepEqual(h.manager.stats, { connects: 1, deliveries: 3, acked: 3, decodeErrors: 1, subscriberErrors: 0 });
    await h.manager.close();
  });

  it("the deliveries of one socket read are acked with one frame (allUpTo), the next read's with another", async () => {
    const h = harness();
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    const channel = h.connections[0]!.channel;
    for (let tag = 1; tag <= 50; tag++) channel.deliver(tag, "EH1.O.120");
    assert.equal(channel.ackFrames, 0, "not one frame per delivery");
    await Promise.resolve();
    assert.equal(channel.ackFrames, 1);
    channel.deliver(51, "EH1.O.121");
    await Promise.resolve();
    assert.equal(channel.ackFrames, 2);
    assert.deepEqual(channel.acked, Array.from({ length: 51 }, (_, i) => i + 1), "each delivery acked exactly once");
    assert.equal(h.manager.stats.acked, 51);
    await h.manager.close();
  });

  it("a subscriber that throws does not stop the others or the ack", async () => {
    const h = harness();
    const b = recorder("b");
    h.manager.register({
      id: "a",
      onObservation: () => {
        throw new Error("boom");
      },
    });
    h.manager.register(b.subscriber);
    await h.clock.settle();
    h.connections[0]!.channel.deliver(7, "EH1.O.120");
    await Promise.resolve();
    assert.equal(b.got.length, 1);
    assert.deepEqual(h.connections[0]!.channel.acked, [7]);
    assert.ok(h.logs.some((line) => /^error: A node using this account \(a\) failed on a message: /.test(line)), h.logs.join("\n"));
    await h.manager.close();
  });

  it("'error' then 'close' → exactly one reconnect, after a backoff delay of about 1 s", async () => {
    const h = harness();
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    const first = h.connections[0]!;
    first.emit("error", new Error("Heartbeat timeout"));
    first.serverClose(new Error("Connection closed: 320 (CONNECTION-FORCED)"));
    first.emit("close", new Error("duplicate close event"));
    await h.clock.settle();
    assert.equal(a.states.at(-1)?.phase, "disconnected");
    assert.equal(h.clock.pending, 1, "one reconnect timer");
    const [wait] = h.clock.pendingDelays;
    assert.ok(wait !== undefined && wait >= 1000 && wait <= 1000, `first backoff ${wait}`);
    await h.clock.advance(1000);
    assert.equal(h.connections.length, 2, "one new connection");
    assert.equal(h.manager.state.phase, "connected");
    await h.clock.advance(120_000);
    assert.equal(h.connections.length, 2, "and no other");
    await h.manager.close();
  });

  it("deliveries of a dead channel are never acked on the new one", async () => {
    const h = harness();
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    const oldChannel = h.connections[0]!.channel;
    const consumer = oldChannel.consumer!;
    h.connections[0]!.serverClose(new Error("gone"));
    await h.clock.advance(2000);
    const newChannel = h.connections[1]!.channel;
    // A late delivery still arriving from the old channel object:
    oldChannel.closed = false;
    consumer({ content: Buffer.from("{}"), fields: { routingKey: "EH1.O.120", deliveryTag: 99 }, properties: {} });
    assert.deepEqual(oldChannel.acked, [], "not acked on the dead channel");
    assert.deepEqual(newChannel.acked, [], "and not on the new one");
    await h.manager.close();
  });

  it("the broker cancelling the consumer (null delivery) → consume again on the same channel", async () => {
    const h = harness();
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    const channel = h.connections[0]!.channel;
    channel.consumer!(null);
    await h.clock.settle();
    assert.deepEqual(channel.calls.slice(3), ["checkQueue Operator_7.Q", "consume Operator_7.Q"]);
    assert.equal(h.connections.length, 1);
    await h.manager.close();
  });

  it("a cancelled consumer whose queue is gone → reconnect path, status 'queue not found', details fetched again", async () => {
    const h = harness();
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    const channel = h.connections[0]!.channel;
    channel.checkQueueFails = new Error('Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue"');
    channel.consumer!(null);
    await h.clock.settle();
    assert.equal(h.connections[0]!.closeCalls, 1);
    await h.clock.advance(60_000);
    assert.ok(h.connections.length >= 2);
    await h.manager.close();
  });

  it("ACCESS_REFUSED on connect → the next attempt fetches fresh details (forceRefresh)", async () => {
    const h = harness();
    const a = recorder("a");
    h.connectOutcomes.push(
      new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"'),
    );
    h.manager.register(a.subscriber);
    await h.clock.settle();
    assert.equal(a.states.at(-1)?.reason, "access-refused");
    assert.ok(!JSON.stringify(a.states).includes("amqp-pw-1"), "no AMQP password in any state");
    await h.clock.advance(2000);
    assert.deepEqual(h.detailsRequests, [false, true]);
    assert.equal(h.manager.state.phase, "connected");
    await h.manager.close();
  });

  it("repeated connect failures (3 in a row) → details fetched again; delays grow", async () => {
    const h = harness({ backoff: { random: () => 0.999999 } });
    const refused = () => new Error("connect ECONNREFUSED 10.1.1.1:5671");
    h.connectOutcomes.push(refused(), refused(), refused(), refused());
    const a = recorder("a");
    h.manager.register(a.subscriber);
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await h.clock.settle();
      waits.push(h.clock.pendingDelays[0] ?? -1);
      assert.equal(h.manager.state.reason, "broker-unreachable");
      await h.clock.advance(waits.at(-1)!);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000]);
    assert.deepEqual(h.detailsRequests, [false, false, false, true, false]);
    assert.equal(h.manager.state.phase, "connected");
    await h.manager.close();
  });

  it("a long broker outage asks Easee for fresh details after 3, 6, 12, 24 failures, not on every attempt", async () => {
    const h = harness({ backoff: { random: () => 0.999999 } });
    const failures = 30;
    for (let i = 0; i < failures; i += 1) h.connectOutcomes.push(new Error("connect ECONNREFUSED 10.1.1.1:5671"));
    const a = recorder("a");
    h.manager.register(a.subscriber);
    for (let i = 0; i < failures; i += 1) {
      await h.clock.settle();
      await h.clock.advance(h.clock.pendingDelays[0] ?? 0);
    }
    await h.clock.settle();
    const refetchedAt = h.detailsRequests.flatMap((forced, attempt) => (forced ? [attempt] : []));
    assert.deepEqual(refetchedAt, [3, 6, 12, 24]);
    assert.equal(h.manager.state.phase, "connected");
    await h.manager.close();
  });

  it("API errors: state from the error, wait as long as it says; no retry hint → retry after the fallback wait", async () => {
    const h = harness();
    h.detailsOutcomes.push(
      new EaseeApiError("rate-limited", { id: "rate-limited", params: { status: 429, delay: "2 min" } }, { retryAfterMs: 90_000, httpStatus: 429 }),
    );
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    assert.equal(h.manager.state.reason, "rate-limited");
    assert.equal(h.manager.state.phase, "error");
    assert.deepEqual(h.clock.pendingDelays, [90_000]);
    await h.clock.advance(90_000);
    assert.equal(h.manager.state.phase, "connected");
    await h.manager.close();

    const bad = harness();
    bad.detailsOutcomes.push(new EaseeApiError("invalid-url", { id: "url-invalid" }));
    bad.manager.register(recorder("b").subscriber);
    await bad.clock.settle();
    assert.equal(bad.manager.state.reason, "invalid-url");
    // No API answer ends the loop (issue 12): the default fallback wait, then a new try.
    assert.deepEqual(bad.clock.pendingDelays, [60_000]);
    assert.equal(bad.connectArgs.length, 0);
    await bad.manager.close();
  });

  it("the last deregister closes the connection; a new register reconnects", async () => {
    const h = harness();
    const a = recorder("a");
    const b = recorder("b");
    h.manager.register(a.subscriber);
    h.manager.register(b.subscriber);
    await h.clock.settle();
    await h.manager.deregister(a.subscriber);
    assert.equal(h.connections[0]!.closeCalls, 0, "one subscriber left: stays open");
    await h.manager.deregister(b.subscriber);
    assert.equal(h.connections[0]!.closeCalls, 1);
    assert.equal(h.manager.state.phase, "disconnected");
    assert.equal(h.clock.pending, 0, "no timer left");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    assert.equal(h.connections.length, 2);
    await h.manager.close();
  });

  it("close finishes even when the broker never answers: socket destroyed after the close timeout, no timer left", async () => {
    const h = harness({ closeTimeoutMs: 2000 });
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    h.connections[0]!.hangOnClose = true;
    let done = false;
    const closing = h.manager.close().then(() => (done = true));
    await h.clock.advance(1999);
    assert.equal(done, false);
    await h.clock.advance(1);
    await closing;
    assert.equal(h.connections[0]!.destroyed, true);
    assert.equal(h.clock.pending, 0);
  });

  it("close during a backoff wait or a hanging connect returns at once and leaves no timer", async () => {
    const h = harness();
    h.connectOutcomes.push(new Error("connect ECONNREFUSED"));
    h.manager.register(recorder("a").subscriber);
    await h.clock.settle();
    assert.equal(h.clock.pending, 1);
    await h.manager.close();
    assert.equal(h.clock.pending, 0);

    const hanging = harness();
    hanging.connectOutcomes.push("hang");
    hanging.manager.register(recorder("b").subscriber);
    await hanging.clock.settle();
    await hanging.manager.close();
    assert.equal(hanging.clock.pending, 0);
  });

  it("a register arriving while the last deregister is closing gets a connection", async () => {
    const h = harness({ closeTimeoutMs: 2000 });
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    h.connections[0]!.hangOnClose = true;
    const closing = h.manager.deregister(a.subscriber);
    const b = recorder("b");
    h.manager.register(b.subscriber);
    await h.clock.advance(2000);
    await closing;
    await h.clock.settle();
    assert.equal(h.connections.length, 2);
    assert.equal(b.states.at(-1)?.phase, "connected");
    await h.manager.close();
  });

  it("blocked / unblocked are shown; the connection stays", async () => {
    const h = harness();
    const a = recorder("a");
    h.manager.register(a.subscriber);
    await h.clock.settle();
    h.connections[0]!.emit("blocked", "low on memory");
    assert.equal(a.states.at(-1)?.reason, "blocked");
    h.connections[0]!.emit("unblocked");
    assert.equal(a.states.at(-1)?.reason, "connected");
    await h.manager.close();
  });

  it("rejects prefetch 0 and a negative heartbeat", () => {
    assert.throws(() => harness({ prefetch: 0 }), RangeError);
    assert.throws(() => harness({ heartbeatSeconds: -1 }), RangeError);
  });
});
