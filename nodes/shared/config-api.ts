/**
 * The interface an `easee-config` node offers to the nodes that use it.
 * Flow nodes depend on this, not on the config node's implementation.
 */
import type { Node } from "node-red";
import type { ConnectionState, DecodeError, DecodedCommandResponse, DecodedObservation } from "../../core/types";

/** A node (or part of one) that wants deliveries and/or connection state from a config node. */
export interface DeliverySubscriber {
  /** The Node-RED id of the subscribing node; one registration per id. */
  readonly id: string;
  onObservation?(observation: DecodedObservation): void;
  onDecodeError?(error: DecodeError): void;
  onCommandResponse?(response: DecodedCommandResponse): void;
  /** Called at once on registration with the current state, then on every change. */
  onConnectionState?(state: ConnectionState): void;
}

export interface EaseeConfigNode extends Node {
  /** The first registration connects; every delivery is decoded once and handed to all subscribers, then acked. */
  register(subscriber: DeliverySubscriber): void;
  /** The last deregistration closes the connection. Resolves within a few seconds, even with the broker down. */
  deregister(subscriber: DeliverySubscriber): Promise<void>;
  /** Current connection state. */
  readonly connectionState: ConnectionState;
}

/** True when a node looked up by id is an `easee-config` node offering the subscriber API. */
export function isEaseeConfigNode(node: Node | null | undefined): node is EaseeConfigNode {
  if (!node) return false;
  const candidate = node as Partial<EaseeConfigNode>;
  return typeof candidate.register === "function" && typeof candidate.deregister === "function";
}
