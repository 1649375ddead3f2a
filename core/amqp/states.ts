/**
 * What the connection manager tells its subscribers: the states it reports, and how a failure to connect or to
 * consume maps to one (reason code for the node's status, detail code and data for its log).
 */
import type { AmqpDetails } from "../easee-api/responses";
import type { ConnectionState } from "../types";
import { developerForm, messageOf } from "../diagnostics";

/** The reason codes of the states the manager reports. */
export const REASON = {
  connecting: "connecting",
  connected: "connected",
  disconnected: "disconnected",
  blocked: "blocked",
  accessRefused: "access-refused",
  brokerUnreachable: "broker-unreachable",
  queueNotFound: "queue-not-found",
  apiError: "api-error",
  idle: "idle",
} as const;

export const IDLE_STATE: ConnectionState = { phase: "disconnected", reason: REASON.disconnected };

/** What a state-only subscriber is told while no node takes deliveries: nothing is connected, on purpose. */
export const NO_CONSUMER_STATE: ConnectionState = {
  phase: "disconnected",
  reason: REASON.idle,
  detail: { code: "no-consumer" },
};

export { messageOf };

/** ACCESS_REFUSED at login (bad AMQP credentials) or on the queue (no read permission). */
export function isAccessRefused(error: unknown): boolean {
  return /ACCESS[-_]REFUSED|\b403\b/.test(messageOf(error));
}

export function isNotFound(error: unknown): boolean {
  return /NOT[-_]FOUND|\b404\b/.test(messageOf(error));
}

/** The broker did not complete the connection in time (the message is a developer form; nodes word the detail). */
export class ConnectTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(developerForm(["connect-timeout"], { ms: timeoutMs }));
    this.name = "ConnectTimeoutError";
  }
}

/** A failed connect: the broker refused the credentials (fresh details are fetched), or could not be reached. */
export function connectFailureState(error: unknown, details: AmqpDetails): ConnectionState {
  const where = `${details.server}:${details.port}`;
  if (error instanceof ConnectTimeoutError) {
    return {
      phase: "error",
      reason: REASON.brokerUnreachable,
      detail: { code: "broker-timeout", params: { where, seconds: Math.round(error.timeoutMs / 1000) } },
    };
  }
  return isAccessRefused(error)
    ? {
        phase: "error",
        reason: REASON.accessRefused,
        detail: { code: "access-refused", params: { where } },
      }
    : {
        phase: "error",
        reason: REASON.brokerUnreachable,
        detail: { code: "broker-unreachable", params: { where, reason: messageOf(error) } },
      };
}

/** A failed channel, prefetch, queue check or consume: the queue is missing, reading it is refused, or the rest. */
export function setupFailureState(error: unknown, details: AmqpDetails): ConnectionState {
  const notFound = isNotFound(error);
  return {
    phase: "error",
    reason: notFound ? REASON.queueNotFound : isAccessRefused(error) ? REASON.accessRefused : REASON.brokerUnreachable,
    detail: notFound
      ? { code: "queue-not-found", params: { queue: details.queueName } }
      : { code: "cannot-consume", params: { queue: details.queueName, reason: messageOf(error) } },
  };
}
