/**
 * Plain-language errors of the Easee REST client.
 *
 * Nothing from axios (request config, headers, bodies) is kept on these objects: they are built from a status
 * code, a few fields of Easee's error body and a text id, so they can be logged and shown without leaking
 * the password, the tokens or the AMQP password. The words are in locales/<lang>/easee-config.json
 * `easee-config.api.text.<id>` (issue 16: core reports codes and data; nodes/shared/api-text.ts words them).
 * Params are numbers, hosts, paths and code names, never a secret.
 */
import { developerForm } from "../diagnostics";
import type { ApiRequestId, ApiText, ApiTextId, StatusReason } from "../types";

export type { ApiRequestId, ApiText, ApiTextId };

export type EaseeErrorCode =
  /** Easee rejected the user name or password (HTTP 400/401 on login). */
  | "wrong-credentials"
  /** The account exists but its e-mail address was never confirmed (Easee errorCode 727). */
  | "email-not-verified"
  /** Login worked but GET /api/streams/amqp/v2 was refused: a normal (non-partner) account. */
  | "not-integration-account"
  /** Easee answered 429 (or said "too many requests"); `retryAfterMs` says when to try again. */
  | "rate-limited"
  /** Our own cap on logins per hour was reached; `retryAfterMs` says when a login is allowed again. */
  | "login-limit"
  /** No answer: DNS, refused connection, reset, timeout. */
  | "unreachable"
  /** Easee answered 5xx. */
  | "server-error"
  /** Something answered, but not like the Easee API (wrong URL, HTML page, missing fields). */
  | "unexpected-response"
  /** The API URL is not a usable http(s) URL. */
  | "invalid-url"
  /** User name or password is empty. */
  | "missing-credentials"
  /** The caller gave up (node closed). */
  | "aborted";

/** The connection status reason each error puts the config node in. */
export const STATUS_REASON_BY_CODE: Readonly<Record<EaseeErrorCode, StatusReason>> = {
  "wrong-credentials": "wrong-password",
  "email-not-verified": "email-not-verified",
  "not-integration-account": "not-integration",
  "rate-limited": "rate-limited",
  "login-limit": "login-limit",
  unreachable: "api-unreachable",
  "server-error": "api-error",
  "unexpected-response": "api-error",
  "invalid-url": "invalid-url",
  "missing-credentials": "no-credentials",
  aborted: "disconnected",
};

/** Network error codes that have their own words (locales `easee-config.api.network.<code>`); others: `other`. */
export const NETWORK_CODES: readonly string[] = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ERR_BAD_RESPONSE",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
];

export interface EaseeApiErrorOptions {
  readonly httpStatus?: number;
  /** Milliseconds from now after which trying again makes sense; absent: only a change of settings helps. */
  readonly retryAfterMs?: number;
  /** Easee's own error code name (e.g. `EmailNotVerified`), when it sent one. */
  readonly easeeCode?: string;
}

export class EaseeApiError extends Error {
  override readonly name = "EaseeApiError";
  readonly code: EaseeErrorCode;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly easeeCode?: string;
  /** What to tell the user (worded in nodes/). */
  readonly text: ApiText;

  constructor(code: EaseeErrorCode, text: ApiText, options: EaseeApiErrorOptions = {}) {
    // The message is a developer form for logs (`EaseeApiError wrong-credentials status=401`), no English sentence.
    super(developerForm(["EaseeApiError", text.id], text.params));
    this.code = code;
    this.text = text;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.easeeCode !== undefined) this.easeeCode = options.easeeCode;
  }

  /** The connection status reason this error stands for. */
  get statusReason(): StatusReason {
    return STATUS_REASON_BY_CODE[this.code];
  }

  /** Its text already says when the next attempt is (Easee's rate limit, our login cap): no "next try in" to add. */
  get saysWhenToRetry(): boolean {
    return this.code === "rate-limited" || this.code === "login-limit";
  }

  /** A copy that says when the next attempt will be made (the retry policy decides it, not the HTTP layer). */
  withRetryAfter(retryAfterMs: number | undefined): EaseeApiError {
    const options: EaseeApiErrorOptions = {
      ...(this.httpStatus !== undefined ? { httpStatus: this.httpStatus } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(this.easeeCode !== undefined ? { easeeCode: this.easeeCode } : {}),
    };
    return new EaseeApiError(this.code, this.text, options);
  }
}

export function isEaseeApiError(value: unknown): value is EaseeApiError {
  return value instanceof EaseeApiError;
}

/** "in 2 min", "in 45 s", "in 1 h 5 min": for messages that say when the next attempt is. */
export function describeDelay(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
