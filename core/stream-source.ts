/**
 * What the `easee-config` node needs from a stream of Easee deliveries, whichever way they arrive: the AMQP
 * operator queue (core/amqp ConnectionManager) or Easee's SignalR hub (core/signalr SignalrStream).
 * Both decode each message once and hand it to every subscriber; both report one connection state.
 */
import type { ConnectionState, DecodeError, DecodedCommandResponse, DecodedObservation } from "./types";

/** A node (or part of one) that wants deliveries and/or connection state. */
export interface StreamSubscriber {
  readonly id: string;
  onObservation?(observation: DecodedObservation): void;
  onDecodeError?(error: DecodeError): void;
  onCommandResponse?(response: DecodedCommandResponse): void;
  /** Called at once on registration with the current state, then on every change. */
  onConnectionState?(state: ConnectionState): void;
}

export interface StreamSource {
  readonly state: ConnectionState;
  /** Adds (or replaces, same id) a subscriber; it gets the current state at once. The first one connects. */
  register(subscriber: StreamSubscriber): void;
  /** Removes a subscriber. The last one closes the connection; resolves when it is closed. */
  deregister(subscriberOrId: StreamSubscriber | string): Promise<void>;
  /** Final close: no more subscribers, connection closed within a few seconds. */
  close(): Promise<void>;
}

/** Which stream an `easee-config` node uses (CONTRACT.md `stream`). */
export type StreamKind = "amqp" | "signalr";

export const DEFAULT_SIGNALR_URL = "https://streams.easee.com/hubs/chargers";

/** The `stream` setting: `signalr` or (anything else, the default) `amqp`. */
export function parseStreamKind(value: unknown): StreamKind {
  return typeof value === "string" && value.trim().toLowerCase() === "signalr" ? "signalr" : "amqp";
}
