/**
 * ConnectionState (from the easee-config node) → Node-RED node status. For every node that uses the config node.
 *
 * connecting → yellow ring; connected → green dot (yellow dot while the broker blocks the connection);
 * disconnected / error → red ring (grey ring while idle on purpose: no node takes deliveries). Core reports a reason
 * code (core/types.ts StatusReason); the text is its key `easee-config.status.<reason>`, translated in the easee-config
 * catalogue.
 */
import type { NodeStatus } from "node-red";
import type { CloseReason, ConnectionState, StatusDetail, StatusReason } from "../../core/types";
import { apiText } from "./api-text";
import type { Translate } from "./i18n";

/** i18n namespace of the easee-config catalogue (`<module>/<node set>`), for RED._ calls from other nodes. */
export const CONFIG_NAMESPACE = "node-red-contrib-easee-amqp/easee-config";

/** The i18n key (easee-config catalogue) of the short status text for a reason code. */
export function statusKeyOf(reason: StatusReason): string {
  return `easee-config.status.${reason}`;
}

/** A status key qualified with the config node's catalogue, so RED._ finds it from any node. */
export function qualifiedStatusKey(statusKey: string): string {
  return statusKey.includes(":") ? statusKey : `${CONFIG_NAMESPACE}:${statusKey}`;
}

/**
 * The Node-RED status for a connection state. `translate` is RED._ (or the node's `_`); without it the text is
 * the i18n key, which the editor translates itself when it is in the node's own namespace.
 */
export function connectionStatus(state: ConnectionState, translate?: (key: string) => string): NodeStatus {
  const statusKey = statusKeyOf(state.reason);
  let text = statusKey;
  if (translate) {
    const key = qualifiedStatusKey(statusKey);
    const translated = translate(key);
    text = translated && translated !== key ? translated : statusKey;
  }
  switch (state.phase) {
    case "connected":
      // Blocked by the broker, or another easee-config node consumes the same account's queue (each sees part of it).
      return state.reason === "blocked" || state.reason === "queue-shared"
        ? { fill: "yellow", shape: "dot", text }
        : { fill: "green", shape: "dot", text };
    case "connecting":
      return { fill: "yellow", shape: "ring", text };
    case "disconnected":
      // Nothing connected on purpose: no node takes observations or command responses (core NO_CONSUMER_STATE).
      if (state.reason === "idle") return { fill: "grey", shape: "ring", text };
      return { fill: "red", shape: "ring", text };
    case "error":
    default:
      return { fill: "red", shape: "ring", text };
  }
}

/**
 * The sentence of a state's detail (core reports a code and data; locales hold `easee-config.detail.<code>`). A
 * `message` detail is a text core did not write (a library's error, a sentence already translated): shown as it is.
 */
export function detailText(detail: StatusDetail, translate: Translate): string {
  if (detail.code === "message") return detail.params.message;
  if (detail.code === "api") return apiText(detail.text, translate);
  if (detail.code === "api-retry" && detail.text) {
    return translate(`easee-config.detail.api-retry`, { ...detail.params, message: apiText(detail.text, translate) });
  }
  if (detail.code === "amqp-closed" || detail.code === "hub-closed") {
    return translate(`easee-config.detail.${detail.code}`, { ...detail.params, reason: closeReasonText(detail.cause, translate) });
  }
  return translate(`easee-config.detail.${detail.code}`, "params" in detail ? detail.params : {});
}

/** Why a connection closed, in the user's words (`easee-config.close.<code>`; a library's own message as it is). */
export function closeReasonText(cause: CloseReason, translate: Translate): string {
  if (cause.code === "error") return cause.message;
  return translate(`${CONFIG_NAMESPACE}:easee-config.close.${cause.code}`, cause.code === "unanswered" ? { ms: cause.ms } : {});
}
