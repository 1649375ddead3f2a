/**
 * Equalizers: the serial decides the device kind, the kind decides the catalogue table. Ids overlap between the
 * two tables (31 is IsEnabled on a charger, the L1 current on an Equalizer), so the same number must decode
 * differently, and every Equalizer id must come out with its own name, type and unit.
 */
import assert from "node:assert/strict";
import {
  EQUALIZER_OBSERVATIONS,
  OBSERVATIONS,
  deviceKindOf,
  findObservationById,
  findObservationByName,
  observationsFor,
} from "../../core/catalogue";
import { decodeDelivery } from "../../core/decode";
import { buildObservationMsg, compileTopicTemplate } from "../../core/observations";
import type { DecodedDelivery, DecodedObservation } from "../../core/types";
import { masterloop, signalR } from "./fixtures/deliveries";

const EQUALIZER = "QH100001";
const CHARGER = "EH100001";

function observation(result: DecodedDelivery): DecodedObservation {
  assert.equal(result.kind, "observation", `expected an observation, got ${JSON.stringify(result)}`);
  return result as DecodedObservation;
}

/** A value of the right type for a definition, as Easee would send it. */
function sampleValue(dataType: string): unknown {
  switch (dataType) {
    case "Boolean":
      return true;
    case "Double":
      return 12.5;
    case "Integer":
      return 3;
    default:
      return "text";
  }
}

describe("device kind from the serial", () => {
  it("QH… is an Equalizer, E + letter a charger, anything else unknown", () => {
    assert.equal(deviceKindOf("QH123456"), "equalizer");
    assert.equal(deviceKindOf("qh123456"), "equalizer");
    assert.equal(deviceKindOf("EH123456"), "charger");
    assert.equal(deviceKindOf("EC123456"), "charger");
    assert.equal(deviceKindOf("eh123456"), "charger");
    assert.equal(deviceKindOf("XX123456"), "unknown");
    assert.equal(deviceKindOf("E1234567"), "unknown");
    assert.equal(deviceKindOf("QH"), "unknown");
    assert.equal(deviceKindOf(""), "unknown");
    assert.equal(deviceKindOf("__proto__"), "unknown");
  });

  it("a 1 MB serial is classified at once (a character scan, no regex)", () => {
    const started = process.hrtime.bigint();
    assert.equal(deviceKindOf("QH" + "9".repeat(1024 * 1024)), "equalizer");
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 50);
  });
});

describe("the Equalizer table", () => {
  it("is sorted, has unique ids and names, and is separate from the charger table", () => {
    const ids = EQUALIZER_OBSERVATIONS.map((o) => o.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(EQUALIZER_OBSERVATIONS.map((o) => o.name.toLowerCase())).size, ids.length);
    assert.notEqual(EQUALIZER_OBSERVATIONS, OBSERVATIONS);
    assert.equal(observationsFor("equalizer"), EQUALIZER_OBSERVATIONS);
    assert.equal(observationsFor("charger"), OBSERVATIONS);
    assert.deepEqual(observationsFor("unknown"), []);
  });

  it("carries the grid values an Equalizer is bought for, with their units", () => {
    const expected: [number, string, string | null][] = [
      [31, "CurrentL1", "A"],
      [32, "CurrentL2", "A"],
      [33, "CurrentL3", "A"],
      [34, "VoltageNL1", "V"],
      [37, "VoltageL1L2", "V"],
      [40, "ActivePowerImport", "kW"],
      [41, "ActivePowerExport", "kW"],
      [42, "ReactivePowerImport", "kvar"],
      [45, "CumulativeActivePowerImport", "kWh"],
      [46, "CumulativeActivePowerExport", "kWh"],
      [47, "CumulativeReactivePowerImport", "kvarh"],
      [87, "AvailableCurrentL1", "A"],
      [68, "InternalTemperature", "°C"],
    ];
    for (const [id, name, unit] of expected) {
      const definition = findObservationById(id, "equalizer");
      assert.equal(definition?.name, name, `id ${id}`);
      assert.equal(definition?.unit, unit, `unit of ${name}`);
    }
  });

  it("names are found in the Equalizer table only when asked for it", () => {
    assert.equal(findObservationByName("activepowerimport", "equalizer")?.id, 40);
    assert.equal(findObservationByName("ActivePowerImport"), undefined);
    assert.equal(findObservationByName("TotalPower", "equalizer"), undefined);
    assert.equal(findObservationByName("TotalPower", "unknown"), undefined);
  });
});

describe("decoding by device kind", () => {
  for (const definition of EQUALIZER_OBSERVATIONS) {
    it(`Equalizer ${definition.id} decodes as ${definition.name} (${definition.dataType}, ${definition.unit ?? "no unit"})`, () => {
      const result = observation(decodeDelivery(masterloop(definition.id, sampleValue(definition.dataType), undefined, EQUALIZER)));
      assert.equal(result.device, "equalizer");
      assert.equal(result.known, true);
      assert.equal(result.name, definition.name);
      assert.equal(result.dataType, definition.dataType);
      assert.equal(result.unit, definition.unit);
      assert.equal(result.category, definition.category);
      assert.equal(result.description, definition.description);
    });
  }

  it("the same id on a charger and an Equalizer decodes differently", () => {
    const charger = observation(decodeDelivery(masterloop(31, true, undefined, CHARGER)));
    assert.deepEqual([charger.name, charger.dataType, charger.unit, charger.value, charger.device], ["IsEnabled", "Boolean", null, true, "charger"]);
    const equalizer = observation(decodeDelivery(masterloop(31, 14.2, undefined, EQUALIZER)));
    assert.deepEqual([equalizer.name, equalizer.dataType, equalizer.unit, equalizer.value, equalizer.device], ["CurrentL1", "Double", "A", 14.2, "equalizer"]);

    const led = observation(decodeDelivery(masterloop(40, 80, undefined, CHARGER)));
    const power = observation(decodeDelivery(masterloop(40, 3.25, undefined, EQUALIZER)));
    assert.equal(led.name, "LedStripBrightness");
    assert.equal(led.unit, "%");
    assert.equal(power.name, "ActivePowerImport");
    assert.equal(power.unit, "kW");
  });

  it("SignalR-style Equalizer bodies (value as text) are typed by the Equalizer table", () => {
    const result = observation(decodeDelivery(signalR(45, 3, "10234.5", "operator.stream", undefined, EQUALIZER)));
    assert.equal(result.name, "CumulativeActivePowerImport");
    assert.equal(result.value, 10234.5);
    assert.equal(result.unit, "kWh");
  });

  it("an Equalizer's 108 is not reversed (only the charger's UserIDTokenReversed is)", () => {
    const result = observation(decodeDelivery(masterloop(108, "ABC123", undefined, EQUALIZER)));
    assert.equal(result.known, false);
    assert.equal(result.value, "ABC123");
  });

  it("a serial of an unknown kind decodes as unknown, whatever the id", () => {
    const result = observation(decodeDelivery(masterloop(120, 7.2, undefined, "XY000001")));
    assert.equal(result.device, "unknown");
    assert.equal(result.known, false);
    assert.equal(result.name, "Observation120");
    assert.equal(result.value, 7.2);
  });

  it("msg.easee.device says which table read the value", () => {
    const topic = compileTopicTemplate(undefined);
    const msg = buildObservationMsg(observation(decodeDelivery(masterloop(40, 3.25, undefined, EQUALIZER))), topic);
    assert.equal(msg.topic, "easee/QH100001/ActivePowerImport");
    assert.equal(msg.easee.device, "equalizer");
    assert.equal(msg.easee.unit, "kW");
  });
});
