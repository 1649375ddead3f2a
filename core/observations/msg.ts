/**
 * The msg of `easee-observations` (CONTRACT.md): `{topic, payload, easee}`.
 * Only plain JSON data: Node-RED clones msgs for the second and later wires, and a msg that cannot be cloned
 * (class instances, Buffers of raw frames) crashes flows. Optional fields are absent, never `undefined`.
 */
import { deviceKindOf, type DeviceKind } from "../catalogue/devices";
import type { DataTypeName, DecodedObservation, ObservationCategory, ObservationUnit } from "../types";
import type { PresenceChange } from "./presence";
import type { CompiledTopic } from "./topic";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ObservationMsgEasee {
  chargerId: string;
  observationId: number;
  name: string;
  known: boolean;
  description: string;
  dataType: DataTypeName;
  unit: ObservationUnit | null;
  category: ObservationCategory | null;
  label?: string;
  timestamp?: string;
  arrivalTime?: string;
  latencyMs?: number;
  /** AMQP only: absent for the SignalR stream. */
  routingKey?: string;
  /** `charger`, `equalizer` (serials `QH…`) or `unknown`: which catalogue table read the observation. */
  device: DeviceKind;
  /** SignalR only: a value the hub replayed on subscribe (the charger's last known state), absent otherwise. */
  replay?: true;
  /** Device time older than the last one seen for this (charger, observation): sent, but not the current value. */
  late?: true;
  /** A msg of the `snapshot` input, not a delivery. */
  snapshot?: true;
}

/** How a msg relates to the stream: a late delivery, or the answer to a `snapshot` request. */
export interface ObservationMsgFlags {
  readonly late?: boolean;
  readonly snapshot?: boolean;
}

export interface ObservationMsg {
  topic: string;
  payload: JsonValue;
  easee: ObservationMsgEasee;
}

/**
 * A fresh copy of an object value, made of plain JSON only. The decoded observation is shared by every node
 * on the config node (and by the snapshot cache), so a Change node editing `msg.payload.lat` downstream
 * must not edit it for everybody else.
 */
export function plainJson(value: unknown): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "object": {
      if (value === null) return null;
      const text = JSON.stringify(value);
      return text === undefined ? null : (JSON.parse(text) as JsonValue);
    }
    default:
      return null;
  }
}

export function buildObservationMsg(
  observation: DecodedObservation,
  topic: CompiledTopic,
  flags?: ObservationMsgFlags,
): ObservationMsg {
  // Built in the contract's key order (routingKey and device last, after the optional fields, then the flags); the
  // cast covers the moment before device is set.
  const easee = {
    chargerId: observation.chargerId,
    observationId: observation.observationId,
    name: observation.name,
    known: observation.known,
    description: observation.description,
    dataType: observation.dataType,
    unit: observation.unit ?? null,
    category: observation.category ?? null,
  } as ObservationMsgEasee;
  if (observation.label !== undefined) easee.label = observation.label;
  if (observation.timestamp !== undefined) easee.timestamp = observation.timestamp;
  if (observation.arrivalTime !== undefined) easee.arrivalTime = observation.arrivalTime;
  if (observation.latencyMs !== undefined && Number.isFinite(observation.latencyMs)) easee.latencyMs = observation.latencyMs;
  if (observation.routingKey !== undefined) easee.routingKey = observation.routingKey;
  easee.device = observation.device ?? deviceKindOf(observation.chargerId);
  if (observation.replay === true) easee.replay = true;
  if (flags?.late === true) easee.late = true;
  if (flags?.snapshot === true) easee.snapshot = true;
  return { topic: topic.render(observation), payload: plainJson(observation.value), easee };
}

/** The name presence msgs carry (and the topic template renders for `{name}` and `{observationId}`). */
export const PRESENCE_NAME = "Online";

export interface PresenceMsgEasee {
  chargerId: string;
  name: typeof PRESENCE_NAME;
  device: DeviceKind;
  presence: {
    online: boolean;
    state: "online" | "offline";
    previous: "online" | "offline" | "unknown";
    reason: PresenceChange["reason"];
    since: string;
    lastSeen: { timestamp?: string; arrivalTime?: string; receivedAt: string } | null;
    silenceMinutes: number;
    connectedToCloud?: boolean;
    cloudDisconnectReason?: string;
  };
  snapshot?: true;
}

export interface PresenceMsg {
  topic: string;
  payload: boolean;
  easee: PresenceMsgEasee;
}

/**
 * The msg for a presence change: `topic` from the node's template with the name `Online`, `payload` true/false,
 * `msg.easee.presence` with the details. There is no observation id: a filter routes these to its otherwise output.
 */
export function buildPresenceMsg(change: PresenceChange, topic: CompiledTopic): PresenceMsg {
  const presence: PresenceMsgEasee["presence"] = {
    online: change.online,
    state: change.state,
    previous: change.previous,
    reason: change.reason,
    since: change.since,
    lastSeen: change.lastSeen === null ? null : { ...change.lastSeen },
    silenceMinutes: change.silenceMinutes,
  };
  if (change.connectedToCloud !== undefined) presence.connectedToCloud = change.connectedToCloud;
  if (change.cloudDisconnectReason !== undefined) presence.cloudDisconnectReason = change.cloudDisconnectReason;
  return {
    topic: topic.render({ chargerId: change.chargerId, name: PRESENCE_NAME, observationId: PRESENCE_NAME }),
    payload: change.online,
    easee: { chargerId: change.chargerId, name: PRESENCE_NAME, device: change.device, presence },
  };
}
