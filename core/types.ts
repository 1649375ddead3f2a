/**
 * Types shared by the pure core, the Node-RED nodes and the simulator.
 * Nothing here imports Node-RED; the shapes mirror the public contract (CONTRACT.md).
 */
import type { DeviceKind } from "./catalogue/devices";
import { messageOf } from "./diagnostics";

/** Easee/Masterloop data type names, as the contract spells them in `msg.easee.dataType`. */
export type DataTypeName = "Binary" | "Boolean" | "Double" | "Integer" | "Position" | "String" | "Statistics";

/** The numeric DataType codes used by the SignalR-style body (`dataType: 4`). */
export const DATA_TYPE_BY_CODE: Readonly<Record<number, DataTypeName>> = {
  1: "Binary",
  2: "Boolean",
  3: "Double",
  4: "Integer",
  5: "Position",
  6: "String",
  7: "Statistics",
};

export type ObservationCategory = "boot" | "event" | "telemetry" | "debug" | "poll";

export type ObservationUnit = "kW" | "kWh" | "kvar" | "kvarh" | "A" | "V" | "mV" | "dBm" | "°C" | "%" | "ms" | "h" | "s";

/** A decoded observation value: JSON-safe so Node-RED can clone msgs that carry it. */
export type ObservationValue =
  | number
  | boolean
  | string
  | null
  | { readonly [key: string]: unknown }
  | readonly unknown[];

/** One observation, decoded. Maps one to one onto `msg.easee` plus `msg.payload` (= `value`). */
export interface DecodedObservation {
  readonly kind: "observation";
  readonly chargerId: string;
  readonly observationId: number;
  /** Catalogue name, or `Observation<id>` when the id is unknown. */
  readonly name: string;
  readonly known: boolean;
  readonly description: string;
  readonly dataType: DataTypeName;
  readonly unit: ObservationUnit | null;
  readonly category: ObservationCategory | null;
  readonly value: ObservationValue;
  /** Enum label where the observation has a value table and the value is in it. */
  readonly label?: string;
  /** Device time, ISO 8601. */
  readonly timestamp?: string;
  /** `ArrivalTime` header (cloud arrival), ISO 8601. */
  readonly arrivalTime?: string;
  /** Receive time minus arrivalTime, milliseconds. */
  readonly latencyMs?: number;
  /** The AMQP routing key; absent for observations from the SignalR stream (it has none). */
  readonly routingKey?: string;
  /**
   * The device kind the serial names (`QH…` Equalizer, `E…` charger), which picked the catalogue table.
   * The decoder always sets it; observations made elsewhere may leave it out (then it is derived from the serial).
   */
  readonly device?: DeviceKind;
  /**
   * True for a value the SignalR hub replayed on `SubscribeWithCurrentState` (the charger's last known value, with
   * its old device timestamp), not a live report. Absent otherwise.
   */
  readonly replay?: boolean;
}

/** A command response from a charger (`{serial}.CR.{commandId}.{ticks}`). */
export interface DecodedCommandResponse {
  readonly kind: "commandResponse";
  readonly chargerId: string;
  readonly commandId: number;
  /** .NET ticks of the command, as a decimal string (too large for a JS number). */
  readonly ticks: string;
  readonly timestamp?: string;
  readonly deliveredAt?: string;
  readonly wasAccepted: boolean;
  readonly resultCode?: number;
  readonly comment?: string;
  /**
   * Easee's REST API answered that the charger already has this setting, so nothing was sent to it (SignalR
   * accounts): this response is ours, not the charger's. easee-command words it as the comment.
   */
  readonly unchanged?: true;
  readonly arrivalTime?: string;
  /** The AMQP routing key; absent for responses from the SignalR stream. */
  readonly routingKey?: string;
}

/** Why a delivery could not be decoded (locales: `easee-observations.decode.<code>`, worded by the node). */
export type DecodeProblemCode =
  | "no-delivery" | "internal" | "charger-id-too-long" | "field-not-text" | "field-not-whole"
  | "response-no-charger" | "response-no-command" | "response-no-ticks" | "response-no-accepted" | "response-result-code"
  | "body-empty" | "body-too-large-bytes" | "body-too-large-chars" | "body-not-utf8" | "body-not-bytes" | "body-too-deep"
  | "body-not-json" | "body-not-object" | "unknown-kind" | "no-value"
  | "not-boolean" | "not-number" | "not-string" | "position-range" | "position-format" | "position-shape"
  | "statistics-format" | "statistics-fields" | "not-statistics" | "null-value" | "value-too-long" | "not-binary"
  | "unknown-type"
  /** SignalR hub messages: not an object (`type`), a field too long (`name`, `length`) or nested (`name`, `type`). */
  | "hub-not-object" | "hub-field-too-long" | "hub-field-nested" | "hub-not-observation";

/**
 * A decode problem and its data. Params named `field` (`decode.field.<id>`), `type` (`decode.type.<id>`),
 * `missing` (`decode.missing.<id>`) and `expected` (a data type: `decode.expected.<name>`) are ids the node words
 * first; `value` is a quoted, cut excerpt of the delivery.
 */
export interface DecodeProblem {
  readonly code: DecodeProblemCode;
  readonly params?: Readonly<Record<string, string | number>>;
}

/** A delivery that could not be decoded. Never thrown: returned. */
export interface DecodeError {
  readonly kind: "error";
  /** What went wrong, as a code and data: the node words it (easee-observations.decode.*). */
  readonly problem: DecodeProblem;
  /** The observation whose value was unreadable, when known (the text says "observation N: …"). */
  readonly observationId?: number;
  /** The SignalR hub method the message came with (the text starts "ProductUpdate: …"). */
  readonly method?: string;
  /** A developer form of the problem for logs (`body-not-json`, `not-boolean value="x"`), no sentence. */
  readonly reason: string;
  /** At most 200 characters of the body (binary shown as escaped text). */
  readonly preview: string;
  readonly routingKey: string;
}

export type DecodedDelivery = DecodedObservation | DecodedCommandResponse | DecodeError;

/** What the decoder is given: one AMQP delivery, with no amqplib types. */
export interface RawDelivery {
  readonly routingKey: string;
  /** AMQP message headers (`ArrivalTime` lives here). */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** AMQP `timestamp` property (amqplib gives seconds since the epoch). */
  readonly timestamp?: number;
  readonly contentType?: string;
  readonly body: Uint8Array;
}

/** Connection state the config node reports to every node that uses it. */
export type ConnectionPhase = "connecting" | "connected" | "disconnected" | "error";

/**
 * Why the connection is in its phase, as a code: core says what happened, the nodes (nodes/shared/status.ts) turn
 * it into a short translated status text. English and i18n keys live only in locales/ and nodes/.
 */
export type StatusReason =
  | "connecting"
  | "connected"
  | "disconnected"
  | "blocked"
  | "queue-shared"
  | "idle"
  | "wrong-password"
  | "email-not-verified"
  | "not-integration"
  | "rate-limited"
  | "login-limit"
  | "api-unreachable"
  | "api-error"
  | "invalid-url"
  | "no-credentials"
  | "invalid-settings"
  | "access-refused"
  | "broker-unreachable"
  | "queue-not-found"
  | "hub-unreachable"
  | "hub-refused"
  | "invalid-hub-url";

export interface ConnectionState {
  readonly phase: ConnectionPhase;
  /** Reason code of the state; the nodes show it as a short status text (under 20 characters) in the user's language. */
  readonly reason: StatusReason;
  /** What exactly happened, as a code and its data (the nodes word it); never containing a secret. */
  readonly detail?: StatusDetail;
}

/** What an EaseeApiError says, as a text id (locales `easee-config.api.text.<id>`). */
export type ApiTextId =
  | "cancelled"
  | "missing-credentials"
  | "not-command-path"
  | "unexpected-problem"
  | "login-limit"
  | "fresh-token-refused"
  | "rate-limited"
  | "server-error"
  | "not-easee"
  | "redirect"
  | "email-not-verified"
  | "wrong-credentials"
  | "no-login"
  | "not-integration"
  | "url-too-long"
  | "url-not-valid"
  | "url-scheme"
  | "url-credentials"
  | "url-query"
  | "url-invalid"
  | "too-large"
  | "unreachable"
  | "command-rate-limited"
  | "command-refused"
  | "command-server-error"
  | "command-not-taken";

/** Which request a `not-easee` text is about (locales `easee-config.api.request.<id>`). */
export type ApiRequestId = "login" | "refresh" | "amqp-details" | "chargers";

/**
 * The text of an error: its id and the data it needs. `request` is an ApiRequestId and `network` a network error
 * code (or ""): the node words both before filling them in.
 */
export interface ApiText {
  readonly id: ApiTextId;
  readonly params?: Readonly<Record<string, string | number>>;
}

/**
 * The explanation of a connection state: a code (locales: `easee-config.detail.<code>`) and the data its sentence
 * needs. `message` carries a text core did not write (a library's error, an already translated sentence) as it is.
 */
export type StatusDetail =
  | { readonly code: "message"; readonly params: { readonly message: string } }
  | { readonly code: "consuming"; readonly params: { readonly queue: string; readonly where: string } }
  | { readonly code: "amqp-closed"; readonly params: { readonly seconds: number }; readonly cause: CloseReason }
  /** An Easee API error (core/easee-api ApiText): worded from `easee-config.api.text.<id>`. */
  | { readonly code: "api"; readonly text: ApiText }
  /** `text` (an Easee API error) or `message` (any other error), then when the next try is. */
  | { readonly code: "api-retry"; readonly params: { readonly message: string; readonly delay: string }; readonly text?: ApiText }
  | { readonly code: "blocked"; readonly params: { readonly reason: string } }
  | { readonly code: "no-consumer" }
  | { readonly code: "access-refused"; readonly params: { readonly where: string } }
  | { readonly code: "broker-unreachable"; readonly params: { readonly where: string; readonly reason: string } }
  /** The broker did not complete the connection within `seconds`. */
  | { readonly code: "broker-timeout"; readonly params: { readonly where: string; readonly seconds: number } }
  | { readonly code: "queue-not-found"; readonly params: { readonly queue: string } }
  | { readonly code: "cannot-consume"; readonly params: { readonly queue: string; readonly reason: string } }
  | { readonly code: "hub-subscribed"; readonly params: { readonly subscribed: number; readonly chargers: number } }
  | { readonly code: "hub-closed"; readonly params: { readonly delay: string }; readonly cause: CloseReason }
  | { readonly code: "hub-refused"; readonly params: { readonly status: number; readonly delay: string } }
  | { readonly code: "hub-rate-limited"; readonly params: { readonly delay: string } }
  | { readonly code: "hub-unreachable"; readonly params: { readonly host: string; readonly reason: string; readonly delay: string } };

/**
 * Why a connection (to the broker or the hub) closed: the library's words as they are (`error`), or ours as a code
 * (the nodes word it from `easee-config.close.<code>`).
 */
export type CloseReason =
  | { readonly code: "error"; readonly message: string }
  /** Closed by the other side without an error. */
  | { readonly code: "closed" }
  /** We closed it and the broker did not answer the close within `ms`: the socket was destroyed. */
  | { readonly code: "unanswered"; readonly ms: number }
  /** Stopped on purpose (redeploy, no subscriber left). */
  | { readonly code: "stopped" };

/** The close reason of an error given with a close event (none: closed without an error). */
export function closeReasonOf(error: unknown): CloseReason {
  if (error === undefined || error === null) return { code: "closed" };
  return { code: "error", message: messageOf(error) };
}

/** A detail carrying a text as it is (see StatusDetail `message`). */
export function messageDetail(message: string): StatusDetail {
  return { code: "message", params: { message } };
}

/** The detail of a failure: an Easee API error's text, or any other error's message as it is. */
export function errorDetail(error: unknown): StatusDetail {
  if (typeof error === "object" && error !== null && "text" in error && (error as { name?: unknown }).name === "EaseeApiError") {
    return { code: "api", text: (error as { text: ApiText }).text };
  }
  return messageDetail(messageOf(error));
}

/** Same explanation: same code and same data (states are reported only when they change). */
export function sameDetail(a: StatusDetail | undefined, b: StatusDetail | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
