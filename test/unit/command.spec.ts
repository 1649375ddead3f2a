/**
 * core/command: the table, argument checks, .NET ticks and wire encoding, response matching with timeouts, the
 * rate guard, and the confirm-channel publisher of the connection manager (fake channels, manual clock).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { ConfirmPublisher, type ConfirmChannelLike, type PublishOptions } from "../../core/amqp/confirm-publisher";
import {
  ConnectionManager,
  type ChannelLike,
  type ConnectionLike,
  type DeliveryLike,
} from "../../core/amqp/connection-manager";
import { ManualScheduler } from "../../core/timing/scheduler";
import { englishSendError } from "../helpers/english";
import {
  COMMANDS,
  CommandSendError,
  PendingCommands,
  RateGuard,
  TicksClock,
  commandName,
  encodeCommand,
  findCommand,
  isoFromTicks,
  msFromTicks,
  normaliseArguments,
  ticksFromMs,
  checkChargerId,
  type CommandProblemCode,
  type CommandSendCode,
} from "../../core/command";
import type { AmqpDetails } from "../../core/easee-api";
import type { DecodedCommandResponse } from "../../core/types";
import { lookup, readCatalogue } from "../helpers/flows";

function spec(name: string) {
  const found = findCommand(name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
}

function response(chargerId: string, commandId: number, ticks: string, wasAccepted = true): DecodedCommandResponse {
  return { kind: "commandResponse", chargerId, commandId, ticks, wasAccepted, routingKey: `${chargerId}.CR.${commandId}.${ticks}` };
}

describe("command table", () => {
  it("has the 13 commands of Easee's AMQP page with their ids; 47 and 24 write flash", () => {
    assert.deepEqual(
      COMMANDS.map((command) => `${command.id} ${command.name}`).sort(),
      [
        "1 Reboot", "11 SetSmartCharging", "21 SetDynamicCurrentOfflineFallback", "22 SetDynamicCircuitCurrent",
        "24 SetMaxCircuitCurrent", "25 AuthorizeCharging", "26 DeauthorizeCharging", "29 SetEnabled",
        "30 SetLockCablePermanently", "4 UpgradeFirmware", "47 SetMaxChargerCurrent", "48 SetDynamicChargerCurrent",
        "63 OverrideSchedule",
      ],
    );
    assert.deepEqual(COMMANDS.filter((command) => command.permanent).map((command) => command.id).sort(), [24, 47]);
    assert.deepEqual(spec("SetDynamicCircuitCurrent").arguments.map((arg) => `${arg.id}:${arg.name}:${arg.type}`), [
      "1:CurrentP1:Double", "2:CurrentP2:Double", "3:CurrentP3:Double", "4:TTL_Minutes:Integer",
    ]);
  });

  it("finds commands by name in any case, with underscores, or by id", () => {
    assert.equal(findCommand("set_dynamic_charger_current")?.id, 48);
    assert.equal(findCommand("SETENABLED")?.id, 29);
    assert.equal(findCommand("48")?.name, "SetDynamicChargerCurrent");
    assert.equal(findCommand(22)?.name, "SetDynamicCircuitCurrent");
    assert.equal(findCommand("Explode"), undefined);
    assert.equal(findCommand(2.5), undefined);
    assert.equal(findCommand({}), undefined);
    assert.equal(commandName(999), "Command999");
  });
});

describe("command arguments", () => {
  const ok = (name: string, payload: unknown) => {
    const result = normaliseArguments(spec(name), payload);
    assert.ok(result.ok, JSON.stringify(result));
    return result.arguments;
  };
  const code = (name: string, payload: unknown): CommandProblemCode => {
    const result = normaliseArguments(spec(name), payload);
    assert.ok(!result.ok, `expected a problem for ${JSON.stringify(payload)}`);
    return result.problem.code;
  };

  it("takes an object keyed by names ignoring case and underscores, an array in order, or one value", () => {
    assert.deepEqual(ok("SetDynamicChargerCurrent", { current_amp: 13, ttlMinutes: "5" }), { Current_Amp: 13, TTL_Minutes: 5 });
    assert.deepEqual(ok("SetDynamicChargerCurrent", [13, 5]), { Current_Amp: 13, TTL_Minutes: 5 });
    assert.deepEqual(ok("SetDynamicChargerCurrent", 13), { Current_Amp: 13 });
    assert.deepEqual(ok("SetDynamicChargerCurrent", "13"), { Current_Amp: 13 });
    assert.deepEqual(ok("SetDynamicCircuitCurrent", [16, 0, 0]), { CurrentP1: 16, CurrentP2: 0, CurrentP3: 0 });
    assert.deepEqual(ok("SetDynamicCircuitCurrent", { CurrentP1: 6.5, CurrentP2: 6.5, CurrentP3: 6.5, TTL_Minutes: 0 }), {
      CurrentP1: 6.5, CurrentP2: 6.5, CurrentP3: 6.5, TTL_Minutes: 0,
    });
    assert.deepEqual(ok("SetEnabled", "off"), { IsEnabled: false });
    assert.deepEqual(ok("SetEnabled", 1), { IsEnabled: true });
    assert.deepEqual(ok("SetEnabled", { isenabled: "TRUE" }), { IsEnabled: true });
    assert.deepEqual(ok("AuthorizeCharging", undefined), {});
    assert.deepEqual(ok("AuthorizeCharging", { idtoken: "04AABB" }), { IDToken: "04AABB" });
    // An inject's default timestamp payload does not stop a command without arguments.
    assert.deepEqual(ok("Reboot", Date.now()), {});
  });

  it("says what is wrong: type, range, count, names", () => {
    assert.equal(code("SetDynamicChargerCurrent", 81), "out-of-range");
    assert.equal(code("SetDynamicChargerCurrent", -1), "out-of-range");
    assert.equal(code("SetDynamicChargerCurrent", 13.5), "not-whole");
    assert.equal(code("SetDynamicChargerCurrent", "thirteen"), "not-a-number");
    assert.equal(code("SetDynamicChargerCurrent", Number.NaN), "not-a-number");
    assert.equal(code("SetDynamicChargerCurrent", { Current_Amp: 10, TTL_Minutes: -1 }), "out-of-range");
    assert.equal(code("SetDynamicChargerCurrent", { Amps: 10 }), "unknown-argument");
    assert.equal(code("SetDynamicChargerCurrent", { current_amp: 10, CURRENTAMP: 11 }), "duplicate-argument");
    assert.equal(code("SetDynamicChargerCurrent", [1, 2, 3]), "too-many-arguments");
    assert.equal(code("SetDynamicChargerCurrent", undefined), "missing-argument");
    assert.equal(code("SetDynamicCircuitCurrent", 16), "single-value");
    assert.equal(code("SetDynamicCircuitCurrent", [16, 0]), "missing-argument");
    assert.equal(code("SetEnabled", "perhaps"), "not-boolean");
    assert.equal(code("SetEnabled", 2), "not-boolean");
    assert.equal(code("AuthorizeCharging", { IDToken: {} }), "not-text");
    assert.equal(code("AuthorizeCharging", { IDToken: "x".repeat(65) }), "text-length");
    assert.equal(code("SetEnabled", Buffer.from("1")), "payload-shape");
    assert.equal(code("Reboot", { now: true }), "too-many-arguments");
    const problem = normaliseArguments(spec("SetDynamicChargerCurrent"), 95);
    assert.ok(!problem.ok);
    assert.deepEqual(problem.problem.data, { command: "SetDynamicChargerCurrent", argument: "Current_Amp", value: "95", min: 0, max: 80, unit: "A" });
  });

  it("charger serials: letters and digits only (they go into the routing key)", () => {
    assert.deepEqual(checkChargerId(" eh123456 "), { ok: true, chargerId: "EH123456" });
    for (const bad of ["EH1.O.#", "EH*", "", 42, "x".repeat(33)]) assert.equal(checkChargerId(bad).ok, false, String(bad));
  });

  it("bounds hostile payloads: a 1 MB key, value or array is refused fast", () => {
    const huge = "9".repeat(1_000_000);
    const started = Date.now();
    assert.equal(code("SetDynamicChargerCurrent", huge), "not-a-number");
    assert.equal(code("SetDynamicChargerCurrent", { [huge]: 1 }), "unknown-argument");
    assert.equal(code("SetDynamicChargerCurrent", new Array(1_000_000).fill(1)), "too-many-arguments");
    assert.equal(code("AuthorizeCharging", { IDToken: huge }), "text-length");
    assert.equal(findCommand(huge), undefined);
    assert.equal(checkChargerId(huge).ok, false);
    const result = normaliseArguments(spec("SetEnabled"), huge);
    assert.ok(!result.ok && String(result.problem.data.value).length < 50, "the error echoes a short preview");
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
  });

  it("every problem and send failure has a text in every language", () => {
    const problems: CommandProblemCode[] = [
      "missing-command", "unknown-command", "permanent", "missing-charger", "invalid-charger", "unknown-argument",
      "duplicate-argument", "missing-argument", "too-many-arguments", "single-value", "not-a-number", "not-whole",
      "out-of-range", "not-boolean", "not-text", "text-length", "payload-shape",
    ];
    const sends: CommandSendCode[] = [
      "no-write-permission", "no-exchange", "nacked", "connection-lost", "not-connected", "no-confirm", "closed", "unsupported",
      "no-rest-endpoint", "rate-limited", "other",
    ];
    for (const language of ["en-US", "de", "nb"]) {
      const catalogue = readCatalogue("easee-command", language);
      for (const key of [
        ...problems.map((p) => `easee-command.errors.${p}`),
        ...sends.map((s) => `easee-command.send.${s}`),
        ...["nothing", "array", "object", "function", "bigint", "symbol", "none"].map((k) => `easee-command.kind.${k}`),
        "easee-command.response.unchanged",
        ...["accepted", "refused", "timeout", "failed", "coalesced", "inFlight", "waiting", "idle"].map((s) => `easee-command.status.${s}`),
      ]) {
        const text = lookup(catalogue, key);
        assert.equal(typeof text, "string", `${language}: ${key}`);
        if (key.includes(".status.")) assert.ok(String(text).replace(/__count__/, "99").length < 20, `${language}: ${key} is short`);
      }
    }
  });
});

describe("command encoding", () => {
  it(".NET ticks: 100 ns since 0001-01-01, exact both ways", () => {
    assert.equal(ticksFromMs(0), 621355968000000000n);
    const ms = Date.parse("2023-05-04T17:00:23.630Z");
    assert.equal(ticksFromMs(ms), 638188164236300000n);
    assert.equal(msFromTicks(ticksFromMs(ms)), ms);
    assert.equal(isoFromTicks(638188164236305199n), "2023-05-04T17:00:23.6305199Z");
  });

  it("ticks never repeat, even within one millisecond", () => {
    const clock = new TicksClock();
    const a = clock.next(1000);
    const b = clock.next(1000);
    const c = clock.next(999);
    assert.ok(b > a && c > b);
    assert.equal(clock.next(5000), ticksFromMs(5000));
  });

  it("builds Easee's body and routing key: string values, booleans 1/0, Timestamp matching the ticks", () => {
    const ticks = ticksFromMs(Date.parse("2023-05-04T16:55:23.630Z"));
    const encoded = encodeCommand({ chargerId: "EH123456", command: spec("SetDynamicChargerCurrent"), arguments: { Current_Amp: 13, TTL_Minutes: 5 }, ticks, expiresInMs: 300_000 });
    assert.equal(encoded.routingKey, `EH123456.C.48.${ticks}`);
    assert.equal(encoded.contentType, "application/json");
    assert.deepEqual(JSON.parse(encoded.body.toString("utf8")), {
      Id: 48,
      Timestamp: "2023-05-04T16:55:23.6300000Z",
      ExpiresAt: "2023-05-04T17:00:23.630Z",
      Arguments: [{ Id: 1, Value: "13" }, { Id: 2, Value: "5" }],
    });
    const enabled = encodeCommand({ chargerId: "EH1", command: spec("SetEnabled"), arguments: { IsEnabled: false }, ticks, expiresInMs: 1000 });
    assert.deepEqual(JSON.parse(enabled.body.toString()).Arguments, [{ Id: 1, Value: "0" }]);
    const circuit = encodeCommand({ chargerId: "EH1", command: spec("SetDynamicCircuitCurrent"), arguments: { CurrentP1: 6.5, CurrentP2: 0, CurrentP3: 0 }, ticks, expiresInMs: 1000 });
    assert.deepEqual(JSON.parse(circuit.body.toString()).Arguments, [{ Id: 1, Value: "6.5" }, { Id: 2, Value: "0" }, { Id: 3, Value: "0" }]);
  });
});

describe("pending commands", () => {
  it("matches a response by (serial, command id, ticks) once; others are unsolicited", async () => {
    const scheduler = new ManualScheduler();
    const pending = new PendingCommands(scheduler);
    const got: DecodedCommandResponse[] = [];
    pending.add({ chargerId: "EH1", commandId: 48, ticks: "100", ownerId: "a", timeoutMs: 1000, onResponse: (r) => got.push(r), onTimeout: () => assert.fail("no timeout") });
    assert.equal(pending.handle(response("EH1", 48, "101")), false);
    assert.equal(pending.handle(response("EH1", 29, "100")), false);
    assert.equal(pending.handle(response("EH2", 48, "100")), false);
    const answer = response("EH1", 48, "100");
    assert.equal(pending.handle(answer), true);
    // The same delivery handed to a second subscriber: still "matched", no second callback.
    assert.equal(pending.handle(answer), true);
    assert.equal(got.length, 1);
    assert.equal(pending.size, 0);
    assert.equal(scheduler.pending, 0, "its timer is gone");
    // A second delivery of the same response (redelivered) is not matched any more.
    assert.equal(pending.handle(response("EH1", 48, "100")), false);
  });

  it("times out on the scheduler; cancelOwner and clear leave no timer and call nothing", async () => {
    const scheduler = new ManualScheduler();
    const pending = new PendingCommands(scheduler);
    let timeouts = 0;
    const add = (ticks: string, ownerId: string) =>
      pending.add({ chargerId: "EH1", commandId: 1, ticks, ownerId, timeoutMs: 1000, onResponse: () => assert.fail(), onTimeout: () => (timeouts += 1) });
    add("1", "a");
    await scheduler.advance(999);
    assert.equal(timeouts, 0);
    await scheduler.advance(1);
    assert.equal(timeouts, 1);
    add("2", "a");
    add("3", "b");
    const handle = add("4", "b");
    assert.equal(pending.countOf("b"), 2);
    handle.cancel();
    handle.cancel();
    assert.equal(pending.cancelOwner("a"), 1);
    assert.equal(pending.size, 1);
    pending.clear();
    assert.equal(scheduler.pending, 0);
    await scheduler.advance(5000);
    assert.equal(timeouts, 1);
  });
});

describe("rate guard", () => {
  it("coalesces an identical repeat within 10 s; a different one passes", () => {
    const guard = new RateGuard();
    const sig = RateGuard.signature(48, { Current_Amp: 10 });
    assert.equal(guard.check("EH1", sig, 0).verdict, "send");
    guard.record("EH1", sig, 0);
    assert.deepEqual(guard.check("EH1", sig, 9_999), { verdict: "coalesce", ageMs: 9_999 });
    assert.equal(guard.check("EH1", sig, 10_000).verdict, "send");
    assert.equal(guard.check("EH1", RateGuard.signature(48, { Current_Amp: 11 }), 1).verdict, "send");
    assert.equal(guard.check("EH2", sig, 1).verdict, "send", "per charger");
    assert.equal(guard.check("EH1", sig, 1, true).verdict, "send", "force");
  });

  it("allows 6 a minute per charger and says when the next may go", () => {
    const guard = new RateGuard();
    for (let i = 0; i < 6; i++) {
      const sig = RateGuard.signature(48, { Current_Amp: i });
      assert.equal(guard.check("EH1", sig, i * 1000).verdict, "send");
      guard.record("EH1", sig, i * 1000);
    }
    assert.deepEqual(guard.check("EH1", "other", 10_000), { verdict: "limit", limit: 6, retryAfterMs: 50_000 });
    assert.equal(guard.check("EH1", "other", 60_000).verdict, "send", "the first send left the window");
    assert.equal(guard.check("EH1", "other", 10_000, true).verdict, "send");
    // A send that never left (broker refused) gives its slot back.
    guard.forget("EH1", 10_000, 5000);
    assert.equal(guard.check("EH1", "other", 10_000).verdict, "send");
  });
});

// --- the connection manager's confirm channel ------------------------------------------------------------

class FakeConfirmChannel extends EventEmitter implements ConfirmChannelLike {
  readonly published: { exchange: string; routingKey: string; options: PublishOptions }[] = [];
  /** What the broker does with the next publish. */
  answer: "ack" | "nack" | "refuse" | "silent" = "ack";
  closed = false;

  publish(exchange: string, routingKey: string, _content: Buffer, options: PublishOptions, callback: (error: unknown) => void): boolean {
    if (this.closed) throw new Error("Channel closed");
    this.published.push({ exchange, routingKey, options });
    const answer = this.answer;
    setImmediate(() => {
      if (answer === "ack") callback(null);
      else if (answer === "nack") callback(new Error("message nacked"));
      else if (answer === "refuse") {
        // amqplib: the channel error, then every pending confirm fails with a bare "channel closed".
        this.closed = true;
        this.emit("error", new Error(`Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to exchange '${exchange}' in vhost '/' refused for user 'u'"`));
        callback(new Error("channel closed"));
        this.emit("close");
      }
    });
    return true;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.emit("close");
  }
}

const request = { routingKey: "EH1.C.48.1", body: Buffer.from("{}"), contentType: "application/json", expiresAtMs: 30_000 };

describe("confirm publisher", () => {
  it("publishes persistent JSON with an expiration, resolves on the broker's ack, reuses the channel", async () => {
    const channel = new FakeConfirmChannel();
    let opened = 0;
    const source = { createConfirmChannel: async () => ((opened += 1), channel) };
    const publisher = new ConfirmPublisher(new ManualScheduler(10_000));
    await publisher.publish(source, "Operator_1.C.X", request, 5000);
    await publisher.publish(source, "Operator_1.C.X", request, 5000);
    assert.equal(opened, 1);
    assert.deepEqual(channel.published[0], {
      exchange: "Operator_1.C.X",
      routingKey: "EH1.C.48.1",
      options: { contentType: "application/json", persistent: true, expiration: "20000" },
    });
  });

  it("says the broker refused the publish (no write permission), then opens a new channel for the next", async () => {
    const channels = [new FakeConfirmChannel(), new FakeConfirmChannel()];
    channels[0]!.answer = "refuse";
    const source = { createConfirmChannel: async () => channels.shift() as FakeConfirmChannel };
    const publisher = new ConfirmPublisher(new ManualScheduler());
    await assert.rejects(publisher.publish(source, "Operator_1.C.X", request, 5000), (error: unknown) => {
      assert.ok(error instanceof CommandSendError);
      assert.equal(error.code, "no-write-permission");
      assert.equal(englishSendError(error), "the broker refused the publish (no write permission on the command exchange Operator_1.C.X)");
      return true;
    });
    await publisher.publish(source, "Operator_1.C.X", request, 5000);
    assert.equal(channels.length, 0, "a second channel was opened");
  });

  it("a nack and a missing confirm are plain errors", async () => {
    const channel = new FakeConfirmChannel();
    const scheduler = new ManualScheduler();
    const publisher = new ConfirmPublisher(scheduler);
    const source = { createConfirmChannel: async () => channel };
    channel.answer = "nack";
    await assert.rejects(publisher.publish(source, "X", request, 5000), (error: unknown) => error instanceof CommandSendError && error.code === "nacked");
    channel.answer = "silent";
    const waiting = publisher.publish(source, "X", request, 5000);
    const outcome = assert.rejects(waiting, (error: unknown) => error instanceof CommandSendError && error.code === "no-confirm");
    await scheduler.advance(5000);
    await outcome;
    assert.equal(scheduler.pending, 0);
  });
});

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
  async prefetch(): Promise<void> {}
  async checkQueue(): Promise<{ messageCount: number; consumerCount: number }> {
    return { messageCount: 0, consumerCount: 0 };
  }
  async consume(): Promise<{ consumerTag: string }> {
    return { consumerTag: "c" };
  }
  ack(_message: DeliveryLike): void {}
  async close(): Promise<void> {}
}

class FakeConnection extends EventEmitter implements ConnectionLike {
  readonly confirm = new FakeConfirmChannel();
  async createChannel(): Promise<ChannelLike> {
    return new FakeChannel();
  }
  async createConfirmChannel(): Promise<ConfirmChannelLike> {
    return this.confirm;
  }
  async close(): Promise<void> {
    this.emit("close");
  }
}

describe("connection manager: publishCommand", () => {
  it("waits while the connection is down, then publishes on the SAME connection's confirm channel", async () => {
    const scheduler = new ManualScheduler();
    const connections: FakeConnection[] = [];
    let allowConnect = false;
    const manager = new ConnectionManager({
      connectionName: "t",
      prefetch: 10,
      heartbeatSeconds: 30,
      rejectUnauthorized: true,
      scheduler,
      getDetails: async () => DETAILS,
      connect: async () => {
        if (!allowConnect) throw new Error("ECONNREFUSED");
        const connection = new FakeConnection();
        connections.push(connection);
        return connection;
      },
      backoff: { minMs: 1000, maxMs: 1000, random: () => 0.5 },
    });
    manager.register({ id: "cmd", onCommandResponse: () => undefined });
    await scheduler.settle();
    let done = false;
    const publishing = manager.publishCommand(request, { timeoutMs: 10_000 }).then(() => (done = true));
    await scheduler.advance(500);
    assert.equal(done, false, "waits for a connection");
    allowConnect = true;
    await scheduler.advance(1000);
    await publishing;
    assert.equal(connections.length, 1, "one connection: consumer and commands share it");
    assert.equal(connections[0]?.confirm.published[0]?.exchange, "Operator_7.C.X");
    await manager.close();
    await assert.rejects(manager.publishCommand(request, { timeoutMs: 1000 }), (error: unknown) => error instanceof CommandSendError && error.code === "closed");
  });

  it("gives up after the timeout when no connection comes, leaving no timer", async () => {
    const scheduler = new ManualScheduler();
    const manager = new ConnectionManager({
      connectionName: "t",
      prefetch: 10,
      heartbeatSeconds: 30,
      rejectUnauthorized: true,
      scheduler,
      getDetails: async () => DETAILS,
      connect: async () => {
        throw new Error("ECONNREFUSED");
      },
      backoff: { minMs: 60_000, maxMs: 60_000, random: () => 0.5 },
    });
    manager.register({ id: "cmd", onCommandResponse: () => undefined });
    const outcome = assert.rejects(manager.publishCommand(request, { timeoutMs: 3000 }), (error: unknown) => error instanceof CommandSendError && error.code === "not-connected");
    await scheduler.advance(3000);
    await outcome;
    const aborted = new AbortController();
    const withdrawn = assert.rejects(manager.publishCommand(request, { timeoutMs: 3000, signal: aborted.signal }), (error: unknown) => error instanceof CommandSendError && error.code === "closed");
    await scheduler.settle();
    aborted.abort();
    await withdrawn;
    await manager.close();
    assert.equal(scheduler.pending, 0);
  });
});
