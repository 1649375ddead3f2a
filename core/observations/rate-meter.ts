/** Counts events and turns them into a per-second rate when sampled (the node samples once a second). */
export class RateMeter {
  private count = 0;
  private total = 0;
  private sampledAt: number;

  constructor(nowMs: number) {
    this.sampledAt = nowMs;
  }

  mark(n = 1): void {
    this.count += n;
    this.total += n;
  }

  /** Events since deploy. */
  get totalCount(): number {
    return this.total;
  }

  /** Events per second since the previous sample (rounded), then starts a new interval. */
  sample(nowMs: number): number {
    const elapsed = nowMs - this.sampledAt;
    const rate = elapsed > 0 ? Math.round((this.count * 1000) / elapsed) : this.count;
    this.count = 0;
    this.sampledAt = nowMs;
    return rate;
  }
}

/** A count of at most 4 characters, for status texts under 20 characters: 950, 9999, 12k, 999k, 3M. */
export function compactCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  return `${Math.max(1, Math.round(n / 1_000_000))}M`;
}
