/**
 * Turning a delivered value into the typed value of the contract, by Easee/Masterloop data type.
 * Values arrive either typed (Masterloop `{"Value": 7.2}`) or as text (SignalR style `"value": "7.2"`,
 * Masterloop's DataTypeStringConverter forms); both are read.
 */
import type { DataTypeName, DecodeProblem, DecodeProblemCode, ObservationValue } from "../types";
import { looksLikeJsonContainer, NOT_JSON, parseJson } from "./json";
import { toIso } from "./time";

/** Returned (not thrown) when a value cannot be read as its data type. */
export class CoercionFailure {
  readonly problem: DecodeProblem;
  constructor(code: DecodeProblemCode, params?: Readonly<Record<string, string | number>>) {
    this.problem = params === undefined ? { code } : { code, params };
  }
}

/** Observation 108 arrives with its characters in reverse order. */
export const USER_ID_TOKEN_REVERSED = 108;

/**
 * Longest text read as a number, Boolean, Position or Statistics. A Double in invariant culture is at most ~25
 * characters, Statistics eight of them with two times; anything longer is refused before it is scanned.
 */
export const MAX_VALUE_TEXT_CHARS = 1024;

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Invariant-culture decimal, as Masterloop writes Doubles: `[+-]digits[.digits][e[+-]digits]` or `[+-].digits…`;
 * no hex/octal/binary, no thousands separators, no "Infinity"/"NaN". One pass over the text: a regular expression
 * for this backtracked quadratically on a long digit string ending in a non-digit (issue 12).
 */
function isDecimal(s: string): boolean {
  const len = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  let mantissaDigits = 0;
  while (i < len && isDigitCode(s.charCodeAt(i))) {
    i++;
    mantissaDigits++;
  }
  if (i < len && s.charCodeAt(i) === 46) {
    i++;
    while (i < len && isDigitCode(s.charCodeAt(i))) {
      i++;
      mantissaDigits++;
    }
  }
  if (mantissaDigits === 0) return false;
  if (i < len) {
    c = s.charCodeAt(i);
    if (c !== 101 && c !== 69) return false;
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const start = i;
    while (i < len && isDigitCode(s.charCodeAt(i))) i++;
    if (i === start) return false;
  }
  return i === len;
}

function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? text.slice(0, 57) + "…" : text;
}

/** A finite number from a number or a decimal string, else NaN. */
export function toFiniteNumber(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : NaN;
  if (typeof value !== "string" || value.length > MAX_VALUE_TEXT_CHARS) return NaN;
  let s = value;
  // .NET's Float style allows surrounding white space; trimming only when present avoids a copy.
  if (s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32)) s = s.trim();
  if (!isDecimal(s)) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

function toBoolean(value: unknown): boolean | CoercionFailure {
  switch (value) {
    case true:
    case 1:
    case "1":
    case "true":
    case "True":
      return true;
    case false:
    case 0:
    case "0":
    case "false":
    case "False":
      return false;
    default:
      if (typeof value === "string") {
        const s = value.trim().toLowerCase();
        if (s === "true" || s === "1") return true;
        if (s === "false" || s === "0") return false;
      }
      return new CoercionFailure("not-boolean", { value: quote(value) });
  }
}

function toNumber(value: unknown, dataType: "Integer" | "Double"): number | CoercionFailure {
  const n = toFiniteNumber(value);
  if (n === n) return n;
  return new CoercionFailure("not-number", { value: quote(value), expected: dataType });
}

function reverseText(text: string): string {
  // By code point, so a token with characters outside the BMP is not torn apart.
  return Array.from(text).reverse().join("");
}

function toStringValue(value: unknown, observationId: number): ObservationValue | CoercionFailure {
  if (typeof value === "string") {
    if (observationId === USER_ID_TOKEN_REVERSED) return reverseText(value);
    if (looksLikeJsonContainer(value)) {
      // JSON carried as text (ChargingSchedule, ChargingSession, SelfTestDetails, …): hand out the
      // object. Text that only looks like JSON stays text.
      const parsed = parseJson(value);
      if (parsed !== NOT_JSON && parsed !== null && typeof parsed === "object") return parsed as ObservationValue;
    }
    return value;
  }
  if (value === null) return null;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  // Already structured (a body that embeds the JSON instead of quoting it): keep it.
  if (typeof value === "object") return value as ObservationValue;
  return new CoercionFailure("not-string", { value: quote(value) });
}

/** Reads the first of `names` present on `source`, else undefined. */
function pick(source: Record<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(source, name)) return source[name];
  }
  return undefined;
}

const LAT = ["lat", "Latitude", "latitude"];
const LON = ["lon", "Longitude", "longitude", "lng"];
const ALT = ["alt", "Altitude", "altitude"];
const DOP = ["dop", "DOP", "Dop", "Quality", "quality"];

function positionFrom(lat: number, lon: number, alt: number, dop: number, raw: unknown): ObservationValue | CoercionFailure {
  if (lat !== lat || lon !== lon || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return new CoercionFailure("position-range", { value: quote(raw) });
  }
  const position: { lat: number; lon: number; alt?: number; dop?: number } = { lat, lon };
  if (alt === alt) position.alt = alt;
  if (dop === dop) position.dop = dop;
  return position;
}

function toPosition(value: unknown): ObservationValue | CoercionFailure {
  if (typeof value === "string") {
    const parts = value.split(",");
    if (parts.length < 2 || parts.length > 4) {
      return new CoercionFailure("position-format", { value: quote(value) });
    }
    const alt = parts.length > 2 ? toFiniteNumber(parts[2]) : NaN;
    const dop = parts.length > 3 ? toFiniteNumber(parts[3]) : NaN;
    if ((parts.length > 2 && alt !== alt) || (parts.length > 3 && dop !== dop)) {
      return new CoercionFailure("position-format", { value: quote(value) });
    }
    return positionFrom(toFiniteNumber(parts[0]), toFiniteNumber(parts[1]), alt, dop, value);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const source = value as Record<string, unknown>;
    const altRaw = pick(source, ALT);
    const dopRaw = pick(source, DOP);
    const alt = altRaw === undefined || altRaw === null ? NaN : toFiniteNumber(altRaw);
    const dop = dopRaw === undefined || dopRaw === null ? NaN : toFiniteNumber(dopRaw);
    return positionFrom(toFiniteNumber(pick(source, LAT)), toFiniteNumber(pick(source, LON)), alt, dop, value);
  }
  return new CoercionFailure("position-shape", { value: quote(value) });
}

interface Statistics {
  count: number;
  mean: number;
  min: number;
  max: number;
  from: string | null;
  to: string | null;
  stddev: number | null;
  median: number | null;
}

function optionalNumber(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === "") return null;
  const n = toFiniteNumber(value);
  return n === n ? n : undefined;
}

function optionalTime(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === "") return null;
  return toIso(value);
}

function statisticsFrom(fields: readonly unknown[], raw: unknown): ObservationValue | CoercionFailure {
  const count = toFiniteNumber(fields[0]);
  const mean = toFiniteNumber(fields[1]);
  const min = toFiniteNumber(fields[2]);
  const max = toFiniteNumber(fields[3]);
  const from = optionalTime(fields[4]);
  const to = optionalTime(fields[5]);
  const stddev = optionalNumber(fields[6]);
  const median = optionalNumber(fields[7]);
  if (
    count !== count || !Number.isInteger(count) || mean !== mean || min !== min || max !== max ||
    from === undefined || to === undefined || stddev === undefined || median === undefined
  ) {
    return new CoercionFailure("statistics-format", { value: quote(raw) });
  }
  const statistics: Statistics = { count, mean, min, max, from, to, stddev, median };
  return statistics as unknown as ObservationValue;
}

const STAT_FIELDS: readonly (readonly string[])[] = [
  ["count", "Count"],
  ["mean", "Mean"],
  ["min", "Minimum", "minimum", "Min"],
  ["max", "Maximum", "maximum", "Max"],
  ["from", "From"],
  ["to", "To"],
  ["stddev", "StdDev", "stdDev"],
  ["median", "Median"],
];

function toStatistics(value: unknown): ObservationValue | CoercionFailure {
  if (typeof value === "string") {
    const parts = value.split(",");
    if (parts.length !== 8) {
      return new CoercionFailure("statistics-fields", { value: quote(value) });
    }
    return statisticsFrom(parts, value);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const source = value as Record<string, unknown>;
    return statisticsFrom(STAT_FIELDS.map((names) => pick(source, names)), value);
  }
  return new CoercionFailure("not-statistics", { value: quote(value) });
}

/** The data type a bare JSON value would have, for ids the catalogue does not know. */
export function inferDataType(value: unknown): DataTypeName {
  switch (typeof value) {
    case "boolean":
      return "Boolean";
    case "number":
      return Number.isInteger(value) ? "Integer" : "Double";
    case "object":
      if (value !== null && !Array.isArray(value)) {
        const source = value as Record<string, unknown>;
        if (pick(source, LAT) !== undefined && pick(source, LON) !== undefined) return "Position";
      }
      return "String";
    default:
      return "String";
  }
}

/** The typed value, or a CoercionFailure saying why it cannot be one. */
export function coerceValue(
  dataType: DataTypeName,
  value: unknown,
  observationId: number,
): ObservationValue | CoercionFailure {
  if (value === null && dataType !== "String" && dataType !== "Binary") {
    return new CoercionFailure("null-value", { expected: dataType });
  }
  // Bounded before any parsing: a 200 KB "number" must cost nothing (issue 12). Strings and Binary stay whole
  // (the body limit bounds them; JSON text is parsed by JSON.parse, which is linear).
  if (typeof value === "string" && value.length > MAX_VALUE_TEXT_CHARS && dataType !== "String" && dataType !== "Binary") {
    return new CoercionFailure("value-too-long", { expected: dataType, length: value.length, max: MAX_VALUE_TEXT_CHARS });
  }
  switch (dataType) {
    case "Double":
    case "Integer":
      return toNumber(value, dataType);
    case "Boolean":
      return toBoolean(value);
    case "String":
      return toStringValue(value, observationId);
    case "Position":
      return toPosition(value);
    case "Statistics":
      return toStatistics(value);
    case "Binary":
      // Base64 text, passed on as is: decoding it would make a Buffer, which is not JSON-safe.
      if (typeof value === "string" || value === null) return value;
      return new CoercionFailure("not-binary", { value: quote(value) });
    default:
      return new CoercionFailure("unknown-type", { value: quote(dataType) });
  }
}
