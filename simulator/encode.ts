/**
 * Turns simulated observations and command responses into AMQP messages (routing key, body, headers) in each
 * message shape the decoder reads. Pure: no broker, no clock of its own.
 */
import { deviceKindOf, findObservationById } from "../core/catalogue";
import type { DataTypeName } from "../core/types";

/**
 * The body shapes seen around Easee (protocol-notes §1.3/§1.4):
 * - `masterloop`: `{"Timestamp","Value":<typed>}`; charger and observation id only in the routing key;
 * - `signalr`: `{"mid","dataType","id","timestamp","value":"<string>"}` (the SignalR ProductUpdate object);
 * - `pascal`: `{"ChargerId","ObservationId","DataType","Value":<typed>,"Timestamp"}`.
 */
export type MessageShape = "masterloop" | "signalr" | "pascal";
export const MESSAGE_SHAPES: readonly MessageShape[] = ["masterloop", "signalr", "pascal"];

/** How the `ArrivalTime` header is written: ISO 8601 string (default) or epoch milliseconds (a number). */
export type ArrivalTimeFormat = "iso" | "epochMs";

export type SimValue = number | boolean | string;

export interface SimObservation {
  readonly chargerId: string;
  readonly observationId: number;
  readonly value: SimValue;
  /** Device time of the observation, epoch ms. */
  readonly timestampMs: number;
}

export interface EncodedMessage {
  readonly routingKey: string;
  readonly body: Buffer;
  readonly contentType: "application/json";
  readonly headers: Record<string, string | number>;
}

export interface EncodeOptions {
  readonly shape?: MessageShape;
  readonly arrivalTimeFormat?: ArrivalTimeFormat;
  /** When the message "arrived in the cloud", epoch ms. Defaults to the observation time. */
  readonly arrivalTimeMs?: number;
}

const DATA_TYPE_CODE: Readonly<Record<DataTypeName, number>> = {
  Binary: 1,
  Boolean: 2,
  Double: 3,
  Integer: 4,
  Position: 5,
  String: 6,
  Statistics: 7,
};

/** .NET `DateTime.Ticks` (100 ns since 0001-01-01 UTC) of an epoch-ms time; used in command routing keys. */
export function dotNetTicksFromMs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * 10000n + 621355968000000000n;
}

/** Epoch ms of .NET ticks (decimal string or bigint). */
export function msFromDotNetTicks(ticks: bigint | string): number {
  const value = typeof ticks === "bigint" ? ticks : BigInt(ticks);
  return Number((value - 621355968000000000n) / 10000n);
}

/**
 * The data type the catalogue gives an observation id (in the table of the serial's device kind: Equalizer ids
 * overlap the charger's); for ids it does not know, guessed from the value.
 */
export function dataTypeOf(observationId: number, value: SimValue, chargerId = "EH"): DataTypeName {
  const known = findObservationById(observationId, deviceKindOf(chargerId.length >= 3 ? chargerId : "EH0"));
  if (known) return known.dataType;
  if (typeof value === "boolean") return "Boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "Double";
  return "String";
}

/** A value in its typed JSON form for the data type (Masterloop `Value`). */
export function typedValue(value: SimValue, dataType: DataTypeName): SimValue {
  switch (dataType) {
    case "Boolean":
      return typeof value === "boolean" ? value : value === 1 || value === "1" || value === "true" || value === "True";
    case "Integer":
      return Math.round(Number(value));
    case "Double":
      return Number(value);
    default:
      return typeof value === "string" ? value : String(value);
  }
}

/** A value in the Masterloop string form (`DataTypeStringConverter`): Boolean "1"/"0", Double invariant culture. */
export function valueString(value: SimValue, dataType: DataTypeName): string {
  const typed = typedValue(value, dataType);
  if (typeof typed === "boolean") return typed ? "1" : "0";
  return String(typed);
}

function arrivalHeader(ms: number, format: ArrivalTimeFormat): string | number {
  return format === "epochMs" ? Math.trunc(ms) : new Date(ms).toISOString();
}

export function observationRoutingKey(chargerId: string, observationId: number): string {
  return `${chargerId}.O.${observationId}`;
}

export function encodeObservation(observation: SimObservation, options: EncodeOptions = {}): EncodedMessage {
  const shape = options.shape ?? "masterloop";
  const dataType = dataTypeOf(observation.observationId, observation.value, observation.chargerId);
  const timestamp = new Date(observation.timestampMs).toISOString();
  let body: unknown;
  switch (shape) {
    case "masterloop":
      body = { Timestamp: timestamp, Value: typedValue(observation.value, dataType) };
      break;
    case "signalr":
      body = {
        mid: observation.chargerId,
        dataType: DATA_TYPE_CODE[dataType],
        id: observation.observationId,
        timestamp,
        value: valueString(observation.value, dataType),
      };
      break;
    case "pascal":
      body = {
        ChargerId: observation.chargerId,
        ObservationId: observation.observationId,
        DataType: DATA_TYPE_CODE[dataType],
        Value: typedValue(observation.value, dataType),
        Timestamp: timestamp,
      };
      break;
    default:
      throw new Error(`unknown message shape ${String(shape)}`);
  }
  return {
    routingKey: observationRoutingKey(observation.chargerId, observation.observationId),
    body: Buffer.from(JSON.stringify(body)),
    contentType: "application/json",
    headers: {
      ArrivalTime: arrivalHeader(options.arrivalTimeMs ?? observation.timestampMs, options.arrivalTimeFormat ?? "iso"),
    },
  };
}

/** A command as published to the exchange (Masterloop `Command`, PascalCase). */
export interface CommandBody {
  readonly Id: number;
  readonly Timestamp?: string;
  readonly ExpiresAt?: string;
  readonly Arguments?: ReadonlyArray<{ readonly Id: number; readonly Value: string }>;
}

export interface CommandResponseFields {
  readonly chargerId: string;
  readonly commandId: number;
  /** Ticks from the command's routing key, echoed so the sender can correlate. */
  readonly ticks: bigint | string;
  readonly wasAccepted: boolean;
  readonly resultCode: number;
  readonly comment: string;
  /** When the charger got the command, epoch ms. */
  readonly deliveredAtMs: number;
}

export function commandRoutingKey(chargerId: string, commandId: number, ticks: bigint | string): string {
  return `${chargerId}.C.${commandId}.${String(ticks)}`;
}

export function commandResponseRoutingKey(chargerId: string, commandId: number, ticks: bigint | string): string {
  return `${chargerId}.CR.${commandId}.${String(ticks)}`;
}

/** A command response (`{serial}.CR.{commandId}.{ticks}`, Masterloop `CommandResponse`). */
export function encodeCommandResponse(
  response: CommandResponseFields,
  options: { readonly arrivalTimeFormat?: ArrivalTimeFormat; readonly arrivalTimeMs?: number } = {},
): EncodedMessage {
  const body = {
    Id: response.commandId,
    Timestamp: new Date(msFromDotNetTicks(response.ticks)).toISOString(),
    DeliveredAt: new Date(response.deliveredAtMs).toISOString(),
    WasAccepted: response.wasAccepted,
    ResultCode: response.resultCode,
    Comment: response.comment,
  };
  return {
    routingKey: commandResponseRoutingKey(response.chargerId, response.commandId, response.ticks),
    body: Buffer.from(JSON.stringify(body)),
    contentType: "application/json",
    headers: {
      ArrivalTime: arrivalHeader(options.arrivalTimeMs ?? response.deliveredAtMs, options.arrivalTimeFormat ?? "iso"),
    },
  };
}

/** A command message the way an integrator (or the later control node) would publish it. Used by tests and the CLI. */
export function encodeCommand(
  chargerId: string,
  commandId: number,
  args: ReadonlyArray<{ readonly id: number; readonly value: string | number | boolean }> = [],
  options: { readonly nowMs?: number; readonly ttlMs?: number } = {},
): EncodedMessage & { readonly ticks: bigint } {
  const now = options.nowMs ?? Date.now();
  const ticks = dotNetTicksFromMs(now);
  const body: CommandBody = {
    Id: commandId,
    Timestamp: new Date(now).toISOString(),
    ExpiresAt: new Date(now + (options.ttlMs ?? 60_000)).toISOString(),
    Arguments: args.map((arg) => ({
      Id: arg.id,
      Value: typeof arg.value === "boolean" ? (arg.value ? "1" : "0") : String(arg.value),
    })),
  };
  return {
    routingKey: commandRoutingKey(chargerId, commandId, ticks),
    body: Buffer.from(JSON.stringify(body)),
    contentType: "application/json",
    headers: {},
    ticks,
  };
}
