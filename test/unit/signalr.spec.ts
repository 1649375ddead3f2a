/**
 * The SignalR stream's pure parts: hub message decoding (same results as the AMQP decoder, no routing key, hostile
 * input refused), replay detection, the charger list, token redaction, settings; and the stream's reconnect logic
 * with a fake hub link and a manual clock (retry forever, capped jittered backoff, 401 → renewed token, 429 →
 * Retry-After, resubscribe after a drop, refresh of the charger list). Against the real client and the simulated
 * hub: test/integration/signalr.spec.ts.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../core/timing/scheduler";
import { EaseeApiError, MAX_CHARGERS, interpretChargers, type ChargerSummary } from "../../core/easee-api";
import type { EncodedCommand } from "../../core/command";
import {
  ReplayTracker,
  RestCommandSender,
  SignalrStream,
  interpretCommandAnswer,
  restCallFor,
  type RestCommandAnswer,
  decodeHubMessage,
  normaliseHubUrl,
  HubUrlError,
  redactTokens,
  type HubLink,
  type HubLinkOptions,
  type HubRefusal,
} from "../../core/signalr";
import { DEFAULT_SIGNALR_URL, parseStreamKind, type StreamSubscriber } from "../../core/stream-source";
import type { ConnectionState, DecodedCommandResponse, DecodedObservation } from "../../core/types";
import { englishDecodeError, englishDetail, englishError, englishSendError } from "../helpers/english";

describe("SignalR: hub messages", () => {
  it("ProductUpdate → the same observation the decoder makes, without a routing key", () => {
    const decoded = decodeHubMessage("ProductUpdate", { mid: "EH123456", dataType: 4, id: 109, timestamp: "2026-11-25T10:00:00Z", value: "3" });
    assert.equal(decoded.kind, "observation");
    const observation = decoded as DecodedObservation;
    assert.equal(observation.chargerId, "EH123456");
    assert.equal(observation.name, "ChargerOpMode");
    assert.equal(observation.value, 3);
    assert.equal(observation.label, "Charging");
    assert.equal(observation.timestamp, "2026-11-25T10:00:00.000Z");
    assert.equal("routingKey" in observation, false);
    assert.equal("arrivalTime" in observation, false);
  });

  it("booleans in every form the hub uses; ChargerUpdate reads the same", () => {
    for (const value of ["1", "True", "true"]) {
      const decoded = decodeHubMessage("ChargerUpdate", { mid: "EH1", dataType: 2, id: 31, timestamp: "2026-11-25T10:00:00Z", value });
      assert.equal((decoded as DecodedObservation).value, true, value);
    }
  });

  it("CommandResponse → a command response matched by ticks", () => {
    const decoded = decodeHubMessage("CommandResponse", {
      SerialNumber: "EH123456",
      ID: 48,
      Timestamp: "2026-11-25T10:00:00Z",
      DeliveredAt: "2026-11-25T10:00:01Z",
      WasAccepted: true,
      ResultCode: 0,
      Comment: "",
      Ticks: 638676000000000000,
    });
    assert.equal(decoded.kind, "commandResponse");
    assert.deepEqual(
      { ...decoded },
      {
        kind: "commandResponse",
        chargerId: "EH123456",
        commandId: 48,
        ticks: "638676000000000000",
        wasAccepted: true,
        timestamp: "2026-11-25T10:00:00.000Z",
        deliveredAt: "2026-11-25T10:00:01.000Z",
        resultCode: 0,
        comment: "",
      },
    );
  });

  it("refuses what is not an Easee message, with a reason and a bounded preview; never throws", () => {
    const cases: [unknown, RegExp][] = [
      [null, /expected an object/],
      ["text", /expected an object/],
      [[1, 2], /an array, expected an object/],
      [{ mid: "EH1", id: 120, dataType: 3, value: { a: 1 } }, /value is an object/],
      [{ mid: "EH1", id: 120, dataType: 3, value: "x".repeat(100_000) }, /value is too long/],
      [{ mid: "EH1", id: 120 }, /no value/],
      [{ value: "1" }, /cannot tell what this is/],
    ];
    for (const [argument, reason] of cases) {
      const decoded = decodeHubMessage("ProductUpdate", argument);
      assert.equal(decoded.kind, "error");
      if (decoded.kind !== "error") continue;
      assert.match(englishDecodeError(decoded), reason);
      assert.match(englishDecodeError(decoded), /^ProductUpdate: /);
      assert.ok(decoded.preview.length <= 200);
    }
    assert.equal(decodeHubMessage("CommandResponse", { SerialNumber: "EH1", ID: 1 }).kind, "error");
  });

  it("1 MB of hostile nesting or text is refused fast", () => {
    let nested: unknown = "x";
    for (let i = 0; i < 100_000; i++) nested = { v: nested };
    const started = process.hrtime.bigint();
    assert.equal(decodeHubMessage("ProductUpdate", { mid: "EH1", id: 120, dataType: 3, value: nested }).kind, "error");
    assert.equal(decodeHubMessage("ProductUpdate", { mid: "EH1", id: 120, dataType: 6, value: "y".repeat(1_000_000) }).kind, "error");
    const many: Record<string, string> = {};
    for (let i = 0; i < 50_000; i++) many[`k${i}`] = "z".repeat(20);
    assert.equal(decodeHubMessage("ProductUpdate", many).kind, "error");
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 500, `took ${ms} ms`);
  });
});

describe("SignalR: replay detection", () => {
  const start = Date.parse("2026-11-25T10:00:00Z");

  it("old values during a subscription are replays; live ones and later ones are not", () => {
    const replays = new ReplayTracker({ graceMs: 5000, toleranceMs: 2000 });
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:00:00Z", start), false, "no subscription: live");
    replays.begin("EH1", start);
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:00:00Z", start + 10), true, "an hour old");
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:59:59.500Z", start + 10), false, "half a second old: live");
    assert.equal(replays.isReplay("EH1", undefined, start + 10), true, "no time inside the window");
    assert.equal(replays.isReplay("EH2", "2026-11-25T09:00:00Z", start + 10), false, "another charger");
    replays.end("EH1", start + 100);
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:00:00Z", start + 4000), true, "within the grace time");
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:00:00Z", start + 6000), false, "after it: a late value, not a replay");
    replays.begin("EH1", start + 7000);
    replays.clear();
    assert.equal(replays.isReplay("EH1", "2026-11-25T09:00:00Z", start + 7001), false, "cleared");
  });
});

describe("SignalR: settings, charger list, redaction", () => {
  it("stream kind and hub URL", () => {
    assert.equal(parseStreamKind(undefined), "amqp");
    assert.equal(parseStreamKind("SignalR"), "signalr");
    assert.equal(parseStreamKind("other"), "amqp");
    assert.equal(normaliseHubUrl(DEFAULT_SIGNALR_URL), DEFAULT_SIGNALR_URL);
    assert.equal(normaliseHubUrl(" http://127.0.0.1:8090/hubs/chargers/ "), "http://127.0.0.1:8090/hubs/chargers");
    // Core says what is wrong as a code; the user reads the config node's words (easee-config.hub-url.*).
    const problem = (url: string): string => {
      try {
        normaliseHubUrl(url);
      } catch (error) {
        assert.ok(error instanceof HubUrlError);
        return `${error.problem}: ${englishError(error)}`;
      }
      return "ok";
    };
    assert.equal(problem("ftp://x"), "scheme: The SignalR hub URL must start with https:// (or http:// for a local simulator).");
    assert.equal(problem("https://u:p@x/hub"), "credentials: The SignalR hub URL must not contain a user name or password.");
    assert.equal(problem("https://x/hub#a"), "fragment: The SignalR hub URL must not contain a fragment (#…).");
    assert.equal(problem("nonsense"), 'not-valid: "nonsense" is not a valid URL. The usual value is https://streams.easee.com/hubs/chargers.');
    assert.equal(
      problem(`https://x/${"a".repeat(3000)}`),
      "too-long: The SignalR hub URL is too long (3010 characters). The usual value is https://streams.easee.com/hubs/chargers.",
    );
  });

  it("GET /api/chargers: serials kept, junk skipped, bounded; 401 asks again; 429 carries Retry-After", () => {
    const answer = (status: number, data: unknown, headers: Record<string, string> = {}) => ({ status, headers, data });
    assert.deepEqual(
      interpretChargers(answer(200, [{ id: "EH1234", name: "Garage" }, { id: "bad id!" }, { id: "EH1234" }, 7, { Id: "QH99" }]), 0),
      [{ id: "EH1234", name: "Garage" }, { id: "QH99" }],
    );
    const many = Array.from({ length: MAX_CHARGERS + 50 }, (_, i) => ({ id: `EH${i}` }));
    assert.equal((interpretChargers(answer(200, many), 0) as ChargerSummary[]).length, MAX_CHARGERS);
    assert.equal(interpretChargers(answer(401, {}), 0), "unauthorized");
    assert.throws(() => interpretChargers(answer(429, {}, { "retry-after": "7" }), 0), (error: unknown) => {
      return error instanceof EaseeApiError && error.code === "rate-limited" && error.retryAfterMs === 7000;
    });
    assert.throws(() => interpretChargers(answer(200, { not: "a list" }), 0), { code: "unexpected-response" });
  });

  it("tokens are blanked out of log lines", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.secret-part";
    assert.equal(
      redactTokens(`GET wss://hub/x?id=1&access_token=${token}&b=2 with Authorization: Bearer ${token}`),
      "GET wss://hub/x?id=1&access_token=[redacted]&b=2 with Authorization: Bearer [redacted]",
    );
    assert.equal(redactTokens(`said ${token}`, [token]), "said [redacted]");
  });
});

/** A hub link the test drives: start succeeds or fails as told, invocations are recorded. */
class FakeLink implements HubLink {
  readonly invoked: string[] = [];
  readonly handlers = new Map<string, (...args: unknown[]) => void>();
  private closeHandler: ((error?: Error) => void) | undefined;
  refusal: HubRefusal | undefined;
  stopped = false;

  constructor(
    readonly options: HubLinkOptions,
    private readonly outcome: { refusal?: HubRefusal; fail?: boolean },
  ) {}

  async start(): Promise<void> {
    await this.options.accessTokenFactory();
    if (this.outcome.fail || this.outcome.refusal) {
      this.refusal = this.outcome.refusal;
      throw new Error("WebSocket failed to connect.");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeHandler?.();
  }

  async invoke(method: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push(`${method}(${args.map(String).join(",")})`);
    return null;
  }

  on(method: string, handler: (...args: unknown[]) => void): void {
    this.handlers.set(method, handler);
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  drop(): void {
    this.closeHandler?.(new Error("WebSocket closed with status code: 1006"));
  }
}

describe("SignalR stream (fake hub, manual clock)", () => {
  function setup(outcomes: { refusal?: HubRefusal; fail?: boolean }[] = [], chargers: ChargerSummary[][] = [[{ id: "EH1" }, { id: "EH2" }]]) {
    const clock = new ManualScheduler(Date.parse("2026-11-25T10:00:00Z"));
    const links: FakeLink[] = [];
    const tokens: string[] = [];
    const states: ConnectionState[] = [];
    const observations: DecodedObservation[] = [];
    let lists = 0;
    const listChargers = async (): Promise<readonly ChargerSummary[]> => {
      const answer = chargers[Math.min(lists, chargers.length - 1)] ?? [];
      lists += 1;
      return answer;
    };
    const stream = new SignalrStream({
      hubUrl: "https://hub.example.com/hubs/chargers",
      getAccessToken: async () => {
        tokens.push("current");
        return "token-current";
      },
      renewAccessToken: async () => {
        tokens.push("renewed");
        return "token-renewed";
      },
      listChargers,
      createLink: (options) => {
        const link = new FakeLink(options, outcomes[links.length] ?? {});
        links.push(link);
        return link;
      },
      backoff: { minMs: 1000, maxMs: 8000, random: () => 0.5 },
      chargerRefreshMs: 60_000,
      stableAfterMs: 30_000,
      scheduler: clock,
    });
    const subscriber: StreamSubscriber = {
      id: "n1",
      onConnectionState: (state) => states.push(state),
      onObservation: (observation) => observations.push(observation),
    };
    return { clock, stream, links, tokens, states, observations, subscriber, lists: () => lists };
  }

  it("retries forever with growing, capped, jittered delays; connects and subscribes every charger once", async () => {
    const failures = Array.from({ length: 8 }, () => ({ fail: true }));
    const { clock, stream, links, subscriber, states } = setup(failures);
    stream.register(subscriber);
    await clock.settle();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(clock.pendingDelays[0] ?? -1);
      await clock.advance(clock.pendingDelays[0] ?? 0);
    }
    // random 0.5 → 3/4 of each ceiling: 1000 (min), 1500, 3000, 6000, then capped at 8000.
    assert.deepEqual(delays, [1000, 1500, 3000, 6000, 6000, 6000, 6000, 6000]);
    assert.equal(states.at(-1)?.reason, "connected");
    const last = links.at(-1) as FakeLink;
    assert.deepEqual(last.invoked, ["SubscribeWithCurrentState(EH1,true)", "SubscribeWithCurrentState(EH2,true)"]);
    await stream.close();
    assert.equal(clock.pending, 0, "no timer left behind");
  });

  it("401 on the upgrade renews the token before the next try; 429 waits its Retry-After", async () => {
    const { clock, stream, tokens, subscriber, states } = setup([{ refusal: { status: 401 } }, { refusal: { status: 429, retryAfter: "30" } }]);
    stream.register(subscriber);
    await clock.settle();
    assert.equal(states.at(-1)?.reason, "hub-refused");
    await clock.advance(clock.pendingDelays[0] ?? 0);
    assert.deepEqual(tokens, ["current", "renewed"]);
    assert.equal(states.at(-1)?.reason, "rate-limited");
    assert.equal(clock.pendingDelays[0], 30_000, "Retry-After: 30");
    await clock.advance(30_000);
    assert.equal(states.at(-1)?.reason, "connected");
    await stream.close();
  });

  it("a dropped connection: reconnects and subscribes again; the backoff starts over only after a stable connection", async () => {
    const { clock, stream, links, subscriber, states } = setup();
    stream.register(subscriber);
    await clock.settle();
    (links[0] as FakeLink).drop();
    await clock.settle();
    assert.equal(states.at(-1)?.reason, "disconnected");
    assert.match(englishDetail(states.at(-1)?.detail), /1006/);
    await clock.advance(clock.pendingDelays[0] ?? 0);
    assert.equal(links.length, 2);
    assert.deepEqual((links[1] as FakeLink).invoked, ["SubscribeWithCurrentState(EH1,true)", "SubscribeWithCurrentState(EH2,true)"]);
    (links[1] as FakeLink).drop();
    await clock.settle();
    assert.equal(clock.pendingDelays[0], 1500, "dropped at once again: the delay grows");
    await clock.advance(1500);
    await clock.advance(31_000);
    (links[2] as FakeLink).drop();
    await clock.settle();
    assert.equal(clock.pendingDelays.find((ms) => ms <= 8000), 1000, "after 31 s up: from the smallest delay again");
    await stream.close();
  });

  it("refreshes the charger list and subscribes a new charger on the same connection; replays are marked", async () => {
    const { clock, stream, links, subscriber, observations, lists } = setup([], [[{ id: "EH1" }], [{ id: "EH1" }, { id: "EH3" }]]);
    stream.register(subscriber);
    await clock.settle();
    const link = links[0] as FakeLink;
    assert.deepEqual(link.invoked, ["SubscribeWithCurrentState(EH1,true)"]);
    // A replayed value arrives during the subscription window (grace 5 s after the call) with an old timestamp.
    link.handlers.get("ProductUpdate")?.({ mid: "EH1", dataType: 4, id: 109, timestamp: "2026-11-25T08:00:00Z", value: "3" });
    await clock.advance(60_000);
    assert.equal(lists(), 2);
    assert.deepEqual(link.invoked, ["SubscribeWithCurrentState(EH1,true)", "SubscribeWithCurrentState(EH3,true)"]);
    link.handlers.get("ProductUpdate")?.({ mid: "EH1", dataType: 4, id: 109, timestamp: new Date(clock.now()).toISOString(), value: "1" });
    assert.deepEqual(
      observations.map((o) => [o.value, o.replay]),
      [
        [3, true],
        [1, undefined],
      ],
    );
    await stream.close();
    assert.equal(link.stopped, true);
    assert.equal(clock.pending, 0);
  });

  it("a subscription the hub never answers times out; the stream connects and tries that charger again later", async () => {
    const { clock, stream, links, subscriber, states } = setup();
    const hanging = new Set(["EH1"]);
    const original = FakeLink.prototype.invoke;
    FakeLink.prototype.invoke = function (this: FakeLink, method: string, ...args: unknown[]): Promise<unknown> {
      this.invoked.push(`${method}(${args.map(String).join(",")})`);
      return hanging.has(String(args[0])) ? new Promise<unknown>(() => undefined) : Promise.resolve(null);
    };
    try {
      stream.register(subscriber);
      await clock.settle();
      assert.notEqual(states.at(-1)?.reason, "connected", "waiting for the hub");
      await clock.advance(30_000);
      assert.equal(states.at(-1)?.reason, "connected");
      assert.match(englishDetail(states.at(-1)?.detail), /1 of 2 charger/);
      hanging.clear();
      await clock.advance(60_000);
      assert.deepEqual((links[0] as FakeLink).invoked.filter((call) => call.includes("EH1")).length, 2, "EH1 asked again at the refresh");
      assert.match(englishDetail(states.at(-1)?.detail), /2 of 2 charger/);
    } finally {
      FakeLink.prototype.invoke = original;
      await stream.close();
    }
    assert.equal(clock.pending, 0);
  });

  it("charger list errors: waits as the API client says (429 Retry-After), shows the API's status", async () => {
    const clock = new ManualScheduler(0);
    const states: ConnectionState[] = [];
    let calls = 0;
    const stream = new SignalrStream({
      hubUrl: "https://hub.example.com/hubs/chargers",
      getAccessToken: async () => "t",
      renewAccessToken: async () => "t",
      listChargers: async () => {
        calls += 1;
        if (calls === 1) throw new EaseeApiError("rate-limited", { id: "rate-limited", params: { status: 429, delay: "45 s" } }, { retryAfterMs: 45_000 });
        return [];
      },
      createLink: (options) => new FakeLink(options, {}),
      scheduler: clock,
    });
    stream.register({ id: "n", onConnectionState: (state) => states.push(state) });
    await clock.settle();
    assert.equal(states.at(-1)?.reason, "rate-limited");
    assert.deepEqual(clock.pendingDelays, [45_000]);
    await clock.advance(45_000);
    assert.equal(states.at(-1)?.reason, "connected");
    await stream.close();
  });
});

describe("SignalR: commands over REST", () => {
  const encoded = (commandId: number, command: string, args: Record<string, unknown>, ticks = "638676000000000001"): EncodedCommand => ({
    chargerId: "EH1",
    commandId,
    command,
    ticks,
    routingKey: `EH1.C.${commandId}.${ticks}`,
    body: Buffer.from("{}"),
    contentType: "application/json",
    createdAtMs: 0,
    expiresAtMs: 1000,
    arguments: args as EncodedCommand["arguments"],
  });

  it("maps each supported command to its REST call; others are refused before sending", () => {
    assert.deepEqual(restCallFor(encoded(48, "SetDynamicChargerCurrent", { Current_Amp: 10, TTL_Minutes: 5 })), {
      path: "/api/chargers/EH1/commands/set_dynamic_charger_current",
      body: { amps: 10, minutes: 5 },
    });
    assert.deepEqual(restCallFor(encoded(29, "SetEnabled", { IsEnabled: false })), { path: "/api/chargers/EH1/settings", body: { enabled: false } });
    assert.deepEqual(restCallFor(encoded(11, "SetSmartCharging", { SmartCharging: true })).body, { smartCharging: true });
    assert.deepEqual(restCallFor(encoded(1, "Reboot", {})), { path: "/api/chargers/EH1/commands/reboot" });
    assert.throws(
      () => restCallFor(encoded(22, "SetDynamicCircuitCurrent", {})),
      (error: unknown) => /^SetDynamicCircuitCurrent cannot be sent on the SignalR stream/.test(englishSendError(error)),
    );
  });

  it("reads Easee's answer: 202 {commandId, ticks} (or an array of them), ticks 0 or 200 = nothing to wait for, 429", () => {
    const answer = (status: number, data: unknown, headers: Record<string, string> = {}) => ({ status, headers, data });
    assert.deepEqual(interpretCommandAnswer(answer(202, { device: "EH1", commandId: 48, ticks: 638676000000000000 })), {
      commandId: 48,
      ticks: "638676000000000000",
    });
    assert.deepEqual(interpretCommandAnswer(answer(202, [{ device: "EH1", commandId: 29, ticks: "638676000000000123" }])), {
      commandId: 29,
      ticks: "638676000000000123",
    });
    assert.deepEqual(interpretCommandAnswer(answer(202, { device: "EH1", commandId: 48, ticks: 0 })), {});
    assert.deepEqual(interpretCommandAnswer(answer(200, "")), {});
    assert.equal(interpretCommandAnswer(answer(401, {})), "unauthorized");
    assert.throws(() => interpretCommandAnswer(answer(429, {}, { "retry-after": "20" })), (error: unknown) => {
      return error instanceof EaseeApiError && error.code === "rate-limited" && error.retryAfterMs === 20_000;
    });
  });

  it("translates the hub's response to the node's ticks, holds one that overtakes the REST answer, answers no-ops at once", async () => {
    const clock = new ManualScheduler(0);
    const delivered: DecodedCommandResponse[] = [];
    let answerNext: (value: RestCommandAnswer) => void = () => undefined;
    const sender = new RestCommandSender({
      post: () => new Promise<RestCommandAnswer>((resolve) => (answerNext = resolve)),
      deliver: (response) => delivered.push(response),
      scheduler: clock,
      spacingMs: 0,
    });
    const hubResponse = (ticks: string, chargerId = "EH1"): DecodedCommandResponse => ({
      kind: "commandResponse",
      chargerId,
      commandId: 48,
      ticks,
      wasAccepted: true,
      resultCode: 0,
    });
    const sent = sender.send(encoded(48, "SetDynamicChargerCurrent", { Current_Amp: 6 }, "111"), { timeoutMs: 5000 });
    await clock.settle();
    sender.onHubResponse(hubResponse("999")); // overtakes the REST answer: held
    sender.onHubResponse(hubResponse("555", "EH2")); // another charger: passed on at once
    assert.deepEqual(delivered.map((r) => [r.chargerId, r.ticks]), [["EH2", "555"]]);
    answerNext({ commandId: 48, ticks: "999" });
    await sent;
    assert.deepEqual(delivered.map((r) => [r.chargerId, r.commandId, r.ticks]), [
      ["EH2", 48, "555"],
      ["EH1", 48, "111"],
    ]);
    const noop = sender.send(encoded(29, "SetEnabled", { IsEnabled: true }, "222"), { timeoutMs: 5000 });
    await clock.settle();
    answerNext({});
    await noop;
    await clock.settle();
    assert.deepEqual(delivered.at(-1)?.ticks, "222");
    assert.equal(delivered.at(-1)?.wasAccepted, true);
    assert.equal(delivered.at(-1)?.unchanged, true, "nothing went to the charger: easee-command words it as the comment");
    sender.close();
    assert.equal(clock.pending, 0, "no timer left");
  });

  it("after a 429 no command goes to Easee until Retry-After has passed; commands are spaced", async () => {
    const clock = new ManualScheduler(0);
    const posted: number[] = [];
    let fail = true;
    const sender = new RestCommandSender({
      post: async () => {
        posted.push(clock.now());
        if (fail) throw new EaseeApiError("rate-limited", { id: "command-rate-limited" }, { retryAfterMs: 30_000 });
        return {};
      },
      deliver: () => undefined,
      scheduler: clock,
    });
    await assert.rejects(sender.send(encoded(29, "SetEnabled", { IsEnabled: true }), { timeoutMs: 5000 }), (error: unknown) => /HTTP 429/.test(englishSendError(error)));
    await assert.rejects(sender.send(encoded(29, "SetEnabled", { IsEnabled: false }), { timeoutMs: 5000 }), (error: unknown) => englishSendError(error) === "Easee is limiting commands from this address (HTTP 429); next command in 30 s");
    assert.equal(posted.length, 1);
    await clock.advance(30_000);
    fail = false;
    const first = sender.send(encoded(29, "SetEnabled", { IsEnabled: false }), { timeoutMs: 5000 });
    const second = sender.send(encoded(11, "SetSmartCharging", { SmartCharging: true }), { timeoutMs: 5000 });
    await clock.advance(2000);
    await Promise.all([first, second]);
    assert.deepEqual(posted.slice(1).map((at) => at - 30_000), [0, 1000], "one second apart");
    sender.close();
  });
});
