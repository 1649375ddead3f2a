/**
 * The seam between the connection manager and amqplib: the parts of amqplib's connection, channel and message the
 * manager uses (unit tests put a fake broker behind them), and amqplib's connect.
 */
import type { DecodedDelivery, RawDelivery } from "../types";
import type { ConfirmChannelLike } from "./confirm-publisher";

/** The parts of an amqplib message the manager reads. */
export interface DeliveryLike {
  readonly content: Uint8Array;
  readonly fields: { readonly routingKey: string; readonly deliveryTag: number; readonly redelivered?: boolean };
  readonly properties: {
    readonly headers?: Readonly<Record<string, unknown>> | undefined;
    readonly timestamp?: unknown;
    readonly contentType?: unknown;
  };
}

/** An event handler of a connection or channel. */
export type Listener = (...args: unknown[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

/** The parts of an amqplib Channel the manager uses. */
export interface ChannelLike extends Emitter {
  prefetch(count: number, global?: boolean): Promise<unknown>;
  checkQueue(queue: string): Promise<{ readonly messageCount: number; readonly consumerCount: number }>;
  consume(
    queue: string,
    onMessage: (message: DeliveryLike | null) => void,
    options?: { noAck?: boolean },
  ): Promise<{ readonly consumerTag: string }>;
  /** `allUpTo`: also every earlier unacknowledged delivery of this channel (AMQP `multiple`). */
  ack(message: DeliveryLike, allUpTo?: boolean): void;
  close(): Promise<void>;
}

/** The parts of an amqplib ChannelModel (connection) the manager uses. */
export interface ConnectionLike extends Emitter {
  createChannel(): Promise<ChannelLike>;
  /** For publishing commands (publisher confirms); absent on fakes that never publish. */
  createConfirmChannel?(): Promise<ConfirmChannelLike>;
  close(): Promise<void>;
}

export interface ConnectUrl {
  readonly protocol: "amqp" | "amqps";
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  readonly heartbeat: number;
}

export interface ConnectSocketOptions {
  readonly timeout: number;
  readonly clientProperties: { readonly connection_name: string };
  readonly servername?: string;
  readonly rejectUnauthorized?: boolean;
}

export type ConnectFunction = (url: ConnectUrl, socketOptions: ConnectSocketOptions) => Promise<ConnectionLike>;

export type Decoder = (raw: RawDelivery, receivedAtMs?: number) => DecodedDelivery;

/** Closes a socket that will not close cleanly (broker gone). amqplib keeps it at `connection.stream`. */
export function destroySocket(connection: ConnectionLike): void {
  const inner = (connection as { connection?: { stream?: { destroy?: () => void } } }).connection;
  try {
    inner?.stream?.destroy?.();
  } catch {
    // already gone
  }
}

/** amqplib's connect, loaded when first used. */
export async function amqplibConnect(url: ConnectUrl, socketOptions: ConnectSocketOptions): Promise<ConnectionLike> {
  const amqp = await import("amqplib");
  const model = await amqp.connect({ ...url }, { ...socketOptions });
  return model as unknown as ConnectionLike;
}
