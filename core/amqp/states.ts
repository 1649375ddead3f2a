/**
 * What the connection manager tells its subscribers: the states it reports, and how a failure to connect or to
 * consume maps to one (status key for the node's status, plain detail for its log).
 */
import type { AmqpDetails } from "../easee-api/responses";
import type { ConnectionState } from "../types";

/** The status keys of the states the manager reports. */
export const KEY = {
  connecting: "easee-config.status.connecting",
  connected: "easee-config.status.connected",
  disconnected: "easee-config.status.disconnected",
  blocked: "easee-config.status.blocked",
  accessRefused: "easee-config.status.access-refused",
  brokerUnreachable: "easee-config.status.broker-unreachable",
  queueNotFound: "easee-config.status.queue-not-found",
  apiError: "easee-config.status.api-error",
  idle: "easee-config.status.idle",
} as const;

export const IDLE_STATE: ConnectionState = { phase: "disconnected", statusKey: KEY.disconnected };

/** What a state-only subscriber is told while no node takes deliveries: nothing is connected, on purpose. */
export const NO_CONSUMER_STATE: ConnectionState = {
  phase: "disconnected",
  statusKey: KEY.idle,
  detail: "No node takes observations or command responses from this account, so the queue is not consumed",
};

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ACCESS_REFUSED at login (bad AMQP credentials) or on the queue (no read permission). */
export function isAccessRefused(error: unknown): boolean {
  return /ACCESS[-_]REFUSED|\b403\b/.test(messageOf(error));
}

export function isNotFound(error: unknown): boolean {
  return /NOT[-_]FOUND|\b404\b/.test(messageOf(error));
}

/** A failed connect: the broker refused the credentials (fresh details are fetched), or could not be reached. */
export function connectFailureState(error: unknown, details: AmqpDetails): ConnectionState {
  const where = `${details.server}:${details.port}`;
  return isAccessRefused(error)
    ? {
        phase: "error",
        statusKey: KEY.accessRefused,
        detail: `The broker at ${where} refused the AMQP credentials; fetching fresh details from Easee`,
      }
    : {
        phase: "error",
        statusKey: KEY.brokerUnreachable,
        detail: `Cannot connect to the broker at ${where}: ${messageOf(error)}`,
      };
}

/** A failed channel, prefetch, queue check or consume: the queue is missing, reading it is refused, or the rest. */
export function setupFailureState(error: unknown, details: AmqpDetails): ConnectionState {
  const notFound = isNotFound(error);
  return {
    phase: "error",
    statusKey: notFound ? KEY.queueNotFound : isAccessRefused(error) ? KEY.accessRefused : KEY.brokerUnreachable,
    detail: notFound
      ? `The queue ${details.queueName} does not exist on the broker`
      : `Cannot consume ${details.queueName}: ${messageOf(error)}`,
  };
}
