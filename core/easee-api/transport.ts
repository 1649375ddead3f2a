/**
 * The HTTP layer of the Easee client: axios, with every axios error converted here.
 *
 * axios errors carry the request config (headers with the bearer token, the login body with the password): they
 * must never leave this folder. `validateStatus: () => true` makes axios resolve for every HTTP status, so the
 * only errors left are transport errors, and those are rebuilt as EaseeApiError from the error code alone.
 */
import axios, { type AxiosInstance } from "axios";
import { EaseeApiError, NETWORK_CODES } from "./errors";
import type { HttpAnswer } from "./responses";

export interface HttpRequest {
  readonly method: "GET" | "POST";
  /** Path below the API URL, e.g. `/api/accounts/login`. */
  readonly path: string;
  readonly body?: unknown;
  readonly bearer?: string;
  readonly signal?: AbortSignal;
}

/** Resolves with any HTTP answer; rejects only with EaseeApiError (`unreachable`, `aborted`, `invalid-url`). */
export type HttpTransport = (request: HttpRequest) => Promise<HttpAnswer>;

/**
 * Largest answer body read from the API: anything bigger is not the Easee API, and reading it would only cost
 * memory (issue 12). Easee's answers are a few KiB; the charger list of a large account stays far below this.
 */
export const MAX_ANSWER_BYTES = 2 * 1024 * 1024;
/** The same limit under the name the issue 12 tests use. */
export const MAX_RESPONSE_BYTES = MAX_ANSWER_BYTES;

export interface AxiosTransportOptions {
  /** Normalised API URL (no trailing slash). */
  readonly baseUrl: string;
  /** Per-request timeout, milliseconds. */
  readonly timeoutMs: number;
  readonly userAgent?: string;
}

/** An EaseeApiError from whatever axios (or the socket below it) threw. Reads only `code`. */
export function convertTransportError(error: unknown, baseUrl: string): EaseeApiError {
  const code =
    typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
      ? (error as { code: string }).code
      : "";
  if (code === "ERR_CANCELED" || axios.isCancel(error)) {
    return new EaseeApiError("aborted", { id: "cancelled" });
  }
  if (code === "ERR_INVALID_URL") {
    return new EaseeApiError("invalid-url", { id: "url-invalid" });
  }
  if (code === "ERR_BAD_RESPONSE" || code === "ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED") {
    // The only bad response axios reports with validateStatus always true: the answer exceeded maxContentLength.
    return new EaseeApiError("unexpected-response", { id: "too-large", params: { mb: MAX_ANSWER_BYTES / 1024 / 1024 } });
  }
  let host = baseUrl;
  try {
    host = new URL(baseUrl).host;
  } catch {
    // keep the text as given; it was validated before a transport was made
  }
  // The node words the network code (easee-config.api.network.<code>); unknown codes are shown as they are.
  const network = NETWORK_CODES.includes(code) ? code : code.slice(0, 40);
  return new EaseeApiError("unreachable", { id: "unreachable", params: { host, network } });
}

function headerRecord(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof headers !== "object" || headers === null) return out;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value === "string") out[key.toLowerCase()] = value;
    else if (typeof value === "number") out[key.toLowerCase()] = String(value);
    else if (Array.isArray(value)) out[key.toLowerCase()] = value.map(String).join(", ");
  }
  return out;
}

export function createAxiosTransport(options: AxiosTransportOptions): HttpTransport {
  const instance: AxiosInstance = axios.create({
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    // Never follow redirects: a redirect would resend the password or token to wherever it points.
    maxRedirects: 0,
    // Answers are read whole before parsing: bound them (Easee's are a few KiB; the charger list of a large account
    // stays far below this).
    maxContentLength: MAX_ANSWER_BYTES,
    validateStatus: () => true,
    headers: {
      Accept: "application/json",
      "User-Agent": options.userAgent ?? "node-red-contrib-easee-amqp",
    },
  });
  return async (request) => {
    try {
      const response = await instance.request({
        method: request.method,
        url: request.path,
        ...(request.body !== undefined ? { data: request.body } : {}),
        ...(request.bearer !== undefined ? { headers: { Authorization: `Bearer ${request.bearer}` } } : {}),
        ...(request.signal !== undefined ? { signal: request.signal } : {}),
      });
      return { status: response.status, headers: headerRecord(response.headers), data: response.data as unknown };
    } catch (error) {
      // Rebuilt from the code only: the original error (with its config) is dropped here on purpose.
      throw convertTransportError(error, options.baseUrl);
    }
  };
}
