/**
 * Counts events and turns them into a per-second rate over a sliding window (the node samples once a second).
 * Deliveries come in bursts (a charger sends a batch, then nothing for a second or two): a rate of the last second
 * alone flips between 0 and 28 and a healthy node would look stopped half the time.
 */

/** The window the status rate averages over. */
export const RATE_WINDOW_MS = 10_000;

interface Interval {
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
}

export class RateMeter {
  private pending = 0;
  private total = 0;
  private sampledAt: number;
  private readonly intervals: Interval[] = [];

  constructor(
    nowMs: number,
    private readonly windowMs: number = RATE_WINDOW_MS,
  ) {
    this.sampledAt = nowMs;
  }

  mark(n = 1): void {
    this.pending += n;
    this.total += n;
  }

  /** Events since deploy. */
  get totalCount(): number {
    return this.total;
  }

  /**
   * Events per second over the last window (over the time since the first sample while that is shorter), not
   * rounded: format it with formatRate. Above 0 whenever an event was marked within the window.
   */
  sample(nowMs: number): number {
    if (nowMs > this.sampledAt || this.pending > 0) {
      this.intervals.push({ startMs: this.sampledAt, endMs: Math.max(nowMs, this.sampledAt), count: this.pending });
      this.pending = 0;
      this.sampledAt = Math.max(nowMs, this.sampledAt);
    }
    const windowStart = nowMs - this.windowMs;
    while (this.intervals.length > 0 && (this.intervals[0]?.endMs ?? nowMs) <= windowStart) this.intervals.shift();
    let count = 0;
    for (const interval of this.intervals) count += interval.count;
    if (count === 0) return 0;
    const spanMs = nowMs - Math.max(windowStart, this.intervals[0]?.startMs ?? nowMs);
    // Events counted within no measurable time (two samples at the same instant): at least one per second each.
    return spanMs > 0 ? (count * 1000) / spanMs : count;
  }
}

/**
 * A rate for a status under 20 characters: one decimal below 10 (0.4, 3.5), whole numbers above (28, 950, 12k).
 * A rate above 0 never reads 0: a node that still receives something must not look stopped.
 */
export function formatRate(perSecond: number): string {
  if (!(perSecond > 0)) return "0";
  if (perSecond < 0.1) return "0.1";
  if (perSecond < 9.95) return perSecond.toFixed(1);
  return compactCount(Math.round(perSecond));
}

/** A count of at most 4 characters, for status texts under 20 characters: 950, 9999, 12k, 999k, 3M. */
export function compactCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  return `${Math.max(1, Math.round(n / 1_000_000))}M`;
}
