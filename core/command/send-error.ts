/**
 * Why a command could not be handed to the broker, as a code (the node words it in the user's language,
 * locales/<lang>/easee-command.json `send.<code>`) and the data its text needs; no English here (issue 16): the
 * `message` is a developer form (`CommandSendError no-confirm seconds=5`) for logs.
 * Whatever transport sends commands (AMQP today, SignalR/REST for personal accounts later) rejects with this.
 */
import { developerForm } from "../diagnostics";

export type CommandSendCode =
  /** The broker closed the channel: no write permission on the command exchange. */
  | "no-write-permission"
  /** The command exchange does not exist on the broker. */
  | "no-exchange"
  /** The broker answered the publish with a nack. */
  | "nacked"
  /** The connection or channel closed before the broker confirmed the publish: the command may or may not be out. */
  | "connection-lost"
  /** No connection came up within the time the command may wait. */
  | "not-connected"
  /** The broker did not confirm within the time left. */
  | "no-confirm"
  /** The config node is closing (redeploy) or was never usable. */
  | "closed"
  /** This transport cannot send commands. */
  | "unsupported"
  /** Easee's REST API has no endpoint for this command (SignalR / personal accounts); `command`. */
  | "no-rest-endpoint"
  /** Easee limits commands from this address (HTTP 429); `delay` until the next command. */
  | "rate-limited"
  | "other";

export class CommandSendError extends Error {
  readonly code: CommandSendCode;
  /** Parameters for the translated text (`__exchange__`, `__seconds__`, `__reason__`, `__command__`, `__delay__`). */
  readonly data: Readonly<Record<string, string | number>>;

  constructor(code: CommandSendCode, data: Record<string, string | number> = {}, cause?: unknown) {
    // `CommandSendError no-confirm seconds=5`: for logs only, the node words the code.
    super(developerForm(["CommandSendError", code], data), cause === undefined ? undefined : { cause });
    this.name = "CommandSendError";
    this.code = code;
    this.data = data;
  }
}

/** What a broker's channel-close text says about a failed publish. */
export function sendErrorFromBroker(text: string, exchange: string): CommandSendError {
  if (/ACCESS[-_]REFUSED|\b403\b/.test(text)) {
    return new CommandSendError("no-write-permission", { exchange });
  }
  if (/NOT[-_]FOUND|\b404\b/.test(text)) {
    return new CommandSendError("no-exchange", { exchange });
  }
  const reason = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new CommandSendError("connection-lost", { reason });
}
