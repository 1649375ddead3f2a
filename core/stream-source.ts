/**
 * What the `easee-config` node needs from a stream of Easee deliveries, whichever way they arrive: the AMQP
 * operator queue (core/amqp ConnectionManager) or Easee's SignalR hub (core/signalr SignalrStream).
 * Both decode each message once and hand it to every subscriber; both report one connection state.
 */
import { sameDetail, type ConnectionState, type DecodeError, type DecodedCommandResponse, type DecodedDelivery, type DecodedObservation } from "./types";

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

/** True when `next` reads the same to a user as `previous` (phase, reason and detail), so nobody need be told. */
export function sameState(previous: ConnectionState, next: ConnectionState): boolean {
  return previous.phase === next.phase && previous.reason === next.reason && sameDetail(previous.detail, next.detail);
}

/**
 * The subscribers of one stream source, one per id, and how each is handed deliveries and states: a subscriber that
 * throws is counted and reported through `onFailure`, and every other subscriber still gets its call.
 * Both stream sources (AMQP and SignalR) hold their subscribers here, so the two cannot drift apart.
 */
export class StreamSubscribers<S extends StreamSubscriber = StreamSubscriber> {
  private readonly byId = new Map<string, S>();
  private failureCount = 0;

  constructor(private readonly onFailure: (subscriberId: string, error: unknown) => void) {}

  get size(): number {
    return this.byId.size;
  }

  /** Subscriber calls that threw, since the start. */
  get failures(): number {
    return this.failureCount;
  }

  /** Adds, or replaces the one with the same id (a redeployed node). */
  add(subscriber: S): void {
    this.byId.set(subscriber.id, subscriber);
  }

  /** Removes by id; given a subscriber, only while it is still the one under its id (its successor stays). */
  remove(subscriberOrId: S | string): void {
    const id = typeof subscriberOrId === "string" ? subscriberOrId : subscriberOrId.id;
    const current = this.byId.get(id);
    if (current && (typeof subscriberOrId === "string" || current === subscriberOrId)) this.byId.delete(id);
  }

  clear(): void {
    this.byId.clear();
  }

  some(predicate: (subscriber: S) => boolean): boolean {
    for (const subscriber of this.byId.values()) if (predicate(subscriber)) return true;
    return false;
  }

  /** Hands one decoded delivery to every subscriber, by its kind. */
  deliver(decoded: DecodedDelivery): void {
    // The per-delivery path: a plain loop, no closure per subscriber (see each()).
    for (const subscriber of [...this.byId.values()]) {
      try {
        if (decoded.kind === "observation") subscriber.onObservation?.(decoded);
        else if (decoded.kind === "commandResponse") subscriber.onCommandResponse?.(decoded);
        else subscriber.onDecodeError?.(decoded);
      } catch (error) {
        this.failed(subscriber, error);
      }
    }
  }

  /** Tells every subscriber, or only `one`, the connection state. */
  tellState(state: ConnectionState, one?: S): void {
    if (one) this.call(one, () => one.onConnectionState?.(state));
    else this.each((subscriber) => subscriber.onConnectionState?.(state));
  }

  private each(work: (subscriber: S) => void): void {
    // A copy: a subscriber may deregister (or another register) from inside its call.
    for (const subscriber of [...this.byId.values()]) this.call(subscriber, () => work(subscriber));
  }

  private call(subscriber: S, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failed(subscriber, error);
    }
  }

  private failed(subscriber: S, error: unknown): void {
    this.failureCount += 1;
    this.onFailure(subscriber.id, error);
  }
}
