/**
 * One AMQP connection, one channel and ONE consumer on the Easee operator queue, shared by every subscriber.
 *
 * Lifecycle: the first subscriber starts the loop, the last one stops it. The loop is sequential:
 *   fetch AMQP details (cached by the REST client) → connect → channel → prefetch → checkQueue → consume
 *   → wait for the connection's `close` event → back off (1 s .. 60 s, jitter) → again.
 * Because one loop awaits one `close` promise, a dead connection triggers exactly one reconnect however many
 * `error`/`close` events arrive. `error` events are only logged (amqplib always follows them with `close`).
 *
 * Deliveries are decoded once, handed to every subscriber, then acknowledged on the channel that delivered them
 * (at-least-once). The acks of one socket read go out as ONE ack with `multiple` (allUpTo), in a microtask after
 * that read's deliveries are handled: an ack frame and a socket write per delivery cost a third of the CPU time per
 * message (bench/run.ts, docs/performance.md; core/amqp/ack-batcher.ts). Deliveries from a channel that has died are never acked (their tags
 * mean nothing on a new channel). Undecodable deliveries go to `onDecodeError` and are acked too: requeueing would
 * loop forever.
 *
 * The queue belongs to Easee and the account has no configure permission: the queue is only checked (a passive
 * declare, which RabbitMQ allows without configure rights), never declared or bound.
 *
 * Nothing secret (the AMQP password) is ever put in a log line or a state.
 */
import { decodeDelivery } from "../decode";
import type { AmqpDetails } from "../easee-api/responses";
import { EaseeApiError } from "../easee-api/errors";
import { closeReasonOf, errorDetail, type CloseReason, type ConnectionState, type DecodedDelivery, type RawDelivery } from "../types";
import { silentLogger, type Logger } from "../log";
import { sameState, StreamSubscribers } from "../stream-source";
import { CommandSendError } from "../command/send-error";
import { Backoff, type BackoffOptions } from "../timing/backoff";
import { describeDelay } from "../easee-api/errors";
import { delay, realScheduler, type Scheduler, type TimerHandle } from "../timing/scheduler";
import { AckBatcher } from "./ack-batcher";
import {
  amqplibConnect,
  destroySocket,
  type ChannelLike,
  type ConnectFunction,
  type ConnectionLike,
  type ConnectSocketOptions,
  type ConnectUrl,
  type Decoder,
  type DeliveryLike,
  type Listener,
} from "./adapter";
import { ConfirmPublisher, type PublishRequest } from "./confirm-publisher";
import {
  ConnectTimeoutError,
  IDLE_STATE,
  REASON,
  NO_CONSUMER_STATE,
  connectFailureState,
  isAccessRefused,
  messageOf,
  setupFailureState,
} from "./states";

// Split at its seams (adapter types, states, ack batching); importers keep using this module.
export type {
  ChannelLike,
  ConnectFunction,
  ConnectionLike,
  ConnectSocketOptions,
  ConnectUrl,
  Decoder,
  DeliveryLike,
} from "./adapter";
export { IDLE_STATE, NO_CONSUMER_STATE, isAccessRefused } from "./states";

/** What the manager hands deliveries and state to (the config node's DeliverySubscriber fits). */
export interface ManagerSubscriber {
  readonly id: string;
  onObservation?(observation: Extract<DecodedDelivery, { kind: "observation" }>): void;
  onDecodeError?(error: Extract<DecodedDelivery, { kind: "error" }>): void;
  onCommandResponse?(response: Extract<DecodedDelivery, { kind: "commandResponse" }>): void;
  onConnectionState?(state: ConnectionState): void;
}

/**
 * Whether a subscriber needs the consumer: it takes observations or command responses. A subscriber with only
 * `onConnectionState` (e.g. easee-homeassistant's availability) gets state but never starts a consumer: a consumer
 * acknowledges every delivery, and with nobody taking them they would be lost (issue 12).
 */
export function needsConsumer(subscriber: ManagerSubscriber): boolean {
  return typeof subscriber.onObservation === "function" || typeof subscriber.onCommandResponse === "function";
}

export type { LogLevel } from "../log";

export interface ConnectionManagerOptions {
  /** Shown by the broker (`connection_name`), so this connection can be identified and closed by name. */
  readonly connectionName: string;
  /** Unacknowledged deliveries in flight (per consumer). */
  readonly prefetch: number;
  /** AMQP heartbeat, seconds (0 disables). */
  readonly heartbeatSeconds: number;
  /** Verify the broker's TLS certificate (only used when the details say useSsl). */
  readonly rejectUnauthorized: boolean;
  /** The AMQP details, from the REST client (which caches them); `forceRefresh` after the broker refused us. */
  readonly getDetails: (request: { forceRefresh: boolean; signal: AbortSignal }) => Promise<AmqpDetails>;
  /** core/decode's decodeDelivery by default. */
  readonly decode?: Decoder;
  /** amqplib's connect by default. */
  readonly connect?: ConnectFunction;
  /** Reconnect backoff; default 1 s .. 60 s. */
  readonly backoff?: BackoffOptions;
  /** Fetch the details again after this many connect failures in a row. Default 3. */
  readonly refetchAfterFailures?: number;
  /** Give up a connect attempt after this long. Default 15000 ms. */
  readonly connectTimeoutMs?: number;
  /** Wait this long for a clean close before destroying the socket. Default 2000 ms. */
  readonly closeTimeoutMs?: number;
  /** Wait after an API error that gave no retry hint. Default 60000 ms. No API answer ends the loop. */
  readonly apiRetryFallbackMs?: number;
  /** Reset the reconnect backoff only after a connection stayed up this long. Default 60000 ms. */
  readonly stableAfterMs?: number;
  readonly scheduler?: Scheduler;
  readonly log?: Logger;
  /** Every state change (also with no subscriber listening), e.g. for the owner's own log. */
  readonly onStateChange?: (state: ConnectionState) => void;
}

export interface ConnectionStats {
  readonly connects: number;
  readonly deliveries: number;
  readonly acked: number;
  readonly decodeErrors: number;
  readonly subscriberErrors: number;
}

class StopSignal extends Error {
  constructor() {
    super("stopped");
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export class ConnectionManager {
  private readonly options: ConnectionManagerOptions;
  private readonly scheduler: Scheduler;
  private readonly backoff: Backoff;
  private readonly connectFn: ConnectFunction;
  private readonly decode: Decoder;
  private readonly log: Logger;
  private readonly subscribers = new StreamSubscribers<ManagerSubscriber>((id, error) =>
    this.log("error", { code: "subscriber-failed", params: { id }, error }),
  );

  private currentState: ConnectionState = IDLE_STATE;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private connection: ConnectionLike | undefined;
  private channel: ChannelLike | undefined;
  /** The consuming channel of each connection, so a close can close it first (see closeConnection). */
  private readonly channelOf = new WeakMap<ConnectionLike, ChannelLike>();
  private forceRefresh = false;
  private failuresInARow = 0;
  /** Resets the backoff once the connection has stayed up for stableAfterMs. */
  private stableTimer: TimerHandle | undefined;
  /** Ends the wait for `close` of a connection whose socket was destroyed (amqplib emits no `close` then). */
  private readonly forcedClose = new WeakMap<ConnectionLike, (reason: CloseReason) => void>();
  private closed = false;
  private readonly counters = { connects: 0, deliveries: 0, acked: 0, decodeErrors: 0 };
  /** One ack per socket read, on the live channel only. */
  private readonly acks = new AckBatcher(
    (channel) => channel === this.channel,
    (count) => (this.counters.acked += count),
    (count, error) => this.log("warn", { code: "amqp-ack-failed", params: { count }, error }),
  );
  /** Commands: the details of the live connection (exchangeName), callers waiting for one, the confirm channel. */
  private liveDetails: AmqpDetails | undefined;
  private readonly upWaiters = new Set<() => void>();
  private readonly publisher: ConfirmPublisher;

  constructor(options: ConnectionManagerOptions) {
    // Programming errors (the node checks the user's settings first): a developer form, no sentence.
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1) throw new RangeError(`prefetch=${options.prefetch} (integer >= 1)`);
    if (!(options.heartbeatSeconds >= 0)) throw new RangeError(`heartbeatSeconds=${options.heartbeatSeconds} (>= 0)`);
    this.options = options;
    this.scheduler = options.scheduler ?? realScheduler;
    this.backoff = new Backoff({ minMs: 1000, maxMs: 60_000, ...options.backoff });
    this.connectFn = options.connect ?? amqplibConnect;
    this.decode = options.decode ?? decodeDelivery;
    this.log = options.log ?? silentLogger;
    this.publisher = new ConfirmPublisher(this.scheduler, (level, event) => this.log(level, event));
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get stats(): ConnectionStats {
    return { ...this.counters, subscriberErrors: this.subscribers.failures };
  }

  /**
   * Adds (or replaces, same id) a subscriber; it gets the current state at once. The first one that needs the
   * consumer (see needsConsumer) connects; a state-only subscriber alone connects nothing and is told so.
   */
  register(subscriber: ManagerSubscriber): void {
    if (this.closed) {
      // Closing down (a flow node starting while its config node stops): nothing will connect any more.
      this.subscribers.tellState(IDLE_STATE, subscriber);
      return;
    }
    this.subscribers.add(subscriber);
    if (!this.loop && this.consumerNeeded()) {
      this.subscribers.tellState(this.currentState, subscriber);
      this.start();
      return;
    }
    if (!this.loop && this.currentState !== NO_CONSUMER_STATE) {
      // Tells every subscriber, this one included.
      this.setState(NO_CONSUMER_STATE);
      return;
    }
    this.subscribers.tellState(this.currentState, subscriber);
  }

  /** Removes a subscriber. The last one needing the consumer closes the connection; resolves when it is closed. */
  async deregister(subscriberOrId: ManagerSubscriber | string): Promise<void> {
    this.subscribers.remove(subscriberOrId);
    if (!this.consumerNeeded()) await this.stop();
  }

  /** True while at least one subscriber takes observations or command responses. */
  get consumerWanted(): boolean {
    return this.consumerNeeded();
  }

  private consumerNeeded(): boolean {
    return this.subscribers.some(needsConsumer);
  }

  /** Final close (the config node is closing): no more subscribers, connection closed within a few seconds. */
  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    this.wakeUpWaiters();
    await this.stop();
  }

  /**
   * Publishes a command to the details' command exchange on a confirm channel of THIS connection (never a second
   * connection). While the connection is down it waits for it, at most `timeoutMs` in all; resolves when the broker
   * confirmed the publish, else rejects with a CommandSendError in plain words. The consumer must be running
   * (someone registered), as the response arrives on the operator queue.
   */
  async publishCommand(
    request: PublishRequest,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<void> {
    const deadline = this.scheduler.now() + options.timeoutMs;
    for (;;) {
      if (options.signal?.aborted) throw new CommandSendError("closed", { withdrawn: "yes" });
      if (this.closed || !this.consumerNeeded()) {
        throw new CommandSendError("closed");
      }
      const connection = this.connection;
      const details = this.liveDetails;
      const left = deadline - this.scheduler.now();
      if (connection && details && this.channel) {
        await this.publisher.publish(connection, details.exchangeName, request, Math.max(1, left));
        return;
      }
      if (left <= 0) {
        throw new CommandSendError("not-connected", { seconds: Math.round(options.timeoutMs / 1000) });
      }
      await this.waitUntilUp(left, options.signal);
    }
  }

  /** Resolves when a connection is consuming, the manager stops, `signal` aborts, or after `ms`; leaves no timer. */
  private waitUntilUp(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.upWaiters.delete(wake);
        this.scheduler.clearTimeout(timer);
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      const timer = this.scheduler.setTimeout(wake, ms);
      this.upWaiters.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  private wakeUpWaiters(): void {
    for (const wake of [...this.upWaiters]) wake();
  }

  /** Close the current connection (as if the broker had): the loop reconnects. For tests and diagnostics. */
  async dropConnection(): Promise<void> {
    const connection = this.connection;
    if (connection) await this.closeConnection(connection);
  }

  // --- loop ---------------------------------------------------------------------------------------------------

  private start(): void {
    const controller = new AbortController();
    this.controller = controller;
    const loop = this.run(controller.signal).catch((error: unknown) => {
      if (!(error instanceof StopSignal)) this.log("error", { code: "amqp-loop-ended", error });
    });
    this.loop = loop;
    // The loop only ends when stopped; should a bug end it otherwise, the next register must be able to start it.
    void loop.then(() => {
      if (this.loop === loop && !controller.signal.aborted) {
        this.loop = undefined;
        this.controller = undefined;
      }
    });
  }

  private async stop(): Promise<void> {
    const controller = this.controller;
    const loop = this.loop;
    if (!controller || !loop) return;
    controller.abort();
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    const closing = connection ? this.closeConnection(connection) : Promise.resolve();
    await Promise.all([closing, loop]);
    if (this.controller === controller) {
      this.controller = undefined;
      this.loop = undefined;
      this.clearStableTimer();
      this.backoff.reset();
      this.failuresInARow = 0;
      this.setState(!this.closed && this.subscribers.size > 0 ? NO_CONSUMER_STATE : IDLE_STATE);
      this.wakeUpWaiters();
      // Someone registered while we were closing: they need a connection after all.
      if (!this.closed && this.consumerNeeded()) this.start();
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.setState({ phase: "connecting", reason: REASON.connecting });
      const details = await this.fetchDetails(signal);
      if (details === undefined) return;

      let connection: ConnectionLike;
      try {
        connection = await this.openConnection(details, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.onConnectFailure(error, details);
        await this.wait(this.backoff.next(), signal);
        continue;
      }

      const closedPromise = this.watch(connection, signal);
      try {
        await this.setupConsumer(connection, details);
      } catch (error) {
        if (signal.aborted) return;
        this.onSetupFailure(error, details);
        await this.closeConnection(connection);
        await this.wait(this.backoff.next(), signal);
        continue;
      }

      this.counters.connects += 1;
      this.liveDetails = details;
      this.publisher.reset();
      this.failuresInARow = 0;
      // The backoff starts again from the smallest delay only once this connection has proved stable: a broker
      // that drops us right after consume must see growing delays, not one attempt a second (issue 12).
      this.armStableTimer();
      this.setState({
        phase: "connected",
        reason: REASON.connected,
        detail: { code: "consuming", params: { queue: details.queueName, where: `${details.server}:${details.port}` } },
      });
      this.log("info", { code: "amqp-connected", params: { where: `${details.server}:${details.port}`, queue: details.queueName } });
      this.wakeUpWaiters();

      const cause = await closedPromise;
      this.clearStableTimer();
      if (signal.aborted) return;
      this.channel = undefined;
      this.connection = undefined;
      const delayMs = this.backoff.next();
      this.setState({
        phase: "disconnected",
        reason: REASON.disconnected,
        detail: { code: "amqp-closed", params: { seconds: Math.round(delayMs / 1000) }, cause },
      });
      this.log("warn", { code: "amqp-closed", params: { ms: delayMs }, cause });
      if (cause.code === "error" && isAccessRefused(cause.message)) this.forceRefresh = true;
      await this.wait(delayMs, signal);
    }
  }

  /**
   * Details from the API, or undefined only when the loop is stopped. No API answer ends the loop (issue 12): a
   * redirect or 404 at boot may be maintenance, so every failure waits (as long as the error says, else
   * apiRetryFallbackMs) and tries again; the state says what failed and when the next try is.
   */
  private async fetchDetails(signal: AbortSignal): Promise<AmqpDetails | undefined> {
    for (;;) {
      try {
        const details = await this.options.getDetails({ forceRefresh: this.forceRefresh, signal });
        this.forceRefresh = false;
        return details;
      } catch (error) {
        if (signal.aborted) return undefined;
        const apiError = error instanceof EaseeApiError ? error : undefined;
        const retryAfterMs = apiError?.retryAfterMs ?? this.options.apiRetryFallbackMs ?? 60_000;
        const message = messageOf(error);
        this.setState({
          phase: "error",
          reason: apiError ? apiError.statusReason : REASON.apiError,
          // Rate limits and the login cap already say when the next try is (their retryAfterMs is that time).
          detail: apiError?.saysWhenToRetry
            ? errorDetail(apiError)
            : {
                code: "api-retry",
                params: { message, delay: describeDelay(retryAfterMs) },
                ...(apiError ? { text: apiError.text } : {}),
              },
        });
        // The state (and the owner's log of state changes) carries the message; each retry only at debug level.
        this.log("debug", { code: "api-failed", error });
        await this.wait(retryAfterMs, signal);
        if (signal.aborted) return undefined;
        this.setState({ phase: "connecting", reason: REASON.connecting });
      }
    }
  }

  private async openConnection(details: AmqpDetails, signal: AbortSignal): Promise<ConnectionLike> {
    const timeoutMs = this.options.connectTimeoutMs ?? 15000;
    const isIp = /^[\d.]+$|:/.test(details.server);
    const url: ConnectUrl = {
      protocol: details.useSsl ? "amqps" : "amqp",
      hostname: details.server,
      port: details.port,
      username: details.username,
      password: details.password,
      vhost: details.virtualHost,
      heartbeat: this.options.heartbeatSeconds,
    };
    const socketOptions: ConnectSocketOptions = {
      timeout: timeoutMs,
      clientProperties: { connection_name: this.options.connectionName },
      ...(details.useSsl
        ? { rejectUnauthorized: this.options.rejectUnauthorized, ...(isIp ? {} : { servername: details.server }) }
        : {}),
    };
    const attempt = this.connectFn(url, socketOptions);
    return new Promise<ConnectionLike>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        signal.removeEventListener("abort", onAbort);
        this.scheduler.clearTimeout(timer);
      };
      const onAbort = (): void => {
        if (settled) return;
        finish();
        reject(new StopSignal());
      };
      const timer = this.scheduler.setTimeout(() => {
        if (settled) return;
        finish();
        reject(new ConnectTimeoutError(timeoutMs));
      }, timeoutMs + 1000);
      signal.addEventListener("abort", onAbort, { once: true });
      attempt.then(
        (connection) => {
          if (settled) {
            // Stopped or timed out meanwhile: this connection is nobody's.
            void this.closeConnection(connection);
            return;
          }
          finish();
          resolve(connection);
        },
        (error: unknown) => {
          if (settled) return;
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Listens to the connection; resolves with a reason once it has closed (or the loop is stopped). */
  private watch(connection: ConnectionLike, signal: AbortSignal): Promise<CloseReason> {
    this.connection = connection;
    return new Promise<CloseReason>((resolve) => {
      const onError = (error: Error): void => {
        // Only logged: 'close' always follows and drives the reconnect.
        this.log("warn", { code: "amqp-connection-error", error });
      };
      const onClose = (error?: Error): void => {
        cleanup();
        resolve(closeReasonOf(error));
      };
      const onBlocked = (reason: string): void => {
        this.log("warn", { code: "amqp-blocked", params: { reason } });
        this.setState({ phase: "connected", reason: REASON.blocked, detail: { code: "blocked", params: { reason } } });
      };
      const onUnblocked = (): void => {
        this.setState({ phase: "connected", reason: REASON.connected });
      };
      const onHandlerError = (error: Error): void => {
        this.log("error", { code: "amqp-handler-error", error });
      };
      const onAbort = (): void => {
        cleanup();
        resolve({ code: "stopped" });
      };
      const onForcedClose = (reason: CloseReason): void => {
        cleanup();
        resolve(reason);
      };
      const cleanup = (): void => {
        this.forcedClose.delete(connection);
        connection.removeListener("close", onClose as Listener);
        connection.removeListener("blocked", onBlocked as Listener);
        connection.removeListener("unblocked", onUnblocked as Listener);
        signal.removeEventListener("abort", onAbort);
        // 'error' and 'handler-error' stay: an error after this point must not crash Node-RED.
      };
      connection.on("error", onError as Listener);
      connection.on("handler-error", onHandlerError as Listener);
      connection.on("close", onClose as Listener);
      connection.on("blocked", onBlocked as Listener);
      connection.on("unblocked", onUnblocked as Listener);
      signal.addEventListener("abort", onAbort, { once: true });
      this.forcedClose.set(connection, onForcedClose);
    });
  }

  private async setupConsumer(connection: ConnectionLike, details: AmqpDetails): Promise<void> {
    const channel = await connection.createChannel();
    this.channelOf.set(connection, channel);
    channel.on("error", ((error: Error) => {
      this.log("warn", { code: "amqp-channel-error", error });
    }) as Listener);
    channel.on("handler-error", ((error: Error) => {
      this.log("error", { code: "amqp-channel-handler-error", error });
    }) as Listener);
    channel.on("close", (() => {
      if (this.channel !== channel) return;
      // The channel died but maybe not the connection (e.g. a precondition failure). Closing the connection
      // sends everything through the one reconnect path.
      this.channel = undefined;
      if (this.connection === connection) {
        this.log("warn", { code: "amqp-channel-closed" });
        void this.closeConnection(connection);
      }
    }) as Listener);
    // prefetch before consume: it applies to consumers created after it (per consumer since RabbitMQ 3.3).
    await channel.prefetch(this.options.prefetch, false);
    await channel.checkQueue(details.queueName);
    this.channel = channel;
    await this.consume(channel, details.queueName);
  }

  private async consume(channel: ChannelLike, queueName: string): Promise<void> {
    await channel.consume(queueName, (message) => this.onDelivery(channel, queueName, message), { noAck: false });
  }

  private onDelivery(channel: ChannelLike, queueName: string, message: DeliveryLike | null): void {
    if (message === null) {
      // The broker cancelled our consumer (queue deleted, failover): consume again, or reconnect if that fails.
      this.log("warn", { code: "amqp-consumer-cancelled", params: { queue: queueName } });
      void this.reconsume(channel, queueName);
      return;
    }
    this.counters.deliveries += 1;
    const raw: RawDelivery = {
      routingKey: message.fields.routingKey,
      headers: message.properties.headers,
      timestamp: numberOrUndefined(message.properties.timestamp),
      contentType: stringOrUndefined(message.properties.contentType),
      body: message.content,
    };
    let decoded: DecodedDelivery;
    try {
      decoded = this.decode(raw, this.scheduler.now());
    } catch (error) {
      decoded = {
        kind: "error",
        problem: { code: "internal", params: { detail: messageOf(error).slice(0, 250) } },
        reason: "internal",
        preview: "",
        routingKey: raw.routingKey,
      };
    }
    if (decoded.kind === "error") this.counters.decodeErrors += 1;
    this.subscribers.deliver(decoded);
    // Ack only on the live channel that delivered it: a tag from a dead channel would close the new one (406).
    if (channel === this.channel) this.acks.queue(channel, message);
  }

  private async reconsume(channel: ChannelLike, queueName: string): Promise<void> {
    if (channel !== this.channel) return;
    try {
      await channel.checkQueue(queueName);
      await this.consume(channel, queueName);
    } catch (error) {
      this.log("warn", { code: "amqp-reconsume-failed", params: { queue: queueName }, error });
      const connection = this.connection;
      if (connection && channel === this.channel) {
        this.channel = undefined;
        void this.closeConnection(connection);
      }
    }
  }

  /**
   * Fresh AMQP details after `refetchAfterFailures` failures in a row, then after twice as many, and so on (3, 6,
   * 12, 24 …): a long broker outage must not become a steady stream of calls to the Easee API, which blocks
   * clients that call it too often.
   */
  private refetchDue(): boolean {
    const first = this.options.refetchAfterFailures ?? 3;
    if (this.failuresInARow < first || this.failuresInARow % first !== 0) return false;
    const multiple = this.failuresInARow / first;
    return (multiple & (multiple - 1)) === 0;
  }

  private onConnectFailure(error: unknown, details: AmqpDetails): void {
    this.failuresInARow += 1;
    if (isAccessRefused(error) || this.refetchDue()) this.forceRefresh = true;
    this.setState(connectFailureState(error, details));
    this.log("debug", { code: "amqp-connect-failed", params: { where: `${details.server}:${details.port}` }, error });
  }

  private onSetupFailure(error: unknown, details: AmqpDetails): void {
    this.failuresInARow += 1;
    if (isAccessRefused(error) || this.refetchDue()) this.forceRefresh = true;
    this.setState(setupFailureState(error, details));
    this.log("debug", { code: "amqp-consume-failed", params: { queue: details.queueName }, error });
  }

  /** Clean close, or destroy the socket after closeTimeoutMs. Never rejects; leaves no timer. */
  private async closeConnection(connection: ConnectionLike): Promise<void> {
    if (this.connection === connection) {
      this.connection = undefined;
      this.channel = undefined;
    }
    const timeoutMs = this.options.closeTimeoutMs ?? 2000;
    let timer: ReturnType<Scheduler["setTimeout"]> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = this.scheduler.setTimeout(() => resolve("timeout"), timeoutMs);
    });
    // The channel first: amqplib sends a connection close ahead of channel frames still queued, so acks of
    // deliveries already handed to subscribers would be lost and those deliveries redelivered (duplicates on
    // every redeploy). A channel close goes out behind its acks, and the broker requeues only what is unacked.
    const channel = this.channelOf.get(connection);
    this.channelOf.delete(connection);
    const closing = (async () => {
      if (channel) {
        try {
          await channel.close();
        } catch {
          // already closed (broker or network): nothing queued on it can reach the broker any more
        }
      }
      await connection.close();
    })().then(
      () => "closed" as const,
      () => "failed" as const,
    );
    const outcome = await Promise.race([closing, timedOut]);
    this.scheduler.clearTimeout(timer);
    if (outcome !== "closed") {
      destroySocket(connection);
      // amqplib emits no `close` for a destroyed socket: without this the loop would wait for it for ever (with
      // heartbeat 0) while the status stayed green (issue 12). The loop goes on to reconnect.
      this.forcedClose.get(connection)?.({ code: "unanswered", ms: timeoutMs });
    }
  }

  private armStableTimer(): void {
    this.clearStableTimer();
    this.stableTimer = this.scheduler.setTimeout(() => {
      this.stableTimer = undefined;
      this.backoff.reset();
    }, this.options.stableAfterMs ?? 60_000);
  }

  private clearStableTimer(): void {
    this.scheduler.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
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
