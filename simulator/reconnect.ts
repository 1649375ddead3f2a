/**
 * Reconnects the simulator's own broker connections (publisher, command side) after the broker drops them,
 * waiting 1 s, 2 s, 4 s … up to 30 s between attempts.
 */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

export class Reconnector {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_DELAY_MS;
  private stopped = false;

  /**
   * @param open opens the connection again; rejects when the broker is still away.
   * @param onOpened called after a successful reopen (e.g. to close again if the owner closed meanwhile).
   */
  constructor(
    private readonly open: () => Promise<void>,
    private readonly onOpened: () => void = () => undefined,
  ) {}

  /** True when this is the first attempt after a working connection (callers report the loss once). */
  get isFirstAttempt(): boolean {
    return this.delayMs === FIRST_DELAY_MS && this.timer === undefined;
  }

  schedule(): void {
    if (this.timer || this.stopped) return;
    const delayMs = this.delayMs;
    this.delayMs = Math.min(MAX_DELAY_MS, this.delayMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.open().then(
        () => {
          this.delayMs = FIRST_DELAY_MS;
          this.onOpened();
        },
        () => this.schedule(),
      );
    }, delayMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
