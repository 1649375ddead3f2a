/**
 * Issue 12, defects 3, 4, 5 and 6: the connection loop and the REST client under answers and failures that used to
 * stop the stream for good, drain the queue, hammer the broker or the API, or leave a dead connection green.
 * A fake broker and the manual clock (core/timing/scheduler.ts); the same faults against the real broker and API are in
 * test/integration/hardening.spec.ts.
 */
import assert from "node:assert/strict";
import { englishDetail } from "../helpers/english";
import { EventEmitter } from "node:events";
import {
  ConnectionManager,
  needsConsumer,
  type ChannelLike,
  type ConnectionLike,
  type ConnectionManagerOptions,
  type DeliveryLike,
  type ManagerSubscriber,
} from "../../core/amqp/connection-manager";
import { ManualScheduler } from "../../core/timing/scheduler";
import { EaseeApiClient, EaseeApiError, type AmqpDetails, type HttpAnswer, type HttpTransport } from "../../core/easee-api";
import type { ConnectionState, DecodedDelivery } from "../../core/types";

const DETAILS: AmqpDetails = {
  server: "broker.example.com",
  port: 5671,
  useSsl: true,
  virtualHost: "/",
  queueName: "Operator_12.Q",
  exchangeName: "Operator_12.C.X",
  username: "op12",
  password: "amqp-pw-12",
};

class FakeChannel extends EventEmitter implements ChannelLike {
  consumes = 0;
  closed = false;
  consumer: ((message: DeliveryLike | null) => void) | undefined;
  hangOnClose = false;
  async prefetch(): Promise<void> {}
  async checkQueue(): Promise<{ messageCount: number; consumerCount: number }> {
    return { messageCount: 0, consumerCount: 0 };
  }
  async consume(_queue: string, onMessage: (message: DeliveryLike | null) => void): Promise<{ consumerTag: string }> {
    this.consumes += 1;
    this.consumer = onMessage;
    return { consumerTag: "ctag" };
  }
  ack(): void {}
  close(): Promise<void> {
    if (this.hangOnClose) return new Promise<void>(() => undefined);
    this.closed = true;
    return Promise.resolve();
  }
}

/** Like amqplib: `close` is emitted after a clean close or a broker close; NOT after the socket is destroyed. */
class FakeConnection extends EventEmitter implements ConnectionLike {
  readonly channels: FakeChannel[] = [];
  hangOnClose = false;
  destroyed = false;
  readonly connection = { stream: { destroy: () => (this.destroyed = true) } };
  async createChannel(): Promise<ChannelLike> {
    const channel = new FakeChannel();
    channel.hangOnClose = this.hangOnClose;
    this.channels.push(channel);
    return channel;
  }
  close(): Promise<void> {
    if (this.hangOnClose) return new Promise<void>(() => undefined);
    this.emit("close");
    return Promise.resolve();
  }
}

function harness(overrides: Partial<ConnectionManagerOptions> = {}) {
  const clock = new ManualScheduler(1_000_000);
  const connections: FakeConnection[] = [];
  const detailsOutcomes: (Error | AmqpDetails)[] = [];
  let detailsRequests = 0;
  const manager = new ConnectionManager({
    connectionName: "hardening",
    prefetch: 10,
    heartbeatSeconds: 0,
    rejectUnauthorized: true,
    scheduler: clock,
    // The top of each backoff range, so delays are exact.
    backoff: { minMs: 1000, maxMs: 60_000, random: () => 1 - Number.EPSILON },
    getDetails: async () => {
      detailsRequests += 1;
      const next = detailsOutcomes.shift() ?? DETAILS;
      if (next instanceof Error) throw next;
      return next;
    },
    decode: (): DecodedDelivery => ({ kind: "error", reason: "x", preview: "", routingKey: "" }),
    connect: async () => {
      const connection = new FakeConnection();
      connections.push(connection);
      return connection;
    },
    ...overrides,
  });
  return {
    clock,
    manager,
    connections,
    detailsOutcomes,
    get detailsRequests() {
      return detailsRequests;
    },
  };
}

function stateRecorder(id: string, wants: "observations" | "state" | "commands") {
  const states: ConnectionState[] = [];
  const subscriber: ManagerSubscriber =
    wants === "state"
      ? { id, onConnectionState: (state) => states.push(state) }
      : wants === "observations"
        ? { id, onConnectionState: (state) => states.push(state), onObservation: () => undefined }
        : { id, onConnectionState: (state) => states.push(state), onCommandResponse: () => undefined };
  return { subscriber, states };
}

describe("hardening: the connection loop never ends by itself (issue 12)", () => {
  describe("defect 3: no API answer ends the loop", () => {
    it("an API error without a retry hint (a redirect at boot) is retried after a fallback wait; the status says when", async () => {
      const h = harness({ apiRetryFallbackMs: 300_000 });
      h.detailsOutcomes.push(new EaseeApiError("invalid-url", { id: "redirect", params: { status: 301 } }, { httpStatus: 301 }));
      const a = stateRecorder("obs", "observations");
      h.manager.register(a.subscriber);
      await h.clock.settle();
      assert.equal(h.manager.state.reason, "invalid-url");
      assert.match(englishDetail(h.manager.state.detail), /next try in 5 min/i);
      assert.deepEqual(h.clock.pendingDelays, [300_000], "a retry is scheduled (before: none, the loop had ended)");
      await h.clock.advance(300_000);
      assert.equal(h.manager.state.phase, "connected");
      assert.equal(h.detailsRequests, 2);
      await h.manager.close();
      assert.equal(h.clock.pending, 0);
    });

    it("the REST client gives redirects and 404/405 a long retry, wrong credentials 30 min, and says so", async () => {
      const clock = new ManualScheduler(Date.parse("2026-11-25T10:00:00Z"));
      const answers: Record<string, HttpAnswer[]> = {
        "/api/accounts/login": [
          { status: 301, headers: { location: "https://maintenance.example" }, data: "" },
          { status: 404, headers: {}, data: "<html>" },
          { status: 400, headers: {}, data: { title: "Username or password is invalid" } },
        ],
      };
      const transport: HttpTransport = async (request) => {
        const next = answers[request.path]?.shift();
        if (!next) throw new Error(`no answer for ${request.path}`);
        return next;
      };
      const client = new EaseeApiClient({
        apiUrl: "https://api.example.com",
        userName: "u@example.com",
        password: "pw-not-logged",
        transport,
        scheduler: clock,
        maxLoginsPerHour: 100,
      });
      const errors: EaseeApiError[] = [];
      for (let i = 0; i < 3; i += 1) {
        await client.getAmqpDetails().catch((error: EaseeApiError) => errors.push(error));
      }
      assert.deepEqual(
        errors.map((error) => [error.code, error.retryAfterMs]),
        [
          ["invalid-url", 15 * 60_000],
          ["invalid-url", 15 * 60_000],
          ["wrong-credentials", 30 * 60_000],
        ],
      );
      client.close();
    });
  });

  describe("defect 4: only nodes that take deliveries start the consumer", () => {
    it("needsConsumer: observations or command responses yes; connection state only, no", () => {
      assert.equal(needsConsumer(stateRecorder("s", "state").subscriber), false);
      assert.equal(needsConsumer(stateRecorder("o", "observations").subscriber), true);
      assert.equal(needsConsumer(stateRecorder("c", "commands").subscriber), true);
    });

    it("a state-only subscriber alone connects nothing and is told so; an observer connects; its leaving disconnects", async () => {
      const h = harness();
      const ha = stateRecorder("ha", "state");
      h.manager.register(ha.subscriber);
      await h.clock.settle();
      assert.equal(h.connections.length, 0, "no connection, no consumer (before: connected and consumed)");
      assert.equal(h.detailsRequests, 0);
      assert.equal(ha.states.at(-1)?.reason, "idle");
      assert.equal(ha.states.at(-1)?.phase, "disconnected");

      const obs = stateRecorder("obs", "observations");
      h.manager.register(obs.subscriber);
      await h.clock.settle();
      assert.equal(h.connections.length, 1);
      assert.equal(h.connections[0]?.channels[0]?.consumes, 1);
      assert.equal(ha.states.at(-1)?.phase, "connected", "the state-only subscriber sees the real state meanwhile");

      await h.manager.deregister(obs.subscriber);
      assert.equal(ha.states.at(-1)?.reason, "idle");
      assert.equal(h.manager.subscriberCount, 1);
      assert.equal(h.clock.pending, 0, "no timer left");

      const commands = stateRecorder("cmd", "commands");
      h.manager.register(commands.subscriber);
      await h.clock.settle();
      assert.equal(h.connections.length, 2, "a command-response subscriber starts the consumer too");
      await h.manager.close();
    });
  });

  describe("defect 5: backoff and token refresh timing", () => {
    it("a broker that drops the connection right after consume is retried with growing delays, reset only after 60 s up", async () => {
      const h = harness();
      h.manager.register(stateRecorder("obs", "observations").subscriber);
      await h.clock.settle();
      const delays: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        assert.equal(h.manager.state.phase, "connected");
        h.connections.at(-1)?.emit("close", new Error("CONNECTION_FORCED - broker forced connection closure"));
        await h.clock.settle();
        const pending = h.clock.pendingDelays;
        assert.equal(pending.length, 1, `one timer, the reconnect: ${pending.join(", ")}`);
        delays.push(pending[0] as number);
        await h.clock.advance(pending[0] as number);
      }
      // Before the fix: [1000, 1000, 1000, 1000, 1000, 1000, 1000].
      assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);

      // Up for a minute: the next drop starts from 1 s again.
      assert.equal(h.manager.state.phase, "connected");
      await h.clock.advance(60_000);
      h.connections.at(-1)?.emit("close", new Error("CONNECTION_FORCED"));
      await h.clock.settle();
      assert.deepEqual(h.clock.pendingDelays, [1000]);
      await h.manager.close();
      assert.equal(h.clock.pending, 0);
    });

    it("a token lifetime above 24.8 days does not overflow the timer: one refresh when due, not a tight loop", async () => {
      const clock = new ManualScheduler(Date.parse("2026-11-25T10:00:00Z"));
      let logins = 0;
      let refreshes = 0;
      const expiresIn = 60 * 24 * 3600; // 60 days
      const transport: HttpTransport = async (request) => {
        if (request.path === "/api/accounts/login") logins += 1;
        else if (request.path === "/api/accounts/refresh_token") refreshes += 1;
        else return { status: 200, headers: {}, data: DETAILS };
        return { status: 200, headers: {}, data: { accessToken: `a${logins}-${refreshes}`, refreshToken: "r", expiresIn } };
      };
      const client = new EaseeApiClient({
        apiUrl: "https://api.example.com",
        userName: "u@example.com",
        password: "pw-not-logged",
        transport,
        scheduler: clock,
      });
      await client.getAmqpDetails();
      assert.ok(Math.max(...clock.pendingDelays) <= 2_147_483_647, `timer delays ${clock.pendingDelays.join(", ")} fit a setTimeout`);
      await clock.advance(10_000);
      assert.equal(refreshes, 0, "no refresh in the first 10 s (before: one per second, for ever)");
      // 80 % of 60 days: 48 days.
      await clock.advance(47 * 24 * 3600_000);
      assert.equal(refreshes, 0);
      await clock.advance(2 * 24 * 3600_000);
      assert.equal(refreshes, 1);
      assert.equal(logins, 1);
      client.close();
      assert.equal(clock.pending, 0);
    });

    it("token refreshes count against the hourly login budget: a token that expires at once cannot make a tight loop", async () => {
      const clock = new ManualScheduler(Date.parse("2026-11-25T10:00:00Z"));
      let requests = 0;
      const transport: HttpTransport = async (request) => {
        if (request.path === "/api/streams/amqp/v2") return { status: 200, headers: {}, data: DETAILS };
        requests += 1;
        // expiresIn 1 s: every refresh is due again a second later.
        return { status: 200, headers: {}, data: { accessToken: `a${requests}`, refreshToken: `r${requests}`, expiresIn: 1 } };
      };
      const client = new EaseeApiClient({
        apiUrl: "https://api.example.com",
        userName: "u@example.com",
        password: "pw-not-logged",
        transport,
        scheduler: clock,
        maxLoginsPerHour: 5,
      });
      await client.getAmqpDetails();
      await clock.advance(3600_000 - 1000);
      // Before: 3,600 requests in the hour (one a second).
      assert.ok(requests <= 5, `${requests} login and refresh requests in an hour`);
      client.close();
    });
  });

  describe("defect 6: a forced close goes on to reconnect", () => {
    it("a close that does not finish in time destroys the socket AND the loop reconnects (no 'close' event comes)", async () => {
      const h = harness({ closeTimeoutMs: 2000 });
      const obs = stateRecorder("obs", "observations");
      h.manager.register(obs.subscriber);
      await h.clock.settle();
      const first = h.connections[0] as FakeConnection;
      first.hangOnClose = true;
      for (const channel of first.channels) channel.hangOnClose = true;
      await Promise.all([h.manager.dropConnection(), h.clock.advance(2000)]);
      assert.equal(first.destroyed, true);
      await h.clock.settle();
      assert.notEqual(h.manager.state.phase, "connected", "not green while there is no connection (before: stayed green)");
      await h.clock.advance(1000);
      assert.equal(h.connections.length, 2, "reconnected by itself");
      assert.equal(h.manager.state.phase, "connected");
      await h.manager.close();
      assert.equal(h.clock.pending, 0);
    });

    it("the channel dying on a connection that then will not close: destroyed, then reconnected", async () => {
      const h = harness({ closeTimeoutMs: 2000 });
      h.manager.register(stateRecorder("obs", "observations").subscriber);
      await h.clock.settle();
      const first = h.connections[0] as FakeConnection;
      first.hangOnClose = true;
      (first.channels[0] as FakeChannel).emit("close");
      await h.clock.advance(2000);
      await h.clock.advance(1000);
      assert.equal(first.destroyed, true);
      assert.equal(h.connections.length, 2);
      assert.equal(h.manager.state.phase, "connected");
      await h.manager.close();
    });
  });
});
