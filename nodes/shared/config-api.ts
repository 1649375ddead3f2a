/**
 * The interface an `easee-config` node offers to the nodes that use it.
 * Flow nodes depend on this, not on the config node's implementation.
 */
import type { Node } from "node-red";
import type { EncodedCommand, PendingCommands, RateGuard, TicksClock } from "../../core/command";
import type { ConnectionState, DecodeError, DecodedCommandResponse, DecodedObservation } from "../../core/types";

/**
 * A node (or part of one) that wants deliveries and/or connection state from a config node.
 *
 * Who needs the consumer is decided by the handlers given (core/amqp/connection-manager `needsConsumer`):
 * - `onObservation` or `onCommandResponse`: the subscriber takes deliveries; while at least one such subscriber is
 *   registered the config node connects and consumes the operator queue (every delivery is acked after it was
 *   handed out);
 * - only `onConnectionState` (e.g. easee-homeassistant's availability): the subscriber never starts a consumer. It
 *   sees the real state while others consume, and otherwise `easee-config.status.idle` (phase `disconnected`):
 *   nothing is connected, so nothing is taken off the queue with nobody to receive it (issue 12).
 */
export interface DeliverySubscriber {
  /** The Node-RED id of the subscribing node; one registration per id. */
  readonly id: string;
  onObservation?(observation: DecodedObservation): void;
  onDecodeError?(error: DecodeError): void;
  onCommandResponse?(response: DecodedCommandResponse): void;
  /** Called at once on registration with the current state, then on every change. */
  onConnectionState?(state: ConnectionState): void;
}

/**
 * Command state shared by every `easee-command` node of one config node: a response one node matched must not
 * look unsolicited to another, two nodes driving one charger share its rate budget, and ticks never repeat.
 */
export interface CommandContext {
  readonly pending: PendingCommands;
  readonly guard: RateGuard;
  readonly ticks: TicksClock;
}

export interface SendCommandOptions {
  /** Wait at most this long in all: for the connection while it is down, then for the broker's confirm. */
  readonly timeoutMs: number;
  /** Aborted when the sender gives up (its node closes): stop waiting for the connection. */
  readonly signal?: AbortSignal;
}

export interface EaseeConfigNode extends Node {
  /** The first registration connects; every delivery is decoded once and handed to all subscribers, then acked. */
  register(subscriber: DeliverySubscriber): void;
  /** The last deregistration closes the connection. Resolves within a few seconds, even with the broker down. */
  deregister(subscriber: DeliverySubscriber): Promise<void>;
  /** Current connection state. */
  readonly connectionState: ConnectionState;
  /**
   * Sends one encoded command to its charger. AMQP: published to the details' command exchange on a confirm
   * channel of the SAME connection as the consumer; waits while the connection is down (up to `timeoutMs`);
   * resolves when the broker confirmed the publish. Rejects with a core/command CommandSendError (a `code` the node
   * translates, a plain English message), e.g. "the broker refused the publish (no write permission on the command
   * exchange …)". The response arrives later through `onCommandResponse` of registered subscribers, so the sender
   * must be registered. Another transport (SignalR/REST for personal accounts) implements this same method.
   */
  sendCommand(command: EncodedCommand, options: SendCommandOptions): Promise<void>;
  readonly commands: CommandContext;
}

/** True when a node looked up by id is an `easee-config` node offering the subscriber API. */
export function isEaseeConfigNode(node: Node | null | undefined): node is EaseeConfigNode {
  if (!node) return false;
  const candidate = node as Partial<EaseeConfigNode>;
  return typeof candidate.register === "function" && typeof candidate.deregister === "function";
}
