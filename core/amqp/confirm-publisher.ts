/**
 * Publishing commands on the config node's ONE connection: a confirm channel beside the consuming channel,
 * opened on first use and again after it closed. A channel error (no write permission, no such exchange) closes
 * only this channel, never the connection or the consumer.
 *
 * Each publish resolves when the broker confirmed it (publisher confirms), or rejects with a CommandSendError in
 * plain words: the broker refused it (ACCESS_REFUSED → "no write permission on the command exchange"), the
 * exchange is missing, the connection went away before the confirm, or the confirm did not come in time.
 */
import { CommandSendError, sendErrorFromBroker } from "../command/send-error";
import type { Scheduler } from "../timing/scheduler";
import { silentLogger, type Logger } from "../log";
import { messageOf } from "../diagnostics";

type Listener = (...args: unknown[]) => void;

export interface PublishOptions {
  readonly contentType?: string;
  readonly persistent?: boolean;
  /** AMQP per-message TTL, milliseconds as a decimal string (amqplib accepts a number too). */
  readonly expiration?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** The parts of an amqplib ConfirmChannel used to publish. */
export interface ConfirmChannelLike {
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions,
    callback: (error: unknown) => void,
  ): boolean;
  close(): Promise<void>;
}

export interface ConfirmChannelSource {
  createConfirmChannel?(): Promise<ConfirmChannelLike>;
}

export interface PublishRequest {
  readonly routingKey: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Absolute expiry (epoch ms): sets AMQP `expiration`, so the broker drops a command nobody took in time. */
  readonly expiresAtMs?: number;
}

interface OpenChannel {
  readonly source: ConfirmChannelSource;
  readonly channel: Promise<ConfirmChannelLike>;
  /** The broker's reason when it closed the channel (e.g. 403 ACCESS_REFUSED). */
  closeReason?: string;
  closed: boolean;
}

export class ConfirmPublisher {
  private open: OpenChannel | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Publishes on `source`'s confirm channel; resolves on the broker's ack within `timeoutMs`. */
  async publish(source: ConfirmChannelSource, exchange: string, request: PublishRequest, timeoutMs: number): Promise<void> {
    const state = this.channelFor(source);
    let channel: ConfirmChannelLike;
    try {
      channel = await this.withTimeout(state.channel, timeoutMs, exchange);
    } catch (error) {
      if (this.open === state) this.open = undefined;
      if (error instanceof CommandSendError) throw error;
      throw sendErrorFromBroker(messageOf(error), exchange);
    }
    const nowMs = this.scheduler.now();
    const options: PublishOptions = {
      contentType: request.contentType,
      persistent: true,
      ...(request.expiresAtMs !== undefined ? { expiration: String(Math.max(1, Math.round(request.expiresAtMs - nowMs))) } : {}),
    };
    const confirmed = new Promise<void>((resolve, reject) => {
      try {
        channel.publish(exchange, request.routingKey, request.body, options, (error: unknown) => {
          if (error === null || error === undefined) {
            resolve();
            return;
          }
          // amqplib rejects pending confirms with a bare "channel closed"; the broker's reason arrives with the
          // channel's 'error'/'close' events, which may come a moment later.
          setImmediate(() => {
            if (state.closeReason !== undefined) reject(sendErrorFromBroker(state.closeReason, exchange));
            else if (state.closed || /closed/i.test(messageOf(error))) {
              reject(new CommandSendError("connection-lost"));
            } else reject(new CommandSendError("nacked"));
          });
        });
      } catch (error) {
        // amqplib throws synchronously on a channel that is already closed.
        if (this.open === state) this.open = undefined;
        reject(
          state.closeReason !== undefined
            ? sendErrorFromBroker(state.closeReason, exchange)
            : new CommandSendError("connection-lost", { reason: messageOf(error) }),
        );
      }
    });
    await this.withTimeout(confirmed, timeoutMs, exchange);
  }

  /** Forget the channel (its connection is gone); the next publish opens one on the new connection. */
  reset(): void {
    this.open = undefined;
  }

  private channelFor(source: ConfirmChannelSource): OpenChannel {
    const current = this.open;
    if (current && current.source === source && !current.closed) return current;
    if (typeof source.createConfirmChannel !== "function") {
      throw new CommandSendError("unsupported");
    }
    const state: OpenChannel = {
      source,
      closed: false,
      channel: source.createConfirmChannel().then((channel) => {
        channel.on("error", ((error: Error) => {
          state.closeReason = messageOf(error);
          this.log("warn", { code: "amqp-command-channel-error", error });
        }) as Listener);
        channel.on("close", (() => {
          state.closed = true;
          if (this.open === state) this.open = undefined;
        }) as Listener);
        return channel;
      }),
    };
    // A failed open must not leave an unhandled rejection when nobody awaits it any more.
    state.channel.catch(() => undefined);
    this.open = state;
    return state;
  }

  private withTimeout<T>(work: Promise<T>, timeoutMs: number, exchange: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.scheduler.setTimeout(() => {
        reject(
          new CommandSendError("no-confirm", { seconds: Math.round(timeoutMs / 1000), exchange }),
        );
      }, Math.max(0, timeoutMs));
      work.then(
        (value) => {
          this.scheduler.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.scheduler.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
