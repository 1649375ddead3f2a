/**
 * ConnectionState (from the easee-config node) → Node-RED node status. For every node that uses the config node.
 *
 * connecting → yellow ring; connected → green dot (yellow dot while the broker blocks the connection);
 * disconnected / error → red ring (grey ring while idle on purpose: no node takes deliveries). The text is the state's i18n key, translated in the easee-config catalogue.
 */
import type { NodeStatus } from "node-red";
import type { ConnectionState } from "../../core/types";

/** i18n namespace of the easee-config catalogue (`<module>/<node set>`), for RED._ calls from other nodes. */
export const CONFIG_NAMESPACE = "node-red-contrib-easee-amqp/easee-config";

export const BLOCKED_STATUS_KEY = "easee-config.status.blocked";
/** Connected, but another easee-config node consumes the same account's queue (each sees part of the stream). */
export const QUEUE_SHARED_STATUS_KEY = "easee-config.status.queue-shared";
/** Nothing connected on purpose: no node takes observations or command responses (core NO_CONSUMER_STATE). */
export const IDLE_STATUS_KEY = "easee-config.status.idle";

/** A status key qualified with the config node's catalogue, so RED._ finds it from any node. */
export function qualifiedStatusKey(statusKey: string): string {
  return statusKey.includes(":") ? statusKey : `${CONFIG_NAMESPACE}:${statusKey}`;
}

/**
 * The Node-RED status for a connection state. `translate` is RED._ (or the node's `_`); without it the text is
 * the i18n key, which the editor translates itself when it is in the node's own namespace.
 */
export function connectionStatus(state: ConnectionState, translate?: (key: string) => string): NodeStatus {
  let text = state.statusKey;
  if (translate) {
    const key = qualifiedStatusKey(state.statusKey);
    const translated = translate(key);
    text = translated && translated !== key ? translated : state.statusKey;
  }
  switch (state.phase) {
    case "connected":
      return state.statusKey === BLOCKED_STATUS_KEY || state.statusKey === QUEUE_SHARED_STATUS_KEY
        ? { fill: "yellow", shape: "dot", text }
        : { fill: "green", shape: "dot", text };
    case "connecting":
      return { fill: "yellow", shape: "ring", text };
    case "disconnected":
      if (state.statusKey === IDLE_STATUS_KEY) return { fill: "grey", shape: "ring", text };
      return { fill: "red", shape: "ring", text };
    case "error":
    default:
      return { fill: "red", shape: "ring", text };
  }
}
