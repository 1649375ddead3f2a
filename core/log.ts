/**
 * What core writes to the node's log, as a code and data (issue 16, core without UI text): the nodes word each
 * event from `easee-config.log.<code>` in the user's language, like Node-RED's own runtime log. A library's or
 * broker's own words (an amqplib error, the SignalR client's log line) travel as data (`error`, `params.message`),
 * since only they know them.
 */
import type { CloseReason } from "./types";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogCode =
  // both streams
  | "subscriber-failed"
  | "state-handler-failed"
  | "api-failed"
  // Easee API client
  | "logged-in"
  | "token-refreshed"
  | "token-refresh-refused"
  | "token-refresh-failed"
  | "amqp-details-fetched"
  // AMQP stream
  | "amqp-loop-ended"
  | "amqp-connected"
  | "amqp-closed"
  | "amqp-connect-failed"
  | "amqp-consume-failed"
  | "amqp-connection-error"
  | "amqp-handler-error"
  | "amqp-blocked"
  | "amqp-channel-error"
  | "amqp-channel-handler-error"
  | "amqp-channel-closed"
  | "amqp-consumer-cancelled"
  | "amqp-reconsume-failed"
  | "amqp-ack-failed"
  | "amqp-command-channel-error"
  // SignalR stream
  | "hub-loop-ended"
  | "hub-no-chargers"
  | "hub-client"
  | "hub-connected"
  | "hub-connected-none"
  | "hub-closed"
  | "hub-connect-failed"
  | "hub-subscribe-failed"
  | "hub-subscribe-timeout"
  | "hub-chargers-refresh-failed"
  | "hub-subscribed-new";

export interface LogEvent {
  readonly code: LogCode;
  readonly params?: Readonly<Record<string, string | number>>;
  /** The error the line is about; the node words it (an Easee API error in the user's words, else its message). */
  readonly error?: unknown;
  /** Why a connection closed (amqp-closed, hub-closed). */
  readonly cause?: CloseReason;
}

export type Logger = (level: LogLevel, event: LogEvent) => void;

export const silentLogger: Logger = () => undefined;
