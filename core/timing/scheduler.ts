/**
 * Clock and timers behind one small interface, so the REST client and the connection manager can be driven by a
 * fake clock in unit tests. The real one unrefs its timers: a pending retry never keeps a process alive.
 */
export interface TimerHandle {
  readonly __timer: true;
}

export interface Scheduler {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The longest delay setTimeout takes (2^31-1 ms, 24.8 days); Node fires longer ones after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/** Resolves after `ms`, or rejects with `reason()` as soon as `signal` aborts. Leaves no timer behind either way. */
export function delay(
  scheduler: Scheduler,
  ms: number,
  signal: AbortSignal | undefined,
  reason: () => Error,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(reason());
      return;
    }
    const onAbort = (): void => {
      scheduler.clearTimeout(handle);
      reject(reason());
    };
    const handle = scheduler.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A clock that only moves when told to: for unit tests of retry and refresh timing (and for simulations).
 * `advance(ms)` fires due timers in time order and lets promise chains they start run in between.
 */
export class ManualScheduler implements Scheduler {
  private nowMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId;
    this.nextId += 1;
    // As Node's setTimeout: a delay above 2^31-1 ms (24.8 days) overflows and fires after 1 ms. Emulated so unit
    // tests catch a delay that would overflow for real (issue 12).
    const delayMs = ms > MAX_TIMER_MS ? 1 : Math.max(0, ms);
    this.timers.set(id, { at: this.nowMs + delayMs, callback });
    return { __timer: true, id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Delays (from now) of the pending timers, soonest first. */
  get pendingDelays(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.nowMs).sort((a, b) => a - b);
  }

  /** Lets every promise chain that can run now, run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves the clock forward by `ms`, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    await this.settle();
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].at);
      next[1].callback();
      await this.settle();
    }
    this.nowMs = target;
    await this.settle();
  }
}
