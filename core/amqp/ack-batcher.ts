/**
 * One ack per socket read instead of one per delivery: an ack frame and a socket write per delivery cost a third of
 * the CPU time per message (bench/run.ts, docs/performance.md). Every delivery is handled synchronously and in
 * order, so one ack with allUpTo (AMQP `multiple`) for the newest covers all of a socket read. It is sent in a
 * microtask right after the read's deliveries, before any other I/O or timer: nothing is left unacked across a turn
 * of the event loop, and a close always comes after the flush. A channel that died in between is skipped: the broker
 * redelivers those deliveries (at-least-once), and their tags would close a new channel (406).
 */
import type { ChannelLike, DeliveryLike } from "./adapter";

export class AckBatcher {
  /** The newest handled delivery not acked yet, its channel, and how many deliveries its ack will cover. */
  private channel: ChannelLike | undefined;
  private message: DeliveryLike | undefined;
  private count = 0;

  constructor(
    private readonly isLive: (channel: ChannelLike) => boolean,
    private readonly onAcked: (count: number) => void,
    private readonly onFailed: (count: number, error: unknown) => void,
  ) {}

  /** A delivery handed to every subscriber: acknowledge it with the rest of its socket read. */
  queue(channel: ChannelLike, message: DeliveryLike): void {
    if (this.channel !== undefined && this.channel !== channel) this.flush();
    if (this.channel === undefined) queueMicrotask(() => this.flush());
    this.channel = channel;
    this.message = message;
    this.count += 1;
  }

  flush(): void {
    const { channel, message, count } = this;
    this.channel = undefined;
    this.message = undefined;
    this.count = 0;
    if (channel === undefined || message === undefined || !this.isLive(channel)) return;
    try {
      channel.ack(message, true);
      this.onAcked(count);
    } catch (error) {
      this.onFailed(count, error);
    }
  }
}
