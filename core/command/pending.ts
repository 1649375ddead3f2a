/**
 * Commands waiting for their charger's response, matched by (serial, command id, ticks), each with a timeout.
 *
 * One registry per config node (per connection), shared by every command node that uses it: the connection
 * manager hands each command response to every subscriber, and a response one command node matched must not look
 * unsolicited to another. So `handle()` remembers the response objects it matched (a WeakSet: the same decoded
 * object reaches every subscriber, and is forgotten with it) and answers `true` for them to every caller.
 *
 * Timers run on an injectable scheduler (core/timing/scheduler.ts) and are always cleared: on response, on timeout,
 * on cancel, on cancelOwner (a node closing) and on clear (the config node closing).
 */
import { realScheduler, type Scheduler, type TimerHandle } from "../timing/scheduler";
import type { DecodedCommandResponse } from "../types";
import { commandKey } from "./encode";

export interface PendingCommandOptions {
  readonly chargerId: string;
  readonly commandId: number;
  readonly ticks: string;
  /** The node that sent it: its commands are cancelled when it closes. */
  readonly ownerId: string;
  readonly timeoutMs: number;
  readonly onResponse: (response: DecodedCommandResponse) => void;
  readonly onTimeout: () => void;
}

export interface PendingHandle {
  /** Forget the command (no response or timeout callback afterwards). Safe to call twice. */
  cancel(): void;
}

interface Entry {
  readonly options: PendingCommandOptions;
  readonly timer: TimerHandle;
}

export class PendingCommands {
  private readonly scheduler: Scheduler;
  private readonly entries = new Map<string, Entry>();
  private readonly matched = new WeakSet<DecodedCommandResponse>();

  constructor(scheduler: Scheduler = realScheduler) {
    this.scheduler = scheduler;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Commands of one node still waiting. */
  countOf(ownerId: string): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.options.ownerId === ownerId) count += 1;
    return count;
  }

  add(options: PendingCommandOptions): PendingHandle {
    const key = commandKey(options.chargerId, options.commandId, options.ticks);
    // The ticks clock never repeats a value: a second command with the same key is a programming error.
    if (this.entries.has(key)) throw new Error(`pending-duplicate key=${key}`);
    const timer = this.scheduler.setTimeout(() => {
      if (this.entries.get(key)?.timer !== timer) return;
      this.entries.delete(key);
      options.onTimeout();
    }, Math.max(0, options.timeoutMs));
    this.entries.set(key, { options, timer });
    return { cancel: () => this.remove(key, timer) };
  }

  /**
   * A command response from the stream: true when it answers a command sent through this registry (its sender
   * is called back, once), also when another subscriber already handed the same response over. False: unsolicited.
   */
  handle(response: DecodedCommandResponse): boolean {
    if (this.matched.has(response)) return true;
    const key = commandKey(response.chargerId, response.commandId, response.ticks);
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.matched.add(response);
    this.remove(key, entry.timer);
    entry.options.onResponse(response);
    return true;
  }

  /** Forget every command of a node (it is closing), without callbacks. */
  cancelOwner(ownerId: string): number {
    let count = 0;
    for (const [key, entry] of [...this.entries]) {
      if (entry.options.ownerId !== ownerId) continue;
      this.remove(key, entry.timer);
      count += 1;
    }
    return count;
  }

  /** Forget everything, without callbacks (the config node is closing). */
  clear(): void {
    for (const [key, entry] of [...this.entries]) this.remove(key, entry.timer);
  }

  private remove(key: string, timer: TimerHandle): void {
    const entry = this.entries.get(key);
    if (!entry || entry.timer !== timer) return;
    this.scheduler.clearTimeout(timer);
    this.entries.delete(key);
  }
}
