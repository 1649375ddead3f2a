/**
 * The words for a core/command CommandSendError: core gives a code and data, the user reads
 * `easee-command.send.<code>` in their language (issue 16, core without UI text).
 */
import { CommandSendError } from "../../core/command";
import { EaseeApiError } from "../../core/easee-api";
import { errorText } from "./api-text";

import type { Translate } from "./i18n";

/** Why a command was not sent, in the user's words; any other error keeps its own message. */
export function sendErrorReason(error: unknown, t: Translate): string {
  if (error instanceof CommandSendError) {
    // The Easee API's answer to a command (SignalR accounts) is worded like every other Easee API error.
    if (error.cause instanceof EaseeApiError) return errorText(error.cause, t);
    return t(`easee-command.send.${error.code}`, { reason: "", ...error.data });
  }
  return errorText(error, t);
}
