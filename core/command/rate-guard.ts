/**
 * The rate guard: dynamic current is typically sent by a loop (every solar reading, every price tick), and Easee
 * asks integrators not to flood chargers with commands. Per charger:
 *   - coalesce: the same command with the same arguments as the last one sent to that charger, within
 *     `coalesceMs` (default 10 s), is not sent again (the charger already has that setting);
 *   - limit: at most `perMinute` (default 6) commands to a charger within any 60 s; more are refused with the
 *     time to wait.
 * A msg with `force: true` passes both (and still counts). One guard per config node, so two command nodes
 * driving one charger share its budget. Pure: time comes in as arguments.
 */

export interface RateGuardOptions {
  readonly coalesceMs?: number;
  readonly perMinute?: number;
  readonly windowMs?: number;
}

export type RateVerdict =
  | { readonly verdict: "send" }
  /** Identical to the command sent `ageMs` ago: not sent. */
  | { readonly verdict: "coalesce"; readonly ageMs: number }
  /** Too many: wait `retryAfterMs`. */
  | { readonly verdict: "limit"; readonly limit: number; readonly retryAfterMs: number };

interface ChargerHistory {
  /** Send times within the window, oldest first. */
  sends: number[];
  lastSignature: string;
  lastAtMs: number;
}

export const DEFAULT_COALESCE_MS = 10_000;
export const DEFAULT_PER_MINUTE = 6;

export class RateGuard {
  readonly coalesceMs: number;
  readonly perMinute: number;
  private readonly windowMs: number;
  private readonly history = new Map<string, ChargerHistory>();

  constructor(options: RateGuardOptions = {}) {
    this.coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS;
    this.perMinute = options.perMinute ?? DEFAULT_PER_MINUTE;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** A command's identity for coalescing: command id plus its arguments, in table order. */
  static signature(commandId: number, args: Readonly<Record<string, unknown>>): string {
    return `${commandId}:${JSON.stringify(args)}`;
  }

  check(chargerId: string, signature: string, nowMs: number, force = false): RateVerdict {
    if (force) return { verdict: "send" };
    const entry = this.history.get(chargerId);
    if (!entry) return { verdict: "send" };
    this.prune(entry, nowMs);
    if (entry.sends.length === 0 && nowMs - entry.lastAtMs >= this.coalesceMs) {
      // Memory stays bounded by the chargers in use: an idle charger's history is dropped.
      this.history.delete(chargerId);
      return { verdict: "send" };
    }
    if (entry.lastSignature === signature && nowMs - entry.lastAtMs < this.coalesceMs) {
      return { verdict: "coalesce", ageMs: nowMs - entry.lastAtMs };
    }
    if (entry.sends.length >= this.perMinute) {
      const oldest = entry.sends[0] as number;
      return { verdict: "limit", limit: this.perMinute, retryAfterMs: Math.max(0, oldest + this.windowMs - nowMs) };
    }
    return { verdict: "send" };
  }

  /** Counts a command as sent (call after `check` said send, or for a forced one). */
  record(chargerId: string, signature: string, nowMs: number): void {
    let entry = this.history.get(chargerId);
    if (!entry) {
      entry = { sends: [], lastSignature: "", lastAtMs: 0 };
      this.history.set(chargerId, entry);
    }
    this.prune(entry, nowMs);
    entry.sends.push(nowMs);
    entry.lastSignature = signature;
    entry.lastAtMs = nowMs;
  }

  /** Forget a send that never left (refused by the broker, nothing reached the charger). */
  forget(chargerId: string, nowMs: number, sentAtMs: number): void {
    const entry = this.history.get(chargerId);
    if (!entry) return;
    const index = entry.sends.lastIndexOf(sentAtMs);
    if (index >= 0) entry.sends.splice(index, 1);
    if (entry.lastAtMs === sentAtMs) entry.lastSignature = "";
    this.prune(entry, nowMs);
  }

  private prune(entry: ChargerHistory, nowMs: number): void {
    while (entry.sends.length > 0 && (entry.sends[0] as number) <= nowMs - this.windowMs) entry.sends.shift();
  }
}
