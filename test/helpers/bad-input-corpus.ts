/**
 * A generated corpus of malformed AMQP deliveries for the bad-input tests: every entry is something the decoder
 * must refuse (and the nodes must report once and acknowledge), never something it may accept.
 *
 * Deterministic (seeded), so a failure names an entry that can be regenerated. Each entry's routing key starts
 * with `EBAD<index>` as its first word (a charger-like serial: `E` and a letter, so the charger catalogue types the
 * values, as for a real charger; a serial the decoder cannot place gets no catalogue at all), so whatever reports it (a Catch msg's `msg.easee.routingKey`) says which
 * entry it was; the second word is `O` or `CR`, so the entry reaches a queue bound with `*.O.#` and `*.CR.#`.
 *
 * Categories: invalid JSON, NaN and Infinity, wrong field types, missing fields, top-level values that are not an
 * object, empty bodies, bodies of 1 MB, binary, unknown routing keys, deep nesting, `__proto__` / `constructor` /
 * `prototype` keys, control characters, broken bodies with nonsense headers, and (issue 12) hostile text: numbers
 * of thousands of digits ending in a non-digit (a backtracking regex took seconds on them) and charger ids longer
 * than any serial.
 *
 * `validOddDeliveries` adds the other side: deliveries that look hostile but are valid (a String observation
 * whose JSON text carries `__proto__` and `constructor` keys), which must arrive, unharmed and harmless.
 */

export const BAD_CATEGORIES = [
  "invalid-json",
  "nan-infinity",
  "wrong-types",
  "missing-fields",
  "not-an-object",
  "empty",
  "one-megabyte",
  "binary",
  "unknown-routing-key",
  "deep-nesting",
  "proto-keys",
  "control-characters",
  "bad-headers",
  "hostile-text",
] as const;

export type BadCategory = (typeof BAD_CATEGORIES)[number];

export interface CorpusDelivery {
  readonly index: number;
  readonly category: BadCategory;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly headers?: Record<string, unknown>;
  readonly contentType?: string;
}

export interface CorpusOptions {
  /** Entries in all (at least one per category). Default 10,000. */
  readonly size?: number;
  /** How many of them are 1 MB bodies (they cost broker memory and time). Default 12. */
  readonly megabyteBodies?: number;
  readonly seed?: number;
}

/** mulberry32: small, fast, good enough to vary test input reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The corpus index encoded in a routing key (`EBAD<index>.…`), or undefined. */
export function corpusIndexOf(routingKey: unknown): number | undefined {
  if (typeof routingKey !== "string") return undefined;
  const match = /^EBAD(\d+)\./.exec(routingKey);
  return match ? Number(match[1]) : undefined;
}

const NOW = "2026-11-25T10:00:00.000Z";
/** TotalPower, a Double: used wherever the value itself is what is wrong. */
const DOUBLE_ID = 120;

interface Shape {
  readonly suffix: string;
  readonly body: Buffer | string;
  readonly headers?: Record<string, unknown>;
  readonly contentType?: string;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomText(random: () => number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i += 1) out += String.fromCharCode(32 + Math.floor(random() * 95));
  return out;
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

type Generator = (random: () => number, serial: number) => Shape;

const O = `.O.${DOUBLE_ID}`;

const GENERATORS: Record<Exclude<BadCategory, "one-megabyte">, Generator> = {
  "invalid-json": (random) => {
    const junk = randomText(random, 1 + Math.floor(random() * 40));
    const body = pick(random, [
      `{"Timestamp": "${NOW}", "Value": 1`,
      `{"Value": 1,}`,
      `{'Value': 1}`,
      `{Value: 1}`,
      `{"Value": 01}`,
      `{"Value": .5}`,
      `{"Value": +1}`,
      `{"Value": "unterminated}`,
      `{"Value": 1}}`,
      `{"Value": 1} ${junk}`,
      `{"Value": 0x10}`,
      `undefined`,
      `{"Value": undefined}`,
      `{"Value": 1 "Timestamp": "${NOW}"}`,
      `{${junk}`,
      `<xml>${junk}</xml>`,
      `Value=1&Timestamp=${NOW}`,
      `x${junk}`,
    ]);
    return { suffix: O, body };
  },
  "nan-infinity": (random) => {
    const body = pick(random, [
      `{"Value": NaN}`,
      `{"Value": Infinity}`,
      `{"Value": -Infinity}`,
      `{"Value": "NaN"}`,
      `{"Value": "Infinity"}`,
      `{"Value": "-Infinity"}`,
      `{"Value": "1e999"}`,
      `{"Value": 1e999}`,
      `{"Value": -1e999}`,
      `{"Timestamp": "${NOW}", "Value": 1E400}`,
      `{"dataType": 3, "Value": "nan"}`,
      `{"DataType": "Double", "Value": "∞"}`,
    ]);
    return { suffix: O, body };
  },
  "wrong-types": (random) => {
    const body = pick(random, [
      `{"Value": true}`,
      `{"Value": null}`,
      `{"Value": {}}`,
      `{"Value": []}`,
      `{"Value": [7.2]}`,
      `{"Value": {"Value": 7.2}}`,
      `{"Value": "abc"}`,
      `{"Value": "7,2"}`,
      `{"Value": ""}`,
      `{"Value": " "}`,
      `{"Value": "0x1F"}`,
      `{"mid": 12345, "Value": 1}`,
      `{"mid": ["EH1"], "Value": 1}`,
      `{"ChargerId": {"id": "EH1"}, "Value": 1}`,
      `{"id": "abc", "Value": 1}`,
      `{"id": -3, "Value": 1}`,
      `{"id": 1.5, "Value": 1}`,
      `{"ObservationId": true, "Value": 1}`,
      `{"dataType": 3, "Value": "seven"}`,
      `{"dataType": "Double", "Value": {"a": 1}}`,
      `{"dataType": 2, "Value": "maybe"}`,
      `{"dataType": 4, "Value": "12.5.3"}`,
      `{"dataType": 5, "Value": "north,east"}`,
      `{"dataType": 7, "Value": "1,2,3"}`,
    ]);
    return { suffix: O, body };
  },
  "missing-fields": (random) => {
    const choice = pick(random, [
      { suffix: O, body: `{}` },
      { suffix: O, body: `{"Timestamp": "${NOW}"}` },
      { suffix: O, body: `{"Timestamp": "${NOW}", "Unit": "kW"}` },
      { suffix: O, body: `{"value_": 7.2}` },
      { suffix: ".O", body: `{"Value": 7.2}` },
      { suffix: ".O", body: `{"mid": "EH000001", "Value": 7.2}` },
      { suffix: ".O", body: `{"id": 120, "Value": 7.2}` },
      { suffix: ".O", body: `{"mid": "EH000001", "id": 120}` },
      { suffix: ".CR.48.638000000000000000", body: `{"Id": 48, "Timestamp": "${NOW}"}` },
      { suffix: ".CR.48.638000000000000000", body: `{"WasAccepted": "perhaps"}` },
      { suffix: ".CR.48", body: `{"WasAccepted": true}` },
    ]);
    return choice;
  },
  "not-an-object": (random) => ({
    suffix: O,
    body: pick(random, [`[]`, `[1, 2, 3]`, `[{"Value": 1}]`, `"Value"`, `42`, `-0.5`, `null`, `true`, `false`, `""`]),
  }),
  empty: (random) => ({ suffix: pick(random, [O, ".O", ".CR.1.2"]), body: pick(random, ["", "\uFEFF"]) }),
  binary: (random) => {
    const length = 1 + Math.floor(random() * 2000);
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) bytes[i] = Math.floor(random() * 256);
    // Starts with bytes that are never valid UTF-8, so this is binary whatever follows.
    bytes[0] = 0xff;
    if (length > 1) bytes[1] = 0xfe;
    return { suffix: O, body: bytes, contentType: "application/octet-stream" };
  },
  "unknown-routing-key": (random) => {
    const suffix = pick(random, [
      ".O",
      ".O.abc",
      ".O.120.extra",
      ".O.-5",
      ".O.1.5",
      ".O.9999999999",
      ".O.__proto__",
      ".O.constructor",
      ".O.120 ",
      ".CR",
      ".CR.x.y",
      ".CR.48",
      ".CR.48.abc",
    ]);
    return { suffix, body: pick(random, [`{"Value": 7.2}`, `{"Timestamp": "${NOW}", "Value": "1"}`, `{"Value": true}`]) };
  },
  "deep-nesting": (random) => {
    const depth = pick(random, [33, 40, 100, 1000, 5000, 20_000]);
    const body = pick(random, [
      `{"Value": ${nested(depth, "[", "]", "1")}}`,
      `{"Value": 1, "x": ${nested(depth, '{"a":', "}", "1")}}`,
      nested(depth, "[", "]", ""),
      `{"Value": "${"[".repeat(10)}", "y": ${nested(depth, "[", "]", "{}")}}`,
    ]);
    return { suffix: O, body };
  },
  "proto-keys": (random) => {
    const choice = pick(random, [
      { suffix: O, body: `{"__proto__": {"polluted": "yes", "Value": 7.2}}` },
      { suffix: O, body: `{"constructor": {"prototype": {"polluted": "yes"}}}` },
      { suffix: O, body: `{"__proto__": {"polluted": "yes"}, "Value": "NaN"}` },
      { suffix: O, body: `{"Value": {"__proto__": {"polluted": "yes"}}}` },
      { suffix: O, body: `{"Value": {"constructor": {"prototype": {"polluted": "yes"}}}}` },
      { suffix: O, body: `{"mid": {"__proto__": {"polluted": "yes"}}, "Value": 1}` },
      { suffix: O, body: `{"dataType": "__proto__", "Value": {"__proto__": {"polluted": "yes"}}}` },
      { suffix: O, body: `{"DataType": "constructor", "Value": "prototype"}` },
      { suffix: O, body: `{"prototype": {"polluted": "yes"}, "toString": "x", "valueOf": 1, "hasOwnProperty": "x"}` },
      { suffix: ".O", body: `{"id": "__proto__", "mid": "EH1", "Value": 1}` },
      { suffix: ".O", body: `{"id": "constructor", "mid": "__proto__", "Value": 1}` },
      { suffix: ".CR.48.1", body: `{"__proto__": {"WasAccepted": true}, "Id": 48}` },
    ]);
    return choice;
  },
  "control-characters": (random) => {
    // Not tab, line feed or carriage return: JSON allows those between tokens.
    const control = String.fromCharCode(pick(random, [0, 1, 2, 7, 8, 11, 12, 14, 27, 31]));
    const body = pick(random, [
      `{"Value": "7${control}2"}`,
      `{"Value": 7.2${control}}`,
      `\u0000{"Value": 7.2}`,
      `{"Value": "\\ud800"}`,
      `{"Value": "\\u0000"}`,
      `{"Value": "7.2\u2028"}`,
      `{"Val\u0000ue": 7.2}`,
    ]);
    return { suffix: O, body };
  },
  "bad-headers": (random) => {
    const headers = pick(random, [
      { ArrivalTime: { nested: { deeper: true } } },
      { ArrivalTime: "x".repeat(5000) },
      { arrivaltime: -1, ArrivalTIME: "yesterday" },
      { ArrivalTime: Number.MAX_SAFE_INTEGER },
      JSON.parse(`{"__proto__": "header", "constructor": "x", "ArrivalTime": "${NOW}"}`) as Record<string, unknown>,
    ]) as Record<string, unknown>;
    return { suffix: O, body: pick(random, [`{"Value": "seven"}`, `{"Value": }`, `[]`]), headers };
  },
  "hostile-text": (random) => {
    const length = 2000 + Math.floor(random() * 4000);
    const digits = "1".repeat(length);
    const body = pick(random, [
      `{"dataType": 3, "Value": "${digits}x"}`,
      `{"DataType": "Double", "Value": "${digits}e"}`,
      `{"dataType": 4, "Value": ".${digits}x"}`,
      `{"dataType": 2, "Value": "${digits}"}`,
      `{"dataType": 5, "Value": "${digits}x,${digits}x"}`,
      `{"mid": "${"E".repeat(length)}", "id": 120, "value": "7.2"}`,
      `{"ChargerId": "EH${"1".repeat(70)}", "Value": 7.2}`,
    ]);
    return { suffix: O, body };
  },
};

function megabyteBody(random: () => number, variant: number): Buffer {
  const size = 1024 * 1024;
  switch (variant % 3) {
    case 0:
      return Buffer.from(`{"Value": "${"a".repeat(size - 14)}"}`);
    case 1: {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) bytes[i] = Math.floor(random() * 256);
      bytes[0] = 0xff;
      return bytes;
    }
    default:
      return Buffer.from(nested(size / 2, "[", "]", ""));
  }
}

/**
 * The corpus: `size` deliveries over all categories (round robin, so each is well represented), of which
 * `megabyteBodies` are 1 MB.
 */
export function generateBadInputCorpus(options: CorpusOptions = {}): CorpusDelivery[] {
  const size = options.size ?? 10_000;
  const megabytes = Math.min(options.megabyteBodies ?? 12, size);
  const random = seededRandom(options.seed ?? 20261125);
  const regular = BAD_CATEGORIES.filter((category): category is Exclude<BadCategory, "one-megabyte"> => category !== "one-megabyte");
  const out: CorpusDelivery[] = [];
  for (let index = 0; index < size; index += 1) {
    const serial = `EBAD${index}`;
    if (index < megabytes) {
      out.push({ index, category: "one-megabyte", routingKey: `${serial}${O}`, body: megabyteBody(random, index) });
      continue;
    }
    const category = regular[index % regular.length] as Exclude<BadCategory, "one-megabyte">;
    const shape = GENERATORS[category](random, index);
    out.push({
      index,
      category,
      routingKey: `${serial}${shape.suffix}`,
      body: typeof shape.body === "string" ? Buffer.from(shape.body, "utf8") : shape.body,
      ...(shape.headers !== undefined ? { headers: shape.headers } : {}),
      ...(shape.contentType !== undefined ? { contentType: shape.contentType } : {}),
    });
  }
  return out;
}

/**
 * Valid deliveries that look hostile: a String observation (unknown id 999999, data type given in the body)
 * whose JSON text carries `__proto__`, `constructor` and `prototype` keys. The decoder hands out the parsed object
 * as the payload; nothing may end up on a prototype. `seq` identifies each.
 */
export function validOddDeliveries(count: number): { routingKey: string; body: Buffer; seq: number }[] {
  return Array.from({ length: count }, (_, seq) => ({
    routingKey: `EH999999.O.999999`,
    seq,
    body: Buffer.from(
      JSON.stringify({
        Timestamp: NOW,
        dataType: "String",
        Value: `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"seq":${seq}}`,
      }),
    ),
  }));
}

/** Counts per category, for reports. */
export function countByCategory(corpus: readonly CorpusDelivery[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of corpus) counts[entry.category] = (counts[entry.category] ?? 0) + 1;
  return counts;
}

/**
 * Hostile text shapes found in the issue 12 review (defect 2): texts that made a backtracking regular expression or
 * a quadratic loop take seconds to minutes. Each function returns texts of about `size` characters.
 * - `number`: digits that end in a non-digit (the old decimal check backtracked quadratically on them);
 * - `apiTitle`: an Easee error `title` repeating the start of the e-mail / rate-limit wordings without their end;
 * - `url`: an API URL whose path is slashes followed by something else (the trailing-slash trim was quadratic);
 * - `topic`: a Home Assistant topic root of slashes followed by something else;
 * - `list`: an editor list of many distinct tokens, and of spaces and dashes around digits.
 */
export const HOSTILE_TEXT_SHAPES = {
  number: (size: number): string[] => [
    "1".repeat(size) + "x",
    "1".repeat(size) + ".",
    "1".repeat(size) + "e",
    "." + "1".repeat(size) + "x",
    "1." + "1".repeat(size) + "e+x",
    "+" + "1".repeat(size / 2) + "." + "1".repeat(size / 2) + "ex",
  ],
  apiTitle: (size: number): string[] => [
    "email ".repeat(size / 6),
    "e-mail".repeat(size / 6),
    "email" + " ".repeat(size) + "x",
    "too" + " ".repeat(size) + "x",
    "too many ".repeat(size / 9),
    "not" + " ".repeat(size) + "x",
  ],
  url: (size: number): string[] => [
    "https://api.easee.com/" + "/".repeat(size) + "x",
    "https://api.easee.com" + "/".repeat(size),
    "https://" + "a".repeat(size),
    "http://127.0.0.1:1/" + "/a".repeat(size / 2),
  ],
  topic: (size: number): string[] => ["/".repeat(size) + "x", "x" + "/".repeat(size) + "x", "/".repeat(size)],
  list: (size: number): string[] => {
    const distinct: string[] = [];
    let length = 0;
    for (let i = 0; length < size; i += 1) {
      const token = `EH${i}`;
      distinct.push(token);
      length += token.length + 1;
    }
    return [
      distinct.join(","),
      "1" + " ".repeat(size) + "x",
      "1" + " ".repeat(size / 2) + "-" + " ".repeat(size / 2) + "x",
      "1".repeat(size) + "-x",
      "a".repeat(size) + "!",
    ];
  },
};

/**
 * Hostile sizes found in the issue 12 review (defect 7): values and ids that are each within the body limit, but
 * that pile up in memory (the snapshot cache and change tracker counted entries, not bytes) or are longer than
 * any charger serial.
 */
export const HOSTILE_SIZE_SHAPES = {
  /** `count` distinct chargers, each with a String value of `size` characters. */
  values: (size: number, count: number): { chargerId: string; value: string }[] =>
    Array.from({ length: count }, (_, i) => ({ chargerId: `EH${String(i).padStart(6, "0")}`, value: `${i}`.padEnd(size, "v") })),
  /** Charger ids longer than any serial (a serial is 8 characters). */
  chargerIds: (): string[] => ["E".repeat(65), "E".repeat(10_000), "E".repeat(200_000)],
};
