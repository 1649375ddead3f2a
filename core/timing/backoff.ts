/**
 * Exponential backoff with jitter. Pure: no timers; the caller asks for the next delay and waits itself.
 *
 * The n-th delay (n = 0, 1, ...) is drawn from [ceiling/2, ceiling] where ceiling = min(maxMs, minMs * factor^n),
 * then clamped to [minMs, maxMs]. Half of the delay is fixed so a retry never comes "at once", the other half is
 * random so that many clients cut off at the same moment (a broker restart) do not come back in lock-step.
 */
export interface BackoffOptions {
  /** Smallest delay, milliseconds. Default 1000. */
  readonly minMs?: number;
  /** Largest delay, milliseconds. Default 60000. */
  readonly maxMs?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /** Random source in [0, 1); injectable for tests. Default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    const minMs = options.minMs ?? 1000;
    const maxMs = options.maxMs ?? 60000;
    if (!(minMs >= 0) || !(maxMs >= minMs)) {
      throw new RangeError(`backoff minMs=${minMs} maxMs=${maxMs} (0 <= minMs <= maxMs)`);
    }
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.factor = Math.max(1, options.factor ?? 2);
    this.random = options.random ?? Math.random;
  }

  /** How many delays have been handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay, milliseconds; each call grows the following one until the cap. */
  next(): number {
    // Capping the exponent keeps factor^n finite however long the outage lasts.
    const exponent = Math.min(this.attempt, 64);
    const ceiling = Math.min(this.maxMs, this.minMs * Math.pow(this.factor, exponent));
    this.attempt += 1;
    const delay = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, delay)));
  }

  /** Call after a success: the next failure starts again from the smallest delay. */
  reset(): void {
    this.attempt = 0;
  }
}
