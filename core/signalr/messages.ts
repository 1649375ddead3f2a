/**
 * Easee's SignalR hub messages → the decoder's results, so the SignalR stream hands nodes exactly what the AMQP
 * stream does (protocol-notes §1.4 and §2):
 * - `ProductUpdate` / `ChargerUpdate`: one object `{mid, dataType, id, timestamp, value: "<string>"}` (the decoder's
 *   shape 2);
 * - `CommandResponse`: `{SerialNumber, ID, Timestamp, DeliveredAt, WasAccepted, ResultCode, Comment, Ticks}`.
 * Pure and total: never throws. The SignalR client has parsed the frame already (its size is bounded by the socket's
 * maxPayload); only the known fields are copied, and only when they are plain text, numbers or booleans, so nothing
 * nested or large is ever turned back into text.
 */
import { decodeDelivery, previewOf, problemForm } from "../decode";
import type { DecodedDelivery, DecodeError, DecodeProblem } from "../types";

const OBSERVATION_FIELDS = ["mid", "Mid", "dataType", "DataType", "id", "Id", "timestamp", "Timestamp", "value", "Value"] as const;
const COMMAND_RESPONSE_FIELDS = [
  "SerialNumber",
  "serialNumber",
  "ID",
  "CommandId",
  "Timestamp",
  "timestamp",
  "DeliveredAt",
  "deliveredAt",
  "WasAccepted",
  "wasAccepted",
  "ResultCode",
  "resultCode",
  "Comment",
  "comment",
  "Ticks",
  "ticks",
] as const;
/** A field longer than this is not an Easee value (observation strings are short JSON at most). */
const MAX_FIELD_CHARS = 64 * 1024;

export type HubMethod = "ProductUpdate" | "ChargerUpdate" | "CommandResponse";
export const HUB_METHODS: readonly HubMethod[] = ["ProductUpdate", "ChargerUpdate", "CommandResponse"];

function hubError(method: HubMethod, problem: DecodeProblem, value: unknown): DecodeError {
  // `reason` is the developer form (`ProductUpdate hub-field-nested name=value type=object`); the node words `problem`.
  return {
    kind: "error",
    problem,
    method,
    reason: `${method} ${problemForm(problem)}`,
    preview: previewOf(safePreviewSource(value)),
    routingKey: "",
  };
}

/** The decode-text id of a JavaScript value's kind (`easee-observations.decode.type.<id>`). */
function kindOf(value: unknown): string {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}

/** Something previewOf can show without walking a hostile structure: a bounded copy of the top-level fields. */
function safePreviewSource(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return `[array of ${value.length}]`;
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const key of Object.keys(value)) {
    if (count++ >= 12) break;
    const field = (value as Record<string, unknown>)[key];
    out[key.slice(0, 40)] =
      field === null || typeof field !== "object" ? (typeof field === "string" ? field.slice(0, 200) : field) : "[…]";
  }
  return out;
}

/** A flat copy of the named fields, or the problem that prevents it. */
type FlatCopy = { readonly copy: Record<string, string | number | boolean | null> } | { readonly problem: DecodeProblem };

function flatCopy(value: unknown, fields: readonly string[]): FlatCopy {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { problem: { code: "hub-not-object", params: { type: kindOf(value) } } };
  }
  const source = value as Record<string, unknown>;
  const copy: Record<string, string | number | boolean | null> = {};
  for (const field of fields) {
    if (!Object.prototype.hasOwnProperty.call(source, field)) continue;
    const entry = source[field];
    if (entry === undefined) continue;
    if (typeof entry === "string") {
      if (entry.length > MAX_FIELD_CHARS) return { problem: { code: "hub-field-too-long", params: { name: field, length: entry.length } } };
      copy[field] = entry;
    } else if (entry === null || typeof entry === "number" || typeof entry === "boolean") {
      copy[field] = entry;
    } else {
      return { problem: { code: "hub-field-nested", params: { name: field, type: kindOf(entry) } } };
    }
  }
  return { copy };
}

/**
 * Decodes one argument of a hub method. The result carries no routing key (the hub has none): `routingKey` is
 * removed from observations and command responses, and is "" on errors.
 * @param receivedAtMs when it arrived (epoch ms).
 */
export function decodeHubMessage(method: HubMethod, argument: unknown, receivedAtMs?: number): DecodedDelivery {
  const flat = flatCopy(argument, method === "CommandResponse" ? COMMAND_RESPONSE_FIELDS : OBSERVATION_FIELDS);
  if ("problem" in flat) return hubError(method, flat.problem, argument);
  const { copy } = flat;
  if (method === "CommandResponse" && copy.WasAccepted === undefined && copy.wasAccepted === undefined) {
    return hubError(method, { code: "response-no-accepted" }, argument);
  }
  const decoded = decodeDelivery({ routingKey: "", body: Buffer.from(JSON.stringify(copy), "utf8") }, receivedAtMs);
  if (decoded.kind === "error") return { ...decoded, method, reason: `${method} ${decoded.reason}` };
  if (method !== "CommandResponse" && decoded.kind !== "observation") {
    return hubError(method, { code: "hub-not-observation" }, argument);
  }
  // A fresh object from the decoder, nobody else holds it yet: drop the empty routing key in place.
  delete (decoded as { routingKey?: string }).routingKey;
  return decoded;
}
