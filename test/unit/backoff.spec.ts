import assert from "node:assert/strict";
import { Backoff } from "../../core/timing/backoff";
import { ManualScheduler, delay } from "../../core/timing/scheduler";

describe("Backoff (reconnect delays)", () => {
  it("grows from about 1 s to at most 60 s by default, never below 1 s", () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 12 }, () => backoff.next());
    for (const ms of delays) {
      assert.ok(ms >= 1000 && ms <= 60_000, `delay ${ms} out of 1 s..60 s`);
    }
    // With the ceiling doubling, the 8th delay onwards sits in the cap's upper half.
    for (const ms of delays.slice(7)) assert.ok(ms >= 30_000, `late delay ${ms} should be near the cap`);
  });

  it("jitter: the delay is between half the ceiling and the ceiling", () => {
    const low = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => 0 });
    const high = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 8 }, () => low.next()),
      [1000, 1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    assert.deepEqual(
      Array.from({ length: 8 }, () => high.next()),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
    );
  });

  it("two clients cut off together do not retry in lock-step", () => {
    const a = new Backoff();
    const b = new Backoff();
    const sequenceA = Array.from({ length: 6 }, () => a.next());
    const sequenceB = Array.from({ length: 6 }, () => b.next());
    assert.notDeepEqual(sequenceA, sequenceB);
  });

  it("reset starts again from the smallest delay", () => {
    const backoff = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 10; i += 1) backoff.next();
    assert.equal(backoff.attempts, 10);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(), 1000);
  });

  it("the REST client's range (2 s .. 5 min) caps at 5 minutes however long the outage", () => {
    const backoff = new Backoff({ minMs: 2000, maxMs: 300_000 });
    let last = 0;
    for (let i = 0; i < 200; i += 1) last = backoff.next();
    assert.ok(last <= 300_000 && last >= 150_000, `capped delay ${last}`);
  });

  it("rejects impossible ranges", () => {
    assert.throws(() => new Backoff({ minMs: 10, maxMs: 5 }), RangeError);
    assert.throws(() => new Backoff({ minMs: -1 }), RangeError);
  });
});

describe("ManualScheduler / delay", () => {
  it("fires timers in time order and leaves none behind", async () => {
    const clock = new ManualScheduler();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b"), 200);
    clock.setTimeout(() => fired.push("a"), 100);
    const handle = clock.setTimeout(() => fired.push("never"), 150);
    clock.clearTimeout(handle);
    await clock.advance(250);
    assert.deepEqual(fired, ["a", "b"]);
    assert.equal(clock.pending, 0);
    assert.equal(clock.now(), 250);
  });

  it("delay() rejects at once on abort and clears its timer", async () => {
    const clock = new ManualScheduler();
    const controller = new AbortController();
    const waiting = delay(clock, 60_000, controller.signal, () => new Error("stopped"));
    assert.equal(clock.pending, 1);
    controller.abort();
    await assert.rejects(waiting, /stopped/);
    assert.equal(clock.pending, 0);
  });
});
