/**
 * The decoder: one AMQP delivery in, one observation, command response or decode error out.
 * Pure (no Node-RED, no I/O) and total: it never throws, whatever it is given.
 *
 * Shapes read (protocol-notes section 1):
 * 1. routing key `{serial}.O.{id}`, body `{"Timestamp": …, "Value": <typed>}` (Masterloop);
 * 2. body `{"mid", "dataType", "id", "timestamp", "value": "<string>"}` (SignalR ProductUpdate style),
 *    under any routing key;
 * 3. the same in PascalCase (`ChargerId`/`Mid`, `ObservationId`/`Id`, `DataType`, `Value`, `Timestamp`);
 * 4. routing key `{serial}.CR.{commandId}.{ticks}`, body `{Id, Timestamp, DeliveredAt, WasAccepted,
 *    ResultCode, Comment}` (either case) → a command response.
 * Body fields win over the routing key. The data type is the body's, else the catalogue's, else the
 * JSON value's own.
 *
 * This runs for every delivery, so the common path avoids regexes, exceptions (apart from the one
 * try around JSON.parse) and intermediate objects.
 */
import * as nodeBuffer from "node:buffer";
import { deviceKindOf, findObservationById, labelFor } from "../catalogue";
import type { ObservationDefinition } from "../catalogue/types";
import {
  DATA_TYPE_BY_CODE,
  type DataTypeName,
  type DecodedCommandResponse,
  type DecodedDelivery,
  type DecodedObservation,
  type DecodeError,
  type DecodeProblem,
  type RawDelivery,
} from "../types";
import { developerForm } from "../diagnostics";
import { MAX_NESTING, mayNestDeeperThan, nestsDeeperThan } from "./json";
import { previewOf } from "./preview";
import { isoOf, toEpochMs, toIso } from "./time";
import { CoercionFailure, coerceValue, inferDataType } from "./values";

export { previewOf, PREVIEW_MAX_CHARS } from "./preview";
export { MAX_NESTING } from "./json";

/** Bodies larger than this are refused before any parsing. Easee observations are well under 1 KiB. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Charger ids (serials) longer than this are refused: a serial is 8 characters (`EH123456`). A long id would
 * otherwise be kept in every snapshot cache, change tracker and Home Assistant device (issue 12).
 */
export const MAX_CHARGER_ID_CHARS = 64;

function chargerIdTooLong(chargerId: string, routingKey: string, body: unknown): DecodeError | undefined {
  if (chargerId.length <= MAX_CHARGER_ID_CHARS) return undefined;
  return fail({ code: "charger-id-too-long", params: { length: chargerId.length, max: MAX_CHARGER_ID_CHARS } }, routingKey, body);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Body = Record<string, unknown>;

// `buffer.isUtf8` exists from Node 18.14; older runtimes fall back to a strict TextDecoder.
const isUtf8: ((input: Uint8Array) => boolean) | undefined = (
  nodeBuffer as { isUtf8?: (input: Uint8Array) => boolean }
).isUtf8;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  if (isUtf8 !== undefined) return isUtf8(bytes);
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** `not-boolean value="x"`: a developer form of a problem for logs; the node words the problem itself. */
export function problemForm(problem: DecodeProblem): string {
  return developerForm([problem.code], problem.params);
}

function fail(problem: DecodeProblem, routingKey: string, body: unknown, observationId?: number): DecodeError {
  const error = { kind: "error" as const, problem, reason: problemForm(problem), preview: previewOf(body), routingKey };
  return observationId === undefined ? error : { ...error, observationId };
}

/** A type id the node words (`easee-observations.decode.type.<id>`). */
function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  return t === "undefined" ? "missing" : t;
}

// ---------------------------------------------------------------------------------------------
// Routing key. Parsed into module-level scratch variables: one delivery is decoded at a time, and
// this spares an object per delivery.

const RK_OTHER = 0;
const RK_OBSERVATION = 1;
const RK_COMMAND_RESPONSE = 2;
let rkKind = RK_OTHER;
/** Index of the first dot: the serial is `routingKey.slice(0, rkDot)`, cut only when needed. */
let rkDot = -1;
let rkId = -1;
let rkTicksStart = -1;

/** Value of the decimal digits in s[start, end), or -1 (none, a non-digit, or more than 9 digits). */
function parseDigits(s: string, start: number, end: number): number {
  if (end <= start || end - start > 9) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function allDigits(s: string, start: number): boolean {
  if (start >= s.length) return false;
  for (let i = start; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

function parseRoutingKey(rk: string): void {
  rkKind = RK_OTHER;
  rkDot = rk.indexOf(".");
  if (rkDot <= 0) return;
  const c1 = rk.charCodeAt(rkDot + 1);
  if (c1 === 79 && rk.charCodeAt(rkDot + 2) === 46) {
    // {serial}.O.{id}
    rkId = parseDigits(rk, rkDot + 3, rk.length);
    if (rkId >= 0) rkKind = RK_OBSERVATION;
  } else if (c1 === 67 && rk.charCodeAt(rkDot + 2) === 82 && rk.charCodeAt(rkDot + 3) === 46) {
    // {serial}.CR.{commandId}.{ticks}
    const dot = rk.indexOf(".", rkDot + 4);
    if (dot < 0) return;
    rkId = parseDigits(rk, rkDot + 4, dot);
    if (rkId >= 0 && allDigits(rk, dot + 1)) {
      rkTicksStart = dot + 1;
      rkKind = RK_COMMAND_RESPONSE;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Body fields. Plain property reads: JSON.parse makes own properties only (a "__proto__" key is an
// ordinary own property there), and a missing key reads as undefined.

/** Body fields a problem can name (locales `easee-observations.decode.field.<id>`). */
type FieldId = "charger-id" | "command-id" | "observation-id" | "charger-id-mid";

/** A non-empty string field; undefined when absent/null/""; a CoercionFailure for other types. */
function textField(value: unknown, field: FieldId): string | undefined | CoercionFailure {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  return new CoercionFailure("field-not-text", { field, type: describeType(value) });
}

/** A whole number ≥ 0 field (number or digit string); undefined when absent/null. */
function idField(value: unknown, field: FieldId): number | undefined | CoercionFailure {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === "string") {
    const n = parseDigits(value, 0, value.length);
    if (n >= 0) return n;
  }
  return new CoercionFailure("field-not-whole", { field, value: (JSON.stringify(value) ?? String(value)).slice(0, 120) });
}

const DATA_TYPE_BY_LOWER_NAME: ReadonlyMap<string, DataTypeName> = new Map(
  Object.values(DATA_TYPE_BY_CODE).map((name) => [name.toLowerCase(), name]),
);

/** The data type named by a body (code 1–7, "4", or a name in any case); undefined if unreadable. */
function dataTypeField(value: unknown): DataTypeName | undefined {
  if (typeof value === "number") return Object.prototype.hasOwnProperty.call(DATA_TYPE_BY_CODE, value) ? DATA_TYPE_BY_CODE[value] : undefined;
  if (typeof value !== "string") return undefined;
  if (value.length === 1) {
    const code = value.charCodeAt(0) - 48;
    return code >= 1 && code <= 7 ? DATA_TYPE_BY_CODE[code] : undefined;
  }
  return DATA_TYPE_BY_LOWER_NAME.get(value.toLowerCase());
}

function first(a: unknown, b: unknown): unknown {
  return a !== undefined ? a : b;
}

// ---------------------------------------------------------------------------------------------
// ArrivalTime header.

let arrivalMs = NaN;
let arrivalRaw: unknown;

function readArrivalTime(headers: unknown): void {
  arrivalMs = NaN;
  if (headers === null || typeof headers !== "object") return;
  const h = headers as Record<string, unknown>;
  let value = h.ArrivalTime;
  if (value === undefined) {
    // Header names are compared case-insensitively: brokers and bridges do not agree on case.
    for (const name in h) {
      if (name.length === 11 && name.toLowerCase() === "arrivaltime" && Object.prototype.hasOwnProperty.call(h, name)) {
        value = h[name];
        break;
      }
    }
    if (value === undefined) return;
  }
  arrivalRaw = value;
  arrivalMs = toEpochMs(value);
}

// ---------------------------------------------------------------------------------------------

function decodeCommandResponse(
  body: Body,
  routingKey: string,
  raw: RawDelivery,
  serialFromKey: string | undefined,
): DecodedDelivery {
  const chargerIdField = textField(first(first(body.SerialNumber, body.serialNumber), first(body.mid, body.Mid)), "charger-id");
  if (chargerIdField instanceof CoercionFailure) return fail(chargerIdField.problem, routingKey, raw.body);
  const chargerId = chargerIdField ?? serialFromKey;
  if (chargerId === undefined) return fail({ code: "response-no-charger" }, routingKey, raw.body);
  const tooLong = chargerIdTooLong(chargerId, routingKey, raw.body);
  if (tooLong !== undefined) return tooLong;

  const idValue = idField(first(first(body.Id, body.id), first(body.ID, body.CommandId)), "command-id");
  if (idValue instanceof CoercionFailure) return fail(idValue.problem, routingKey, raw.body);
  const commandId = idValue ?? (rkKind === RK_COMMAND_RESPONSE ? rkId : undefined);
  if (commandId === undefined) return fail({ code: "response-no-command" }, routingKey, raw.body);

  let ticks: string | undefined = rkKind === RK_COMMAND_RESPONSE ? routingKey.slice(rkTicksStart) : undefined;
  if (ticks === undefined) {
    const t = first(body.Ticks, body.ticks);
    if (typeof t === "string" && allDigits(t, 0)) ticks = t;
    else if (typeof t === "number" && Number.isInteger(t) && t >= 0) ticks = BigInt(t).toString();
  }
  if (ticks === undefined) return fail({ code: "response-no-ticks" }, routingKey, raw.body);

  const accepted = coerceValue("Boolean", first(body.WasAccepted, body.wasAccepted), 0);
  if (accepted instanceof CoercionFailure || typeof accepted !== "boolean") {
    return fail({ code: "response-no-accepted" }, routingKey, raw.body);
  }

  const result: Mutable<DecodedCommandResponse> = {
    kind: "commandResponse",
    chargerId,
    commandId,
    ticks,
    wasAccepted: accepted,
    routingKey,
  };
  const timestamp = toIso(first(body.Timestamp, body.timestamp));
  if (timestamp !== undefined) result.timestamp = timestamp;
  const deliveredAt = toIso(first(body.DeliveredAt, body.deliveredAt));
  if (deliveredAt !== undefined) result.deliveredAt = deliveredAt;
  const resultCodeRaw = first(body.ResultCode, body.resultCode);
  if (resultCodeRaw !== undefined && resultCodeRaw !== null) {
    const resultCode = coerceValue("Integer", resultCodeRaw, 0);
    if (typeof resultCode !== "number") return fail({ code: "response-result-code" }, routingKey, raw.body);
    result.resultCode = resultCode;
  }
  const comment = first(body.Comment, body.comment);
  if (typeof comment === "string") result.comment = comment;
  readArrivalTime(raw.headers);
  if (arrivalMs === arrivalMs) result.arrivalTime = isoOf(arrivalRaw, arrivalMs);
  return result;
}

function decodeBody(raw: RawDelivery, routingKey: string, receivedAtMs: number | undefined): DecodedDelivery {
  // --- bytes → text
  const bytes: unknown = raw.body;
  let text: string;
  if (bytes instanceof Uint8Array) {
    const size = bytes.byteLength;
    if (size === 0) return fail({ code: "body-empty" }, routingKey, bytes);
    if (size > MAX_BODY_BYTES) {
      return fail({ code: "body-too-large-bytes", params: { size, max: MAX_BODY_BYTES } }, routingKey, bytes);
    }
    text = Buffer.isBuffer(bytes)
      ? bytes.toString("utf8")
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    // A replacement character means invalid UTF-8 (or a real U+FFFD in the text): check properly.
    if (text.indexOf("\uFFFD") !== -1 && !isValidUtf8(bytes)) {
      return fail({ code: "body-not-utf8" }, routingKey, bytes);
    }
  } else if (typeof bytes === "string") {
    if (bytes.length === 0) return fail({ code: "body-empty" }, routingKey, bytes);
    if (bytes.length > MAX_BODY_BYTES) {
      return fail({ code: "body-too-large-chars", params: { size: bytes.length, max: MAX_BODY_BYTES } }, routingKey, bytes);
    }
    text = bytes;
  } else {
    return fail({ code: "body-not-bytes", params: { type: describeType(bytes) } }, routingKey, bytes);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark

  // --- text → JSON object
  if (mayNestDeeperThan(text, MAX_NESTING) && nestsDeeperThan(text, MAX_NESTING)) {
    return fail({ code: "body-too-deep", params: { max: MAX_NESTING } }, routingKey, bytes);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail({ code: "body-not-json" }, routingKey, bytes);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail({ code: "body-not-object", params: { type: describeType(parsed) } }, routingKey, bytes);
  }
  const body = parsed as Body;

  // --- what is it?
  parseRoutingKey(routingKey);
  if (rkKind === RK_COMMAND_RESPONSE) {
    return decodeCommandResponse(body, routingKey, raw, routingKey.slice(0, rkDot));
  }

  const idValue = idField(
    first(first(body.id, body.Id), first(body.ObservationId, body.observationId)),
    "observation-id",
  );
  if (idValue instanceof CoercionFailure) return fail(idValue.problem, routingKey, bytes);
  const chargerIdValue = textField(
    first(first(body.mid, body.Mid), first(body.ChargerId, body.chargerId)),
    "charger-id-mid",
  );
  if (chargerIdValue instanceof CoercionFailure) return fail(chargerIdValue.problem, routingKey, bytes);

  let observationId: number;
  let chargerId: string;
  if (rkKind === RK_OBSERVATION) {
    observationId = idValue ?? rkId;
    chargerId = chargerIdValue ?? routingKey.slice(0, rkDot);
  } else if (idValue !== undefined && chargerIdValue !== undefined) {
    observationId = idValue;
    chargerId = chargerIdValue;
  } else if (first(body.WasAccepted, body.wasAccepted) !== undefined) {
    // A command response that says what it is in its body (SignalR CommandResponse style).
    return decodeCommandResponse(body, routingKey, raw, undefined);
  } else {
    const missing = idValue === undefined && chargerIdValue === undefined ? "both" : idValue === undefined ? "observation-id" : "charger-id-mid";
    return fail({ code: "unknown-kind", params: { missing } }, routingKey, bytes);
  }

  const tooLong = chargerIdTooLong(chargerId, routingKey, bytes);
  if (tooLong !== undefined) return tooLong;

  const rawValue = first(body.value, body.Value);
  if (rawValue === undefined) return fail({ code: "no-value" }, routingKey, bytes);

  // Chargers and Equalizers number their observations in overlapping id spaces: the serial picks the table.
  const device = deviceKindOf(chargerId);
  const definition: ObservationDefinition | undefined = findObservationById(observationId, device);
  const dataType = dataTypeField(first(body.dataType, body.DataType)) ?? definition?.dataType ?? inferDataType(rawValue);
  // Only the charger's 108 (UserIDTokenReversed) arrives reversed.
  const value = coerceValue(dataType, rawValue, device === "charger" ? observationId : -1);
  if (value instanceof CoercionFailure) {
    return fail(value.problem, routingKey, bytes, observationId);
  }

  let result: Mutable<DecodedObservation>;
  if (definition !== undefined) {
    result = {
      kind: "observation",
      chargerId,
      observationId,
      name: definition.name,
      known: true,
      description: definition.description,
      dataType,
      unit: definition.unit,
      category: definition.category,
      value,
      routingKey,
      device,
    };
    if (definition.valueTable !== undefined) {
      const label = labelFor(definition, value);
      if (label !== undefined) result.label = label;
    }
  } else {
    result = {
      kind: "observation",
      chargerId,
      observationId,
      name: `Observation${observationId}`,
      known: false,
      description: "",
      dataType,
      unit: null,
      category: null,
      value,
      routingKey,
      device,
    };
  }

  const timestampRaw = first(body.timestamp, body.Timestamp);
  if (timestampRaw !== undefined && timestampRaw !== null) {
    const timestamp = toIso(timestampRaw);
    if (timestamp !== undefined) result.timestamp = timestamp;
  }
  readArrivalTime(raw.headers);
  if (arrivalMs === arrivalMs) {
    result.arrivalTime = isoOf(arrivalRaw, arrivalMs);
    const now = receivedAtMs === undefined ? Date.now() : receivedAtMs;
    // Negative when the clocks disagree; kept, since it tells the user exactly that.
    if (Number.isFinite(now)) result.latencyMs = Math.round(now - arrivalMs);
  }
  return result;
}

/**
 * Decodes one delivery. Never throws: anything it cannot read comes back as
 * `{ kind: "error", problem, reason, preview, routingKey }` with a problem code + data (worded by easee-observations) and at most
 * 200 characters of the body.
 * @param receivedAtMs when the delivery was received (epoch ms), for `latencyMs`; default now.
 */
export function decodeDelivery(raw: RawDelivery, receivedAtMs?: number): DecodedDelivery {
  let routingKey = "";
  try {
    if (raw === null || typeof raw !== "object") {
      return { kind: "error", problem: { code: "no-delivery" }, reason: "no-delivery", preview: "", routingKey };
    }
    routingKey = typeof raw.routingKey === "string" ? raw.routingKey : "";
    return decodeBody(raw, routingKey, receivedAtMs);
  } catch (err) {
    // Not expected; kept so a bug here can never take the consumer down.
    const detail = err instanceof Error ? err.message : String(err);
    let body: unknown;
    try {
      body = raw.body;
    } catch {
      body = undefined;
    }
    return fail({ code: "internal", params: { detail: detail.slice(0, 250) } }, routingKey, body);
  }
}
