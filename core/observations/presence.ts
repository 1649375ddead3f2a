/**
 * Charger presence: which chargers (and Equalizers) are speaking, which went silent.
 *
 * An idle charger still sends something about every 15 minutes (its thermal heartbeat, protocol-notes §6); one that
 * lost its network simply stops. So a device is *online* while it was heard within the silence time, *offline*
 * after that (or at once when the cloud reports ConnectedToCloud = false), and *unknown* after a restart until it
 * is heard or the silence time has passed. Changes are reported when a device goes offline and when it comes back
 * from offline; unknown → online (first heard after a start) is recorded quietly.
 *
 * Silence is measured on this machine's clock from when a delivery was received, not from the device's timestamp
 * (device clocks drift, and a charger's clock says nothing about the network path). A delivery whose ArrivalTime
 * is already older than the silence time (a backlog after an outage) is history, not a sign of life.
 * While the stream to Easee is down nothing can be heard, so the tracker is paused: nobody is declared offline
 * for our own outage, and after it every device gets the full silence time again.
 *
 * Pure: the clock and the timer come from a Scheduler (core/timing/scheduler), so tests run it on a fast clock.
 * One timer at most, set for the earliest deadline: thousands of chargers cost no more than one.
 */
import type { Scheduler, TimerHandle } from "../timing/scheduler";
import { deviceKindOf, type DeviceKind } from "../catalogue/devices";
import { isoFromMs, toEpochMs } from "../decode/time";
import type { DecodedObservation } from "../types";

export type PresenceState = "online" | "offline" | "unknown";

/**
 * Why the state changed: `message` (the device was heard), `silence` (nothing heard for the silence time),
 * `cloudDisconnected` (ConnectedToCloud = false arrived), `cloudConnected` (ConnectedToCloud = true arrived).
 */
export type PresenceReason = "message" | "silence" | "cloudDisconnected" | "cloudConnected";

export interface LastSeen {
  /** Device time of the newest observation heard, ISO 8601 (absent when it had none). */
  readonly timestamp?: string;
  /** Its ArrivalTime (cloud arrival), ISO 8601 (absent when it had none). */
  readonly arrivalTime?: string;
  /** When it was received here, ISO 8601. */
  readonly receivedAt: string;
}

/** One change of a device's presence, as `msg.easee.presence` carries it (plus the serial and kind). */
export interface PresenceChange {
  readonly chargerId: string;
  readonly device: DeviceKind;
  readonly online: boolean;
  readonly state: Exclude<PresenceState, "unknown">;
  readonly previous: PresenceState;
  readonly reason: PresenceReason;
  /** When the change was decided here, ISO 8601. */
  readonly since: string;
  /** Null when the device has not been heard since the start (a listed charger that never spoke). */
  readonly lastSeen: LastSeen | null;
  readonly silenceMinutes: number;
  /** The last ConnectedToCloud (250) value, where one arrived. */
  readonly connectedToCloud?: boolean;
  /** The last CloudDisconnectReason (251) text, where one arrived. */
  readonly cloudDisconnectReason?: string;
}

export interface PresenceOptions {
  /** Silence after which a device counts as offline, in milliseconds (> 0). */
  readonly silenceMs: number;
  readonly scheduler: Scheduler;
  /** Called for every change, synchronously (before heard() returns, for changes a delivery causes). */
  readonly onChange: (change: PresenceChange) => void;
  /**
   * Serials expected to speak (the node's charger list). Unknown at start; offline when still not heard once
   * the silence time has passed with the stream up.
   */
  readonly expected?: readonly string[];
  /** Devices remembered at once; the first one heard is forgotten beyond this. */
  readonly maxDevices?: number;
}

export const DEFAULT_SILENCE_MINUTES = 20;
export const DEFAULT_MAX_PRESENCE_DEVICES = 10_000;

const CONNECTED_TO_CLOUD = 250;
const CLOUD_DISCONNECT_REASON = 251;

/**
 * `silenceMinutes` from the editor: a positive number of minutes, fractions allowed (0.5 = 30 s).
 * Undefined when unusable (the node warns and uses the default). Empty means the default.
 */
export function parseSilenceMinutes(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return DEFAULT_SILENCE_MINUTES;
  const n = typeof value === "number" ? value : typeof value === "string" && value.length <= 32 ? Number(value.trim()) : NaN;
  // Up to a year: beyond that a timer would overflow Node's 32-bit delay and the setting is surely a typo.
  return Number.isFinite(n) && n > 0 && n <= 525_600 ? n : undefined;
}

interface DeviceRecord {
  readonly key: string;
  chargerId: string;
  device: DeviceKind;
  state: PresenceState;
  /** Epoch ms (this machine) of the newest sign of life; NaN when never heard. */
  heardMs: number;
  receivedMs: number;
  /** When the state last changed here (epoch ms); NaN while unknown. */
  changedMs: number;
  timestamp?: string;
  arrivalTime?: string;
  connectedToCloud?: boolean;
  cloudDisconnectReason?: string;
}

export class PresenceTracker {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly silenceMs: number;
  private readonly scheduler: Scheduler;
  private readonly onChange: (change: PresenceChange) => void;
  private readonly maxDevices: number;
  private timer: TimerHandle | undefined;
  private paused = true;
  /** When the stream last came up: nobody can have been heard before it, so silence counts from here at the least. */
  private resumedMs = NaN;
  private closed = false;

  constructor(options: PresenceOptions) {
    this.silenceMs = Math.max(1, options.silenceMs);
    this.scheduler = options.scheduler;
    this.onChange = options.onChange;
    this.maxDevices = Math.max(1, options.maxDevices ?? DEFAULT_MAX_PRESENCE_DEVICES);
    for (const serial of options.expected ?? []) {
      const key = serial.toUpperCase();
      if (!this.devices.has(key)) this.devices.set(key, this.newRecord(key, serial));
    }
  }

  get silenceMinutes(): number {
    return this.silenceMs / 60_000;
  }

  /** The stream to Easee is up: silence is measured from now on (starts paused: nothing is judged before). */
  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.resumedMs = this.scheduler.now();
    this.schedule();
  }

  /** The stream is down: nothing can be heard, so nobody goes offline for it. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.cancelTimer();
  }

  /** Stops every timer; the tracker does nothing afterwards. */
  close(): void {
    this.closed = true;
    this.paused = true;
    this.cancelTimer();
  }

  get size(): number {
    return this.devices.size;
  }

  /** A decoded observation from a device: a sign of life unless the cloud says otherwise or it is old history. */
  heard(observation: DecodedObservation, receivedAtMs: number = this.scheduler.now()): void {
    if (this.closed) return;
    const record = this.touch(observation.chargerId, observation.device);
    // The decoder already measured receipt minus arrival (latencyMs): no second parse of the ArrivalTime text on
    // this hot path. Only observations made elsewhere (without latencyMs) have their ArrivalTime parsed.
    const latency = observation.latencyMs;
    const arrivalMs =
      latency !== undefined && Number.isFinite(latency)
        ? receivedAtMs - latency
        : observation.arrivalTime !== undefined
          ? toEpochMs(observation.arrivalTime)
          : NaN;
    // The earlier of arrival and receipt: a backlog delivered late proves only that the device spoke back then.
    let heardMs = arrivalMs === arrivalMs && arrivalMs < receivedAtMs ? arrivalMs : receivedAtMs;
    // A SignalR current-state replay (no ArrivalTime) is history too: the device spoke when its timestamp says.
    if (observation.replay === true && observation.timestamp !== undefined) {
      const spokeMs = toEpochMs(observation.timestamp);
      if (spokeMs === spokeMs && spokeMs < heardMs) heardMs = spokeMs;
    }
    const isNewest = !(heardMs < record.heardMs);
    if (isNewest) {
      record.heardMs = heardMs;
      record.receivedMs = receivedAtMs;
      record.timestamp = observation.timestamp;
      record.arrivalTime = observation.arrivalTime;
    }

    const interpreted = record.device !== "unknown";
    if (interpreted && observation.observationId === CLOUD_DISCONNECT_REASON) {
      if (typeof observation.value === "string") record.cloudDisconnectReason = observation.value;
      // Said by the cloud about the device, not by the device: no sign of life.
      return;
    }
    if (interpreted && observation.observationId === CONNECTED_TO_CLOUD && typeof observation.value === "boolean") {
      record.connectedToCloud = observation.value;
      if (!isNewest) return;
      if (!observation.value) {
        if (record.state !== "offline") this.change(record, "offline", "cloudDisconnected");
        return;
      }
      if (record.state !== "online" && this.isRecent(heardMs, receivedAtMs)) this.change(record, "online", "cloudConnected");
      this.schedule();
      return;
    }
    if (record.state !== "online" && isNewest && this.isRecent(heardMs, receivedAtMs)) this.change(record, "online", "message");
    this.schedule();
  }

  /** The current presence of every device whose presence is known (not unknown), for a snapshot. */
  known(): PresenceChange[] {
    const out: PresenceChange[] = [];
    for (const record of this.devices.values()) {
      if (record.state !== "unknown") out.push(this.describe(record, record.state, record.state, "message"));
    }
    return out;
  }

  stateOf(chargerId: string): PresenceState {
    return this.devices.get(chargerId.toUpperCase())?.state ?? "unknown";
  }

  private isRecent(heardMs: number, nowMs: number): boolean {
    return nowMs - heardMs < this.silenceMs;
  }

  private newRecord(key: string, chargerId: string, device?: DeviceKind): DeviceRecord {
    return { key, chargerId, device: device ?? deviceKindOf(chargerId), state: "unknown", heardMs: NaN, receivedMs: NaN, changedMs: NaN };
  }

  private touch(chargerId: string, device: DeviceKind | undefined): DeviceRecord {
    // Exact key first: serials arrive upper case, so the common case allocates nothing.
    let key = chargerId;
    let record = this.devices.get(key);
    if (record === undefined) {
      key = chargerId.toUpperCase();
      record = this.devices.get(key);
    }
    if (record === undefined) {
      record = this.newRecord(key, chargerId, device);
      this.devices.set(key, record);
      while (this.devices.size > this.maxDevices) {
        const oldest = this.devices.keys().next().value as string;
        this.devices.delete(oldest);
      }
    } else if (record.heardMs !== record.heardMs) {
      // A listed serial heard for the first time: its spelling on the wire is the one to report.
      record.chargerId = chargerId;
      if (device !== undefined) record.device = device;
    }
    return record;
  }

  /** The moment a device counts as silent, if it is online or (listed and) unknown. */
  private deadlineOf(record: DeviceRecord): number {
    if (record.state === "offline") return Infinity;
    const base = record.heardMs === record.heardMs ? Math.max(record.heardMs, this.resumedMs) : this.resumedMs;
    return base + this.silenceMs;
  }

  private schedule(): void {
    if (this.paused || this.closed) return;
    // A pending timer that fires too early only checks again; deadlines never move earlier than one set before.
    if (this.timer !== undefined) return;
    let earliest = Infinity;
    for (const record of this.devices.values()) {
      const deadline = this.deadlineOf(record);
      if (deadline < earliest) earliest = deadline;
    }
    if (earliest === Infinity) return;
    this.timer = this.scheduler.setTimeout(() => this.onTimer(), Math.max(0, earliest - this.scheduler.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.paused || this.closed) return;
    const now = this.scheduler.now();
    const silent: DeviceRecord[] = [];
    for (const record of this.devices.values()) {
      if (this.deadlineOf(record) <= now) silent.push(record);
    }
    for (const record of silent) {
      if (this.closed) return;
      this.change(record, "offline", "silence");
    }
    this.schedule();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private change(record: DeviceRecord, state: "online" | "offline", reason: PresenceReason): void {
    const previous = record.state;
    record.state = state;
    record.changedMs = this.scheduler.now();
    // Heard for the first time since the start: now known, but nothing came back, so no msg. Otherwise every
    // deploy would send "online" for every charger, and alert flows would announce returns that never happened.
    if (previous === "unknown" && state === "online") return;
    this.onChange(this.describe(record, state, previous, reason));
  }

  private describe(
    record: DeviceRecord,
    state: "online" | "offline",
    previous: PresenceState,
    reason: PresenceReason,
  ): PresenceChange {
    const change: { -readonly [K in keyof PresenceChange]: PresenceChange[K] } = {
      chargerId: record.chargerId,
      device: record.device,
      online: state === "online",
      state,
      previous,
      reason,
      since: isoFromMs(record.changedMs === record.changedMs ? record.changedMs : this.scheduler.now()),
      lastSeen:
        record.receivedMs === record.receivedMs
          ? {
              ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
              ...(record.arrivalTime !== undefined ? { arrivalTime: record.arrivalTime } : {}),
              receivedAt: isoFromMs(record.receivedMs),
            }
          : null,
      silenceMinutes: this.silenceMinutes,
    };
    if (record.connectedToCloud !== undefined) change.connectedToCloud = record.connectedToCloud;
    if (record.cloudDisconnectReason !== undefined) change.cloudDisconnectReason = record.cloudDisconnectReason;
    return change;
  }
}
