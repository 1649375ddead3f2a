/**
 * Issue 12, defect 7: hostile sizes and values that go back in time, in the pure core.
 * - `msg.easee.late` (CONTRACT.md): a delivery whose device time is older than the last one seen for the same
 *   (charger, observation) is still sent, flagged, but the snapshot, only-on-change and Home Assistant state keep
 *   the newer value; snapshot msgs carry `msg.easee.snapshot: true`;
 * - the snapshot cache and the change tracker are bounded by size, not only by entry count;
 * - a charger id longer than any serial is refused by the decoder.
 */
import assert from "node:assert/strict";
import { decodeDelivery, MAX_CHARGER_ID_CHARS } from "../../core/decode";
import { HomeAssistantBridge } from "../../core/homeassistant/bridge";
import { createSelection, type Selection } from "../../core/homeassistant/selection";
import { ObservationPipeline } from "../../core/observations/pipeline";
import { LastValueCache } from "../../core/observations/snapshot-cache";
import { ChangeTracker } from "../../core/routing/change-tracker";
import { observation } from "../helpers/flows";
import { HOSTILE_SIZE_SHAPES } from "../helpers/bad-input-corpus";
import { englishDecodeError } from "../helpers/english";

const T = (second: number): string => `2026-11-25T10:00:${String(second).padStart(2, "0")}.000Z`;

describe("hardening: values that go back in time and hostile sizes (issue 12, defect 7)", () => {
  describe("msg.easee.late and msg.easee.snapshot", () => {
    it("an older delivery is still sent, flagged late; the snapshot keeps the newer value and says snapshot", () => {
      const pipeline = new ObservationPipeline();
      const newer = pipeline.accept(observation({ value: 7.2, timestamp: T(10) }));
      const older = pipeline.accept(observation({ value: 3.1, timestamp: T(5) }));
      const same = pipeline.accept(observation({ value: 7.3, timestamp: T(10) }));
      assert.equal(newer?.easee.late, undefined);
      assert.equal(older?.payload, 3.1, "the late value is still sent");
      assert.equal(older?.easee.late, true);
      assert.equal(same?.easee.late, undefined, "the same device time is not late");
      assert.ok(!("late" in (same?.easee ?? {})), "absent, not false or undefined");

      const [snapshot] = pipeline.snapshot();
      // Before the fix: 3.1 (the last delivery, not the newest value), and no snapshot flag.
      assert.equal(snapshot?.payload, 7.3);
      assert.equal(snapshot?.easee.timestamp, T(10));
      assert.equal(snapshot?.easee.snapshot, true);
      assert.ok(!("late" in (snapshot?.easee ?? {})));
      assert.deepEqual(Object.keys(snapshot?.easee ?? {}).slice(-3), ["routingKey", "device", "snapshot"]);

      // Without device time nothing can be called late: the delivery is the newest there is.
      const untimed = pipeline.accept(observation({ value: 1, timestamp: undefined }));
      assert.equal(untimed?.easee.late, undefined);
      assert.equal(pipeline.snapshot()[0]?.payload, 1);
    });

    it("only on change: a late value is neither a change nor remembered; the newer value stays the reference", () => {
      const tracker = new ChangeTracker();
      assert.equal(tracker.changed("EH1", 120, 7.2, Date.parse(T(10))), true);
      // Before the fix: true (7.2 → 3.1 "changed"), and then 7.2 again counted as a change back.
      assert.equal(tracker.changed("EH1", 120, 3.1, Date.parse(T(5))), false, "late: not passed");
      assert.equal(tracker.changed("EH1", 120, 7.2, Date.parse(T(11))), false, "the reference is still 7.2");
      assert.equal(tracker.changed("EH1", 120, 8, Date.parse(T(12))), true);
      assert.equal(tracker.changed("EH1", 120, 8), false, "no device time: compared by value only");
      assert.equal(tracker.changed("EH1", 120, 9), true);
    });

    it("Home Assistant: a late msg publishes no state; the entity keeps the newer value", () => {
      const bridge = new HomeAssistantBridge({ prefix: "homeassistant", baseTopic: "easee", selection: (createSelection("all") as { selection: Selection }).selection, retain: true });
      const first = bridge.observe({ chargerId: "EH123456", observationId: 120, value: 7.2 });
      assert.ok(first.some((message) => message.topic.endsWith("/state") || message.payload === "7.2"));
      // Before the fix: a state message with 3.1.
      assert.deepEqual(bridge.observe({ chargerId: "EH123456", observationId: 120, value: 3.1, late: true }), []);
      const republished = bridge.republish().filter((message) => message.payload === "3.1");
      assert.deepEqual(republished, [], "the retained state is still the newer value");
    });
  });

  describe("bounded by size", () => {
    it("the snapshot cache forgets the oldest pairs once their values exceed the byte budget", () => {
      const cache = new LastValueCache<string>(20_000, { maxBytes: 4 * 1024 * 1024, sizeOf: (value) => value.length * 2 });
      const big = "x".repeat(256 * 1024);
      for (let i = 0; i < 100; i += 1) cache.set(`EH${i}`, 1, big);
      // Before the fix: all 100 kept (50 MB of strings), only the entry count was capped.
      assert.ok(cache.size <= 8, `${cache.size} entries of 512 KB kept`);
      assert.ok(cache.bytes <= 4 * 1024 * 1024);
      assert.equal(cache.get("EH99", 1), big, "the newest stays");
      cache.set("EH99", 1, "small");
      assert.ok(cache.bytes < 4 * 1024 * 1024);
    });

    it("the observations pipeline bounds its snapshot by size with 256 KB string values", () => {
      const pipeline = new ObservationPipeline({ snapshotMaxBytes: 8 * 1024 * 1024 });
      for (const shape of HOSTILE_SIZE_SHAPES.values(256 * 1024, 200)) {
        pipeline.accept(observation({ chargerId: shape.chargerId, observationId: 999, known: false, dataType: "String", value: shape.value }));
      }
      assert.ok(pipeline.snapshotSize < 40, `${pipeline.snapshotSize} pairs of 512 KB kept`);
    });

    it("the change tracker forgets the oldest pairs once their signatures exceed the byte budget", () => {
      const tracker = new ChangeTracker(20_000, 4 * 1024 * 1024);
      const big = "y".repeat(256 * 1024);
      for (let i = 0; i < 100; i += 1) tracker.changed(`EH${i}`, 1, big);
      assert.ok(tracker.size <= 8, `${tracker.size} signatures of 512 KB kept`);
      assert.ok(tracker.bytes <= 4 * 1024 * 1024);
    });

    it("the decoder refuses a charger id longer than any serial, from the routing key or the body", () => {
      for (const chargerId of HOSTILE_SIZE_SHAPES.chargerIds()) {
        for (const raw of [
          { routingKey: `${chargerId}.O.120`, body: Buffer.from('{"Value": 7.2}') },
          { routingKey: "x", body: Buffer.from(JSON.stringify({ mid: chargerId, id: 120, value: "7.2" })) },
          { routingKey: `${chargerId}.CR.48.638000000000000000`, body: Buffer.from('{"WasAccepted": true}') },
        ]) {
          const decoded = decodeDelivery(raw);
          assert.equal(decoded.kind, "error", `${raw.routingKey.slice(0, 20)}…`);
          assert.match(decoded.kind === "error" ? englishDecodeError(decoded) : "", /charger id is too long/);
        }
      }
      const ok = decodeDelivery({ routingKey: `${"E".repeat(MAX_CHARGER_ID_CHARS)}.O.120`, body: Buffer.from('{"Value": 7.2}') });
      assert.equal(ok.kind, "observation");
    });
  });
});
