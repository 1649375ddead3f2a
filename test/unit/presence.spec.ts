/**
 * Presence on a fast (manual) clock: silence makes a charger offline, its next message online again, a restart
 * starts unknown, our own outage makes nobody offline, and the cloud's ConnectedToCloud/CloudDisconnectReason are
 * honoured and reported.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../core/timing/scheduler";
import {
  PresenceTracker,
  buildPresenceMsg,
  compileTopicTemplate,
  parseSilenceMinutes,
  type PresenceChange,
} from "../../core/observations";
import type { DecodedObservation } from "../../core/types";

const MINUTE = 60_000;
const START = Date.parse("2026-12-01T10:00:00.000Z");

function obs(chargerId: string, overrides: Partial<DecodedObservation> = {}): DecodedObservation {
  return {
    kind: "observation",
    chargerId,
    observationId: 120,
    name: "TotalPower",
    known: true,
    description: "Total power",
    dataType: "Double",
    unit: "kW",
    category: "telemetry",
    value: 7.2,
    routingKey: `${chargerId}.O.120`,
    ...overrides,
  };
}

function setup(options: { silenceMinutes?: number; expected?: string[] } = {}) {
  const scheduler = new ManualScheduler(START);
  const changes: PresenceChange[] = [];
  const tracker = new PresenceTracker({
    silenceMs: (options.silenceMinutes ?? 20) * MINUTE,
    scheduler,
    onChange: (change) => changes.push(change),
    ...(options.expected ? { expected: options.expected } : {}),
  });
  return { scheduler, changes, tracker };
}

describe("presence: silence and return", () => {
  it("a charger heard is online; silent for the silence time it goes offline; its next message brings it back", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    tracker.heard(obs("EH000001", { timestamp: "2026-12-01T09:59:59.000Z" }));
    // Heard for the first time since the start: known now, but nothing came *back*, so nothing is reported.
    assert.equal(changes.length, 0);
    assert.equal(tracker.stateOf("EH000001"), "online");

    await scheduler.advance(20 * MINUTE - 1);
    assert.equal(changes.length, 0, "still online one millisecond before the silence time");
    await scheduler.advance(1);
    assert.equal(changes.length, 1);
    const offline = changes[0] as PresenceChange;
    assert.deepEqual([offline.state, offline.online, offline.previous, offline.reason], ["offline", false, "online", "silence"]);
    assert.deepEqual(offline.lastSeen, { timestamp: "2026-12-01T09:59:59.000Z", receivedAt: "2026-12-01T10:00:00.000Z" });
    assert.equal(offline.since, "2026-12-01T10:20:00.000Z");
    assert.equal(offline.silenceMinutes, 20);
    assert.equal(scheduler.pending, 0, "nobody left to watch: no timer");

    await scheduler.advance(5 * MINUTE);
    tracker.heard(obs("EH000001"));
    const back = changes[1] as PresenceChange;
    assert.deepEqual([back.state, back.previous, back.reason], ["online", "offline", "message"]);
    assert.equal(back.lastSeen?.receivedAt, "2026-12-01T10:25:00.000Z");
  });

  it("every message pushes the deadline: a charger speaking every 15 minutes never goes offline", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    for (let i = 0; i < 8; i++) {
      tracker.heard(obs("EH000001"));
      await scheduler.advance(15 * MINUTE);
    }
    assert.deepEqual(changes.map((c) => c.state), []);
    assert.equal(tracker.stateOf("EH000001"), "online");
    assert.ok(scheduler.pending <= 1, "one timer for everybody");
  });

  it("fractions of a minute work (the tests' fast clock, and users who want 30 s)", async () => {
    const { scheduler, changes, tracker } = setup({ silenceMinutes: 0.5 });
    tracker.resume();
    tracker.heard(obs("EH000001"));
    await scheduler.advance(30_000);
    assert.deepEqual(changes.map((c) => c.state), ["offline"]);
  });

  it("many chargers share one timer, and each goes offline at its own time", async () => {
    const { scheduler, changes, tracker } = setup({ silenceMinutes: 10 });
    tracker.resume();
    tracker.heard(obs("EH000001"));
    await scheduler.advance(3 * MINUTE);
    tracker.heard(obs("EH000002"));
    tracker.heard(obs("QH000001", { device: "equalizer" }));
    assert.equal(scheduler.pending, 1);
    await scheduler.advance(7 * MINUTE);
    assert.deepEqual(changes.filter((c) => !c.online).map((c) => c.chargerId), ["EH000001"]);
    await scheduler.advance(3 * MINUTE);
    assert.deepEqual(changes.filter((c) => !c.online).map((c) => [c.chargerId, c.device]), [
      ["EH000001", "charger"],
      ["EH000002", "charger"],
      ["QH000001", "equalizer"],
    ]);
  });

  it("a backlog delivery whose ArrivalTime is older than the silence time is history, not a sign of life", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    await scheduler.advance(MINUTE);
    const now = START + MINUTE;
    tracker.heard(obs("EH000001", { arrivalTime: new Date(now - 30 * MINUTE).toISOString() }));
    assert.equal(tracker.stateOf("EH000001"), "unknown");
    tracker.heard(obs("EH000001", { arrivalTime: new Date(now - 1000).toISOString() }));
    assert.equal(tracker.stateOf("EH000001"), "online");
    // The silence counts from the arrival, not from our receipt.
    await scheduler.advance(20 * MINUTE - 1000);
    assert.equal(changes[0]?.state, "offline");
    assert.equal(changes[0]?.lastSeen?.arrivalTime, new Date(now - 1000).toISOString());
  });
});

describe("presence: SignalR current-state replays", () => {
  it("a replayed value is as old as its device time: an hour-old replay is no sign of life, a fresh one is", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    await scheduler.advance(MINUTE);
    const now = START + MINUTE;
    const signalr = { routingKey: undefined, replay: true } as const;
    tracker.heard(obs("EH000001", { ...signalr, timestamp: new Date(now - 60 * MINUTE).toISOString() }));
    assert.equal(tracker.stateOf("EH000001"), "unknown", "the hub's replay says nothing about now");
    tracker.heard(obs("EH000001", { ...signalr, timestamp: new Date(now - 2 * MINUTE).toISOString() }));
    assert.equal(tracker.stateOf("EH000001"), "online");
    // The silence counts from when the device spoke (but not from before the tracker started: START + 20 min).
    await scheduler.advance(19 * MINUTE - 1);
    assert.equal(changes.length, 0);
    await scheduler.advance(1);
    assert.equal(changes[0]?.state, "offline");
  });
});

describe("presence: restart and our own outages", () => {
  it("after a restart nothing is reported until a charger speaks or the silence time has passed", async () => {
    const { scheduler, changes, tracker } = setup({ expected: ["EH000001", "EH000002"] });
    tracker.resume();
    assert.equal(tracker.stateOf("EH000001"), "unknown");
    await scheduler.advance(10 * MINUTE);
    tracker.heard(obs("EH000002"));
    assert.equal(changes.length, 0);
    await scheduler.advance(10 * MINUTE);
    // The listed charger that never spoke: offline once the silence time since the start has passed.
    assert.deepEqual(changes.map((c) => [c.chargerId, c.state, c.previous, c.reason, c.lastSeen]), [
      ["EH000001", "offline", "unknown", "silence", null],
    ]);
    assert.equal(tracker.stateOf("EH000002"), "online");
  });

  it("chargers not listed and never heard are simply not known: no offline msg for them", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    await scheduler.advance(60 * MINUTE);
    assert.equal(changes.length, 0);
    assert.equal(scheduler.pending, 0);
  });

  it("nothing is judged before the stream first comes up", async () => {
    const { scheduler, changes, tracker } = setup({ expected: ["EH000001"] });
    await scheduler.advance(60 * MINUTE);
    assert.equal(changes.length, 0);
    tracker.resume();
    await scheduler.advance(20 * MINUTE);
    assert.equal(changes.length, 1);
  });

  it("while the stream is down nobody goes offline, and after it everybody gets the full silence time again", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    tracker.heard(obs("EH000001"));
    await scheduler.advance(15 * MINUTE);
    tracker.pause();
    assert.equal(scheduler.pending, 0);
    await scheduler.advance(60 * MINUTE);
    assert.equal(changes.length, 0);
    tracker.resume();
    await scheduler.advance(20 * MINUTE - 1);
    assert.equal(changes.length, 0);
    await scheduler.advance(1);
    assert.equal(changes[0]?.state, "offline");
  });

  it("close() leaves no timer and reports nothing afterwards", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    tracker.heard(obs("EH000001"));
    assert.equal(scheduler.pending, 1);
    tracker.close();
    assert.equal(scheduler.pending, 0);
    tracker.heard(obs("EH000002"));
    await scheduler.advance(60 * MINUTE);
    assert.equal(changes.length, 0);
  });
});

describe("presence: the cloud's own word", () => {
  it("ConnectedToCloud false makes a charger offline at once, with the CloudDisconnectReason that came with it", async () => {
    const { changes, tracker } = setup();
    tracker.resume();
    tracker.heard(obs("EH000001"));
    tracker.heard(obs("EH000001", { observationId: 251, name: "CloudDisconnectReason", dataType: "String", value: "CONNECTION_LOST" }));
    assert.equal(changes.length, 0, "a disconnect reason alone is not a sign of life, nor a state change");
    tracker.heard(obs("EH000001", { observationId: 250, name: "ConnectedToCloud", dataType: "Boolean", value: false }));
    const offline = changes[0] as PresenceChange;
    assert.deepEqual([offline.state, offline.reason, offline.connectedToCloud, offline.cloudDisconnectReason], [
      "offline",
      "cloudDisconnected",
      false,
      "CONNECTION_LOST",
    ]);
    tracker.heard(obs("EH000001", { observationId: 250, name: "ConnectedToCloud", dataType: "Boolean", value: true }));
    assert.deepEqual([changes[1]?.state, changes[1]?.reason, changes[1]?.connectedToCloud], ["online", "cloudConnected", true]);
  });

  it("ids 250/251 of a device of unknown kind mean nothing: any message is a sign of life", () => {
    const { tracker } = setup();
    tracker.resume();
    tracker.heard(obs("XY000001", { observationId: 250, value: false, device: "unknown" }));
    assert.equal(tracker.stateOf("XY000001"), "online");
  });

  it("known() lists the current presence for a snapshot", () => {
    const { tracker } = setup({ expected: ["EH000009"] });
    tracker.resume();
    tracker.heard(obs("EH000001"));
    assert.deepEqual(tracker.known().map((c) => [c.chargerId, c.state]), [["EH000001", "online"]]);
  });
});

describe("presence: settings and msgs", () => {
  it("silenceMinutes: default 20, fractions allowed, nonsense refused", () => {
    assert.equal(parseSilenceMinutes(undefined), 20);
    assert.equal(parseSilenceMinutes(""), 20);
    assert.equal(parseSilenceMinutes("0.25"), 0.25);
    assert.equal(parseSilenceMinutes(5), 5);
    assert.equal(parseSilenceMinutes(0), undefined);
    assert.equal(parseSilenceMinutes("-1"), undefined);
    assert.equal(parseSilenceMinutes("ten"), undefined);
    assert.equal(parseSilenceMinutes("1".repeat(1024 * 1024)), undefined);
  });

  it("the presence msg: topic from the template with the name Online, payload boolean, msg.easee.presence", async () => {
    const { scheduler, changes, tracker } = setup();
    tracker.resume();
    tracker.heard(obs("EH000001", { arrivalTime: "2026-12-01T09:59:59.900Z", timestamp: "2026-12-01T09:59:59.000Z" }));
    await scheduler.advance(20 * MINUTE);
    const msg = buildPresenceMsg(changes[0] as PresenceChange, compileTopicTemplate(undefined));
    assert.deepEqual(msg, {
      topic: "easee/EH000001/Online",
      payload: false,
      easee: {
        chargerId: "EH000001",
        name: "Online",
        device: "charger",
        presence: {
          online: false,
          state: "offline",
          previous: "online",
          reason: "silence",
          // Silence counts from the stream's start at the earliest (10:00:00), not from the earlier arrival.
          since: "2026-12-01T10:20:00.000Z",
          lastSeen: {
            timestamp: "2026-12-01T09:59:59.000Z",
            arrivalTime: "2026-12-01T09:59:59.900Z",
            receivedAt: "2026-12-01T10:00:00.000Z",
          },
          silenceMinutes: 20,
        },
      },
    });
    assert.equal(buildPresenceMsg(changes[0] as PresenceChange, compileTopicTemplate("x/{observationId}/{chargerId}")).topic, "x/Online/EH000001");
  });
});
