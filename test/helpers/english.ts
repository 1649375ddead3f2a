/**
 * The English a user sees for what core reports as codes and data, from the shipped en-US catalogue (the same
 * path as a runtime without our catalogue loaded: nodes/shared/i18n.ts).
 */
import type { RuleError } from "../../core/routing";
import type { StatusDetail } from "../../core/types";
import { englishText, fillText } from "../../nodes/shared/i18n";
import type { DecodeError } from "../../core/types";
import { errorText } from "../../nodes/shared/api-text";
import { decodeErrorText } from "../../nodes/shared/decode-text";
import { ruleErrorText } from "../../nodes/shared/rule-text";
import { sendErrorReason } from "../../nodes/shared/send-text";
import { detailText } from "../../nodes/shared/status";
import type { LogEvent } from "../../core/log";
import { logText } from "../../nodes/shared/log-text";

const english = (key: string, params?: Readonly<Record<string, string | number>>): string => fillText(englishText(key) ?? key, params);

/** The English text of a rule error (what easee-filter and easee-homeassistant log). */
export function englishRuleError(error: RuleError): string {
  return ruleErrorText(error, english);
}

export function englishDetail(detail: StatusDetail | undefined): string {
  if (detail === undefined) return "";
  return detailText(detail, english);
}

/** The English reason easee-command gives for a command that was not sent (a CommandSendError or any error). */
export function englishSendError(error: unknown): string {
  return sendErrorReason(error, english);
}

/** What a user reads for an error: an Easee API error worded from easee-config.api.*, any other error's message. */
export function englishError(error: unknown): string {
  return errorText(error, english);
}

/** The English reason easee-observations gives for an undecodable delivery. */
export function englishDecodeError(error: DecodeError): string {
  return decodeErrorText(error, english);
}

/** The English log line of a core log event (what easee-config writes to the Node-RED log). */
export function englishLog(event: LogEvent): string {
  return logText(event, english);
}
