/**
 * How Easee answers, turned into tokens, AMQP details or plain-language errors. Pure functions.
 *
 * What is known about Easee's error answers (public issue threads, no official documentation):
 * - a wrong user name or password on POST /api/accounts/login gives HTTP 400 with a JSON body whose `title` is
 *   "Username or password is invalid" (nordicopen/easee_hass#272, evcc-io/evcc#9822, Newan/ioBroker.easee#51);
 * - an account whose e-mail address is not confirmed gives HTTP 400 with `{"errorCode": 727,
 *   "errorCodeName": "EmailNot…"}` (nordicopen/easee_hass#145, the name is cut off in the thread; #152 and #264
 *   are the same cause);
 * - chatty clients get HTTP 429 (evcc-io/evcc#8290, nordicopen/easee_hass#558) and, in 2022, a 403 whose text says
 *   "too many requests" (evcc-io/evcc#3835);
 * - a normal (non-partner) account "will fail a check" on GET /api/streams/amqp/v2 (developer.easee.com,
 *   amqp-connect); the status code is not documented, so 401/403/404 there (after a good login) all mean that.
 * The mapping therefore keys on the HTTP status first and uses errorCode/errorCodeName/title only to tell the
 * e-mail case apart; unknown bodies fall back to the status.
 */
import { EaseeApiError, describeDelay, type ApiRequestId } from "./errors";

export interface TokenResponse {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds. */
  readonly expiresIn: number;
}

/** The answer of GET /api/streams/amqp/v2 (Masterloop `LiveConnectionDetails`, camelCase). */
export interface AmqpDetails {
  readonly server: string;
  readonly port: number;
  readonly useSsl: boolean;
  readonly virtualHost: string;
  readonly queueName: string;
  readonly exchangeName: string;
  readonly username: string;
  readonly password: string;
}

/** The fields of an Easee error body we look at. Everything else (and any echo of the request) is ignored. */
export interface EaseeErrorBody {
  readonly errorCode?: number;
  readonly errorCodeName?: string;
  readonly title?: string;
}

/** Easee's errorCode for "e-mail address not verified" (nordicopen/easee_hass#145). */
export const EASEE_ERROR_EMAIL_NOT_VERIFIED = 727;

const DEFAULT_RETRY_AFTER_MS = 60_000;
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pick(record: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    if (name in record) return record[name];
  }
  return undefined;
}

/**
 * Easee documents `server` as a bare host name; a value written as a URL (`amqps://host:5671/`) is reduced to its
 * host so a small change on Easee's side does not stop the stream.
 */
function hostOf(server: unknown): unknown {
  if (typeof server !== "string" || !server.includes("://")) return server;
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}

/** Error texts are cut to this before anything looks at them: Easee's are one short sentence. */
export const MAX_ERROR_TEXT_CHARS = 200;

/** Reads errorCode / errorCodeName / title from a JSON (or JSON-text) error body; PascalCase tolerated. */
export function readEaseeErrorBody(data: unknown): EaseeErrorBody {
  let value: unknown = data;
  if (typeof data === "string") {
    try {
      value = JSON.parse(data);
    } catch {
      return { title: data.slice(0, MAX_ERROR_TEXT_CHARS) };
    }
  }
  if (!isRecord(value)) return {};
  const code = pick(value, "errorCode", "ErrorCode");
  const name = pick(value, "errorCodeName", "ErrorCodeName");
  const title = pick(value, "title", "Title", "message", "Message");
  const body: { errorCode?: number; errorCodeName?: string; title?: string } = {};
  if (typeof code === "number") body.errorCode = code;
  else if (typeof code === "string" && /^\d+$/.test(code)) body.errorCode = Number(code);
  if (typeof name === "string") body.errorCodeName = name.slice(0, MAX_ERROR_TEXT_CHARS);
  if (typeof title === "string") body.title = title.slice(0, MAX_ERROR_TEXT_CHARS);
  return body;
}

/** Only short identifier-like names go into our messages: never free text that might echo input. */
function safeEaseeCode(body: EaseeErrorBody): string | undefined {
  if (body.errorCodeName && /^[A-Za-z0-9_]{1,60}$/.test(body.errorCodeName)) return body.errorCodeName;
  if (body.errorCode !== undefined) return String(body.errorCode);
  return undefined;
}

/**
 * `Retry-After` as milliseconds from now: delta-seconds or an HTTP date. Missing or unreadable: one minute.
 * Never less than one second, never more than a day.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number {
  let ms = DEFAULT_RETRY_AFTER_MS;
  if (header !== undefined && header.length <= 100 && header.trim() !== "") {
    const text = header.trim();
    if (/^\d+(\.\d+)?$/.test(text)) {
      ms = Number(text) * 1000;
    } else {
      const at = Date.parse(text);
      if (!Number.isNaN(at)) ms = at - nowMs;
    }
  }
  return Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(1000, ms)));
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly data: unknown;
}

/**
 * Lower case with every run of white space, `-` and `_` removed: "E-mail not  verified" → "emailnotverified".
 * The wordings below are then found with indexOf, in linear time whatever the text (issue 12: the regular
 * expressions used before backtracked quadratically on a long title).
 */
function squeezed(text: string): string {
  return text.slice(0, MAX_ERROR_TEXT_CHARS * 2).toLowerCase().replace(/[\s_-]+/g, "");
}

function saysTooManyRequests(body: EaseeErrorBody): boolean {
  const text = squeezed(`${body.title ?? ""} ${body.errorCodeName ?? ""}`);
  return text.includes("toomanyrequests") || text.includes("ratelimit");
}

function rateLimited(answer: HttpAnswer, nowMs: number): EaseeApiError {
  const retryAfterMs = parseRetryAfter(answer.headers["retry-after"], nowMs);
  return new EaseeApiError(
    "rate-limited",
    { id: "rate-limited", params: { status: answer.status, delay: describeDelay(retryAfterMs) } },
    { httpStatus: answer.status, retryAfterMs },
  );
}

function serverError(answer: HttpAnswer): EaseeApiError {
  return new EaseeApiError("server-error", { id: "server-error", params: { status: answer.status } }, {
    httpStatus: answer.status,
  });
}

function unexpected(answer: HttpAnswer, request: ApiRequestId): EaseeApiError {
  return new EaseeApiError(
    "unexpected-response",
    { id: "not-easee", params: { request, status: answer.status } },
    { httpStatus: answer.status },
  );
}

function isEmailNotVerified(body: EaseeErrorBody): boolean {
  if (body.errorCode === EASEE_ERROR_EMAIL_NOT_VERIFIED) return true;
  const text = squeezed(`${body.errorCodeName ?? ""} ${body.title ?? ""}`);
  if (text.includes("notverified") || text.includes("unverifiedemail")) return true;
  // "E-mail address not confirmed", "Email is unconfirmed": the e-mail mentioned before the negation.
  const email = text.indexOf("email");
  if (email < 0) return false;
  const rest = text.slice(email + 5);
  return rest.includes("notconfirmed") || rest.includes("unconfirmed") || rest.includes("unverified");
}

/** Errors every endpoint shares (rate limit, 5xx, redirects). Undefined: the caller decides. */
function commonFailure(answer: HttpAnswer, nowMs: number): EaseeApiError | undefined {
  const { status } = answer;
  if (status === 429) return rateLimited(answer, nowMs);
  if (status >= 500) return serverError(answer);
  if (status >= 300 && status < 400) {
    return new EaseeApiError(
      "invalid-url",
      { id: "redirect", params: { status } },
      { httpStatus: status },
    );
  }
  if (status === 403 && saysTooManyRequests(readEaseeErrorBody(answer.data))) return rateLimited(answer, nowMs);
  return undefined;
}

function readTokens(answer: HttpAnswer, what: ApiRequestId): TokenResponse {
  const data = answer.data;
  if (isRecord(data)) {
    const accessToken = pick(data, "accessToken", "AccessToken");
    const refreshToken = pick(data, "refreshToken", "RefreshToken");
    const expiresIn = pick(data, "expiresIn", "ExpiresIn");
    if (typeof accessToken === "string" && accessToken !== "") {
      const seconds = typeof expiresIn === "number" ? expiresIn : Number(expiresIn);
      return {
        accessToken,
        refreshToken: typeof refreshToken === "string" ? refreshToken : "",
        // Easee has always sent expiresIn (86400); an hour is a safe guess when it does not.
        expiresIn: Number.isFinite(seconds) && seconds > 0 ? seconds : 3600,
      };
    }
  }
  throw unexpected(answer, what);
}

/** POST /api/accounts/login → tokens, or the reason in plain words. */
export function interpretLogin(answer: HttpAnswer, nowMs: number): TokenResponse {
  const { status } = answer;
  if (status >= 200 && status < 300) return readTokens(answer, "login");
  const common = commonFailure(answer, nowMs);
  if (common) throw common;
  const body = readEaseeErrorBody(answer.data);
  const easeeCode = safeEaseeCode(body);
  const codeOption = easeeCode !== undefined ? { easeeCode } : {};
  if (status === 400 || status === 401 || status === 403) {
    if (isEmailNotVerified(body)) {
      throw new EaseeApiError(
        "email-not-verified",
        { id: "email-not-verified" },
        { httpStatus: status, ...codeOption },
      );
    }
    throw new EaseeApiError(
      "wrong-credentials",
      { id: "wrong-credentials" },
      { httpStatus: status, ...codeOption },
    );
  }
  if (status === 404 || status === 405) {
    throw new EaseeApiError(
      "invalid-url",
      { id: "no-login", params: { status } },
      { httpStatus: status },
    );
  }
  throw unexpected(answer, "login");
}

/** POST /api/accounts/refresh_token → tokens. A 4xx (not 429) means "log in again": signalled by `null`. */
export function interpretRefresh(answer: HttpAnswer, nowMs: number): TokenResponse | null {
  const { status } = answer;
  if (status >= 200 && status < 300) return readTokens(answer, "refresh");
  const common = commonFailure(answer, nowMs);
  if (common) throw common;
  if (status >= 400 && status < 500) return null;
  throw unexpected(answer, "refresh");
}

/** The reason for a refused GET /api/streams/amqp/v2 after a good login. */
export function notIntegrationAccount(status: number): EaseeApiError {
  return new EaseeApiError(
    "not-integration-account",
    { id: "not-integration", params: { status } },
    { httpStatus: status },
  );
}

/**
 * GET /api/streams/amqp/v2 → details. 401 answers `"unauthorized"` so the caller can log in again once before
 * concluding the account is not an integration account.
 */
export function interpretAmqpDetails(answer: HttpAnswer, nowMs: number): AmqpDetails | "unauthorized" {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    const data = answer.data;
    if (isRecord(data)) {
      const server = hostOf(pick(data, "server", "Server"));
      const port = pick(data, "port", "Port");
      const useSsl = pick(data, "useSsl", "UseSsl");
      const virtualHost = pick(data, "virtualHost", "VirtualHost");
      const queueName = pick(data, "queueName", "QueueName");
      const exchangeName = pick(data, "exchangeName", "ExchangeName");
      const username = pick(data, "username", "Username", "userName");
      const password = pick(data, "password", "Password");
      const portNumber = typeof port === "number" ? port : Number(port);
      if (
        typeof server === "string" &&
        server !== "" &&
        typeof queueName === "string" &&
        queueName !== "" &&
        typeof username === "string" &&
        typeof password === "string"
      ) {
        const ssl = typeof useSsl === "boolean" ? useSsl : useSsl === undefined ? true : String(useSsl) === "true";
        return {
          server,
          port: Number.isInteger(portNumber) && portNumber > 0 ? portNumber : ssl ? 5671 : 5672,
          useSsl: ssl,
          virtualHost: typeof virtualHost === "string" && virtualHost !== "" ? virtualHost : "/",
          queueName,
          exchangeName: typeof exchangeName === "string" ? exchangeName : "",
          username,
          password,
        };
      }
    }
    throw unexpected(answer, "amqp-details");
  }
  const common = commonFailure(answer, nowMs);
  if (common) throw common;
  if (status === 401) return "unauthorized";
  if (status === 403 || status === 404) throw notIntegrationAccount(status);
  throw unexpected(answer, "amqp-details");
}

/** The API URL, checked and without a trailing slash. Throws `invalid-url` in plain words. */
export function normaliseApiUrl(apiUrl: string): string {
  const raw = typeof apiUrl === "string" ? apiUrl : "";
  if (raw.length > MAX_API_URL_CHARS) {
    throw new EaseeApiError("invalid-url", { id: "url-too-long", params: { length: raw.length } });
  }
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EaseeApiError("invalid-url", { id: "url-not-valid", params: { url: text.slice(0, 100) } });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new EaseeApiError("invalid-url", { id: "url-scheme" });
  }
  if (url.username !== "" || url.password !== "") {
    throw new EaseeApiError("invalid-url", { id: "url-credentials" });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new EaseeApiError("invalid-url", { id: "url-query" });
  }
  return `${url.origin}${trimTrailingSlashes(url.pathname)}`;
}

/** Longer API URLs are refused before parsing: a real one is about 25 characters. */
export const MAX_API_URL_CHARS = 2048;

/** Without trailing `/`s, by a backwards scan (a regular expression for this is quadratic on "//…/x"). */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** One charger of the account, as GET /api/chargers lists it (only what the SignalR stream needs). */
export interface ChargerSummary {
  /** The serial, e.g. `EH123456`: what SubscribeWithCurrentState takes. */
  readonly id: string;
  readonly name?: string;
}

/** More chargers than any home has; a longer list is cut here rather than subscribing to thousands. */
export const MAX_CHARGERS = 500;
/** Easee serials: letters and digits (`EH123456`, `QH…` Equalizers); anything else is not subscribed to. */
const SERIAL = /^[A-Za-z0-9]{2,32}$/;

/**
 * GET /api/chargers → the account's chargers. 401 answers `"unauthorized"` so the caller can renew the token once.
 * Entries without a usable serial are skipped; names longer than 100 characters are cut.
 */
export function interpretChargers(answer: HttpAnswer, nowMs: number): ChargerSummary[] | "unauthorized" {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    const data = answer.data;
    if (!Array.isArray(data)) throw unexpected(answer, "chargers");
    const chargers: ChargerSummary[] = [];
    const seen = new Set<string>();
    for (const entry of data.slice(0, MAX_CHARGERS)) {
      if (!isRecord(entry)) continue;
      const id = pick(entry, "id", "Id", "serialNumber");
      if (typeof id !== "string" || !SERIAL.test(id) || seen.has(id)) continue;
      seen.add(id);
      const name = pick(entry, "name", "Name");
      chargers.push(typeof name === "string" && name !== "" ? { id, name: name.slice(0, 100) } : { id });
    }
    return chargers;
  }
  const common = commonFailure(answer, nowMs);
  if (common) throw common;
  if (status === 401) return "unauthorized";
  throw unexpected(answer, "chargers");
}
