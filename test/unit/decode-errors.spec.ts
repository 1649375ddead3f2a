/**
 * The decoder on bad input: it never throws, and says what is wrong in plain words with a short,
 * printable preview of the body.
 */
import assert from "node:assert/strict";
import { decodeDelivery, MAX_BODY_BYTES, PREVIEW_MAX_CHARS } from "../../core/decode";
import type { DecodedDelivery, DecodeError, DecodeProblemCode, RawDelivery } from "../../core/types";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { catalogueEntry } from "../../nodes/shared/i18n";
import { bytes, delivery, masterloop, SERIAL } from "./fixtures/deliveries";
import { englishDecodeError } from "../helpers/english";

function error(result: DecodedDelivery): DecodeError {
  assert.equal(result.kind, "error", `expected an error, got ${JSON.stringify(result)}`);
  // What a user reads (easee-observations words the code and data core reports).
  const e = { ...(result as DecodeError), reason: englishDecodeError(result as DecodeError) };
  assert.equal(typeof e.reason, "string");
  assert.ok(e.reason.length > 0);
  assert.ok(e.preview.length <= PREVIEW_MAX_CHARS, `preview of ${e.preview.length} characters`);
  return e;
}

function decodeError(raw: unknown): DecodeError {
  return error(decodeDelivery(raw as RawDelivery));
}

describe("decodeDelivery: bad input", () => {
  it("invalid JSON", () => {
    const e = decodeError(delivery("EH1.O.120", '{"Timestamp": "2026-11-25T10:00:00Z", "Value": 7.'));
    assert.equal(e.reason, "body is not valid JSON");
    assert.equal(e.preview, '{"Timestamp": "2026-11-25T10:00:00Z", "Value": 7.');
    assert.equal(e.routingKey, "EH1.O.120");
  });

  it("an empty body", () => {
    assert.equal(decodeError(delivery("EH1.O.120", Buffer.alloc(0))).reason, "body is empty");
  });

  it("JSON that is not an object", () => {
    assert.equal(decodeError(delivery("EH1.O.120", "null")).reason, "body is null, expected a JSON object");
    assert.equal(decodeError(delivery("EH1.O.120", "[1,2]")).reason, "body is an array, expected a JSON object");
    assert.equal(decodeError(delivery("EH1.O.120", "7.2")).reason, "body is a number, expected a JSON object");
    assert.equal(decodeError(delivery("EH1.O.120", '"7.2"')).reason, "body is a string, expected a JSON object");
  });

  it("missing fields", () => {
    assert.equal(decodeError(delivery("EH1.O.120", { Timestamp: "2026-11-25T10:00:00Z" })).reason, "body has no value (Value)");
    assert.match(decodeError(delivery("queue.x", { Value: 1 })).reason, /cannot tell what this is.*no charger id \(mid\) and observation id/);
    assert.match(decodeError(delivery("queue.x", { mid: SERIAL, value: "1" })).reason, /no observation id$/);
    assert.match(decodeError(delivery("queue.x", { id: 120, value: "1" })).reason, /no charger id \(mid\)$/);
    assert.equal(decodeError(delivery("EH1.CR.48", { WasAccepted: true })).reason, "command response has no charger serial");
  });

  it("wrong types", () => {
    assert.match(decodeError(delivery("x", { mid: SERIAL, id: { a: 1 }, value: "1" })).reason, /observation id .* is not a whole number/);
    assert.match(decodeError(delivery("x", { mid: SERIAL, id: -4, value: "1" })).reason, /not a whole number/);
    assert.match(decodeError(delivery("x", { mid: 123456, id: 120, value: "1" })).reason, /charger id \(mid\) is a number, expected text/);
    assert.match(decodeError(masterloop(120, { a: 1 })).reason, /observation 120: value \{"a":1\} is not a Double/);
    assert.match(decodeError(masterloop(103, "yes")).reason, /observation 103: value "yes" is not a Boolean/);
    assert.match(decodeError(masterloop(103, 2)).reason, /is not a Boolean/);
    assert.match(decodeError(masterloop(109, true)).reason, /is not an Integer/);
    assert.match(decodeError(masterloop(120, null)).reason, /value is null, expected a Double/);
    assert.match(decodeError(masterloop(25, "north")).reason, /is not a Position/);
    assert.match(decodeError(masterloop(25, "95,10")).reason, /is not a Position/);
    assert.match(decodeError(masterloop(25, { Latitude: 1 })).reason, /is not a Position/);
    assert.match(decodeError(delivery("x", { mid: SERIAL, id: 903, dataType: 7, value: "1,2,3" })).reason, /is not Statistics/);
    assert.match(decodeError(delivery("x", { mid: SERIAL, id: 904, dataType: 1, value: 5 })).reason, /is not Binary/);
    assert.match(decodeError(delivery("EH1.CR.48.1", { WasAccepted: true, ResultCode: "bad" })).reason, /ResultCode is not a number/);
  });

  for (const text of ["NaN", "Infinity", "-Infinity", "0x10", "12,5", "", " ", "1e999", "abc"]) {
    it(`the number text ${JSON.stringify(text)} is refused`, () => {
      assert.match(decodeError(delivery("x", { mid: SERIAL, id: 120, dataType: 3, value: text })).reason, /is not a Double \(expected a finite number\)/);
    });
  }

  it("binary (not UTF-8) bodies", () => {
    const e = decodeError(delivery("EH1.O.120", Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x41, 0x0a, 0xc3])));
    assert.equal(e.reason, "body is not UTF-8 text (binary data?)");
    assert.equal(e.preview, "\\xFF\\xFE\\x00\\x137A\\n\\xC3");
  });

  it("valid UTF-8 that is not JSON: printable text kept, control characters escaped", () => {
    const e = decodeError(delivery("EH1.O.120", Buffer.from("h\u00e9llo \u2603\u0007\t\u0000 \u{1F600}", "utf8")));
    assert.equal(e.reason, "body is not valid JSON");
    assert.equal(e.preview, "h\u00e9llo \u2603\\x07\\t\\x00 \u{1F600}");
  });

  it("a real U+FFFD in valid UTF-8 is not mistaken for binary", () => {
    const result = decodeDelivery(masterloop(118, "bad \uFFFD char"));
    assert.equal(result.kind, "observation");
  });

  it("a UTF-8 byte order mark is skipped", () => {
    const result = decodeDelivery(delivery("EH1.O.120", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes({ Value: 1 })])));
    assert.equal(result.kind, "observation");
  });

  it("huge bodies are refused before parsing, with a short preview", () => {
    const huge = Buffer.from(JSON.stringify({ Value: "x".repeat(MAX_BODY_BYTES) }));
    const started = process.hrtime.bigint();
    const e = decodeError(delivery("EH1.O.120", huge));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(e.reason, `body is too large (${huge.length} bytes; the limit is ${MAX_BODY_BYTES})`);
    assert.equal(e.preview.length, PREVIEW_MAX_CHARS);
    assert.ok(e.preview.endsWith("…"));
    assert.ok(elapsedMs < 50, `took ${elapsedMs} ms`);
    // Just under the limit is still decoded.
    const big = Buffer.from(JSON.stringify({ Value: "y".repeat(MAX_BODY_BYTES - 100) }));
    assert.equal(decodeDelivery(delivery("EH1.O.118", big)).kind, "observation");
  });

  it("deep nesting is refused (it would break Node-RED's msg cloning later)", () => {
    const deep = (n: number): string => '{"Value":' + "[".repeat(n) + "]".repeat(n) + "}";
    assert.match(decodeError(delivery("EH1.O.129", deep(100))).reason, /nested more than 32 levels/);
    assert.match(decodeError(delivery("EH1.O.129", deep(100_000))).reason, /nested more than 32 levels/);
    // Brackets inside strings do not count.
    assert.equal(decodeDelivery(delivery("EH1.O.118", { Value: "[".repeat(100) })).kind, "observation");
    // Nesting within the limit is fine.
    assert.equal(decodeDelivery(delivery("EH1.O.129", deep(20))).kind, "observation");
  });

  it("__proto__ and constructor keys do not touch Object.prototype", () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const bodies = [
      '{"__proto__": {"polluted": true}, "Value": 1}',
      '{"mid": "EH1", "id": 62, "dataType": 6, "value": "{\\"__proto__\\": {\\"polluted\\": true}}"}',
      '{"constructor": {"prototype": {"polluted": true}}, "Value": {"__proto__": {"polluted": true}}}',
      '{"__proto__": {"Value": 5}, "Timestamp": "2026-11-25T10:00:00Z"}',
    ];
    const results = bodies.map((body) => decodeDelivery(delivery("EH1.O.62", body, { __proto__: { ArrivalTime: 1 } })));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).Value, undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
    // A "__proto__" key is never taken for the Value field.
    assert.equal(results[3].kind, "error");
    // The JSON-string value keeps its "__proto__" as plain data.
    const value = (results[1] as { value?: unknown }).value as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  });

  it("not a delivery at all", () => {
    for (const raw of [null, undefined, 42, "EH1.O.120"]) {
      const e = decodeError(raw);
      assert.equal(e.reason, "no delivery given");
      assert.equal(e.routingKey, "");
    }
  });

  it("a body that is not bytes", () => {
    assert.equal(decodeError({ routingKey: "EH1.O.120" }).reason, "body is missing, expected bytes");
    assert.equal(decodeError({ routingKey: "EH1.O.120", body: 12 }).reason, "body is a number, expected bytes");
    assert.equal(decodeError({ routingKey: "EH1.O.120", body: { Value: 1 } }).reason, "body is an object, expected bytes");
    // Text bodies are accepted.
    assert.equal(decodeDelivery({ routingKey: "EH1.O.120", body: '{"Value":1}' } as unknown as RawDelivery).kind, "observation");
  });

  it("odd routing keys and headers", () => {
    assert.equal(decodeError({ routingKey: 5, body: bytes({ Value: 1 }) }).routingKey, "");
    for (const rk of ["", ".O.120", "EH1.O.", "EH1.O.12a", "EH1.O.99999999999", "EH1.X.120", "EH1.CR.48.", "EH1.CR.x.1", "EH1.CR.48.12a"]) {
      decodeError(delivery(rk, { Value: 1 }));
    }
    for (const headers of [null, [], "ArrivalTime", { ArrivalTime: { nested: true } }, { ArrivalTime: [1] }, { ArrivalTime: Symbol("x") }]) {
      const result = decodeDelivery({ routingKey: "EH1.O.120", headers, body: bytes({ Value: 1 }) } as unknown as RawDelivery);
      assert.equal(result.kind, "observation");
      assert.ok(!("arrivalTime" in result));
    }
  });

  it("previews are at most 200 characters and end with … when cut", () => {
    const long = decodeError(delivery("EH1.O.120", "x".repeat(1000)));
    assert.equal(long.preview, "x".repeat(199) + "…");
    const escapes = decodeError(delivery("EH1.O.120", Buffer.alloc(1000, 0x01)));
    assert.ok(escapes.preview.length <= PREVIEW_MAX_CHARS);
    assert.ok(escapes.preview.startsWith("\\x01\\x01"));
    assert.ok(escapes.preview.endsWith("…"));
    assert.ok(!/\\x0?…$/.test(escapes.preview), "no escape is cut in half");
    const exact = decodeError(delivery("EH1.O.120", "y".repeat(200)));
    assert.equal(exact.preview, "y".repeat(200));
  });

  it("never throws, whatever the bytes (fuzz)", () => {
    // Deterministic pseudo-random bytes and mutations of real bodies.
    let seed = 12345;
    const next = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    };
    const samples = [
      bytes({ Timestamp: "2026-11-25T10:00:00Z", Value: 7.2 }),
      bytes({ mid: SERIAL, dataType: 4, id: 109, timestamp: "2024-01-02T16:25:33Z", value: "6" }),
      bytes({ Id: 48, WasAccepted: true, ResultCode: 0, Comment: "" }),
      bytes({ mid: SERIAL, dataType: 6, id: 129, value: '{"a":[1,2,{"b":null}]}' }),
    ];
    const keys = ["EH1.O.120", "EH1.O.109", "EH1.CR.48.638400000000000000", "x", "EH1.O.25", "EH1.O.108"];
    const kinds = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      let body: Buffer;
      if (i % 3 === 0) {
        body = Buffer.alloc(next() % 64);
        for (let k = 0; k < body.length; k++) body[k] = next() & 0xff;
      } else {
        body = Buffer.from(samples[i % samples.length]);
        // 0–2 mutations, half of them printable ASCII.
        for (let m = next() % 3; m > 0; m--) body[next() % body.length] = next() % 2 ? 0x20 + (next() % 95) : next() & 0xff;
      }
      const result = decodeDelivery({ routingKey: keys[i % keys.length], headers: { ArrivalTime: next() }, body });
      kinds.add(result.kind);
      if (result.kind === "error") {
        assert.ok(result.preview.length <= PREVIEW_MAX_CHARS);
        assert.ok(result.reason.length > 0);
      }
    }
    assert.ok(kinds.has("error") && kinds.has("observation"));
  });
});

/** Every decode problem code with its own words (a Record, so a new code that is missing here fails to compile). */
const DECODE_CODES: Record<DecodeProblemCode, true> = {
  "no-delivery": true, internal: true, "charger-id-too-long": true, "field-not-text": true, "field-not-whole": true,
  "response-no-charger": true, "response-no-command": true, "response-no-ticks": true, "response-no-accepted": true,
  "response-result-code": true, "body-empty": true, "body-too-large-bytes": true, "body-too-large-chars": true,
  "body-not-utf8": true, "body-not-bytes": true, "body-too-deep": true, "body-not-json": true, "body-not-object": true,
  "unknown-kind": true, "no-value": true, "not-boolean": true, "not-number": true, "not-string": true,
  "position-range": true, "position-format": true, "position-shape": true, "statistics-format": true,
  "statistics-fields": true, "not-statistics": true, "null-value": true, "value-too-long": true, "not-binary": true,
  "unknown-type": true, "hub-not-object": true, "hub-field-too-long": true, "hub-field-nested": true, "hub-not-observation": true,
};

describe("decode problems have their words in en-US, de and nb", () => {
  it("every code, field, type, missing part and data type", () => {
    for (const lang of ["en-US", "de", "nb"]) {
      const catalogue: Record<string, unknown> = JSON.parse(readFileSync(path.resolve(__dirname, `../../../locales/${lang}/easee-observations.json`), "utf8"));
      const keys = [
        ...Object.keys(DECODE_CODES).map((code) => `easee-observations.decode.${code}`),
        "easee-observations.decode.observation",
        ...["charger-id", "command-id", "observation-id", "charger-id-mid"].map((id) => `easee-observations.decode.field.${id}`),
        ...["null", "array", "object", "missing", "number", "string", "boolean"].map((id) => `easee-observations.decode.type.${id}`),
        ...["both", "observation-id", "charger-id-mid"].map((id) => `easee-observations.decode.missing.${id}`),
        ...["Integer", "Double", "Boolean", "String", "Position", "Statistics", "Binary"].map((id) => `easee-observations.decode.expected.${id}`),
      ];
      for (const key of keys) {
        const text = catalogueEntry(catalogue, key);
        assert.ok(typeof text === "string" && text.length > 0, `${lang}: ${key}`);
      }
    }
  });
});
