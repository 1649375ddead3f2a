/**
 * A believable Easee charger, driven by a simulated clock. Pure: it never touches a broker or a timer.
 *
 * The publisher calls `advance(simulatedMs, wallNowMs)` on a rhythm and publishes what comes back; commands are
 * applied with `applyCommand`. The simulated clock only drives behaviour (sessions, power ramps, the hourly energy
 * rhythm), so a speed factor can squeeze an hour into a minute; timestamps on the wire are wall-clock times, and
 * command TTLs run on the wall clock too (they are a promise to the integrator, not part of the car's physics).
 */
import type { CommandBody, SimValue } from "./encode";

/** Observation ids the model emits (names as in the catalogue). */
export const OBS = {
  DetectedPowerGridType: 21,
  CircuitMaxCurrentP1: 22,
  CircuitMaxCurrentP2: 23,
  CircuitMaxCurrentP3: 24,
  MaxCurrentOfflineFallback_P1: 50,
  MaxCurrentOfflineFallback_P2: 51,
  MaxCurrentOfflineFallback_P3: 52,
  LockCablePermanently: 30,
  IsEnabled: 31,
  PhaseMode: 38,
  MaxChargerCurrent: 47,
  DynamicChargerCurrent: 48,
  SoftwareRelease: 80,
  RebootReason: 89,
  PowerPCBVersion: 90,
  ComPCBVersion: 91,
  ReasonForNoCurrent: 96,
  PilotMode: 100,
  SmartCharging: 102,
  CableLocked: 103,
  CableRating: 104,
  BackPlateID: 107,
  UserIDTokenReversed: 108,
  ChargerOpMode: 109,
  OutputPhase: 110,
  DynamicCircuitCurrentP1: 111,
  DynamicCircuitCurrentP2: 112,
  DynamicCircuitCurrentP3: 113,
  OutputCurrent: 114,
  TotalPower: 120,
  SessionEnergy: 121,
  EnergyPerHour: 122,
  LifetimeEnergy: 124,
  LifetimeRelaySwitches: 125,
  CellRSSI: 130,
  WiFiRSSI: 132,
  ChargerRAT: 141,
  TempMax: 150,
  TempAmbientPowerBoard: 151,
  InCurrent_T2: 182,
  InCurrent_T3: 183,
  InCurrent_T4: 184,
  InVolt_T1_T2: 190,
  InVolt_T1_T3: 191,
  InVolt_T1_T4: 192,
  InVolt_T1_T5: 193,
  InVolt_T2_T3: 194,
  InVolt_T2_T4: 195,
  InVolt_T2_T5: 196,
  ConnectedToCloud: 250,
  CloudDisconnectReason: 251,
} as const;

/** ChargerOpMode values (protocol-notes §4.2) the model walks through. */
export const OP_MODE = { Offline: 0, Disconnected: 1, AwaitingStart: 2, Charging: 3, Completed: 4 } as const;

/**
 * Op-mode transitions the model may make: the session walk 1 → 2 → 3 → 4 → 1, pausing (3 → 2, e.g. dynamic current
 * 0 or disabled) and resuming (2 → 3), a car that leaves before charging starts (2 → 1), a car that wants more after
 * completing (4 → 3), and going offline for a reboot and back to any state.
 */
export const VALID_OP_MODE_TRANSITIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 2],
  [2, 3],
  [3, 4],
  [4, 1],
  [3, 2],
  [2, 1],
  [4, 3],
  [1, 0],
  [2, 0],
  [3, 0],
  [4, 0],
  [0, 1],
  [0, 2],
  [0, 3],
  [0, 4],
];

/** Command ids the charger understands (protocol-notes §2; the same table as core/command/table.ts). */
export const COMMAND = {
  Reboot: 1,
  UpgradeFirmware: 4,
  OverrideSchedule: 63,
  SetSmartCharging: 11,
  SetDynamicCurrentOfflineFallback: 21,
  SetDynamicCircuitCurrent: 22,
  SetMaxCircuitCurrent: 24,
  AuthorizeCharging: 25,
  DeauthorizeCharging: 26,
  SetEnabled: 29,
  SetLockCablePermanently: 30,
  SetMaxChargerCurrent: 47,
  SetDynamicChargerCurrent: 48,
} as const;

/**
 * `ResultCode` of the simulator's command responses. Easee's own table is not public (protocol-notes §2);
 * these are the simulator's choice, documented in the README.
 */
export const RESULT_CODE = { Ok: 0, NotSupported: 1, InvalidArguments: 2, Expired: 3, Offline: 4 } as const;

export interface ModelObservation {
  readonly observationId: number;
  readonly value: SimValue;
}

export interface CommandResult {
  readonly wasAccepted: boolean;
  readonly resultCode: number;
  readonly comment: string;
  /** Observations caused by the command, to publish at once. */
  readonly observations: ModelObservation[];
}

export interface ChargerModelOptions {
  readonly serial: string;
  /** Seed of the model's random numbers; the same seed gives the same charger. Default: derived from the serial. */
  readonly seed?: number;
  /** Start with a car connected and charging instead of disconnected. */
  readonly startCharging?: boolean;
  /** Number of phases the car charges on: 3 (11 kW at 16 A) or 1. Default 3. */
  readonly phases?: 1 | 3;
  /** MaxChargerCurrent (47), A. Default 32. */
  readonly maxChargerCurrent?: number;
  /** The RFID token a user taps at session start (sent reversed as observation 108). */
  readonly rfidToken?: string;
  /** Simulated time the model starts at, epoch ms. Default: now. */
  readonly startMs?: number;
}

/** Simulated-time rhythm of the model, ms. */
const TELEMETRY_CHARGING_MS = 60_000;
/** A full electrical report at least this often while charging, even when nothing moved past the deadbands. */
const ELECTRICAL_HEARTBEAT_MS = 10 * 60_000;
const TELEMETRY_IDLE_MS = 15 * 60_000;
const RADIO_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
const STEP_MS = 5_000;
const REBOOT_MS = 40_000;

/** Deterministic PRNG (mulberry32), so tests and demos are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

type SessionStage = "disconnected" | "authorizing" | "awaiting" | "charging" | "completed";

/** One car's visit. */
interface Car {
  capacityKWh: number;
  soc: number;
  maxCurrent: number;
  authorized: boolean;
}

function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  return undefined;
}

function parseNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export class ChargerModel {
  readonly serial: string;
  readonly rfidToken: string;
  private readonly random: () => number;
  private readonly phases: 1 | 3;
  private simNow: number;

  // settings
  private maxChargerCurrent: number;
  private dynamicChargerCurrent: number;
  private circuitMax: [number, number, number] = [25, 25, 25];
  private dynamicCircuit: [number, number, number] = [40, 40, 40];
  private enabled = true;
  private smartCharging = false;
  private lockCablePermanently = false;
  private offlineFallback: [number, number, number] = [6, 6, 6];
  private scheduleOverridden = false;
  /** Wall-clock expiry of a dynamic limit set with a TTL, and the value to fall back to. */
  private dynamicChargerExpiry: { atWallMs: number; fallback: number } | undefined;
  private dynamicCircuitExpiry: { atWallMs: number; fallback: [number, number, number] } | undefined;

  // electrical state
  private current = 0;
  private readonly phaseSkew: [number, number, number];
  private readonly baseVolts: [number, number, number];
  private volts: [number, number, number];
  private sessionEnergy = 0;
  private lifetimeEnergy: number;
  private hourEnergy = 0;
  private relaySwitches: number;
  private wifiRssi: number;
  private cellRssi: number;
  private ambient: number;
  private tempMax: number;

  // session state
  private stage: SessionStage;
  private stageUntil: number;
  private car: Car | undefined;
  private rebootingUntil: number | undefined;
  private startedOnDemand = false;

  // emission rhythm
  private nextTelemetry: number;
  private lastElectrical = Number.NEGATIVE_INFINITY;
  private nextRadio: number;
  private nextHour: number;
  private readonly lastSent = new Map<number, SimValue>();

  constructor(options: ChargerModelOptions) {
    this.serial = options.serial;
    this.random = prng(options.seed ?? hash(options.serial));
    this.phases = options.phases ?? 3;
    this.simNow = options.startMs ?? Date.now();
    this.maxChargerCurrent = options.maxChargerCurrent ?? 32;
    this.dynamicChargerCurrent = this.maxChargerCurrent;
    this.rfidToken = options.rfidToken ?? `04${Math.floor(this.random() * 0xffffffff).toString(16).toUpperCase().padStart(8, "0")}`;
    this.phaseSkew = [this.jitter(0.015), this.jitter(0.015), this.jitter(0.015)];
    this.baseVolts = [229 + this.jitter(4), 229 + this.jitter(4), 229 + this.jitter(4)];
    this.volts = [...this.baseVolts];
    this.lifetimeEnergy = round(800 + this.random() * 6000, 3);
    this.relaySwitches = 200 + Math.floor(this.random() * 2000);
    this.wifiRssi = -60 + Math.round(this.jitter(10));
    this.cellRssi = -85 + Math.round(this.jitter(10));
    this.ambient = 12 + this.random() * 10;
    this.tempMax = this.ambient + 4;
    this.nextTelemetry = this.simNow;
    this.nextRadio = this.simNow + RADIO_MS;
    this.nextHour = Math.floor(this.simNow / HOUR_MS) * HOUR_MS + HOUR_MS;
    if (options.startCharging) {
      this.car = this.newCar();
      this.car.authorized = true;
      this.stage = "charging";
      this.stageUntil = Number.POSITIVE_INFINITY;
      this.current = this.targetCurrent() * 0.5;
    } else {
      this.stage = "disconnected";
      this.stageUntil = this.simNow + this.minutes(2, 8);
    }
  }

  /** Simulated time, epoch ms. */
  get simulatedNowMs(): number {
    return this.simNow;
  }

  /** The last value the charger reported for an observation. */
  value(observationId: number): SimValue | undefined {
    return this.lastSent.get(observationId);
  }

  get opMode(): number {
    return Number(this.lastSent.get(OBS.ChargerOpMode) ?? this.opModeOfStage());
  }

  /** The settings commands change, for tests and the CLI. */
  get settings(): {
    readonly enabled: boolean;
    readonly dynamicChargerCurrent: number;
    readonly dynamicCircuitCurrent: readonly number[];
    readonly circuitMaxCurrent: readonly number[];
    readonly maxChargerCurrent: number;
    readonly offlineFallback: readonly number[];
    readonly smartCharging: boolean;
    readonly lockCablePermanently: boolean;
    readonly scheduleOverridden: boolean;
  } {
    return {
      enabled: this.enabled,
      dynamicChargerCurrent: this.dynamicChargerCurrent,
      dynamicCircuitCurrent: [...this.dynamicCircuit],
      circuitMaxCurrent: [...this.circuitMax],
      maxChargerCurrent: this.maxChargerCurrent,
      offlineFallback: [...this.offlineFallback],
      smartCharging: this.smartCharging,
      lockCablePermanently: this.lockCablePermanently,
      scheduleOverridden: this.scheduleOverridden,
    };
  }

  get rebooting(): boolean {
    return this.rebootingUntil !== undefined;
  }

  /** Everything a charger reports when it comes up (and after a reboot). */
  boot(): ModelObservation[] {
    const out: ModelObservation[] = [];
    const put = (observationId: number, value: SimValue): void => {
      this.lastSent.set(observationId, value);
      out.push({ observationId, value });
    };
    put(OBS.SoftwareRelease, 321);
    put(OBS.PowerPCBVersion, 5);
    put(OBS.ComPCBVersion, 4);
    put(OBS.BackPlateID, `0${(hash(this.serial) & 0xfffffff).toString(16).padStart(7, "0")}`);
    put(OBS.DetectedPowerGridType, 1);
    put(OBS.ConnectedToCloud, true);
    put(OBS.ChargerRAT, 1);
    put(OBS.IsEnabled, this.enabled);
    put(OBS.PhaseMode, 2);
    put(OBS.SmartCharging, this.smartCharging);
    put(OBS.LockCablePermanently, this.lockCablePermanently);
    put(OBS.MaxChargerCurrent, this.maxChargerCurrent);
    put(OBS.DynamicChargerCurrent, this.dynamicChargerCurrent);
    put(OBS.CircuitMaxCurrentP1, this.circuitMax[0]);
    put(OBS.CircuitMaxCurrentP2, this.circuitMax[1]);
    put(OBS.CircuitMaxCurrentP3, this.circuitMax[2]);
    put(OBS.DynamicCircuitCurrentP1, this.dynamicCircuit[0]);
    put(OBS.DynamicCircuitCurrentP2, this.dynamicCircuit[1]);
    put(OBS.DynamicCircuitCurrentP3, this.dynamicCircuit[2]);
    put(OBS.ChargerOpMode, this.opModeOfStage());
    put(OBS.OutputPhase, this.outputPhase());
    put(OBS.ReasonForNoCurrent, this.reasonForNoCurrent());
    put(OBS.PilotMode, this.pilotMode());
    put(OBS.CableLocked, this.car !== undefined);
    put(OBS.LifetimeEnergy, round(this.lifetimeEnergy, 3));
    put(OBS.LifetimeRelaySwitches, this.relaySwitches);
    put(OBS.WiFiRSSI, this.wifiRssi);
    put(OBS.CellRSSI, this.cellRssi);
    put(OBS.TempMax, Math.round(this.tempMax));
    put(OBS.TempAmbientPowerBoard, round(this.ambient, 1));
    out.push(...this.electrical(true));
    return out;
  }

  /**
   * Let `simulatedMs` of simulated time pass; returns what the charger reports meanwhile, in order.
   * `wallNowMs` is only used for command TTLs.
   */
  advance(simulatedMs: number, wallNowMs: number = Date.now()): ModelObservation[] {
    const out: ModelObservation[] = [];
    out.push(...this.expireLimits(wallNowMs));
    const end = this.simNow + Math.max(0, simulatedMs);
    while (this.simNow < end) {
      const step = Math.min(STEP_MS, end - this.simNow);
      this.step(step, out);
    }
    if (this.rebootingUntil !== undefined) return out;
    if (this.simNow >= this.nextTelemetry) {
      const charging = this.stage === "charging";
      this.nextTelemetry = this.simNow + (charging || this.current > 0 ? TELEMETRY_CHARGING_MS : TELEMETRY_IDLE_MS);
      if (!charging) {
        out.push(...this.electrical(false), ...this.thermal());
      } else if (this.electricalMoved() || this.simNow - this.lastElectrical >= ELECTRICAL_HEARTBEAT_MS) {
        out.push(...this.electrical(false));
      } else {
        // Like Easee, small changes are filtered; session energy keeps counting.
        out.push(this.report(OBS.SessionEnergy, round(this.sessionEnergy, 3)));
      }
    }
    if (this.simNow >= this.nextRadio) {
      this.nextRadio = this.simNow + RADIO_MS;
      out.push(...this.radio(), ...this.thermal());
    }
    return out;
  }

  /**
   * A car plugs in and is authorized at once, as if its driver tapped a card: the charger reports Awaiting Start
   * and, a few simulated seconds later, Charging. For the demo and the CLI, which cannot wait for the model's own
   * sessions. Nothing happens while a session runs already or the charger reboots (returns []).
   */
  startSession(): ModelObservation[] {
    const out: ModelObservation[] = [];
    if (this.rebootingUntil !== undefined || this.stage === "awaiting" || this.stage === "charging") return out;
    if (!this.car || this.stage === "completed") {
      this.car = this.newCar();
      this.sessionEnergy = 0;
      out.push(this.report(OBS.SessionEnergy, 0));
    }
    this.car.authorized = true;
    this.stage = "awaiting";
    this.stageUntil = this.simNow + 10_000;
    this.startedOnDemand = true;
    this.onChange(out, OBS.CableLocked, true);
    this.emitState(out);
    return out;
  }

  /**
   * The driver ends the session: the charger reports Completed with no power, and the car leaves a simulated half
   * minute later (Disconnected). Nothing happens without a car (returns []).
   */
  stopSession(): ModelObservation[] {
    const out: ModelObservation[] = [];
    if (this.rebootingUntil !== undefined || !this.car || this.stage === "completed" || this.stage === "disconnected") return out;
    this.stage = "completed";
    this.stageUntil = this.simNow + 30_000;
    this.current = 0;
    this.emitState(out);
    out.push(...this.electrical(false));
    return out;
  }

  /** Apply a command (body as published to the exchange). Never throws. */
  applyCommand(command: CommandBody, wallNowMs: number = Date.now()): CommandResult {
    const reject = (resultCode: number, comment: string): CommandResult => ({
      wasAccepted: false,
      resultCode,
      comment,
      observations: [],
    });
    if (command.ExpiresAt !== undefined) {
      const expires = Date.parse(command.ExpiresAt);
      if (Number.isFinite(expires) && expires < wallNowMs) return reject(RESULT_CODE.Expired, "command expired before delivery");
    }
    if (this.rebootingUntil !== undefined) return reject(RESULT_CODE.Offline, "charger is rebooting");
    const args = new Map<number, string>();
    for (const arg of command.Arguments ?? []) args.set(Number(arg.Id), String(arg.Value));
    const out: ModelObservation[] = [];
    const accept = (comment: string): CommandResult => {
      out.push(...this.settle());
      return { wasAccepted: true, resultCode: RESULT_CODE.Ok, comment, observations: out };
    };
    const ttlMs = (argId: number): number | undefined | null => {
      if (!args.has(argId)) return undefined;
      const minutes = parseNumber(args.get(argId));
      if (minutes === undefined || minutes < 0) return null;
      return minutes === 0 ? undefined : minutes * 60_000;
    };

    switch (command.Id) {
      case COMMAND.SetDynamicChargerCurrent: {
        const amps = parseNumber(args.get(1));
        const ttl = ttlMs(2);
        if (amps === undefined || amps < 0 || amps > 80 || ttl === null) return reject(RESULT_CODE.InvalidArguments, "Current_Amp must be 0-80 A, TTL minutes >= 0");
        const previous = this.dynamicExpiryFallback();
        this.dynamicChargerCurrent = amps;
        this.dynamicChargerExpiry = ttl === undefined ? undefined : { atWallMs: wallNowMs + ttl, fallback: previous };
        out.push(this.report(OBS.DynamicChargerCurrent, amps));
        return accept(`dynamic charger current ${amps} A${ttl ? ` for ${ttl / 60_000} min` : ""}`);
      }
      case COMMAND.SetDynamicCircuitCurrent: {
        const p = [parseNumber(args.get(1)), parseNumber(args.get(2)), parseNumber(args.get(3))];
        const ttl = ttlMs(4);
        if (p.some((v) => v === undefined || v < 0 || v > 80) || ttl === null) return reject(RESULT_CODE.InvalidArguments, "CurrentP1-P3 must be 0-80 A");
        // Like a real charger: a dynamic limit may not exceed the circuit's (permanent) maximum.
        const over = p.findIndex((v, i) => (v as number) > this.circuitMax[i as 0 | 1 | 2]);
        if (over >= 0) {
          return reject(
            RESULT_CODE.InvalidArguments,
            `CurrentP${over + 1} ${p[over] as number} A is above the circuit's maximum of ${this.circuitMax[over as 0 | 1 | 2]} A`,
          );
        }
        const previous = this.dynamicCircuitExpiry?.fallback ?? [...this.dynamicCircuit];
        this.dynamicCircuit = [p[0] as number, p[1] as number, p[2] as number];
        this.dynamicCircuitExpiry = ttl === undefined ? undefined : { atWallMs: wallNowMs + ttl, fallback: previous as [number, number, number] };
        out.push(...this.reportCircuit());
        return accept(`dynamic circuit current ${this.dynamicCircuit.join("/")} A`);
      }
      case COMMAND.SetMaxChargerCurrent: {
        const amps = parseNumber(args.get(1));
        if (amps === undefined || amps < 0 || amps > 80) return reject(RESULT_CODE.InvalidArguments, "Current_Amp must be 0-80 A");
        this.maxChargerCurrent = amps;
        out.push(this.report(OBS.MaxChargerCurrent, amps));
        return accept(`max charger current ${amps} A`);
      }
      case COMMAND.SetMaxCircuitCurrent: {
        const p = [parseNumber(args.get(1)), parseNumber(args.get(2)), parseNumber(args.get(3))];
        if (p.some((v) => v === undefined || v < 0 || v > 80)) return reject(RESULT_CODE.InvalidArguments, "CurrentP1-P3 must be 0-80 A");
        this.circuitMax = [p[0] as number, p[1] as number, p[2] as number];
        out.push(
          this.report(OBS.CircuitMaxCurrentP1, this.circuitMax[0]),
          this.report(OBS.CircuitMaxCurrentP2, this.circuitMax[1]),
          this.report(OBS.CircuitMaxCurrentP3, this.circuitMax[2]),
        );
        return accept(`max circuit current ${this.circuitMax.join("/")} A`);
      }
      case COMMAND.SetDynamicCurrentOfflineFallback: {
        const p = [parseNumber(args.get(1)), parseNumber(args.get(2)), parseNumber(args.get(3))];
        if (p.some((v) => v === undefined || v < 0 || v > 80)) return reject(RESULT_CODE.InvalidArguments, "MaxDynamicCurrentP1-P3 must be 0-80 A");
        this.offlineFallback = [p[0] as number, p[1] as number, p[2] as number];
        out.push(
          this.report(OBS.MaxCurrentOfflineFallback_P1, this.offlineFallback[0]),
          this.report(OBS.MaxCurrentOfflineFallback_P2, this.offlineFallback[1]),
          this.report(OBS.MaxCurrentOfflineFallback_P3, this.offlineFallback[2]),
        );
        return accept(`offline fallback current ${this.offlineFallback.join("/")} A`);
      }
      case COMMAND.OverrideSchedule: {
        this.scheduleOverridden = this.car !== undefined;
        return accept(this.car ? "schedule overridden for this session" : "no car connected: nothing to override");
      }
      case COMMAND.UpgradeFirmware: {
        return accept("already on the newest firmware");
      }
      case COMMAND.SetEnabled: {
        const enabled = parseBool(args.get(1));
        if (enabled === undefined) return reject(RESULT_CODE.InvalidArguments, "IsEnabled must be 1/0 or true/false");
        this.enabled = enabled;
        out.push(this.report(OBS.IsEnabled, enabled));
        return accept(enabled ? "charger enabled" : "charger disabled");
      }
      case COMMAND.SetSmartCharging: {
        const smart = parseBool(args.get(1));
        if (smart === undefined) return reject(RESULT_CODE.InvalidArguments, "SmartCharging must be 1/0 or true/false");
        this.smartCharging = smart;
        out.push(this.report(OBS.SmartCharging, smart));
        return accept(smart ? "smart charging on" : "smart charging off");
      }
      case COMMAND.SetLockCablePermanently: {
        const locked = parseBool(args.get(1));
        if (locked === undefined) return reject(RESULT_CODE.InvalidArguments, "Locked must be 1/0 or true/false");
        this.lockCablePermanently = locked;
        out.push(this.report(OBS.LockCablePermanently, locked));
        return accept(locked ? "cable locked permanently" : "cable lock released");
      }
      case COMMAND.AuthorizeCharging: {
        if (this.car) this.car.authorized = true;
        return accept(this.car ? "charging authorized" : "no car connected");
      }
      case COMMAND.DeauthorizeCharging: {
        if (this.car) this.car.authorized = false;
        return accept("charging deauthorized");
      }
      case COMMAND.Reboot: {
        this.rebootingUntil = this.simNow + REBOOT_MS;
        this.current = 0;
        this.lastSent.set(OBS.ChargerOpMode, OP_MODE.Offline);
        out.push({ observationId: OBS.ChargerOpMode, value: OP_MODE.Offline });
        return { wasAccepted: true, resultCode: RESULT_CODE.Ok, comment: "rebooting", observations: out };
      }
      default:
        return reject(RESULT_CODE.NotSupported, `command ${command.Id} is not supported by the simulator`);
    }
  }

  // --- internals ---

  private jitter(span: number): number {
    return (this.random() - 0.5) * 2 * span;
  }

  private minutes(min: number, max: number): number {
    return (min + this.random() * (max - min)) * 60_000;
  }

  private newCar(): Car {
    return {
      capacityKWh: 40 + Math.round(this.random() * 35),
      soc: 0.45 + this.random() * 0.35,
      maxCurrent: this.phases === 3 ? 16 : 32,
      authorized: false,
    };
  }

  private opModeOfStage(): number {
    if (this.rebootingUntil !== undefined) return OP_MODE.Offline;
    switch (this.stage) {
      case "disconnected":
        return OP_MODE.Disconnected;
      case "authorizing":
      case "awaiting":
        return OP_MODE.AwaitingStart;
      case "charging":
        return this.targetCurrent() > 0 ? OP_MODE.Charging : OP_MODE.AwaitingStart;
      case "completed":
        return OP_MODE.Completed;
    }
  }

  /** OutputPhase (110): 30 = 3 phases TN, 10 = 1 phase, 0 = unassigned while not charging. */
  private outputPhase(): number {
    if (this.opModeOfStage() !== OP_MODE.Charging) return 0;
    return this.activePhases() === 3 ? 30 : 10;
  }

  /**
   * Phases the car charges on: the installation's, narrowed by the dynamic circuit current as Easee does for phase
   * switching: P2 = P3 = 0 (any phase at 0 A on a three-phase circuit) charges on phase 1 only; 0 A on phase 1 too
   * pauses.
   */
  private activePhases(): 0 | 1 | 3 {
    if ((this.dynamicCircuit[0] as number) <= 0) return 0;
    if (this.phases === 1) return 1;
    return this.dynamicCircuit.every((amps) => amps > 0) ? 3 : 1;
  }

  private pilotMode(): string {
    if (!this.car) return "A";
    return this.opModeOfStage() === OP_MODE.Charging ? "C" : "B";
  }

  private reasonForNoCurrent(): number {
    if (!this.car) return 50; // secondary unit not requesting current (no car)
    if (!this.enabled) return 53;
    if (this.stage === "authorizing") return 55;
    if (this.stage === "completed") return 6;
    if (this.dynamicChargerCurrent <= 0) return 52;
    if (this.activePhases() === 0) return 2;
    if (this.maxChargerCurrent <= 0) return 51;
    return 0;
  }

  /** The current the car may draw now, per phase, A. */
  private targetCurrent(): number {
    if (!this.car || !this.enabled || !this.car.authorized) return 0;
    const phases = this.activePhases();
    if (phases === 0) return 0;
    const limit = Math.min(
      this.maxChargerCurrent,
      this.dynamicChargerCurrent,
      ...this.circuitMax.slice(0, phases),
      ...this.dynamicCircuit.slice(0, phases),
      this.car.maxCurrent,
    );
    // EVs cannot charge below 6 A (IEC 61851): a lower limit pauses.
    if (limit < 6) return 0;
    // Batteries taper above 80 %, to a quarter of the current when full.
    const taper = this.car.soc > 0.8 ? Math.max(0.25, 1 - ((this.car.soc - 0.8) / 0.2) * 0.75) : 1;
    return limit * taper;
  }

  /** Record a value as reported and return it for publishing (also when unchanged: telemetry repeats). */
  private report(observationId: number, value: SimValue): ModelObservation {
    this.lastSent.set(observationId, value);
    return { observationId, value };
  }

  /** Push observation only when it changed. */
  private onChange(out: ModelObservation[], observationId: number, value: SimValue): void {
    if (this.lastSent.get(observationId) === value) return;
    this.lastSent.set(observationId, value);
    out.push({ observationId, value });
  }

  private reportCircuit(): ModelObservation[] {
    return [
      this.report(OBS.DynamicCircuitCurrentP1, this.dynamicCircuit[0]),
      this.report(OBS.DynamicCircuitCurrentP2, this.dynamicCircuit[1]),
      this.report(OBS.DynamicCircuitCurrentP3, this.dynamicCircuit[2]),
    ];
  }

  private dynamicExpiryFallback(): number {
    return this.dynamicChargerExpiry?.fallback ?? this.dynamicChargerCurrent;
  }

  private expireLimits(wallNowMs: number): ModelObservation[] {
    const out: ModelObservation[] = [];
    if (this.dynamicChargerExpiry && wallNowMs >= this.dynamicChargerExpiry.atWallMs) {
      this.dynamicChargerCurrent = this.dynamicChargerExpiry.fallback;
      this.dynamicChargerExpiry = undefined;
      out.push(this.report(OBS.DynamicChargerCurrent, this.dynamicChargerCurrent));
    }
    if (this.dynamicCircuitExpiry && wallNowMs >= this.dynamicCircuitExpiry.atWallMs) {
      this.dynamicCircuit = this.dynamicCircuitExpiry.fallback;
      this.dynamicCircuitExpiry = undefined;
      out.push(...this.reportCircuit());
    }
    if (out.length > 0) out.push(...this.settle());
    return out;
  }

  /**
   * After a limit changed: the charger signals the new current to the car at once (OutputCurrent 114), the car
   * follows within a second, so power, currents and state are reported immediately rather than at the next telemetry.
   */
  private settle(): ModelObservation[] {
    const out: ModelObservation[] = [];
    this.emitState(out);
    const target = this.stage === "charging" ? this.targetCurrent() : 0;
    // A phase switch (OutputPhase changed) moves power and phase currents even at the same current per phase.
    const phasesSwitched = out.some((observation) => observation.observationId === OBS.OutputPhase);
    if (Math.abs(target - this.current) > 0.05 || phasesSwitched || this.lastSent.get(OBS.TotalPower) === undefined) {
      this.current = target;
      out.push(...this.electrical(false));
    }
    return out;
  }

  private emitState(out: ModelObservation[]): void {
    const before = Number(this.lastSent.get(OBS.ChargerOpMode) ?? -1);
    const now = this.opModeOfStage();
    if (before !== now) {
      this.onChange(out, OBS.ChargerOpMode, now);
    }
    this.onChange(out, OBS.OutputPhase, this.outputPhase());
    this.onChange(out, OBS.PilotMode, this.pilotMode());
    this.onChange(out, OBS.ReasonForNoCurrent, this.reasonForNoCurrent());
  }

  private step(ms: number, out: ModelObservation[]): void {
    this.simNow += ms;
    if (this.rebootingUntil !== undefined) {
      if (this.simNow < this.rebootingUntil) return;
      this.rebootingUntil = undefined;
      this.dynamicChargerCurrent = this.maxChargerCurrent; // volatile limits do not survive a reboot
      this.dynamicChargerExpiry = undefined;
      out.push({ observationId: OBS.RebootReason, value: 20 }, ...this.boot());
      this.nextTelemetry = this.simNow;
    }

    // electrical integration
    const hours = ms / HOUR_MS;
    if (this.current > 0) {
      const power = this.powerKw();
      this.sessionEnergy += power * hours;
      this.lifetimeEnergy += power * hours;
      this.hourEnergy += power * hours;
      if (this.car) this.car.soc = Math.min(1, this.car.soc + (power * hours) / this.car.capacityKWh);
    }
    // the car ramps towards what it may draw
    const target = this.stage === "charging" ? this.targetCurrent() : 0;
    const rampPerStep = 6 * (ms / STEP_MS);
    this.current = target > this.current ? Math.min(target, this.current + rampPerStep) : target;
    // voltages sag a little under load and wander
    for (let i = 0; i < 3; i++) {
      // a random walk pulled back towards 230 V, so the grid wanders but does not drift away
      const current = this.baseVolts[i] as number;
      this.baseVolts[i] = clamp(current + (230 - current) * 0.01 + this.jitter(0.3), 222, 238);
      this.volts[i] = this.baseVolts[i] as number - (i < this.activePhases() ? this.current * 0.06 : 0);
    }
    this.ambient = clamp(this.ambient + this.jitter(0.02), 0, 35);
    const heating = this.current * 0.4;
    this.tempMax += (this.ambient + 4 + heating - this.tempMax) * Math.min(1, ms / 600_000);

    // hourly energy rhythm (LifetimeEnergy once an hour, on the hour)
    if (this.simNow >= this.nextHour) {
      this.nextHour += HOUR_MS;
      out.push(
        this.report(OBS.EnergyPerHour, round(this.hourEnergy, 3)),
        this.report(OBS.LifetimeEnergy, round(this.lifetimeEnergy, 3)),
      );
      this.hourEnergy = 0;
    }

    this.session(out);
  }

  /** The session state machine. */
  private session(out: ModelObservation[]): void {
    switch (this.stage) {
      case "disconnected":
        if (this.simNow >= this.stageUntil) {
          this.car = this.newCar();
          this.stage = "authorizing";
          this.stageUntil = this.simNow + 20_000 + this.random() * 20_000;
          this.sessionEnergy = 0;
          this.onChange(out, OBS.CableLocked, true);
          this.emitState(out);
        }
        break;
      case "authorizing":
        if (this.simNow >= this.stageUntil && this.car) {
          // The user taps an RFID card; the charger reports the token byte-reversed (observation 108).
          out.push(this.report(OBS.UserIDTokenReversed, reverseToken(this.rfidToken)));
          this.car.authorized = true;
          this.stage = "awaiting";
          this.stageUntil = this.simNow + 10_000;
          this.emitState(out);
        }
        break;
      case "awaiting":
        if (this.simNow >= this.stageUntil) {
          this.stage = "charging";
          this.stageUntil = Number.POSITIVE_INFINITY;
          out.push(this.report(OBS.SessionEnergy, 0));
          this.relaySwitches++;
          this.emitState(out);
          // A session started on demand shows its power at once, not at the next telemetry a minute later.
          if (this.startedOnDemand) out.push(...this.settle());
          this.startedOnDemand = false;
        }
        break;
      case "charging":
        if (this.car && this.car.soc >= 0.98) {
          this.stage = "completed";
          this.stageUntil = this.simNow + this.minutes(5, 20);
          this.current = 0;
          this.emitState(out);
          out.push(...this.electrical(false));
        } else {
          this.emitState(out);
        }
        break;
      case "completed":
        if (this.simNow >= this.stageUntil) {
          this.car = undefined;
          this.stage = "disconnected";
          this.stageUntil = this.simNow + this.minutes(3, 12);
          this.onChange(out, OBS.CableLocked, this.lockCablePermanently);
          this.emitState(out);
        }
        break;
    }
  }

  private phaseCurrents(): [number, number, number] {
    const c = this.current;
    const phases = this.activePhases();
    return [0, 1, 2].map((i) => (i < phases && c > 0 ? round(c * (1 + (this.phaseSkew[i] as number)), 2) : 0)) as [
      number,
      number,
      number,
    ];
  }

  private roundedVolts(): [number, number, number] {
    return [round(this.volts[0], 1), round(this.volts[1], 1), round(this.volts[2], 1)];
  }

  /** P = Σ U·I over the phases, from the same rounded values that are reported, so the figures add up. */
  private powerKw(): number {
    const amps = this.phaseCurrents();
    const volts = this.roundedVolts();
    return round((volts[0] * amps[0] + volts[1] * amps[1] + volts[2] * amps[2]) / 1000, 3);
  }

  /** Did power, a phase current or a phase voltage move past Easee-like deadbands since the last report? */
  private electricalMoved(): boolean {
    const last = (id: number): number => Number(this.lastSent.get(id) ?? Number.NaN);
    const amps = this.phaseCurrents();
    const volts = this.roundedVolts();
    if (!(Math.abs(this.powerKw() - last(OBS.TotalPower)) < 0.1)) return true;
    for (let i = 0; i < 3; i++) {
      if (!(Math.abs((amps[i] as number) - last(OBS.InCurrent_T2 + i)) < 0.2)) return true;
      if (!(Math.abs((volts[i] as number) - last(OBS.InVolt_T1_T2 + i)) < 2)) return true;
    }
    return false;
  }

  private electrical(includeAll: boolean): ModelObservation[] {
    this.lastElectrical = this.simNow;
    const amps = this.phaseCurrents();
    const volts = this.roundedVolts();
    const lineToLine = (a: number, b: number): number => round(Math.sqrt(a * a + b * b + a * b), 1);
    const out: ModelObservation[] = [
      this.report(OBS.TotalPower, this.powerKw()),
      this.report(OBS.SessionEnergy, round(this.sessionEnergy, 3)),
      this.report(OBS.InCurrent_T2, amps[0]),
      this.report(OBS.InCurrent_T3, amps[1]),
      this.report(OBS.InCurrent_T4, amps[2]),
      // T1 carries neutral here: T1–T2/T3/T4 are the phase voltages L1–L3, T2–T3/T4/T5 line-to-line.
      this.report(OBS.InVolt_T1_T2, volts[0]),
      this.report(OBS.InVolt_T1_T3, volts[1]),
      this.report(OBS.InVolt_T1_T4, volts[2]),
      this.report(OBS.InVolt_T1_T5, round(0.4 + this.random() * 0.6, 1)),
      this.report(OBS.InVolt_T2_T3, lineToLine(volts[0], volts[1])),
      this.report(OBS.InVolt_T2_T4, lineToLine(volts[0], volts[2])),
      this.report(OBS.InVolt_T2_T5, lineToLine(volts[1], volts[2])),
    ];
    const output = this.stage === "charging" ? round(this.targetCurrent(), 1) : 0;
    if (includeAll || this.lastSent.get(OBS.OutputCurrent) !== output) out.push(this.report(OBS.OutputCurrent, output));
    return out;
  }

  private radio(): ModelObservation[] {
    this.wifiRssi = Math.round(clamp(this.wifiRssi + this.jitter(3), -85, -40));
    this.cellRssi = Math.round(clamp(this.cellRssi + this.jitter(3), -110, -65));
    return [this.report(OBS.WiFiRSSI, this.wifiRssi), this.report(OBS.CellRSSI, this.cellRssi)];
  }

  private thermal(): ModelObservation[] {
    return [
      this.report(OBS.TempMax, Math.round(this.tempMax)),
      this.report(OBS.TempAmbientPowerBoard, round(this.ambient + 2, 1)),
    ];
  }
}

/**
 * The token as observation 108 carries it: its characters in reverse order ("NB! Must reverse these strings";
 * the decoder reverses them back the same way).
 */
export function reverseToken(token: string): string {
  return Array.from(token).reverse().join("");
}
