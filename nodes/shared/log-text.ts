/**
 * The words for what core writes to the log (core/log.ts LogEvent: a code and data; issue 16, core without UI
 * text), from `easee-config.log.<code>`.
 */
import type { LogEvent, Logger } from "../../core/log";
import { errorText } from "./api-text";
import type { Translate } from "./i18n";
import { closeReasonText, CONFIG_NAMESPACE } from "./status";

const configKey = (key: string): string => `${CONFIG_NAMESPACE}:easee-config.${key}`;

/** One log line: the event's text with its error (`__reason__`) or close reason worded first. */
export function logText(event: LogEvent, t: Translate): string {
  const params: Record<string, string | number> = { ...event.params };
  if (event.error !== undefined) params.reason = errorText(event.error, t);
  if (event.cause !== undefined) params.reason = closeReasonText(event.cause, t);
  return t(configKey(`log.${event.code}`), params);
}

/** The Node-RED log methods a node has. */
export interface NodeLog {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A core Logger writing to a node's log, worded in the user's language. */
export function nodeLogger(node: NodeLog, t: Translate): Logger {
  return (level, event) => {
    const text = logText(event, t);
    if (level === "debug") node.debug(text);
    else if (level === "info") node.log(text);
    else if (level === "warn") node.warn(text);
    else node.error(text);
  };
}
