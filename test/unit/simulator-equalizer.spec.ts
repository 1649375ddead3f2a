/**
 * The simulated Equalizer: grid data that behaves like a meter (power follows the load, currents follow power and
 * voltage, meter readings only grow), reported in the Equalizer's own id space; and a silenced device publishes
 * nothing.
 */
import assert from "node:assert/strict";
import { EQUALIZER_OBSERVATIONS } from "../../core/catalogue";
import { EQ, EqualizerModel } from "../../simulator";
import type { ModelObservation } from "../../simulator";

const START = Date.parse("2026-12-01T17:00:00.000Z"); // 18:00 local: evening peak

function latest(observations: readonly ModelObservation[]): Map<number, unknown> {
  return new Map(observations.map((o) => [o.observationId, o.value]));
}

describe("simulator: Equalizer", () => {
  it("boots with identity and a first meter report, every id in the Equalizer table", () => {
    const model = new EqualizerModel({ serial: "QH000001", startMs: START });
    const boot = model.boot();
    const known = new Set(EQUALIZER_OBSERVATIONS.map((o) => o.id));
    for (const o of boot) assert.ok(known.has(o.observationId), `id ${o.observationId} is an Equalizer id`);
    const values = latest(boot);
    assert.equal(values.get(EQ.EqualizerID), "QH000001");
    assert.equal(values.get(EQ.ConnectedToCloud), true);
    assert.equal(typeof values.get(EQ.ActivePowerImport), "number");
  });

  it("power follows the chargers' load; currents match power and voltage; meter readings only grow", () => {
    const model = new EqualizerModel({ serial: "QH000002", startMs: START, solarPeakKw: 0 });
    model.boot();
    const idle = latest(model.advance(60_000));
    model.setChargerLoad([3.7, 3.7, 3.7]);
    const charging = latest(model.advance(60_000));
    const idleKw = Number(idle.get(EQ.ActivePowerImport));
    const chargingKw = Number(charging.get(EQ.ActivePowerImport));
    assert.ok(chargingKw > idleKw + 9, `${idleKw} kW idle, ${chargingKw} kW while an 11 kW car charges`);
    // P ≈ U·I per phase, summed.
    const amps = [EQ.CurrentL1, EQ.CurrentL2, EQ.CurrentL3].map((id) => Number(charging.get(id)));
    const volts = [EQ.VoltageNL1, EQ.VoltageNL2, EQ.VoltageNL3].map((id) => Number(charging.get(id)));
    const fromPhases = amps.reduce((sum, a, i) => sum + (a * (volts[i] ?? 230)) / 1000, 0);
    assert.ok(Math.abs(fromPhases - chargingKw) < 0.2, `${fromPhases.toFixed(2)} kW from the phases vs ${chargingKw} kW`);
    for (const v of volts) assert.ok(v > 215 && v < 245, `voltage ${v}`);

    let lastImport = Number(charging.get(EQ.CumulativeActivePowerImport));
    for (let hour = 0; hour < 24; hour++) {
      const report = latest(model.advance(3_600_000));
      const reading = Number(report.get(EQ.CumulativeActivePowerImport));
      assert.ok(reading >= lastImport, "the import meter never runs backwards");
      lastImport = reading;
    }
    assert.ok(lastImport - Number(charging.get(EQ.CumulativeActivePowerImport)) > 200, "a day with an 11 kW car charging imports over 200 kWh");
  });

  it("solar around midday can push the house into export, counted on the export meter", () => {
    const model = new EqualizerModel({ serial: "QH000003", startMs: Date.parse("2026-06-01T11:00:00.000Z"), solarPeakKw: 12 });
    const boot = latest(model.boot());
    const startExport = Number(boot.get(EQ.CumulativeActivePowerExport));
    let exported = false;
    let last = latest([]);
    for (let step = 0; step < 12; step++) {
      last = latest(model.advance(10 * 60_000));
      if (Number(last.get(EQ.ActivePowerExport)) > 0) exported = true;
    }
    assert.ok(exported, "some export at midday with 12 kW of solar");
    assert.ok(Number(last.get(EQ.CumulativeActivePowerExport)) > startExport);
  });
});
