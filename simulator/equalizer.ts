/**
 * A simulated Easee Equalizer: the meter reader at the grid connection. It reports what the house draws from (or
 * feeds into) the grid, per phase, with the chargers' power included, plus the meter's import/export readings.
 *
 * The household: a base load that follows the time of day (low at night, peaks morning and evening) with some
 * noise, occasional big appliances (an oven, a heat pump) on one phase, and a small solar system around midday
 * that can push the house into export. Chargers' power is added as the publisher tells it.
 * Ids and units are those of the Equalizer table (core/catalogue/equalizer-observations.ts).
 */
import type { ModelObservation } from "./charger";

/** Equalizer observation ids the model reports (the Equalizer's own id space, not the charger's). */
export const EQ = {
  SoftwareRelease: 21,
  MeterType: 25,
  MeterID: 26,
  NumPhases: 30,
  CurrentL1: 31,
  CurrentL2: 32,
  CurrentL3: 33,
  VoltageNL1: 34,
  VoltageNL2: 35,
  VoltageNL3: 36,
  ActivePowerImport: 40,
  ActivePowerExport: 41,
  CumulativeActivePowerImport: 45,
  CumulativeActivePowerExport: 46,
  MasterBackPlateID: 55,
  EqualizerID: 56,
  AvailableCurrentL1: 87,
  AvailableCurrentL2: 88,
  AvailableCurrentL3: 89,
  ConnectedToCloud: 250,
} as const;

export interface EqualizerModelOptions {
  readonly serial: string;
  readonly seed?: number;
  /** Main fuse per phase, A. Default 32. */
  readonly mainFuse?: number;
  /** Peak of the solar system, kW. Default 4. */
  readonly solarPeakKw?: number;
  /** Start of simulated time, epoch ms. Default now. */
  readonly startMs?: number;
}

/** The meter reports every 10 simulated seconds (P1/HAN ports push every 2–10 s). */
const REPORT_MS = 10_000;
const STEP_MS = 10_000;
const MINUTE_MS = 60_000;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** mulberry32: a small deterministic generator, so a serial always plays the same household. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export class EqualizerModel {
  readonly serial: string;
  private readonly random: () => number;
  private readonly mainFuse: number;
  private readonly solarPeakKw: number;
  private simNow: number;
  private nextReport: number;
  private readonly baseVolts: [number, number, number];
  /** Meter readings, kWh. */
  private importKwh: number;
  private exportKwh = 0;
  /** kW the chargers draw now, per phase (from the publisher). */
  private chargerKw: [number, number, number] = [0, 0, 0];
  /** A big appliance: kW, phase, until when. */
  private appliance: { kw: number; phase: 0 | 1 | 2; until: number } | undefined;
  private nextAppliance: number;
  private last: { importKw: number; exportKw: number; amps: [number, number, number]; volts: [number, number, number] };

  constructor(options: EqualizerModelOptions) {
    this.serial = options.serial;
    this.random = prng(options.seed ?? hash(options.serial));
    this.mainFuse = options.mainFuse ?? 32;
    this.solarPeakKw = options.solarPeakKw ?? 4;
    this.simNow = options.startMs ?? Date.now();
    this.nextReport = this.simNow;
    this.baseVolts = [230 + this.jitter(3), 230 + this.jitter(3), 230 + this.jitter(3)];
    this.importKwh = round(12_000 + this.random() * 30_000, 3);
    this.exportKwh = round(this.random() * 2_000, 3);
    this.nextAppliance = this.simNow + (20 + this.random() * 60) * MINUTE_MS;
    this.last = { importKw: 0, exportKw: 0, amps: [0, 0, 0], volts: [...this.baseVolts] };
    this.measure();
  }

  get simulatedNowMs(): number {
    return this.simNow;
  }

  /** Grid import now, kW (export shows as 0 here and in ActivePowerExport). */
  get importKw(): number {
    return this.last.importKw;
  }

  get exportKw(): number {
    return this.last.exportKw;
  }

  /** Tell the Equalizer what the chargers on its circuit draw (total kW, spread over phases as they charge). */
  setChargerLoad(perPhaseKw: readonly [number, number, number]): void {
    this.chargerKw = [perPhaseKw[0], perPhaseKw[1], perPhaseKw[2]];
  }

  /** What an Equalizer reports when it comes up. */
  boot(): ModelObservation[] {
    const serialHash = hash(this.serial);
    return [
      { observationId: EQ.SoftwareRelease, value: 210 },
      { observationId: EQ.MeterType, value: "Kaifa MA304H3E" },
      { observationId: EQ.MeterID, value: `73400${(serialHash % 100_000_000).toString().padStart(8, "0")}` },
      { observationId: EQ.NumPhases, value: 3 },
      { observationId: EQ.EqualizerID, value: this.serial },
      { observationId: EQ.MasterBackPlateID, value: `0${(serialHash & 0xfffffff).toString(16).padStart(7, "0")}` },
      { observationId: EQ.ConnectedToCloud, value: true },
      ...this.report(),
    ];
  }

  /** Let simulated time pass; returns the meter reports made meanwhile (the last one of each id only). */
  advance(simulatedMs: number): ModelObservation[] {
    const end = this.simNow + Math.max(0, simulatedMs);
    let due = false;
    while (this.simNow < end) {
      const step = Math.min(STEP_MS, end - this.simNow);
      this.simNow += step;
      this.measure();
      this.integrate(step);
      if (this.simNow >= this.nextReport) {
        this.nextReport = this.simNow + REPORT_MS;
        due = true;
      }
    }
    return due ? this.report() : [];
  }

  private jitter(amplitude: number): number {
    return (this.random() * 2 - 1) * amplitude;
  }

  /** Household load by hour of day (simulated local time = UTC+1, the Nordics in winter), kW, all phases. */
  private houseKw(): number {
    const hour = (new Date(this.simNow).getUTCHours() + 1 + new Date(this.simNow).getUTCMinutes() / 60) % 24;
    const morning = Math.exp(-((hour - 7.5) ** 2) / 2) * 1.8;
    const evening = Math.exp(-((hour - 18.5) ** 2) / 3) * 2.6;
    return Math.max(0.25, 0.45 + morning + evening + this.jitter(0.15));
  }

  private solarKw(): number {
    const hour = (new Date(this.simNow).getUTCHours() + 1 + new Date(this.simNow).getUTCMinutes() / 60) % 24;
    if (hour < 8 || hour > 16) return 0;
    const clouds = 0.6 + this.random() * 0.4;
    return Math.max(0, Math.sin(((hour - 8) / 8) * Math.PI) * this.solarPeakKw * clouds);
  }

  private measure(): void {
    if (this.appliance && this.simNow >= this.appliance.until) this.appliance = undefined;
    if (!this.appliance && this.simNow >= this.nextAppliance) {
      this.appliance = {
        kw: round(1.5 + this.random() * 1.5, 2),
        phase: Math.floor(this.random() * 3) as 0 | 1 | 2,
        until: this.simNow + (10 + this.random() * 40) * MINUTE_MS,
      };
      this.nextAppliance = this.appliance.until + (30 + this.random() * 120) * MINUTE_MS;
    }
    const house = this.houseKw() / 3;
    const solar = this.solarKw() / 3;
    const phaseKw: [number, number, number] = [0, 1, 2].map(
      (i) => house + (this.chargerKw[i] ?? 0) + (this.appliance?.phase === i ? this.appliance.kw : 0) - solar,
    ) as [number, number, number];
    const volts = this.baseVolts.map((v, i) => round(v - Math.max(0, phaseKw[i] ?? 0) * 0.35 + this.jitter(0.6), 1)) as [number, number, number];
    const amps = phaseKw.map((kw, i) => round(Math.min(this.mainFuse * 1.2, Math.abs(kw * 1000) / (volts[i] ?? 230)), 2)) as [number, number, number];
    const net = phaseKw[0] + phaseKw[1] + phaseKw[2];
    this.last = { importKw: round(Math.max(0, net), 3), exportKw: round(Math.max(0, -net), 3), amps, volts };
  }

  private integrate(stepMs: number): void {
    const hours = stepMs / 3_600_000;
    this.importKwh += this.last.importKw * hours;
    this.exportKwh += this.last.exportKw * hours;
  }

  private report(): ModelObservation[] {
    const { importKw, exportKw, amps, volts } = this.last;
    return [
      { observationId: EQ.ActivePowerImport, value: importKw },
      { observationId: EQ.ActivePowerExport, value: exportKw },
      { observationId: EQ.CurrentL1, value: amps[0] },
      { observationId: EQ.CurrentL2, value: amps[1] },
      { observationId: EQ.CurrentL3, value: amps[2] },
      { observationId: EQ.VoltageNL1, value: volts[0] },
      { observationId: EQ.VoltageNL2, value: volts[1] },
      { observationId: EQ.VoltageNL3, value: volts[2] },
      { observationId: EQ.CumulativeActivePowerImport, value: round(this.importKwh, 3) },
      { observationId: EQ.CumulativeActivePowerExport, value: round(this.exportKwh, 3) },
      { observationId: EQ.AvailableCurrentL1, value: round(Math.max(0, this.mainFuse - amps[0]), 1) },
      { observationId: EQ.AvailableCurrentL2, value: round(Math.max(0, this.mainFuse - amps[1]), 1) },
      { observationId: EQ.AvailableCurrentL3, value: round(Math.max(0, this.mainFuse - amps[2]), 1) },
    ];
  }
}
