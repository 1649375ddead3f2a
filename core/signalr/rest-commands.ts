/**
 * Commands for personal accounts: an `easee-command` command (core/command table) → Easee's REST API, and the
 * `CommandResponse` the hub sends later → the response the command node waits for.
 *
 * Which REST call (pyeasee `charger.py`, evcc `charger/easee`; protocol-notes §2 "fallback control path"):
 *   SetDynamicChargerCurrent (48) POST /api/chargers/{id}/commands/set_dynamic_charger_current {amps, minutes}
 *                                 (the command endpoint, not settings: it keeps the TTL, as on AMQP)
 *   SetEnabled (29)               POST /api/chargers/{id}/settings {enabled}
 *   SetSmartCharging (11)         POST /api/chargers/{id}/settings {smartCharging}
 *   SetMaxChargerCurrent (47)     POST /api/chargers/{id}/settings {maxChargerCurrent}   (permanent: flash)
 *   SetLockCablePermanently (30)  POST /api/chargers/{id}/commands/lock_state {state}
 *   Reboot (1)                    POST /api/chargers/{id}/commands/reboot
 *   OverrideSchedule (63)         POST /api/chargers/{id}/commands/override_schedule
 *   UpgradeFirmware (4)           POST /api/chargers/{id}/commands/update_firmware
 * The others (circuit currents, authorization, offline fallback) need site/circuit ids or have no charger endpoint:
 * refused before anything is sent.
 *
 * Easee answers 202 with `{device, commandId, ticks}` (an array of those from /settings) and later pushes the
 * `CommandResponse` with the same ticks on the hub; ticks 0, or a 200 without such a body, means nothing was sent to
 * the charger (already so): answered at once as accepted. The command node matches responses by the ticks it made
 * itself, so Easee's (serial, command id, ticks) is translated back to the node's.
 */
import { realScheduler, type Scheduler, type TimerHandle } from "../timing/scheduler";
import { CommandSendError, type EncodedCommand } from "../command";
import { EaseeApiError, describeDelay, type HttpAnswer } from "../easee-api";
import type { DecodedCommandResponse } from "../types";
import { messageOf } from "../diagnostics";

export interface RestCommandCall {
  readonly path: string;
  readonly body?: Readonly<Record<string, unknown>>;
}

/** Easee's reference to a command it accepted; `undefined` ticks: nothing sent to the charger. */
export interface RestCommandAnswer {
  readonly commandId?: number;
  readonly ticks?: string;
}

const COMMAND_PATHS: Readonly<Record<number, (args: Readonly<Record<string, unknown>>) => { endpoint: string; body?: Record<string, unknown> }>> = {
  48: (args) => ({
    endpoint: "commands/set_dynamic_charger_current",
    body: { amps: args.Current_Amp, minutes: args.TTL_Minutes ?? 0 },
  }),
  29: (args) => ({ endpoint: "settings", body: { enabled: args.IsEnabled } }),
  11: (args) => ({ endpoint: "settings", body: { smartCharging: args.SmartCharging } }),
  47: (args) => ({ endpoint: "settings", body: { maxChargerCurrent: args.Current_Amp } }),
  30: (args) => ({ endpoint: "commands/lock_state", body: { state: args.Locked } }),
  1: () => ({ endpoint: "commands/reboot" }),
  63: () => ({ endpoint: "commands/override_schedule" }),
  4: () => ({ endpoint: "commands/update_firmware" }),
};

/** Command ids that can be sent to a personal account's charger. */
export const REST_COMMAND_IDS: readonly number[] = Object.keys(COMMAND_PATHS).map(Number);

/** The REST call for a command, or a CommandSendError when there is none. */
export function restCallFor(command: EncodedCommand): RestCommandCall {
  const build = COMMAND_PATHS[command.commandId];
  if (!build) {
    throw new CommandSendError("no-rest-endpoint", { command: command.command });
  }
  const { endpoint, body } = build(command.arguments as Readonly<Record<string, unknown>>);
  return { path: `/api/chargers/${command.chargerId}/${endpoint}`, ...(body !== undefined ? { body } : {}) };
}

function ticksText(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return BigInt(value).toString();
  if (typeof value === "string" && /^[1-9]\d{0,19}$/.test(value)) return value;
  return undefined;
}

/** The answer to a REST command: Easee's command reference, or nothing to wait for. */
export function interpretCommandAnswer(answer: HttpAnswer): RestCommandAnswer | "unauthorized" {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    const first: unknown = Array.isArray(answer.data) ? answer.data[0] : answer.data;
    if (first !== null && typeof first === "object") {
      const record = first as Record<string, unknown>;
      const ticks = ticksText(record.ticks ?? record.Ticks);
      const commandId = record.commandId ?? record.CommandId;
      if (ticks !== undefined && typeof commandId === "number" && Number.isInteger(commandId)) return { commandId, ticks };
    }
    return {};
  }
  if (status === 401) return "unauthorized";
  if (status === 429) {
    const seconds = Number(answer.headers["retry-after"]);
    throw new EaseeApiError("rate-limited", { id: "command-rate-limited" }, {
      httpStatus: 429,
      retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? Math.min(86_400_000, seconds * 1000) : 60_000,
    });
  }
  if (status === 403 || status === 404) {
    throw new EaseeApiError("unexpected-response", { id: "command-refused", params: { status } }, {
      httpStatus: status,
    });
  }
  if (status >= 500) throw new EaseeApiError("server-error", { id: "command-server-error", params: { status } }, { httpStatus: status });
  throw new EaseeApiError("unexpected-response", { id: "command-not-taken", params: { status } }, { httpStatus: status });
}

export interface RestCommandSenderOptions {
  /** POSTs one REST call (the Easee REST client's postCharger with interpretCommandAnswer). */
  readonly post: (call: RestCommandCall, signal: AbortSignal) => Promise<RestCommandAnswer>;
  /** Hands a (translated or made-up) command response to the stream's subscribers. */
  readonly deliver: (response: DecodedCommandResponse) => void;
  /** At least this long between two REST commands of this account. Default 1000 ms. */
  readonly spacingMs?: number;
  /** How long a hub response may wait for the REST answer of a command still on its way. Default 10000 ms. */
  readonly holdMs?: number;
  readonly scheduler?: Scheduler;
}

interface Alias {
  readonly commandId: number;
  readonly ticks: string;
  readonly timer: TimerHandle;
}

function responseKey(chargerId: string, commandId: number, ticks: string): string {
  return `${chargerId.toUpperCase()}|${commandId}|${ticks}`;
}

/**
 * Sends commands over REST, one at a time with spacing, honouring Retry-After; translates the hub's command
 * responses to the ticks the command node made. One per config node.
 */
export class RestCommandSender {
  private readonly options: RestCommandSenderOptions;
  private readonly scheduler: Scheduler;
  private readonly aliases = new Map<string, Alias>();
  /** REST calls not answered yet, per charger: a hub response for such a charger waits for them. */
  private readonly inFlight = new Map<string, number>();
  private held: { response: DecodedCommandResponse; timer: TimerHandle }[] = [];
  private queue: Promise<void> = Promise.resolve();
  private lastSentAtMs = Number.NEGATIVE_INFINITY;
  private blockedUntilMs = 0;
  private closed = false;

  constructor(options: RestCommandSenderOptions) {
    this.options = options;
    this.scheduler = options.scheduler ?? realScheduler;
  }

  /** Resolves when Easee took the command (HTTP 2xx); rejects with a CommandSendError. */
  send(command: EncodedCommand, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const call = restCallFor(command); // throws before anything is queued
    const run = this.queue.then(() => this.sendNow(command, call, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A CommandResponse from the hub: translated to the command node's ticks when it answers a REST command of ours,
   * held while a REST answer for its charger is still on its way, passed on as it is otherwise.
   */
  onHubResponse(response: DecodedCommandResponse): void {
    if (this.translateAndDeliver(response)) return;
    if ((this.inFlight.get(response.chargerId.toUpperCase()) ?? 0) > 0) {
      const entry = {
        response,
        timer: this.scheduler.setTimeout(() => this.release(entry), this.options.holdMs ?? 10_000),
      };
      this.held.push(entry);
      return;
    }
    this.options.deliver(response);
  }

  /** Forget everything (the config node is closing); no timer left. */
  close(): void {
    this.closed = true;
    for (const alias of this.aliases.values()) this.scheduler.clearTimeout(alias.timer);
    this.aliases.clear();
    for (const entry of this.held) this.scheduler.clearTimeout(entry.timer);
    this.held = [];
  }

  private async sendNow(command: EncodedCommand, call: RestCommandCall, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    if (this.closed) throw new CommandSendError("closed");
    const now = this.scheduler.now();
    if (now < this.blockedUntilMs) {
      const wait = describeDelay(this.blockedUntilMs - now);
      throw new CommandSendError("rate-limited", { delay: wait });
    }
    // Spacing: a loop of commands reaches Easee at most once a second from this account.
    const spacing = this.options.spacingMs ?? 1000;
    const waitMs = this.lastSentAtMs + spacing - now;
    if (waitMs > 0) await new Promise<void>((resolve) => this.scheduler.setTimeout(resolve, waitMs));
    if (options.signal?.aborted) throw new CommandSendError("closed", { withdrawn: "yes" });
    this.lastSentAtMs = this.scheduler.now();

    const charger = command.chargerId.toUpperCase();
    this.inFlight.set(charger, (this.inFlight.get(charger) ?? 0) + 1);
    const timeout = AbortSignal.timeout(Math.max(1000, options.timeoutMs));
    const signal = options.signal && typeof AbortSignal.any === "function" ? AbortSignal.any([timeout, options.signal]) : timeout;
    let answer: RestCommandAnswer;
    try {
      answer = await this.options.post(call, signal);
    } catch (error) {
      if (error instanceof EaseeApiError && error.code === "rate-limited" && error.retryAfterMs !== undefined) {
        this.blockedUntilMs = this.scheduler.now() + error.retryAfterMs;
      }
      // An EaseeApiError travels as the cause: the node words it (easee-config.api.*).
      throw new CommandSendError("other", { reason: messageOf(error) }, error);
    } finally {
      const left = (this.inFlight.get(charger) ?? 1) - 1;
      if (left > 0) this.inFlight.set(charger, left);
      else this.inFlight.delete(charger);
    }

    if (answer.ticks === undefined || answer.commandId === undefined) {
      // Nothing went to the charger (it already is so): answer at once, as the charger would have.
      const response: DecodedCommandResponse = {
        kind: "commandResponse",
        chargerId: command.chargerId,
        commandId: command.commandId,
        ticks: command.ticks,
        wasAccepted: true,
        resultCode: 0,
        unchanged: true,
      };
      queueMicrotask(() => this.options.deliver(response));
    } else {
      const key = responseKey(command.chargerId, answer.commandId, answer.ticks);
      const timer = this.scheduler.setTimeout(() => this.aliases.delete(key), Math.max(1000, options.timeoutMs) + 5000);
      this.aliases.set(key, { commandId: command.commandId, ticks: command.ticks, timer });
    }
    this.flushHeld(charger);
  }

  private translateAndDeliver(response: DecodedCommandResponse): boolean {
    const key = responseKey(response.chargerId, response.commandId, response.ticks);
    const alias = this.aliases.get(key);
    if (!alias) return false;
    this.aliases.delete(key);
    this.scheduler.clearTimeout(alias.timer);
    this.options.deliver({ ...response, commandId: alias.commandId, ticks: alias.ticks });
    return true;
  }

  private flushHeld(charger: string): void {
    if ((this.inFlight.get(charger) ?? 0) > 0) return;
    for (const entry of [...this.held]) {
      if (entry.response.chargerId.toUpperCase() === charger) this.release(entry);
    }
  }

  private release(entry: { response: DecodedCommandResponse; timer: TimerHandle }): void {
    const index = this.held.indexOf(entry);
    if (index < 0) return;
    this.held.splice(index, 1);
    this.scheduler.clearTimeout(entry.timer);
    if (!this.translateAndDeliver(entry.response)) this.options.deliver(entry.response);
  }
}
