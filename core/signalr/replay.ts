/**
 * Tells a current-state replay from a live update.
 *
 * `SubscribeWithCurrentState(serial, true)` makes Easee's hub send the last known value of every observation of the
 * charger, with their old device timestamps (minutes or hours old; evcc-io/evcc#11417). They arrive on the same
 * connection as live updates and look the same. An update counts as a replay when it arrives for a charger whose
 * subscription is in progress (from the invoke until `graceMs` after its completion) and its device timestamp is
 * older than the start of the subscription by more than `toleranceMs` (a live report is at most a second or so
 * old; the tolerance keeps clock skew and transit time from marking it). Without a timestamp inside the window it
 * is taken as a replay. Pure: the caller gives the clock.
 */
export interface ReplayTrackerOptions {
  /** How long after the subscribe call completed updates may still be replays. Default 5000 ms. */
  readonly graceMs?: number;
  /** Device timestamps this much older than the subscription start are replays. Default 2000 ms. */
  readonly toleranceMs?: number;
}

interface Window {
  readonly startMs: number;
  endMs: number | undefined;
}

export class ReplayTracker {
  private readonly graceMs: number;
  private readonly toleranceMs: number;
  private readonly windows = new Map<string, Window>();

  constructor(options: ReplayTrackerOptions = {}) {
    this.graceMs = options.graceMs ?? 5000;
    this.toleranceMs = options.toleranceMs ?? 2000;
  }

  /** The subscribe call for `serial` is being made now. */
  begin(serial: string, nowMs: number): void {
    this.windows.set(serial, { startMs: nowMs, endMs: undefined });
  }

  /** The subscribe call for `serial` completed (or failed) now. */
  end(serial: string, nowMs: number): void {
    const window = this.windows.get(serial);
    if (window) window.endMs = nowMs;
  }

  /** A new connection: every charger is subscribed again. */
  clear(): void {
    this.windows.clear();
  }

  /** True when an update for `serial` with device time `timestamp` (ISO 8601), received now, is a replay. */
  isReplay(serial: string, timestamp: string | undefined, nowMs: number): boolean {
    const window = this.windows.get(serial);
    if (window === undefined) return false;
    if (window.endMs !== undefined && nowMs - window.endMs > this.graceMs) {
      this.windows.delete(serial);
      return false;
    }
    if (timestamp === undefined) return true;
    const at = Date.parse(timestamp);
    if (Number.isNaN(at)) return true;
    return at < window.startMs - this.toleranceMs;
  }
}
