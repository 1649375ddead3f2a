/**
 * Plays simulated chargers onto the broker, and floods it on demand (load mode for the benchmarks).
 *
 * Everything goes out on one confirm channel: publisher confirms tell us the broker really took a message, and
 * `publish()` returning false (the socket buffer is full) plus the connection's `blocked` event (RabbitMQ's own
 * flow control) make the load mode wait instead of buffering without bound, so a measured rate is a real rate.
 */
import { connect } from "amqplib";
import type { ChannelModel, ConfirmChannel } from "amqplib";
import { ChargerModel, OBS, type ChargerModelOptions, type ModelObservation } from "./charger";
import { EqualizerModel, type EqualizerModelOptions } from "./equalizer";
import {
  MESSAGE_SHAPES,
  encodeObservation,
  type ArrivalTimeFormat,
  type EncodedMessage,
  type MessageShape,
} from "./encode";
import { Reconnector } from "./reconnect";

/** A body shape, or `mixed` to rotate through all of them message by message. */
export type ShapeOption = MessageShape | "mixed";

export interface PublisherOptions {
  /** Broker to publish to, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  readonly amqpUrl: string;
  /** Exchange the observations go to (routed to the operator queue by routing key `{serial}.O.{id}`). */
  readonly exchange: string;
  /** Number of chargers (serials EH000001, EH000002, …) or their full options. Default 3. */
  readonly chargers?: number | readonly ChargerModelOptions[];
  /** Prefix of generated serials. Default `EH`. */
  readonly serialPrefix?: string;
  /** Equalizers (serials QH000001, …) measuring the grid connection the chargers hang on. Default 0. */
  readonly equalizers?: number | readonly EqualizerModelOptions[];
  /** How many of the generated chargers start with a car charging. Default 1, so power shows at once. */
  readonly startCharging?: number;
  readonly shape?: ShapeOption;
  readonly arrivalTimeFormat?: ArrivalTimeFormat;
  /** Simulated seconds per real second. Default 60 (an hour of charging passes in a minute). */
  readonly speed?: number;
  /** Real milliseconds between model steps. Default 1000. */
  readonly tickMs?: number;
  /** Publish persistent messages (delivery mode 2). Default false. */
  readonly persistent?: boolean;
  /** Connection name shown in the RabbitMQ management UI. */
  readonly connectionName?: string;
  /** Called on a publish error that is not tied to a caller (the live rhythm). Default: ignored. */
  readonly onError?: (error: Error) => void;
}

export type SessionAction = "start" | "stop";

export interface SessionResult {
  readonly serial: string;
  readonly action: SessionAction;
  /** False when there was nothing to do (a session already running, or none to stop). */
  readonly changed: boolean;
  /** ChargerOpMode (109) after the action. */
  readonly opMode: number;
}

export interface PublisherCounts {
  /** Messages handed to the channel. */
  readonly published: number;
  /** Messages the broker confirmed. */
  readonly confirmed: number;
  /** Messages the broker refused (nack). */
  readonly nacked: number;
}

export interface LoadOptions {
  /** Messages per second to hold (rate mode). */
  readonly rate?: number;
  /** How long to hold the rate, ms. Default 10000 (with `rate`). */
  readonly durationMs?: number;
  /** Publish exactly this many messages as fast as the broker takes them (backlog mode); with `rate`, stop at this count. */
  readonly count?: number;
  /** Chargers the load is spread over. Default: the publisher's chargers. */
  readonly chargers?: number;
  /** Shape for the load; default the publisher's. */
  readonly shape?: ShapeOption;
  /** Unconfirmed messages allowed in flight. Default 20000. */
  readonly maxInFlight?: number;
  /** Stop early. */
  readonly signal?: AbortSignal;
}

export interface LoadResult extends PublisherCounts {
  readonly mode: "rate" | "backlog";
  /** The rate asked for (rate mode). */
  readonly targetRate?: number;
  /** Time from the first publish to the last confirm, ms. */
  readonly durationMs: number;
  /** Time from the first publish until the last message was handed to the socket, ms. */
  readonly publishMs: number;
  /** Confirmed messages per second over `durationMs`. */
  readonly ratePerSecond: number;
}

/** `EH000001` for index 0. */
export function serialFor(index: number, prefix = "EH"): string {
  return `${prefix}${String(index + 1).padStart(6, "0")}`;
}

/** Observations the load mode cycles through (telemetry a charging charger sends most). */
const LOAD_IDS = [120, 121, 182, 183, 184, 190, 191, 192, 109, 48, 150, 132] as const;

/** How a device goes silent: just stop (lost network), or with the cloud's own report first (as AWS IoT would). */
export interface SilenceOptions {
  /** Publish CloudDisconnectReason and ConnectedToCloud = false before going quiet. Default false. */
  readonly cloudReport?: boolean;
  /** The CloudDisconnectReason text. Default `CONNECTION_LOST`. */
  readonly reason?: string;
}

export class Publisher {
  readonly chargers: ChargerModel[];
  readonly equalizers: EqualizerModel[];
  /** Serials told to be silent: their observations (and command answers) are lost, as with a dead network. */
  private readonly silenced = new Set<string>();
  private readonly options: PublisherOptions;
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shapeIndex = 0;
  private blocked = false;
  private closed = false;
  private waiters: Array<() => void> = [];
  private counts = { published: 0, confirmed: 0, nacked: 0 };
  private lastTick = 0;
  /**
   * The broker went away (restart, connection closed by an operator): like a cloud outage, what the chargers report
   * meanwhile is lost, and publishing resumes once a new connection is up (backoff 1 s doubling to 30 s).
   */
  private readonly reconnector = new Reconnector(
    () => this.open(),
    () => {
      if (this.closed) void this.close();
    },
  );
  private readonly listeners = new Set<(chargerId: string, observations: readonly ModelObservation[]) => void>();

  private constructor(options: PublisherOptions) {
    this.options = options;
    const chargers = options.chargers ?? 3;
    const startCharging = options.startCharging ?? 1;
    const list: ChargerModelOptions[] =
      typeof chargers === "number"
        ? Array.from({ length: chargers }, (_, i) => ({
            serial: serialFor(i, options.serialPrefix),
            startCharging: i < startCharging,
          }))
        : [...chargers];
    this.chargers = list.map((o) => new ChargerModel(o));
    const equalizers = options.equalizers ?? 0;
    const eqList: EqualizerModelOptions[] =
      typeof equalizers === "number"
        ? Array.from({ length: equalizers }, (_, i) => ({ serial: serialFor(i, "QH") }))
        : [...equalizers];
    this.equalizers = eqList.map((o) => new EqualizerModel(o));
  }

  /** Connect (confirm channel) without publishing anything yet. */
  static async connect(options: PublisherOptions): Promise<Publisher> {
    const publisher = new Publisher(options);
    await publisher.open();
    return publisher;
  }

  private async open(): Promise<void> {
    const connection = await connect(this.options.amqpUrl, {
      clientProperties: { connection_name: this.options.connectionName ?? "easee-simulator publisher" },
    });
    this.connection = connection;
    connection.on("error", (error: Error) => this.options.onError?.(error));
    connection.on("blocked", () => {
      this.blocked = true;
    });
    connection.on("unblocked", () => {
      this.blocked = false;
      this.wake();
    });
    connection.on("close", () => {
      if (this.connection === connection) this.connection = undefined;
      this.channel = undefined;
      this.wake();
      if (!this.closed) {
        if (this.reconnector.isFirstAttempt) this.options.onError?.(new Error("lost the broker connection; reconnecting"));
        this.reconnector.schedule();
      }
    });
    const channel = await connection.createConfirmChannel();
    channel.on("error", (error: Error) => this.options.onError?.(error));
    // A channel closed by the broker (e.g. its exchange deleted) leaves a useless connection: drop it and reconnect.
    channel.on("close", () => {
      if (this.channel === channel && !this.closed) connection.close().catch(() => undefined);
    });
    channel.on("drain", () => this.wake());
    this.channel = channel;
  }


  /** True while a channel to the broker is open. */
  get connected(): boolean {
    return this.channel !== undefined;
  }

  get stats(): PublisherCounts {
    return { ...this.counts };
  }

  charger(serial: string): ChargerModel | undefined {
    return this.chargers.find((c) => c.serial === serial);
  }

  equalizer(serial: string): EqualizerModel | undefined {
    return this.equalizers.find((e) => e.serial === serial);
  }

  /** True when a charger or Equalizer of this serial is simulated. */
  has(serial: string): boolean {
    return this.charger(serial) !== undefined || this.equalizer(serial) !== undefined;
  }

  isSilent(serial: string): boolean {
    return this.silenced.has(serial);
  }

  /**
   * The device stops talking (its network is gone): nothing it reports reaches the queue, commands to it go
   * unanswered. It keeps running meanwhile (a charging car keeps charging). False for an unknown serial.
   */
  async silence(serial: string, options: SilenceOptions = {}): Promise<boolean> {
    if (!this.has(serial)) return false;
    if (this.silenced.has(serial)) return true;
    if (options.cloudReport) {
      await this.publishObservations(serial, [
        { observationId: OBS.CloudDisconnectReason, value: options.reason ?? "CONNECTION_LOST" },
        { observationId: OBS.ConnectedToCloud, value: false },
      ]);
    }
    this.silenced.add(serial);
    return true;
  }

  /** The device is back: it says so (ConnectedToCloud = true) and reports as before. False for an unknown serial. */
  async speak(serial: string): Promise<boolean> {
    if (!this.has(serial)) return false;
    if (!this.silenced.delete(serial)) return true;
    await this.publishObservations(serial, [{ observationId: OBS.ConnectedToCloud, value: true }]);
    return true;
  }

  /**
   * Starts or stops a charging session on demand and publishes what the charger reports. `serial` empty: the
   * first charger where the action changes something. Undefined when no charger has that serial.
   */
  async session(action: SessionAction, serial?: string): Promise<SessionResult | undefined> {
    const wanted = serial?.trim().toUpperCase() ?? "";
    const candidates = wanted === "" ? this.chargers : this.chargers.filter((c) => c.serial.toUpperCase() === wanted);
    if (candidates.length === 0) return undefined;
    for (const charger of candidates) {
      const observations = action === "start" ? charger.startSession() : charger.stopSession();
      if (observations.length > 0) {
        await this.publishObservations(charger.serial, observations);
        return { serial: charger.serial, action, changed: true, opMode: charger.opMode };
      }
    }
    const first = candidates[0] as ChargerModel;
    return { serial: first.serial, action, changed: false, opMode: first.opMode };
  }

  /** Be told about every batch of observations the chargers publish (used by tests and the CLI). */
  onObservations(listener: (chargerId: string, observations: readonly ModelObservation[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Boot every charger (boot observations), then play them on the simulated clock. */
  async start(): Promise<void> {
    for (const charger of this.chargers) await this.publishObservations(charger.serial, charger.boot());
    this.shareChargerLoad();
    for (const equalizer of this.equalizers) await this.publishObservations(equalizer.serial, equalizer.boot());
    this.lastTick = Date.now();
    const tickMs = this.options.tickMs ?? 1000;
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.options.onError?.(error as Error));
    }, tickMs);
    this.timer.unref?.();
  }

  /** Stop the simulated clock (the connection stays open for commands and load). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Advance every charger by the real time since the last tick times the speed, and publish what they report. */
  async tick(realMs?: number): Promise<void> {
    const now = Date.now();
    const elapsed = realMs ?? now - this.lastTick;
    this.lastTick = now;
    const simulatedMs = elapsed * (this.options.speed ?? 60);
    for (const charger of this.chargers) {
      const observations = charger.advance(simulatedMs, now);
      if (observations.length > 0) await this.publishObservations(charger.serial, observations);
    }
    this.shareChargerLoad();
    for (const equalizer of this.equalizers) {
      const observations = equalizer.advance(simulatedMs);
      if (observations.length > 0) await this.publishObservations(equalizer.serial, observations);
    }
  }

  /** Every Equalizer measures the chargers' power (TotalPower, kW) on top of the house, spread over three phases. */
  private shareChargerLoad(): void {
    if (this.equalizers.length === 0) return;
    let totalKw = 0;
    for (const charger of this.chargers) {
      const power = charger.value(OBS.TotalPower);
      if (typeof power === "number" && Number.isFinite(power)) totalKw += power;
    }
    const perPhase = totalKw / 3;
    for (const equalizer of this.equalizers) equalizer.setChargerLoad([perPhase, perPhase, perPhase]);
  }

  private nextShape(shape: ShapeOption | undefined): MessageShape {
    const chosen = shape ?? this.options.shape ?? "masterloop";
    if (chosen !== "mixed") return chosen;
    const s = MESSAGE_SHAPES[this.shapeIndex % MESSAGE_SHAPES.length] as MessageShape;
    this.shapeIndex++;
    return s;
  }

  /**
   * Publish one charger's observations and wait for the broker's confirms. Device timestamps are wall-clock time
   * a few ms before the ArrivalTime header, as if the message had just travelled from the charger to the cloud.
   */
  async publishObservations(chargerId: string, observations: readonly ModelObservation[]): Promise<void> {
    if (observations.length === 0) return;
    if (this.silenced.has(chargerId)) return; // no network: nothing reaches the cloud
    for (const listener of this.listeners) listener(chargerId, observations);
    if (!this.channel) return; // broker away: lost, as in a cloud outage (see reconnector)
    const arrival = Date.now();
    const pending: Promise<void>[] = [];
    for (const observation of observations) {
      const message = encodeObservation(
        { chargerId, observationId: observation.observationId, value: observation.value, timestampMs: arrival - 40 },
        { shape: this.nextShape(undefined), arrivalTimeFormat: this.options.arrivalTimeFormat, arrivalTimeMs: arrival },
      );
      pending.push(this.publishConfirmed(message));
    }
    await Promise.all(pending);
  }

  /** Publish one message to the observation exchange; resolves when the broker confirms it. */
  publishConfirmed(message: EncodedMessage): Promise<void> {
    const channel = this.channel;
    if (!channel) return Promise.reject(new Error("publisher is closed"));
    return new Promise((resolve, reject) => {
      this.counts.published++;
      channel.publish(this.options.exchange, message.routingKey, message.body, this.publishOptions(message), (err) => {
        if (err) {
          this.counts.nacked++;
          reject(new Error(`broker refused ${message.routingKey}`));
        } else {
          this.counts.confirmed++;
          resolve();
        }
      });
    });
  }

  private publishOptions(message: EncodedMessage) {
    return {
      contentType: message.contentType,
      headers: message.headers,
      deliveryMode: this.options.persistent ? 2 : 1,
    };
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForWake(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Load mode. With `rate`: hold that many messages per second for `durationMs` (or until `count`). With only
   * `count`: publish a backlog of that many as fast as the broker confirms them. Resolves when every message is
   * confirmed (or refused).
   */
  async runLoad(options: LoadOptions): Promise<LoadResult> {
    const channel = this.channel;
    if (!channel) throw new Error("publisher is closed");
    const rate = options.rate;
    if (rate === undefined && options.count === undefined) throw new Error("load needs a rate or a count");
    if (rate !== undefined && !(rate > 0)) throw new Error("rate must be above 0");
    const total = options.count ?? Math.round(((options.durationMs ?? 10_000) / 1000) * (rate as number));
    const maxInFlight = options.maxInFlight ?? 20_000;
    const chargerCount = Math.max(1, options.chargers ?? this.chargers.length);
    const serials = Array.from({ length: chargerCount }, (_, i) => this.chargers[i]?.serial ?? serialFor(i, this.options.serialPrefix));
    const exchange = this.options.exchange;

    let sent = 0;
    let confirmed = 0;
    let nacked = 0;
    let inFlight = 0;
    let allDone: (() => void) | undefined;
    const finished = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const onConfirm = (err: unknown): void => {
      inFlight--;
      if (err) nacked++;
      else confirmed++;
      if (inFlight < maxInFlight / 2) this.wake();
      if (confirmed + nacked === total) allDone?.();
    };

    let power = 7.2;
    const makeMessage = (n: number): EncodedMessage => {
      const now = Date.now();
      const id = LOAD_IDS[n % LOAD_IDS.length] as number;
      const chargerId = serials[Math.floor(n / LOAD_IDS.length) % serials.length] as string;
      power = (power + 0.37) % 11;
      const value: number = id === 109 ? 3 : id === 48 ? 16 : id === 132 ? -60 : id >= 190 ? 230.1 : id === 150 ? 31 : round3(power);
      return encodeObservation(
        { chargerId, observationId: id, value, timestampMs: now },
        { shape: this.nextShape(options.shape), arrivalTimeFormat: this.options.arrivalTimeFormat, arrivalTimeMs: now },
      );
    };

    const started = Date.now();
    while (sent < total) {
      if (options.signal?.aborted || this.closed || !this.channel) break;
      let allowed = total - sent;
      if (rate !== undefined) {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate)) - sent;
        if (due <= 0) {
          await delay(Math.max(1, Math.min(10, Math.ceil(1000 / rate))));
          continue;
        }
        allowed = due;
      }
      if (this.blocked || inFlight >= maxInFlight) {
        await this.waitForWake(50);
        continue;
      }
      allowed = Math.min(allowed, maxInFlight - inFlight, 2000);
      let drained = true;
      for (let i = 0; i < allowed; i++) {
        const message = makeMessage(sent);
        sent++;
        inFlight++;
        drained = channel.publish(exchange, message.routingKey, message.body, this.publishOptions(message), onConfirm);
        if (!drained) break;
      }
      if (!drained) await this.waitForWake(50);
      // Let confirms and socket writes run between batches.
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const publishMs = Math.max(1, Date.now() - started);
    if (sent === total) {
      if (confirmed + nacked < total) await finished;
    } else {
      // Stopped early: wait for the confirms of what was sent (or the channel going away).
      while (confirmed + nacked < sent && this.channel) await this.waitForWake(20);
    }
    const durationMs = Math.max(1, Date.now() - started);
    this.counts.published += sent;
    this.counts.confirmed += confirmed;
    this.counts.nacked += nacked;
    return {
      mode: rate !== undefined ? "rate" : "backlog",
      ...(rate !== undefined ? { targetRate: rate } : {}),
      published: sent,
      confirmed,
      nacked,
      durationMs,
      publishMs,
      ratePerSecond: Math.round((confirmed / durationMs) * 1000),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reconnector.stop();
    this.stop();
    this.wake();
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    if (connection) {
      try {
        await connection.close();
      } catch {
        // already closed (broker gone): nothing left to release
      }
    }
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
