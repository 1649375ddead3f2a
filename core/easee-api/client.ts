/**
 * The Easee REST client: login, token refresh, and the AMQP stream details. Pure TypeScript (axios underneath).
 *
 * - Tokens and AMQP details live in memory only.
 * - The access token is refreshed at `refreshFraction` (80 %) of its lifetime, proactively by a timer while the
 *   client is active, and lazily on use; a 4xx answer to the refresh means "log in again".
 * - Concurrent callers share one request in flight (token and AMQP details separately).
 * - Every error that leaves the client is an EaseeApiError with `retryAfterMs` set by the retry policy:
 *   429 → Retry-After; 5xx and network errors → exponential backoff with jitter (2 s .. 5 min);
 *   wrong credentials / unverified e-mail / no integration account → `authRetryMs` (30 min);
 *   invalid API URL or missing credentials → none (only a change of settings helps).
 * - A LoginBudget (shared per API URL and user name) caps logins per hour whatever happens: Easee blocks
 *   addresses that log in too often. Attempts that got no answer at all (network down) are not counted.
 */
import { Backoff, type BackoffOptions } from "../timing/backoff";
import { realScheduler, type Scheduler, type TimerHandle } from "../timing/scheduler";
import { silentLogger, type Logger } from "../log";
import { messageOf } from "../diagnostics";
import { EaseeApiError, describeDelay } from "./errors";
import {
  interpretAmqpDetails,
  interpretChargers,
  interpretLogin,
  interpretRefresh,
  normaliseApiUrl,
  notIntegrationAccount,
  type AmqpDetails,
  type ChargerSummary,
  type HttpAnswer,
  type TokenResponse,
} from "./responses";
import { createAxiosTransport, type HttpTransport } from "./transport";

export const LOGIN_PATH = "/api/accounts/login";
export const REFRESH_PATH = "/api/accounts/refresh_token";
export const AMQP_DETAILS_PATH = "/api/streams/amqp/v2";
export const CHARGERS_PATH = "/api/chargers";

/** The longest the refresh timer waits in one go (a day); it waits again if the token is not due yet. */
const MAX_REFRESH_TIMER_MS = 24 * 3600_000;

/** At most `max` logins in any rolling `windowMs`. */
export class LoginBudget {
  private readonly stamps: number[] = [];

  constructor(
    readonly max: number = 5,
    readonly windowMs: number = 3600_000,
  ) {}

  /** Records a login and returns undefined when one is allowed now; otherwise milliseconds until one is. */
  take(nowMs: number): number | undefined {
    while (this.stamps.length > 0 && nowMs - (this.stamps[0] as number) >= this.windowMs) this.stamps.shift();
    if (this.stamps.length >= this.max) {
      return Math.max(1000, (this.stamps[0] as number) + this.windowMs - nowMs);
    }
    this.stamps.push(nowMs);
    return undefined;
  }

  /** Gives back a login taken at `stampMs` that never reached Easee (network error): it cannot get us blocked. */
  refund(stampMs: number): void {
    const index = this.stamps.lastIndexOf(stampMs);
    if (index >= 0) this.stamps.splice(index, 1);
  }

  get used(): number {
    return this.stamps.length;
  }
}

export interface EaseeApiClientOptions {
  readonly apiUrl: string;
  readonly userName: string;
  readonly password: string;
  /** HTTP layer; default axios. Tests inject a fake. */
  readonly transport?: HttpTransport;
  /** Per-request timeout, milliseconds. Default 15000. */
  readonly timeoutMs?: number;
  readonly scheduler?: Scheduler;
  /** Shared login cap; default a private budget of `maxLoginsPerHour`. */
  readonly loginBudget?: LoginBudget;
  /** Default 5. */
  readonly maxLoginsPerHour?: number;
  /** Fraction of the token lifetime after which it is refreshed. Default 0.8. */
  readonly refreshFraction?: number;
  /** Backoff for 5xx and network errors. Default 2 s .. 5 min. */
  readonly backoff?: BackoffOptions;
  /** Wait after wrong credentials, unverified e-mail or a non-integration account. Default 30 min. */
  readonly authRetryMs?: number;
  /**
   * Wait after an answer saying this URL is not the Easee API (a redirect, 404/405 on login). Default 15 min:
   * a maintenance redirect passes, and a wrong URL is not asked every minute. Never "for ever": only a redeploy
   * could end that (issue 12).
   */
  readonly urlRetryMs?: number;
  /** Refresh the token by timer while active. Default true. */
  readonly autoRefresh?: boolean;
  /** Diagnostics; messages never contain a secret. */
  readonly log?: Logger;
}

interface TokenState {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly obtainedAtMs: number;
  readonly expiresAtMs: number;
  readonly refreshAtMs: number;
  /** Came from a login, not a refresh. */
  readonly fromLogin: boolean;
}

function abortError(): EaseeApiError {
  return new EaseeApiError("aborted", { id: "cancelled" });
}

/** Races a shared promise against one caller's signal without cancelling it for the others. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export class EaseeApiClient {
  readonly apiUrl: string;
  readonly userName: string;
  private readonly password: string;
  private readonly transport: HttpTransport;
  private readonly scheduler: Scheduler;
  private readonly budget: LoginBudget;
  private readonly refreshFraction: number;
  private readonly backoff: Backoff;
  private readonly authRetryMs: number;
  private readonly urlRetryMs: number;
  private readonly autoRefresh: boolean;
  private readonly log: Logger;

  private token: TokenState | undefined;
  private details: AmqpDetails | undefined;
  private tokenFlight: Promise<TokenState> | undefined;
  private detailsFlight: Promise<AmqpDetails> | undefined;
  private refreshTimer: TimerHandle | undefined;
  private controller = new AbortController();
  private active = true;
  private closed = false;
  private counters = { logins: 0, refreshes: 0, detailsFetches: 0 };

  /** Throws EaseeApiError `invalid-url` / `missing-credentials` for settings that cannot work. */
  constructor(options: EaseeApiClientOptions) {
    this.apiUrl = normaliseApiUrl(options.apiUrl);
    if (!options.userName || !options.password) {
      throw new EaseeApiError("missing-credentials", { id: "missing-credentials" });
    }
    this.userName = options.userName;
    this.password = options.password;
    this.transport =
      options.transport ?? createAxiosTransport({ baseUrl: this.apiUrl, timeoutMs: options.timeoutMs ?? 15000 });
    this.scheduler = options.scheduler ?? realScheduler;
    this.budget = options.loginBudget ?? new LoginBudget(options.maxLoginsPerHour ?? 5);
    this.refreshFraction = Math.min(0.95, Math.max(0.1, options.refreshFraction ?? 0.8));
    this.backoff = new Backoff({ minMs: 2000, maxMs: 300_000, ...options.backoff });
    this.authRetryMs = options.authRetryMs ?? 30 * 60_000;
    this.urlRetryMs = options.urlRetryMs ?? 15 * 60_000;
    this.autoRefresh = options.autoRefresh ?? true;
    this.log = options.log ?? silentLogger;
  }

  /** How many logins, refreshes and AMQP detail fetches this client made (diagnostics and tests). */
  get stats(): { readonly logins: number; readonly refreshes: number; readonly detailsFetches: number } {
    return { ...this.counters };
  }

  /** When the current access token expires (epoch ms), if there is one. */
  get tokenExpiresAt(): number | undefined {
    return this.token?.expiresAtMs;
  }

  /** A valid access token: cached, refreshed or from a new login. */
  async getAccessToken(signal?: AbortSignal): Promise<string> {
    const state = await this.guard(() => this.ensureToken(), signal);
    return state.accessToken;
  }

  /**
   * The AMQP stream details: cached unless `forceRefresh` (after ACCESS_REFUSED or repeated connect failures).
   */
  async getAmqpDetails(options: { forceRefresh?: boolean; signal?: AbortSignal } = {}): Promise<AmqpDetails> {
    if (!options.forceRefresh && this.details && !this.detailsFlight) return this.details;
    return this.guard(() => {
      if (!this.detailsFlight) {
        const flight = this.fetchDetails().finally(() => {
          if (this.detailsFlight === flight) this.detailsFlight = undefined;
        });
        this.detailsFlight = flight;
      }
      return this.detailsFlight;
    }, options.signal);
  }

  /**
   * A new access token even when the cached one looks valid: for a caller that was refused with it (the SignalR hub
   * answers 401 to a token Easee revoked). Refreshes, or logs in again if the refresh is refused.
   */
  async renewAccessToken(signal?: AbortSignal): Promise<string> {
    const state = await this.guard(() => this.ensureToken(true), signal);
    return state.accessToken;
  }

  /** The chargers of the account (GET /api/chargers): what the SignalR stream subscribes to. Never cached. */
  async getChargers(options: { signal?: AbortSignal } = {}): Promise<ChargerSummary[]> {
    return this.guard(() => this.authorizedRequest("GET", CHARGERS_PATH, undefined, interpretChargers), options.signal);
  }

  /**
   * A command to a charger over REST (personal accounts): `POST {path}` with `body`, answered by `interpret`
   * (core/signalr/rest-commands.ts). Errors are EaseeApiErrors with the retry policy (429 → Retry-After).
   */
  async postCharger<T>(
    path: string,
    body: unknown,
    interpret: (answer: HttpAnswer, nowMs: number) => T | "unauthorized",
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    if (!/^\/api\/chargers\/[A-Za-z0-9]{2,32}\/(settings|commands\/[a-z_]{1,40})$/.test(path)) {
      throw new EaseeApiError("invalid-url", { id: "not-command-path", params: { path: path.slice(0, 80) } });
    }
    return this.guard(() => this.authorizedRequest("POST", path, body, interpret), options.signal);
  }

  /** Stop timers and cancel requests in flight; tokens and details stay cached. `resume()` undoes it. */
  suspend(): void {
    this.active = false;
    this.scheduler.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.controller.abort();
    this.controller = new AbortController();
  }

  /** Active again: the proactive refresh timer is re-armed if there is a token. */
  resume(): void {
    if (this.closed) return;
    this.active = true;
    if (this.token) this.scheduleRefresh(this.token.refreshAtMs - this.scheduler.now());
  }

  /** Final: timers stopped, requests cancelled, secrets dropped. */
  close(): void {
    this.suspend();
    this.closed = true;
    this.token = undefined;
    this.details = undefined;
  }

  // --- internals -------------------------------------------------------------------------------------------

  private async guard<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.closed) throw abortError();
    try {
      const result = await withSignal(work(), signal);
      this.backoff.reset();
      return result;
    } catch (error) {
      throw this.withRetryPolicy(error);
    }
  }

  /** Decides when the caller should try again; converts anything unexpected to a plain error. */
  private withRetryPolicy(error: unknown): EaseeApiError {
    if (!(error instanceof EaseeApiError)) {
      // Not from axios (the transport converts those); a bug or a thrown non-error. Keep only the message.
      return new EaseeApiError("unexpected-response", { id: "unexpected-problem", params: { message: messageOf(error) } }, {
        retryAfterMs: this.backoff.next(),
      });
    }
    switch (error.code) {
      case "rate-limited":
      case "login-limit":
        return error;
      case "unreachable":
      case "server-error":
      case "unexpected-response":
        return error.withRetryAfter(this.backoff.next());
      case "wrong-credentials":
      case "email-not-verified":
      case "not-integration-account":
        return error.withRetryAfter(this.authRetryMs);
      case "invalid-url":
        return error.withRetryAfter(this.urlRetryMs);
      default:
        return error.withRetryAfter(undefined);
    }
  }

  /** `renew`: refresh even if the clock says it is not yet time (a timer may fire a millisecond early). */
  private ensureToken(renew = false): Promise<TokenState> {
    const token = this.token;
    if (token && !renew && this.scheduler.now() < token.refreshAtMs) return Promise.resolve(token);
    if (!this.tokenFlight) {
      const flight = this.obtainToken().finally(() => {
        if (this.tokenFlight === flight) this.tokenFlight = undefined;
      });
      this.tokenFlight = flight;
    }
    return this.tokenFlight;
  }

  private async obtainToken(): Promise<TokenState> {
    const signal = this.controller.signal;
    const current = this.token;
    if (current && current.refreshToken) {
      // Refreshes count against the same hourly cap as logins: a token that expires at once (or a timer that
      // fires too early) must not become a tight loop of requests to Easee (issue 12).
      const refreshStamp = this.takeBudget();
      this.counters.refreshes += 1;
      let answer: HttpAnswer;
      try {
        answer = await this.transport({
          method: "POST",
          path: REFRESH_PATH,
          body: { accessToken: current.accessToken, refreshToken: current.refreshToken },
          signal,
        });
      } catch (error) {
        this.budget.refund(refreshStamp);
        throw error;
      }
      const refreshed = interpretRefresh(answer, this.scheduler.now());
      if (refreshed) {
        this.log("debug", { code: "token-refreshed" });
        return this.store(refreshed, false);
      }
      this.log("debug", { code: "token-refresh-refused", params: { status: answer.status } });
      this.token = undefined;
    }
    const stamp = this.takeBudget();
    this.counters.logins += 1;
    let answer: HttpAnswer;
    try {
      answer = await this.transport({
        method: "POST",
        path: LOGIN_PATH,
        body: { userName: this.userName, password: this.password },
        signal,
      });
    } catch (error) {
      // No answer: Easee never saw this login, so it does not count against the hourly cap.
      this.budget.refund(stamp);
      throw error;
    }
    const tokens = interpretLogin(answer, this.scheduler.now());
    this.log("debug", { code: "logged-in" });
    return this.store(tokens, true);
  }

  /** Takes one login (or refresh) from the hourly budget and returns its stamp; throws `login-limit` if none is left. */
  private takeBudget(): number {
    const stamp = this.scheduler.now();
    const wait = this.budget.take(stamp);
    if (wait !== undefined) {
      throw new EaseeApiError(
        "login-limit",
        { id: "login-limit", params: { max: this.budget.max, delay: describeDelay(wait) } },
        { retryAfterMs: wait },
      );
    }
    return stamp;
  }

  private store(tokens: TokenResponse, fromLogin: boolean): TokenState {
    const now = this.scheduler.now();
    const lifetimeMs = tokens.expiresIn * 1000;
    const state: TokenState = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      obtainedAtMs: now,
      expiresAtMs: now + lifetimeMs,
      refreshAtMs: now + lifetimeMs * this.refreshFraction,
      fromLogin,
    };
    if (!this.closed) this.token = state;
    this.scheduleRefresh(state.refreshAtMs - now);
    return state;
  }

  private scheduleRefresh(inMs: number): void {
    this.scheduler.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!this.autoRefresh || !this.active || this.closed) return;
    this.refreshTimer = this.scheduler.setTimeout(
      () => {
        this.refreshTimer = undefined;
        // The timer was capped (a token lifetime longer than setTimeout can wait): not due yet, wait again.
        const token = this.token;
        if (token && token.refreshAtMs - this.scheduler.now() > 1000) {
          this.scheduleRefresh(token.refreshAtMs - this.scheduler.now());
          return;
        }
        this.guard(() => this.ensureToken(true), undefined).catch((error: unknown) => {
          const retryAfterMs = error instanceof EaseeApiError ? error.retryAfterMs : undefined;
          this.log("warn", { code: "token-refresh-failed", error });
          if (retryAfterMs !== undefined) this.scheduleRefresh(retryAfterMs);
        });
      },
      // Capped: setTimeout fires at once for delays above 24.8 days (an `expiresIn` of a month would then
      // refresh in a tight loop, issue 12).
      Math.min(MAX_REFRESH_TIMER_MS, Math.max(1000, inMs)),
    );
  }

  /** A request with the bearer token; one 401 renews the token (it may have been revoked) and asks again. */
  private async authorizedRequest<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    interpret: (answer: HttpAnswer, nowMs: number) => T | "unauthorized",
  ): Promise<T> {
    const signal = this.controller.signal;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.ensureToken();
      const answer = await this.transport({
        method,
        path,
        bearer: token.accessToken,
        signal,
        ...(body !== undefined ? { body } : {}),
      });
      const result = interpret(answer, this.scheduler.now());
      if (result !== "unauthorized") return result;
      if (attempt > 0) {
        throw new EaseeApiError("unexpected-response", { id: "fresh-token-refused", params: { path } }, {
          httpStatus: 401,
        });
      }
      if (this.token === token) this.token = { ...token, refreshAtMs: 0 };
    }
  }

  private async fetchDetails(): Promise<AmqpDetails> {
    const signal = this.controller.signal;
    for (let attempt = 0; ; attempt += 1) {
      const before = this.token;
      const token = await this.ensureToken();
      const freshLogin = token !== before && token.fromLogin;
      this.counters.detailsFetches += 1;
      const answer = await this.transport({ method: "GET", path: AMQP_DETAILS_PATH, bearer: token.accessToken, signal });
      const result = interpretAmqpDetails(answer, this.scheduler.now());
      if (result !== "unauthorized") {
        this.details = result;
        this.log("debug", { code: "amqp-details-fetched", params: { queue: result.queueName } });
        return result;
      }
      // 401 with a token fresh from a login: the account itself is refused. Otherwise the token may have been
      // revoked: renew it once (refresh, or login if that fails) and ask again.
      if (freshLogin || attempt > 0) throw notIntegrationAccount(answer.status);
      if (this.token === token) this.token = { ...token, refreshAtMs: 0 };
    }
  }
}
