/**
 * The words for a core/command CommandSendError: core gives a code and data, the user reads
 * `easee-command.send.<code>` in their language (issue 16, core without UI text).
 */
import { CommandSendError } from "../../core/command";

type Word = (key: string, params?: Readonly<Record<string, string | number>>) => string;

/** Why a command was not sent, in the user's words; any other error keeps its own message. */
export function sendErrorReason(error: unknown, t: Word): string {
  if (error instanceof CommandSendError) return t(`easee-command.send.${error.code}`, { reason: "", ...error.data });
  return error instanceof Error ? error.message : String(error);
}
