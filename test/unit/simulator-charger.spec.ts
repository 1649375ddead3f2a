import assert from "node:assert/strict";
import {
  COMMAND,
  ChargerModel,
  OBS,
  OP_MODE,
  RESULT_CODE,
  VALID_OP_MODE_TRANSITIONS,
  reverseToken,
  type ModelObservation,
} from "../../simulator/charger";

const START = Date.UTC(2026, 0, 5, 9, 30, 0);
const MINUTE = 60_000;

/** Runs a model for `minutes` simulated minutes in one-minute steps; returns each step's batch. */
function run(model: ChargerModel, minutes: number): ModelObservation[][] {
  const batches: ModelObservation[][] = [];
  for (let i = 0; i < minutes; i++) batches.push(model.advance(MINUTE, START));
  return batches;
}

function valueIn(batch: readonly ModelObservation[], id: number): number | undefined {
  const found = [...batch].reverse().find((o) => o.observationId === id);
  return found === undefined ? undefined : Number(found.value);
}

function command(id: number, args: Array<[number, string]> = [], expiresAt?: string) {
  return { Id: id, ...(expiresAt ? { ExpiresAt: expiresAt } : {}), Arguments: args.map(([Id, Value]) => ({ Id, Value })) };
}

describe("simulator charger model", () => {
  it("reports the boot observations when it comes up", () => {
    const model = new ChargerModel({ serial: "EH000001", startMs: START });
    const boot = model.boot();
    const ids = new Set(boot.map((o) => o.observationId));
    for (const id of [80, 21, 107, 250, 47, 48, 31, 109, 110, 96, 100, 103, 124, 120, 182, 190]) {
      assert.ok(ids.has(id), `boot lacks observation ${id}`);
    }
    assert.equal(model.value(OBS.ConnectedToCloud), true);
    assert.equal(model.value(OBS.DetectedPowerGridType), 1);
    assert.equal(model.value(OBS.ChargerOpMode), OP_MODE.Disconnected);
    assert.equal(model.value(OBS.TotalPower), 0);
  });

  it("is deterministic for a serial", () => {
    const a = new ChargerModel({ serial: "EH000007", startMs: START });
    const b = new ChargerModel({ serial: "EH000007", startMs: START });
    assert.deepEqual(a.boot(), b.boot());
    assert.deepEqual(run(a, 90), run(b, 90));
  });

  it("walks ChargerOpMode through valid transitions, including whole sessions 1 → 2 → 3 → 4 → 1", () => {
    const model = new ChargerModel({ serial: "EH000002", startMs: START });
    model.boot();
    const modes = [OP_MODE.Disconnected as number];
    for (const batch of run(model, 12 * 60)) {
      for (const o of batch) if (o.observationId === OBS.ChargerOpMode) modes.push(Number(o.value));
    }
    const allowed = new Set(VALID_OP_MODE_TRANSITIONS.map(([a, b]) => `${a}>${b}`));
    for (let i = 1; i < modes.length; i++) {
      assert.ok(allowed.has(`${modes[i - 1]}>${modes[i]}`), `invalid transition ${modes[i - 1]} → ${modes[i]}`);
    }
    assert.match(modes.join(","), /1,2,3,4,1,2,3,4,1/);
  });

  it("reports a TotalPower that fits the phase voltages and currents (P = Σ U·I / 1000)", () => {
    const model = new ChargerModel({ serial: "EH000003", startCharging: true, startMs: START });
    const checked: number[] = [];
    for (const batch of [model.boot(), ...run(model, 8 * 60)]) {
      const power = valueIn(batch, OBS.TotalPower);
      if (power === undefined) continue;
      const sum = [0, 1, 2].reduce(
        (acc, i) => acc + (valueIn(batch, OBS.InVolt_T1_T2 + i) ?? Number.NaN) * (valueIn(batch, OBS.InCurrent_T2 + i) ?? Number.NaN),
        0,
      );
      assert.ok(Math.abs(power - sum / 1000) < 0.01, `P ${power} kW vs U·I ${sum / 1000} kW`);
      for (let i = 0; i < 3; i++) {
        const volts = valueIn(batch, OBS.InVolt_T1_T2 + i) as number;
        assert.ok(volts > 215 && volts < 245, `phase voltage ${volts} V`);
      }
      checked.push(power);
    }
    assert.ok(checked.length > 10);
    assert.ok(Math.max(...checked) > 10 && Math.max(...checked) < 11.5, `3-phase 16 A peaks near 11 kW, got ${Math.max(...checked)}`);
    assert.ok(checked.includes(0), "power falls to 0 when the session completes");
  });

  it("adds up SessionEnergy from the power it reports, resets it per session, and keeps LifetimeEnergy on an hourly rhythm", () => {
    const model = new ChargerModel({ serial: "EH000004", startCharging: true, startMs: START });
    model.boot();
    let lastEnergy = 0;
    let integrated = 0;
    let lastPower = Number(model.value(OBS.TotalPower));
    let lifetimeReports = 0;
    let lastLifetime = Number(model.value(OBS.LifetimeEnergy));
    let sessionEnded = false;
    for (const batch of run(model, 6 * 60)) {
      if (!sessionEnded) integrated += lastPower / 60;
      const power = valueIn(batch, OBS.TotalPower);
      if (power !== undefined) lastPower = power;
      const lifetime = valueIn(batch, OBS.LifetimeEnergy);
      if (lifetime !== undefined) {
        lifetimeReports++;
        assert.ok(lifetime >= lastLifetime, "LifetimeEnergy never goes down");
        lastLifetime = lifetime;
      }
      if (valueIn(batch, OBS.ChargerOpMode) === OP_MODE.Completed) sessionEnded = true;
      const energy = valueIn(batch, OBS.SessionEnergy);
      if (energy === undefined || sessionEnded) continue;
      assert.ok(energy >= lastEnergy, `SessionEnergy rises during a session: ${lastEnergy} -> ${energy}`);
      lastEnergy = energy;
    }
    assert.ok(sessionEnded, "the session completes within six hours");
    // the car charges tens of kWh, and the reported energy matches the reported power within a few percent
    assert.ok(lastEnergy > 3, `session energy ${lastEnergy}`);
    assert.ok(Math.abs(lastEnergy - integrated) / lastEnergy < 0.05, `energy ${lastEnergy} vs ∫P ${integrated}`);
    assert.equal(lifetimeReports, 6, "LifetimeEnergy once per simulated hour");
  });

  it("sends the RFID token reversed as UserIDTokenReversed at session start", () => {
    const model = new ChargerModel({ serial: "EH000005", rfidToken: "04A1B2C3D4", startMs: START });
    model.boot();
    const tokens = run(model, 60)
      .flat()
      .filter((o) => o.observationId === OBS.UserIDTokenReversed)
      .map((o) => o.value);
    assert.deepEqual(tokens, [reverseToken("04A1B2C3D4")]);
    assert.equal(reverseToken("04A1B2C3D4"), "4D3C2B1A40");
  });

  it("drifts RSSI and temperatures within believable bounds", () => {
    const model = new ChargerModel({ serial: "EH000006", startMs: START });
    model.boot();
    const rssi: number[] = [];
    const temps: number[] = [];
    for (const o of run(model, 3 * 60).flat()) {
      if (o.observationId === OBS.WiFiRSSI) rssi.push(Number(o.value));
      if (o.observationId === OBS.TempMax) temps.push(Number(o.value));
    }
    assert.ok(rssi.length >= 30 && new Set(rssi).size > 1, "WiFiRSSI drifts");
    assert.ok(rssi.every((v) => v >= -85 && v <= -40));
    assert.ok(temps.length >= 30 && temps.every((v) => v > 0 && v < 60));
  });

  describe("commands", () => {
    it("48 SetDynamicChargerCurrent changes observation 48 and the current the car draws, then falls back after the TTL", () => {
      const model = new ChargerModel({ serial: "EH000011", startCharging: true, startMs: START });
      model.boot();
      run(model, 5);
      assert.ok(Number(model.value(OBS.TotalPower)) > 10);
      const wall = Date.UTC(2026, 0, 5, 12, 0, 0);
      const result = model.applyCommand(command(COMMAND.SetDynamicChargerCurrent, [[1, "10"], [2, "5"]]), wall);
      assert.equal(result.wasAccepted, true);
      assert.equal(result.resultCode, RESULT_CODE.Ok);
      assert.equal(valueIn(result.observations, OBS.DynamicChargerCurrent), 10);
      const amps = valueIn(result.observations, OBS.InCurrent_T2) as number;
      assert.ok(Math.abs(amps - 10) < 0.3, `phase current follows: ${amps} A`);
      const power = valueIn(result.observations, OBS.TotalPower) as number;
      assert.ok(power > 6 && power < 7.5, `power follows: ${power} kW`);

      // the TTL runs on the wall clock: 5 minutes later the charger falls back to its prior limit
      const later = model.advance(1000, wall + 5 * MINUTE + 1);
      assert.equal(valueIn(later, OBS.DynamicChargerCurrent), 32);
      assert.ok((valueIn(later, OBS.TotalPower) as number) > 10);
    });

    it("48 with 0 A pauses charging (3 → 2) and raising it resumes (2 → 3)", () => {
      const model = new ChargerModel({ serial: "EH000012", startCharging: true, startMs: START });
      model.boot();
      run(model, 2);
      const paused = model.applyCommand(command(48, [[1, "0"]]));
      assert.equal(valueIn(paused.observations, OBS.ChargerOpMode), OP_MODE.AwaitingStart);
      assert.equal(valueIn(paused.observations, OBS.TotalPower), 0);
      assert.equal(valueIn(paused.observations, OBS.ReasonForNoCurrent), 52);
      const resumed = model.applyCommand(command(48, [[1, "16"]]));
      assert.equal(valueIn(resumed.observations, OBS.ChargerOpMode), OP_MODE.Charging);
      assert.ok((valueIn(resumed.observations, OBS.TotalPower) as number) > 10);
    });

    it("22 SetDynamicCircuitCurrent, 47 SetMaxChargerCurrent, 29 SetEnabled and 11 SetSmartCharging change the charger", () => {
      const model = new ChargerModel({ serial: "EH000013", startCharging: true, startMs: START });
      model.boot();
      run(model, 2);
      const circuit = model.applyCommand(command(22, [[1, "8"], [2, "8"], [3, "8"], [4, "0"]]));
      assert.equal(circuit.wasAccepted, true);
      assert.deepEqual([111, 112, 113].map((id) => valueIn(circuit.observations, id)), [8, 8, 8]);
      assert.ok(Math.abs((valueIn(circuit.observations, OBS.InCurrent_T3) as number) - 8) < 0.3);

      const max = model.applyCommand(command(47, [[1, "6"]]));
      assert.equal(valueIn(max.observations, OBS.MaxChargerCurrent), 6);
      assert.ok(Math.abs((valueIn(max.observations, OBS.InCurrent_T2) as number) - 6) < 0.3);

      const disabled = model.applyCommand(command(29, [[1, "false"]]));
      assert.ok(disabled.observations.some((o) => o.observationId === OBS.IsEnabled && o.value === false));
      assert.equal(model.value(OBS.IsEnabled), false);
      assert.equal(model.value(OBS.ChargerOpMode), OP_MODE.AwaitingStart);
      assert.equal(model.value(OBS.ReasonForNoCurrent), 53);
      assert.equal(model.value(OBS.TotalPower), 0);
      model.applyCommand(command(29, [[1, "1"]]));
      assert.equal(model.value(OBS.ChargerOpMode), OP_MODE.Charging);

      const smart = model.applyCommand(command(11, [[1, "1"]]));
      assert.equal(smart.wasAccepted, true);
      assert.equal(model.value(OBS.SmartCharging), true);
    });

    it("1 Reboot takes the charger offline, then it boots again with its boot observations", () => {
      const model = new ChargerModel({ serial: "EH000014", startMs: START });
      model.boot();
      const reboot = model.applyCommand(command(1));
      assert.equal(reboot.wasAccepted, true);
      assert.equal(valueIn(reboot.observations, OBS.ChargerOpMode), OP_MODE.Offline);
      const during = model.applyCommand(command(48, [[1, "10"]]));
      assert.equal(during.wasAccepted, false);
      assert.equal(during.resultCode, RESULT_CODE.Offline);
      const after = run(model, 1).flat();
      const ids = after.map((o) => o.observationId);
      assert.ok(ids.includes(OBS.SoftwareRelease) && ids.includes(OBS.ConnectedToCloud) && ids.includes(OBS.BackPlateID));
      assert.equal(valueIn(after, OBS.RebootReason), 20);
      assert.equal(model.value(OBS.ChargerOpMode), OP_MODE.Disconnected);
    });

    it("22 with P2 = P3 = 0 switches to one phase (OutputPhase 10, power a third), back to three with all phases", () => {
      const model = new ChargerModel({ serial: "EH000016", startCharging: true, startMs: START });
      model.boot();
      run(model, 2);
      model.applyCommand(command(47, [[1, "16"]]));
      model.applyCommand(command(24, [[1, "16"], [2, "16"], [3, "16"]]));
      const three = model.applyCommand(command(22, [[1, "16"], [2, "16"], [3, "16"]]));
      const threePower = Number(model.value(OBS.TotalPower));
      assert.ok(three.wasAccepted && threePower > 10, `three phases: ${threePower} kW`);
      const one = model.applyCommand(command(22, [[1, "16"], [2, "0"], [3, "0"]]));
      assert.equal(one.wasAccepted, true);
      assert.equal(model.value(OBS.OutputPhase), 10);
      assert.equal(model.value(OBS.ChargerOpMode), OP_MODE.Charging);
      assert.equal(valueIn(one.observations, OBS.InCurrent_T3), 0);
      assert.ok(Math.abs((valueIn(one.observations, OBS.InCurrent_T2) as number) - 16) < 0.5);
      const onePower = Number(model.value(OBS.TotalPower));
      assert.ok(onePower > 3 && onePower < 4.2, `one phase: ${onePower} kW`);
      model.applyCommand(command(22, [[1, "16"], [2, "16"], [3, "16"]]));
      assert.equal(model.value(OBS.OutputPhase), 30);
      const paused = model.applyCommand(command(22, [[1, "0"], [2, "0"], [3, "0"]]));
      assert.equal(paused.wasAccepted, true);
      assert.equal(model.value(OBS.TotalPower), 0);
    });

    it("refuses a dynamic circuit current above the circuit's maximum, like a real charger", () => {
      const model = new ChargerModel({ serial: "EH000017", startMs: START });
      model.boot();
      const refused = model.applyCommand(command(22, [[1, "32"], [2, "32"], [3, "32"]]));
      assert.deepEqual([refused.wasAccepted, refused.resultCode], [false, RESULT_CODE.InvalidArguments]);
      assert.match(refused.comment, /above the circuit's maximum of 25 A/);
      for (const id of [COMMAND.OverrideSchedule, COMMAND.UpgradeFirmware, COMMAND.SetDynamicCurrentOfflineFallback]) {
        const args: Array<[number, string]> = id === COMMAND.SetDynamicCurrentOfflineFallback ? [[1, "6"], [2, "6"], [3, "6"]] : [];
        assert.equal(model.applyCommand(command(id, args)).wasAccepted, true, `command ${id}`);
      }
      assert.deepEqual(model.settings.offlineFallback, [6, 6, 6]);
    });

    it("refuses unknown commands, bad arguments and expired commands with a reason", () => {
      const model = new ChargerModel({ serial: "EH000015", startMs: START });
      model.boot();
      const unknown = model.applyCommand(command(99));
      assert.deepEqual([unknown.wasAccepted, unknown.resultCode], [false, RESULT_CODE.NotSupported]);
      const bad = model.applyCommand(command(48, [[1, "lots"]]));
      assert.deepEqual([bad.wasAccepted, bad.resultCode], [false, RESULT_CODE.InvalidArguments]);
      assert.match(bad.comment, /Current_Amp/);
      const expired = model.applyCommand(command(48, [[1, "10"]], "2020-01-01T00:00:00Z"));
      assert.deepEqual([expired.wasAccepted, expired.resultCode], [false, RESULT_CODE.Expired]);
      assert.equal(model.value(OBS.DynamicChargerCurrent), 32, "refused commands change nothing");
    });
  });
});
