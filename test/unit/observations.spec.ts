import assert from "node:assert/strict";
import {
  DEFAULT_TOPIC_TEMPLATE,
  LastValueCache,
  ObservationPipeline,
  RateMeter,
  SeenChargers,
  formatRate,
  arrivalAgeMs,
  buildObservationMsg,
  compactCount,
  compileTopicTemplate,
  isTooOld,
  parseChargerFilter,
  parseMaxAgeSeconds,
  plainJson,
} from "../../core/observations";
import { fillText } from "../../nodes/shared/i18n";
import { lookup, observation, readCatalogue } from "../helpers/flows";

describe("observations: topic template", () => {
  it("renders the default template easee/{chargerId}/{name}", () => {
    const topic = compileTopicTemplate(undefined);
    assert.equal(topic.template, DEFAULT_TOPIC_TEMPLATE);
    assert.equal(topic.render(observation()), "easee/EH123456/TotalPower");
  });

  it("renders every placeholder, repeated, with literals around them", () => {
    const topic = compileTopicTemplate("home/{chargerId}/obs/{observationId}/{name}-{observationId}");
    assert.equal(topic.render(observation()), "home/EH123456/obs/120/TotalPower-120");
  });

  it("uses the default when the template is empty or blank", () => {
    assert.equal(compileTopicTemplate("").render(observation()), "easee/EH123456/TotalPower");
    assert.equal(compileTopicTemplate("   ").render(observation()), "easee/EH123456/TotalPower");
  });

  it("keeps unknown placeholders as typed and reports them", () => {
    const topic = compileTopicTemplate("easee/{site}/{chargerId}");
    assert.deepEqual(topic.unknownPlaceholders, ["site"]);
    assert.equal(topic.render(observation()), "easee/{site}/EH123456");
  });

  it("a template without placeholders is a fixed topic", () => {
    assert.equal(compileTopicTemplate("easee/all").render(observation()), "easee/all");
  });

  it("replaces MQTT wildcards and slashes inside values, not in the template", () => {
    const topic = compileTopicTemplate("a/{chargerId}/{name}");
    assert.equal(topic.render(observation({ chargerId: "EH+1#/x", name: "Observation999" })), "a/EH_1__x/Observation999");
  });
});

describe("observations: msg builder", () => {
  it("builds the contract msg with exactly the contract's keys", () => {
    const msg = buildObservationMsg(
      observation({ label: "Charging", timestamp: "2026-11-25T10:00:00.000Z", arrivalTime: "2026-11-25T10:00:00.120Z", latencyMs: 35 }),
      compileTopicTemplate(undefined),
    );
    assert.deepEqual(msg, {
      topic: "easee/EH123456/TotalPower",
      payload: 7.2,
      easee: {
        chargerId: "EH123456",
        observationId: 120,
        name: "TotalPower",
        known: true,
        description: "Total power",
        dataType: "Double",
        unit: "kW",
        category: "telemetry",
        label: "Charging",
        timestamp: "2026-11-25T10:00:00.000Z",
        arrivalTime: "2026-11-25T10:00:00.120Z",
        latencyMs: 35,
        routingKey: "EH123456.O.120",
        device: "charger",
      },
    });
    // The contract's order: routingKey, then device, last.
    assert.deepEqual(Object.keys(msg.easee).slice(-2), ["routingKey", "device"]);
  });

  it("leaves optional fields really absent (not undefined) and keeps null unit/category", () => {
    const msg = buildObservationMsg(
      observation({ unit: null, category: null, known: false, name: "Observation999", observationId: 999 }),
      compileTopicTemplate(undefined),
    );
    for (const key of ["label", "timestamp", "arrivalTime", "latencyMs"]) {
      assert.equal(Object.prototype.hasOwnProperty.call(msg.easee, key), false, key);
    }
    assert.equal(msg.easee.unit, null);
    assert.equal(msg.easee.category, null);
    assert.equal(msg.topic, "easee/EH123456/Observation999");
  });

  it("copies object payloads so a downstream edit cannot change the shared observation", () => {
    const shared = observation({ dataType: "Position", value: { lat: 59.9, lon: 10.7 } });
    const msg = buildObservationMsg(shared, compileTopicTemplate(undefined));
    assert.deepEqual(msg.payload, { lat: 59.9, lon: 10.7 });
    (msg.payload as { lat: number }).lat = 0;
    assert.deepEqual(shared.value, { lat: 59.9, lon: 10.7 });
  });

  it("survives a JSON round trip unchanged (plain data only)", () => {
    const msg = buildObservationMsg(
      observation({ dataType: "String", value: { mode: 1, list: [1, "a", null] }, timestamp: "2026-11-25T10:00:00.000Z" }),
      compileTopicTemplate(undefined),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(msg)), msg);
    assert.equal(Object.getPrototypeOf(msg.payload), Object.prototype);
  });

  it("plainJson keeps primitives and turns the non-JSON into null", () => {
    assert.equal(plainJson("x"), "x");
    assert.equal(plainJson(false), false);
    assert.equal(plainJson(0), 0);
    assert.equal(plainJson(Number.NaN), null);
    assert.equal(plainJson(undefined), null);
    assert.deepEqual(plainJson([1, { a: 2 }]), [1, { a: 2 }]);
  });
});

describe("observations: charger filter", () => {
  it("passes every charger when empty", () => {
    const filter = parseChargerFilter("");
    assert.equal(filter.passesAll, true);
    assert.equal(filter.matches("EH000001"), true);
    assert.equal(parseChargerFilter(undefined).passesAll, true);
    assert.equal(parseChargerFilter(" , ").passesAll, true);
  });

  it("passes only the listed serials, in any case, with commas, spaces or semicolons", () => {
    const filter = parseChargerFilter(" eh123456, EH654321;EHAAAA  EHBBBB,");
    assert.deepEqual(filter.serials, ["EH123456", "EH654321", "EHAAAA", "EHBBBB"]);
    assert.equal(filter.matches("EH123456"), true);
    assert.equal(filter.matches("eh654321"), true);
    assert.equal(filter.matches("EHBBBB"), true);
    assert.equal(filter.matches("EH999999"), false);
    assert.equal(filter.matches("EH12345"), false);
  });
});

describe("observations: max age", () => {
  const now = Date.parse("2026-11-25T10:00:00.000Z");

  it("parses maxAgeSeconds: empty is 0, numbers and numeric strings pass, the rest is invalid", () => {
    assert.equal(parseMaxAgeSeconds(undefined), 0);
    assert.equal(parseMaxAgeSeconds(""), 0);
    assert.equal(parseMaxAgeSeconds(300), 300);
    assert.equal(parseMaxAgeSeconds(" 2.5 "), 2.5);
    assert.equal(parseMaxAgeSeconds(-1), undefined);
    assert.equal(parseMaxAgeSeconds("ten"), undefined);
    assert.equal(parseMaxAgeSeconds(Number.POSITIVE_INFINITY), undefined);
  });

  it("judges age by ArrivalTime", () => {
    assert.equal(arrivalAgeMs("2026-11-25T09:59:50.000Z", now), 10_000);
    assert.equal(arrivalAgeMs("not a date", now), undefined);
    assert.equal(arrivalAgeMs(undefined, now), undefined);
    assert.equal(isTooOld("2026-11-25T09:59:50.000Z", 5, now), true);
    assert.equal(isTooOld("2026-11-25T09:59:50.000Z", 10, now), false);
    assert.equal(isTooOld("2026-11-25T09:59:50.000Z", 0, now), false);
  });

  it("keeps deliveries without a readable ArrivalTime", () => {
    assert.equal(isTooOld(undefined, 1, now), false);
    assert.equal(isTooOld("garbage", 1, now), false);
  });
});

describe("observations: snapshot cache", () => {
  it("keeps the last value per (charger, observation), ordered by charger then id", () => {
    const cache = new LastValueCache<string>();
    cache.set("EH2", 120, "a");
    cache.set("EH1", 121, "b");
    cache.set("EH1", 109, "c");
    cache.set("EH2", 120, "d");
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.values(), ["c", "b", "d"]);
    assert.equal(cache.get("EH2", 120), "d");
  });

  it("is bounded: past the capacity the pair updated longest ago is forgotten", () => {
    const cache = new LastValueCache<number>(3);
    cache.set("EH1", 1, 1);
    cache.set("EH1", 2, 2);
    cache.set("EH1", 3, 3);
    cache.set("EH1", 1, 10); // refreshes pair 1
    cache.set("EH1", 4, 4); // evicts pair 2
    assert.equal(cache.size, 3);
    assert.equal(cache.get("EH1", 2), undefined);
    assert.deepEqual(cache.values(), [10, 3, 4]);
  });

  it("memory stays flat under many updates of the same pairs", () => {
    const cache = new LastValueCache<number>();
    for (let i = 0; i < 100_000; i++) cache.set(`EH${i % 10}`, Math.floor(i / 10) % 50, i);
    assert.equal(cache.size, 500);
  });

  it("rejects a capacity below 1", () => {
    assert.throws(() => new LastValueCache(0), RangeError);
  });
});

describe("observations: chargers seen on the stream (the dialogs' suggestions)", () => {
  it("remembers serials once, sorted, and ignores anything that is not a serial", () => {
    const seen = new SeenChargers();
    for (const serial of ["EH000002", "EH000001", "EH000002", "QH000001", "", "EH 1", "<script>", 42, undefined, "x".repeat(33)]) seen.note(serial);
    assert.deepEqual(seen.list(), ["EH000001", "EH000002", "QH000001"]);
  });

  it("is bounded: past its capacity the oldest serial is forgotten", () => {
    const seen = new SeenChargers(3);
    for (const serial of ["EH000001", "EH000002", "EH000003", "EH000004"]) seen.note(serial);
    assert.deepEqual(seen.list(), ["EH000002", "EH000003", "EH000004"]);
  });
});

describe("observations: rate meter", () => {
  it("averages events per second over the last 10 s", () => {
    const meter = new RateMeter(0);
    meter.mark();
    meter.mark(41);
    // One second in: the average of that second, not of a window the node has not lived through.
    assert.equal(meter.sample(1000), 42);
    meter.mark(8);
    assert.equal(meter.sample(2000), 25);
    assert.equal(meter.sample(10_000), 5);
    // The first second (42 msgs) leaves the window.
    assert.equal(meter.sample(11_000), 0.8);
    assert.equal(meter.sample(12_000), 0);
    assert.equal(meter.totalCount, 50);
  });

  it("never reads 0 while msgs arrive every few hundred ms, however bursty", () => {
    const meter = new RateMeter(0);
    const shown: string[] = [];
    let next = 0;
    for (let now = 1000; now <= 60_000; now += 1000) {
      // Gaps of 200 to 900 ms, and every 7th second a burst of 30 (as Easee's batches arrive).
      while (next < now) {
        meter.mark(Math.floor(next / 1000) % 7 === 0 ? 30 : 1);
        next += 200 + ((next * 7919) % 700);
      }
      shown.push(formatRate(meter.sample(now)));
    }
    assert.ok(shown.every((text) => text !== "0"), shown.join(" "));
    const values = shown.slice(10).map(Number);
    // Averaged, a burst of 30 in one second no longer swings the status from a handful to 150 and back.
    assert.ok(Math.max(...values) / Math.min(...values) < 4, shown.join(" "));
  });

  it("one msg every 9 s still reads above 0", () => {
    const meter = new RateMeter(0);
    for (let now = 1000; now <= 60_000; now += 1000) {
      if (now % 9000 === 0) meter.mark();
      if (now > 9000) assert.notEqual(formatRate(meter.sample(now)), "0", `at ${now} ms`);
      else meter.sample(now);
    }
  });

  it("formats a rate for a short status: one decimal below 10, whole numbers above", () => {
    assert.equal(formatRate(0), "0");
    assert.equal(formatRate(0.01), "0.1");
    assert.equal(formatRate(0.8), "0.8");
    assert.equal(formatRate(3.46), "3.5");
    assert.equal(formatRate(9.96), "10");
    assert.equal(formatRate(28.4), "28");
    assert.equal(formatRate(12_400), "12k");
  });

  it("compacts large counts for a short status", () => {
    assert.equal(compactCount(42), "42");
    assert.equal(compactCount(9999), "9999");
    assert.equal(compactCount(12_400), "12k");
    assert.equal(compactCount(3_200_000), "3M");
    assert.equal(compactCount(999_499), "999k");
    assert.equal(compactCount(999_500), "1M");
  });
});

describe("observations: pipeline", () => {
  it("passes, builds and remembers an observation", () => {
    const pipeline = new ObservationPipeline();
    const msg = pipeline.accept(observation());
    assert.equal(msg?.topic, "easee/EH123456/TotalPower");
    assert.equal(pipeline.snapshotSize, 1);
  });

  it("applies the charger filter", () => {
    const pipeline = new ObservationPipeline({ chargers: "EH000001" });
    assert.equal(pipeline.accept(observation()), undefined);
    assert.ok(pipeline.accept(observation({ chargerId: "EH000001" })));
    assert.equal(pipeline.snapshotSize, 1);
  });

  it("includeUnknown false drops unknown ids, true (default) passes them", () => {
    const unknown = observation({ known: false, observationId: 999, name: "Observation999" });
    assert.equal(new ObservationPipeline({ includeUnknown: false }).accept(unknown), undefined);
    assert.equal(new ObservationPipeline().accept(unknown)?.easee.name, "Observation999");
  });

  it("drops and counts deliveries older than maxAgeSeconds by ArrivalTime", () => {
    const now = Date.parse("2026-11-25T10:00:00.000Z");
    const pipeline = new ObservationPipeline({ maxAgeSeconds: 60, now: () => now });
    assert.equal(pipeline.accept(observation({ arrivalTime: "2026-11-25T09:58:00.000Z" })), undefined);
    assert.equal(pipeline.accept(observation({ arrivalTime: "2026-11-25T09:57:00.000Z" })), undefined);
    assert.ok(pipeline.accept(observation({ arrivalTime: "2026-11-25T09:59:30.000Z" })));
    assert.ok(pipeline.accept(observation()));
    assert.equal(pipeline.droppedOld, 2);
    assert.equal(pipeline.takeUnreportedDrops(), 2);
    assert.equal(pipeline.takeUnreportedDrops(), 0);
    assert.equal(pipeline.droppedOld, 2);
  });

  it("snapshot rebuilds fresh msgs: editing one does not change the next snapshot", () => {
    const pipeline = new ObservationPipeline({ topic: "t/{observationId}" });
    pipeline.accept(observation({ value: { a: 1 } }));
    pipeline.accept(observation({ observationId: 109, name: "ChargerOpMode", value: 3, label: "Charging" }));
    const first = pipeline.snapshot();
    assert.deepEqual(
      first.map((m) => m.topic),
      ["t/109", "t/120"],
    );
    (first[1]?.payload as { a: number }).a = 2;
    first[0]!.easee.label = "changed";
    const second = pipeline.snapshot();
    assert.deepEqual(second[1]?.payload, { a: 1 });
    assert.equal(second[0]?.easee.label, "Charging");
  });
});

describe("observations: runtime texts", () => {
  it("every status text in the catalogue is under 20 characters, even with the longest counts", () => {
    const status = lookup(readCatalogue("easee-observations"), "easee-observations.status") as unknown as Record<string, string>;
    for (const [key, text] of Object.entries(status)) {
      const filled = fillText(text, { rate: compactCount(999_499), dropped: compactCount(9999) });
      assert.ok(filled.length < 20, `${key}: "${filled}"`);
    }
  });
});
