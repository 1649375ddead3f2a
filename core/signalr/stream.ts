/**
 * The SignalR stream: Easee's hub (`https://streams.easee.com/hubs/chargers`) as a source of the same decoded
 * observations and command responses the AMQP connection manager delivers, for personal (app) accounts.
 *
 * One hub connection for all nodes of a config node. Per connection:
 *   1. the charger list (`GET /api/chargers`, through the REST client: token, 429 Retry-After, backoff);
 *   2. a WebSocket to the hub (hub-link.ts: skipNegotiation, bearer token from the REST client);
 *   3. `SubscribeWithCurrentState(serial, true)` once per charger (invoke, so a refusal is seen);
 *   4. `ProductUpdate` / `ChargerUpdate` / `CommandResponse` decoded once (messages.ts) and handed to every
 *      subscriber; current-state replays are marked `replay: true` (replay.ts);
 *   5. every `chargerRefreshMs` the charger list again: a charger added in the Easee app is subscribed without a
 *      redeploy.
 * When the connection closes (hub restart, network, token expiry) it reconnects forever with capped, jittered
 * exponential backoff (Easee asked integrators not to reconnect at fixed short intervals); the backoff starts over
 * only after a connection stayed up `stableAfterMs`. A 401 on the upgrade renews the token before the next try; a
 * 429 waits its Retry-After.
 */
import { Backoff, type BackoffOptions } from "../timing/backoff";
import { delay, realScheduler, type Scheduler } from "../timing/scheduler";
import { EaseeApiError, describeDelay, parseRetryAfter, type ChargerSummary } from "../easee-api";
import { sameState, StreamSubscribers, type StreamSource, type StreamSubscriber } from "../stream-source";
import { closeReasonOf, errorDetail, type CloseReason, type ConnectionState, type DecodedCommandResponse, type DecodedObservation } from "../types";
import { silentLogger, type Logger } from "../log";
import { developerForm, messageOf } from "../diagnostics";
import { normaliseHubUrl } from "./hub-url";
import { createHubLink, type HubLink, type HubLinkFactory, type HubRefusal } from "./hub-link";
import { HUB_METHODS, decodeHubMessage, type HubMethod } from "./messages";
import { ReplayTracker } from "./replay";

export type { LogLevel as SignalrLogLevel } from "../log";

export interface SignalrStreamOptions {
  /** The hub URL (CONTRACT.md `signalrUrl`). */
  readonly hubUrl: string;
  /** A valid access token (the REST client's, refreshed as needed). */
  readonly getAccessToken: (signal: AbortSignal) => Promise<string>;
  /** A new access token: the hub refused the current one. */
  readonly renewAccessToken: (signal: AbortSignal) => Promise<string>;
  /** The account's chargers (GET /api/chargers). */
  readonly listChargers: (signal: AbortSignal) => Promise<readonly ChargerSummary[]>;
  /** The hub connection; default the official client (hub-link.ts). Tests may inject their own. */
  readonly createLink?: HubLinkFactory;
  /** Reconnect backoff; default 2 s .. 120 s, doubling, half of each delay random. */
  readonly backoff?: BackoffOptions;
  /** Fetch the charger list again this often while connected. Default 15 min. */
  readonly chargerRefreshMs?: number;
  /** A connection up this long resets the backoff. Default 60 s. */
  readonly stableAfterMs?: number;
  /** Wait after an API error that gave no retry hint. Default 60 s. */
  readonly apiRetryFallbackMs?: number;
  /** Hub connection timeouts (hub-link.ts). */
  readonly serverTimeoutMs?: number;
  readonly keepAliveMs?: number;
  readonly connectTimeoutMs?: number;
  /** Replay detection (replay.ts). */
  readonly replayGraceMs?: number;
  /** A SubscribeWithCurrentState call unanswered this long counts as failed (tried again at the next refresh). Default 30 s. */
  readonly subscribeTimeoutMs?: number;
  readonly scheduler?: Scheduler;
  readonly log?: Logger;
  /** Every state change (also with no subscriber listening). */
  readonly onStateChange?: (state: ConnectionState) => void;
  /**
   * Takes every CommandResponse from the hub instead of the subscribers (the REST command sender translates Easee's
   * ticks to the command node's, then calls `dispatchCommandResponse`).
   */
  readonly interceptCommandResponse?: (response: DecodedCommandResponse) => void;
}

export interface SignalrStreamStats {
  /** Hub connections established. */
  readonly connects: number;
  /** SubscribeWithCurrentState calls that succeeded. */
  readonly subscriptions: number;
  readonly observations: number;
  readonly replays: number;
  readonly commandResponses: number;
  readonly decodeErrors: number;
  readonly subscriberErrors: number;
  /** Charger list fetches. */
  readonly chargerLists: number;
}

const REASON = {
  connecting: "connecting",
  connected: "connected",
  disconnected: "disconnected",
  hubUnreachable: "hub-unreachable",
  hubRefused: "hub-refused",
  rateLimited: "rate-limited",
  apiError: "api-error",
} as const;

export const SIGNALR_IDLE_STATE: ConnectionState = { phase: "disconnected", reason: REASON.disconnected };
export const SUBSCRIBE_METHOD = "SubscribeWithCurrentState";

class StopSignal extends Error {
  constructor() {
    super("stopped");
  }
}

/** A hub call unanswered within `timeoutMs` (a developer form; the log words it). */
class SubscribeTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(developerForm(["subscribe-timeout"], { ms: timeoutMs }));
  }
}

export class SignalrStream implements StreamSource {
  private readonly options: SignalrStreamOptions;
  private readonly scheduler: Scheduler;
  private readonly backoff: Backoff;
  private readonly createLink: HubLinkFactory;
  private readonly log: Logger;
  private readonly subscribers = new StreamSubscribers((id, error) => this.log("error", { code: "subscriber-failed", params: { id }, error }));
  private readonly replays: ReplayTracker;

  private currentState: ConnectionState = SIGNALR_IDLE_STATE;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private link: HubLink | undefined;
  private renewToken = false;
  private closed = false;
  private warnedNoChargers = false;
  private readonly counters = {
    connects: 0,
    subscriptions: 0,
    observations: 0,
    replays: 0,
    commandResponses: 0,
    decodeErrors: 0,
    chargerLists: 0,
  };

  constructor(options: SignalrStreamOptions) {
    normaliseHubUrl(options.hubUrl); // throws HubUrlError for a URL that cannot work
    this.options = options;
    this.scheduler = options.scheduler ?? realScheduler;
    this.backoff = new Backoff({ minMs: 2000, maxMs: 120_000, ...options.backoff });
    this.createLink = options.createLink ?? createHubLink;
    this.log = options.log ?? silentLogger;
    this.replays = new ReplayTracker(options.replayGraceMs !== undefined ? { graceMs: options.replayGraceMs } : {});
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get stats(): SignalrStreamStats {
    return { ...this.counters, subscriberErrors: this.subscribers.failures };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  register(subscriber: StreamSubscriber): void {
    if (this.closed) {
      this.subscribers.tellState(SIGNALR_IDLE_STATE, subscriber);
      return;
    }
    this.subscribers.add(subscriber);
    this.subscribers.tellState(this.currentState, subscriber);
    if (!this.loop) this.start();
  }

  async deregister(subscriberOrId: StreamSubscriber | string): Promise<void> {
    this.subscribers.remove(subscriberOrId);
    if (this.subscribers.size === 0) await this.stop();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    await this.stop();
  }

  // --- loop ---------------------------------------------------------------------------------------------------

  private start(): void {
    const controller = new AbortController();
    this.controller = controller;
    this.loop = this.run(controller.signal).catch((error: unknown) => {
      if (!(error instanceof StopSignal)) this.log("error", { code: "hub-loop-ended", error });
    });
  }

  private async stop(): Promise<void> {
    const controller = this.controller;
    const loop = this.loop;
    if (!controller || !loop) return;
    controller.abort();
    const link = this.link;
    this.link = undefined;
    await Promise.all([link ? this.stopLink(link) : Promise.resolve(), loop]);
    if (this.controller === controller) {
      this.controller = undefined;
      this.loop = undefined;
      this.backoff.reset();
      this.setState(SIGNALR_IDLE_STATE);
      if (!this.closed && this.subscribers.size > 0) this.start();
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.setState({ phase: "connecting", reason: REASON.connecting });
      const chargers = await this.fetchChargers(signal);
      if (chargers === undefined) return;
      if (chargers.length === 0 && !this.warnedNoChargers) {
        this.warnedNoChargers = true;
        this.log("warn", { code: "hub-no-chargers" });
      }

      const link = this.createLink({
        url: this.options.hubUrl,
        accessTokenFactory: () => this.token(signal),
        log: (message) => this.log("debug", { code: "hub-client", params: { message } }),
        ...(this.options.serverTimeoutMs !== undefined ? { serverTimeoutMs: this.options.serverTimeoutMs } : {}),
        ...(this.options.keepAliveMs !== undefined ? { keepAliveMs: this.options.keepAliveMs } : {}),
        ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
      });
      const closed = new Promise<CloseReason>((resolve) => {
        link.onClose((error) => resolve(closeReasonOf(error)));
      });
      for (const method of HUB_METHODS) link.on(method, (...args: unknown[]) => this.onHubMessage(method, args));

      try {
        await this.raceAbort(link.start(), signal);
      } catch (error) {
        await this.stopLink(link);
        if (signal.aborted) return;
        const waitMs = this.onConnectFailure(error, link.refusal);
        if (waitMs === undefined) return;
        await this.wait(waitMs, signal);
        continue;
      }
      if (signal.aborted) {
        await this.stopLink(link);
        return;
      }
      this.link = link;
      this.counters.connects += 1;
      this.replays.clear();
      const connectedAt = this.scheduler.now();
      const subscribed = new Set<string>();
      await this.subscribeAll(link, chargers, subscribed);
      if (signal.aborted) return;
      this.setState({
        phase: "connected",
        reason: REASON.connected,
        detail: { code: "hub-subscribed", params: { subscribed: subscribed.size, chargers: chargers.length } },
      });
      this.log(
        "info",
        subscribed.size > 0 ? { code: "hub-connected", params: { chargers: [...subscribed].join(", ") } } : { code: "hub-connected-none" },
      );

      const cause = await this.hold(link, closed, subscribed, signal);
      if (this.link === link) this.link = undefined;
      if (signal.aborted) return;
      if (this.scheduler.now() - connectedAt >= (this.options.stableAfterMs ?? 60_000)) this.backoff.reset();
      const delayMs = this.backoff.next();
      this.setState({
        phase: "disconnected",
        reason: REASON.disconnected,
        detail: { code: "hub-closed", params: { delay: describeDelay(delayMs) }, cause },
      });
      this.log("warn", { code: "hub-closed", params: { ms: delayMs }, cause });
      await this.wait(delayMs, signal);
    }
  }

  /** The charger list, or undefined when the loop must end (stopped, or only a change of settings can help). */
  private async fetchChargers(signal: AbortSignal): Promise<readonly ChargerSummary[] | undefined> {
    for (;;) {
      try {
        this.counters.chargerLists += 1;
        return await this.options.listChargers(signal);
      } catch (error) {
        if (signal.aborted) return undefined;
        const apiError = error instanceof EaseeApiError ? error : undefined;
        const retryAfterMs = apiError ? apiError.retryAfterMs : (this.options.apiRetryFallbackMs ?? 60_000);
        this.setState({ phase: "error", reason: apiError ? apiError.statusReason : REASON.apiError, detail: errorDetail(error) });
        this.log("debug", { code: "api-failed", error });
        if (retryAfterMs === undefined) return undefined;
        await this.wait(retryAfterMs, signal);
        if (signal.aborted) return undefined;
        this.setState({ phase: "connecting", reason: REASON.connecting });
      }
    }
  }

  private async token(signal: AbortSignal): Promise<string> {
    if (this.renewToken) {
      this.renewToken = false;
      return this.options.renewAccessToken(signal);
    }
    return this.options.getAccessToken(signal);
  }

  /** Sets the state for a failed connect; returns how long to wait, or undefined to stop trying. */
  private onConnectFailure(error: unknown, refusal: HubRefusal | undefined): number | undefined {
    if (error instanceof EaseeApiError) {
      // From the token factory: login or refresh failed.
      this.setState({ phase: "error", reason: error.statusReason, detail: errorDetail(error) });
      this.log("debug", { code: "api-failed", error });
      return error.retryAfterMs;
    }
    if (refusal?.status === 401 || refusal?.status === 403) {
      this.renewToken = true;
      const delayMs = this.backoff.next();
      this.setState({
        phase: "error",
        reason: REASON.hubRefused,
        detail: { code: "hub-refused", params: { status: refusal.status, delay: describeDelay(delayMs) } },
      });
      return delayMs;
    }
    if (refusal?.status === 429) {
      const delayMs = Math.max(parseRetryAfter(refusal.retryAfter, this.scheduler.now()), this.backoff.next());
      this.setState({
        phase: "error",
        reason: REASON.rateLimited,
        detail: { code: "hub-rate-limited", params: { delay: describeDelay(delayMs) } },
      });
      return delayMs;
    }
    const delayMs = this.backoff.next();
    const why = refusal ? `HTTP ${refusal.status}` : messageOf(error);
    this.setState({
      phase: "error",
      reason: REASON.hubUnreachable,
      detail: { code: "hub-unreachable", params: { host: this.hubHost(), reason: why, delay: describeDelay(delayMs) } },
    });
    this.log("debug", { code: "hub-connect-failed", params: { reason: why } });
    return delayMs;
  }

  private hubHost(): string {
    try {
      return new URL(this.options.hubUrl).host;
    } catch {
      return this.options.hubUrl;
    }
  }

  private async subscribeAll(link: HubLink, chargers: readonly ChargerSummary[], subscribed: Set<string>): Promise<void> {
    for (const charger of chargers) {
      if (subscribed.has(charger.id) || this.link !== link) continue;
      this.replays.begin(charger.id, this.scheduler.now());
      try {
        await this.withTimeout(link.invoke(SUBSCRIBE_METHOD, charger.id, true), this.options.subscribeTimeoutMs ?? 30_000);
        subscribed.add(charger.id);
        this.counters.subscriptions += 1;
      } catch (error) {
        if (this.link === link) {
          this.log(
            "warn",
            error instanceof SubscribeTimeout
              ? { code: "hub-subscribe-timeout", params: { charger: charger.id, seconds: Math.round(error.timeoutMs / 1000) } }
              : { code: "hub-subscribe-failed", params: { charger: charger.id }, error },
          );
        }
      } finally {
        this.replays.end(charger.id, this.scheduler.now());
      }
    }
  }

  /** Waits until the connection closes (resolves with the reason) or the stream stops; refreshes the chargers. */
  private async hold(link: HubLink, closed: Promise<CloseReason>, subscribed: Set<string>, signal: AbortSignal): Promise<CloseReason> {
    const refreshMs = this.options.chargerRefreshMs ?? 15 * 60_000;
    // Ends the refresh timer as soon as the connection closes or the stream stops: no timer outlives the connection.
    const held = new AbortController();
    const onAbort = (): void => held.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let isClosed = false;
    let reason: CloseReason = { code: "closed" };
    void closed.then((cause) => {
      isClosed = true;
      reason = cause;
      held.abort();
    });
    let waitMs = refreshMs;
    while (!held.signal.aborted) {
      await this.wait(waitMs, held.signal);
      if (held.signal.aborted) break;
      waitMs = refreshMs;
      let chargers: readonly ChargerSummary[];
      try {
        this.counters.chargerLists += 1;
        chargers = await this.options.listChargers(signal);
      } catch (error) {
        // The stream itself is fine; try again at the next refresh, or later if Easee said so (429 Retry-After).
        if (error instanceof EaseeApiError && error.retryAfterMs !== undefined) waitMs = Math.max(refreshMs, error.retryAfterMs);
        if (!signal.aborted) this.log("debug", { code: "hub-chargers-refresh-failed", error });
        continue;
      }
      const before = subscribed.size;
      await this.subscribeAll(link, chargers, subscribed);
      if (subscribed.size > before && !isClosed) {
        this.log("info", { code: "hub-subscribed-new", params: { count: subscribed.size - before } });
        this.setState({
          phase: "connected",
          reason: REASON.connected,
          detail: { code: "hub-subscribed", params: { subscribed: subscribed.size, chargers: chargers.length } },
        });
      }
    }
    signal.removeEventListener("abort", onAbort);
    return isClosed ? reason : { code: "stopped" };
  }

  private onHubMessage(method: HubMethod, args: readonly unknown[]): void {
    const receivedAt = this.scheduler.now();
    // Easee sends one object per call; more arguments are not expected, but each is read the same way.
    for (const argument of args.length > 0 ? args : [undefined]) {
      const decoded = decodeHubMessage(method, argument, receivedAt);
      if (decoded.kind === "observation") {
        let observation: DecodedObservation = decoded;
        if (this.replays.isReplay(decoded.chargerId, decoded.timestamp, receivedAt)) {
          observation = { ...decoded, replay: true };
          this.counters.replays += 1;
        }
        this.counters.observations += 1;
        this.subscribers.deliver(observation);
      } else if (decoded.kind === "commandResponse") {
        this.counters.commandResponses += 1;
        if (this.options.interceptCommandResponse) this.options.interceptCommandResponse(decoded);
        else this.dispatchCommandResponse(decoded);
      } else {
        this.counters.decodeErrors += 1;
        this.subscribers.deliver(decoded);
      }
    }
  }

  /** Hands a command response to every subscriber. */
  dispatchCommandResponse(response: DecodedCommandResponse): void {
    this.subscribers.deliver(response);
  }

  private async stopLink(link: HubLink): Promise<void> {
    let timer: ReturnType<Scheduler["setTimeout"]> | undefined;
    const guard = new Promise<void>((resolve) => {
      timer = this.scheduler.setTimeout(resolve, 3000);
    });
    await Promise.race([link.stop().catch(() => undefined), guard]);
    this.scheduler.clearTimeout(timer);
  }

  /** `work`, or a rejection after `ms`: a hub that never completes a call must not hold the stream up. */
  private withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<Scheduler["setTimeout"]> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = this.scheduler.setTimeout(() => reject(new SubscribeTimeout(ms)), ms);
    });
    work.catch(() => undefined);
    return Promise.race([work, timeout]).finally(() => this.scheduler.clearTimeout(timer));
  }

  private raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        work.catch(() => undefined);
        reject(new StopSignal());
        return;
      }
      const onAbort = (): void => reject(new StopSignal());
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(
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

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await delay(this.scheduler, ms, signal, () => new StopSignal());
    } catch {
      // stopped: the loop checks the signal
    }
  }

  private setState(state: ConnectionState): void {
    const previous = this.currentState;
    this.currentState = state;
    if (sameState(previous, state)) return;
    try {
      this.options.onStateChange?.(state);
    } catch (error) {
      this.log("error", { code: "state-handler-failed", error });
    }
    this.subscribers.tellState(state);
  }
}
