/**
 * A plain amqplib consumer on a queue that decodes every delivery with the real decoder and records it, for tests
 * that check what reaches an Easee operator queue (the simulator, load mode, command responses).
 * It only reads (checkQueue, consume): it works with a least-privilege user like Easee's.
 */
import * as amqp from "amqplib";
import { decodeDelivery } from "../../core/decode";
import type { DecodedDelivery } from "../../core/types";

export interface RecordedDelivery {
  readonly decoded: DecodedDelivery;
  readonly routingKey: string;
  readonly headers: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly body: string;
}

export class QueueRecorder {
  readonly deliveries: RecordedDelivery[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(private readonly connection: amqp.ChannelModel) {}

  /** Consumes `queueName` at `amqpUrl` (auto-ack) until closed. */
  static async connect(amqpUrl: string, queueName: string, connectionName = "easee-test-queue-recorder"): Promise<QueueRecorder> {
    const connection = await amqp.connect(amqpUrl, { clientProperties: { connection_name: connectionName } });
    connection.on("error", () => undefined);
    const recorder = new QueueRecorder(connection);
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    await channel.checkQueue(queueName);
    await channel.prefetch(1000);
    await channel.consume(
      queueName,
      (message) => {
        if (!message) return;
        recorder.record(message);
      },
      { noAck: true },
    );
    return recorder;
  }

  private record(message: amqp.ConsumeMessage): void {
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    this.deliveries.push({
      decoded: decodeDelivery({
        routingKey: message.fields.routingKey,
        headers,
        contentType: message.properties.contentType as string | undefined,
        body: message.content,
      }),
      routingKey: message.fields.routingKey,
      headers,
      contentType: message.properties.contentType as string | undefined,
      body: message.content.toString("utf8"),
    });
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once `check` holds for what has arrived; fails after `timeoutMs` saying what did arrive. */
  async until(check: (deliveries: readonly RecordedDelivery[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check(this.deliveries)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        const last = this.deliveries.slice(-3).map((d) => d.routingKey).join(", ");
        reject(new Error(`${what}: not seen within ${timeoutMs} ms (${this.deliveries.length} deliveries; last: ${last})`));
      }, timeoutMs);
      this.waiters.push({ check: () => check(this.deliveries), resolve: done });
    });
  }

  /** Decoded observations, optionally of one charger and observation id. */
  observations(chargerId?: string, observationId?: number) {
    return this.deliveries
      .map((d) => d.decoded)
      .filter(
        (d): d is Extract<DecodedDelivery, { kind: "observation" }> =>
          d.kind === "observation" &&
          (chargerId === undefined || d.chargerId === chargerId) &&
          (observationId === undefined || d.observationId === observationId),
      );
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
