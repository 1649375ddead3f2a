/**
 * The observation catalogue: checked against Easee's own AMQP page, against the id list of
 * protocol-notes section 5, and for the value tables' labels.
 */
import assert from "node:assert/strict";
import {
  findObservationById,
  findObservationByName,
  labelFor,
  OBSERVATIONS,
  phaseCountFor,
  VALUE_TABLES,
} from "../../core/catalogue";
import type { ObservationDefinition, ValueTableName } from "../../core/catalogue/types";

/**
 * Transcribed verbatim from Easee's "Connecting to AMQP" page (amqp-connect.txt, "List of available
 * observations"): id, name, description exactly as published (tags included), and the unit the tags
 * (or the plain text, "(A)"/"current") give.
 */
const AMQP_PAGE: readonly (readonly [number, string, string, string | null])[] = [
  [21, "DetectedPowerGridType", "Detected power grid type according to PowerGridType table [boot] [Integer]", null],
  [22, "CircuitMaxCurrentP1", "Set circuit maximum current [Amperes] [Double]", "A"],
  [23, "CircuitMaxCurrentP2", "Set circuit maximum current [Amperes] [Double]", "A"],
  [24, "CircuitMaxCurrentP3", "Set circuit maximum current [Amperes] [Double]", "A"],
  [30, "LockCablePermanently", "Lock type2 cable permanently [Boolean]", null],
  [31, "IsEnabled", "Set true to enable charger, false disables charger [Boolean]", null],
  [44, "SmartButtonEnabled", "Smart button is enabled [Boolean]", null],
  [46, "LEDMode", "Charger LED mode [event] [Integer]", null],
  [47, "MaxChargerCurrent", "Max current this charger is allowed to offer to car (A). Non volatile. [Double]", "A"],
  [48, "DynamicChargerCurrent", "Max current this charger is allowed to offer to car (A). Volatile [Double]", "A"],
  [50, "MaxCurrentOfflineFallback_P1", "Maximum circuit current P1 when offline [event] [Integer]", "A"],
  [51, "MaxCurrentOfflineFallback_P2", "Maximum circuit current P2 when offline [event] [Integer]", "A"],
  [52, "MaxCurrentOfflineFallback_P3", "Maximum circuit current P3 when offline [event] [Integer]", "A"],
  [80, "SoftwareRelease", "Embedded software package release id [boot] [Integer]", null],
  [89, "RebootReason", "Reason of reboot. Bitmask of flags. [Integer]", null],
  [96, "ReasonForNoCurrent", "Enum describing why a charger with a car connected is not offering current to the car [Integer]", null],
  [102, "SmartCharging", "Smart charging state enabled by capacitive touch button [event] [Boolean]", null],
  [103, "CableLocked", "Cable lock state [event] [Boolean]", null],
  [104, "CableRating", "Cable rating read [Amperes][event] [Integer]", "A"],
  [108, "UserIDTokenReversed", "User ID token string from RFID reading [event](NB! Must reverse these strings) [String]", null],
  [109, "ChargerOpMode", "Charger operation mode()according to charger mode table [event] [Integer]", null],
  [110, "OutputPhase", "Active output phase(s) to EV according to output phase type table. [event] [Integer]", null],
  [111, "DynamicCircuitCurrentP1", "Dynamically set circuit maximum current for phase 1 [Amperes][event] [Double]", "A"],
  [112, "DynamicCircuitCurrentP2", "Dynamically set circuit maximum current for phase 2 [Amperes][event] [Double]", "A"],
  [113, "DynamicCircuitCurrentP3", "Dynamically set circuit maximum current for phase 3 [Amperes][event] [Double]", "A"],
  [120, "TotalPower", "Total power [kW][telemetry] [Double]", "kW"],
  [121, "SessionEnergy", "Session accumulated energy [kWh][telemetry] [Double]", "kWh"],
  [122, "EnergyPerHour", "Accumulated energy per hour [kWh][event] [Double]", "kWh"],
  [124, "LifetimeEnergy", "Accumulated energy in the lifetime of the charger [kWh] [Double]", "kWh"],
  [128, "UserIDToken", "User ID token string from RFID reading [event] [String]", null],
  [130, "CellRSSI", "Cellular signal strength [dBm][telemetry] [Integer]", "dBm"],
  [132, "WiFiRSSI", "WiFi signal strength [dBm][telemetry] [Integer]", "dBm"],
  [141, "ChargerRAT", "Radio access technology in use: 0 = cellular, 1 = wifi [Integer]", null],
  [146, "LocalNodeType", "0-Unconfigured, 1-Master, 2-Extender, 3-End device [Integer]", null],
  [150, "TempMax", "Maximum temperature for all sensors [Celsius][telemetry] [Integer]", "°C"],
  [182, "InCurrent_T2", "Calculated current RMS for input T2 [Amperes][telemetry] [Double]", "A"],
  [183, "InCurrent_T3", "Current RMS for input T3 [Amperes][telemetry] [Double]", "A"],
  [184, "InCurrent_T4", "Current RMS for input T4 [Amperes][telemetry] [Double]", "A"],
  [185, "InCurrent_T5", "Current RMS for input T5 [Amperes][telemetry] [Double]", "A"],
  [190, "InVolt_T1_T2", "Input voltage RMS between T1 and T2 [Volt][telemetry] [Double]", "V"],
  [191, "InVolt_T1_T3", "Input voltage RMS between T1 and T3 [Volt][telemetry] [Double]", "V"],
  [192, "InVolt_T1_T4", "Input voltage RMS between T1 and T4 [Volt][telemetry] [Double]", "V"],
  [193, "InVolt_T1_T5", "Input voltage RMS between T1 and T5 [Volt][telemetry] [Double]", "V"],
  [194, "InVolt_T2_T3", "Input voltage RMS between T2 and T3 [Volt][telemetry] [Double]", "V"],
  [195, "InVolt_T2_T4", "Input voltage RMS between T2 and T4 [Volt][telemetry] [Double]", "V"],
  [196, "InVolt_T2_T5", "Input voltage RMS between T2 and T5 [Volt][telemetry] [Double]", "V"],
  [250, "ConnectedToCloud", "Device is connected to AWS [Boolean]", null],
  [251, "CloudDisconnectReason", "AWS DisconnectReason [String]", null],
];

const TYPE_TAG = /\[(Integer|Double|Boolean|String|Position)\]$/;
const TAG = /\[(boot|event|telemetry|debug|poll|pollable|Amperes|Volt|kW|kWh|dBm|Celsius|Percent|mV|Integer|Double|Boolean|String)\]/g;

/** The published description as the catalogue carries it: without the bracket tags. */
function withoutTags(published: string): string {
  return published
    .replace(TAG, " ")
    // The page has a typo in 109 ("mode()according"); the catalogue drops the stray "()".
    .replace("mode()according", "mode according")
    .replace(/\s+/g, " ")
    .trim();
}

function expand(ranges: string): number[] {
  return ranges.split(",").flatMap((part) => {
    const [from, to] = part.trim().split("-").map(Number);
    return Array.from({ length: (to ?? from) - from + 1 }, (_, k) => from + k);
  });
}

/** Protocol-notes section 5, ranges expanded: 176 ids. */
const SECTION_5_IDS = expand(
  "1-2, 5, 10-11, 13-28, 30-48, 50-52, 54, 56-57, 62, 65, 68-84, 89-91, 96-155, 160-166, 170-175, " +
    "182-185, 190-200, 202-206, 210-212, 219-223, 230-232, 240-241, 250-251",
);

describe("catalogue", () => {
  describe("the 48 observations on Easee's AMQP page", () => {
    it("transcription has all 48 rows", () => {
      assert.equal(AMQP_PAGE.length, 48);
    });

    for (const [id, name, published, unit] of AMQP_PAGE) {
      it(`${id} ${name}: name, data type, description and unit`, () => {
        const definition = findObservationById(id);
        assert.ok(definition, `observation ${id} is missing`);
        assert.equal(definition.name, name);
        assert.equal(definition.dataType, TYPE_TAG.exec(published)?.[1]);
        assert.equal(definition.description, withoutTags(published));
        assert.equal(definition.unit, unit);
      });
    }

    it("follows the AMQP page where it disagrees with the other sources (104 and 150 are Integer)", () => {
      assert.equal(findObservationById(104)?.dataType, "Integer");
      assert.equal(findObservationById(150)?.dataType, "Integer");
      assert.equal(findObservationById(151)?.dataType, "Double");
    });
  });

  describe("OBSERVATIONS", () => {
    it("holds every charger observation of protocol-notes section 5 (176), sorted by id", () => {
      assert.equal(SECTION_5_IDS.length, 176);
      assert.deepEqual(
        OBSERVATIONS.map((o) => o.id),
        SECTION_5_IDS,
      );
    });

    it("has unique names, none of them a collapsed range or an upper-case label", () => {
      const names = OBSERVATIONS.map((o) => o.name);
      assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length);
      for (const name of names) assert.match(name, /^[A-Za-z][A-Za-z0-9_]*$/, name);
    });

    it("expands the ranges to their real names", () => {
      const named = (ids: string): string[] => expand(ids).map((id) => findObservationById(id)?.name ?? "?");
      assert.deepEqual(named("15-17"), ["LocalPreAuthorizeEnabled", "LocalAuthorizeOfflineEnabled", "AllowOfflineTxForUnknownId"]);
      assert.deepEqual(named("70-75"), [
        "CircuitTotalAllocatedPhaseConductorCurrent_L1",
        "CircuitTotalAllocatedPhaseConductorCurrent_L2",
        "CircuitTotalAllocatedPhaseConductorCurrent_L3",
        "CircuitTotalPhaseConductorCurrent_L1",
        "CircuitTotalPhaseConductorCurrent_L2",
        "CircuitTotalPhaseConductorCurrent_L3",
      ]);
      assert.deepEqual(named("142-145"), [
        "CellularInterfaceErrorCount",
        "CellularInterfaceResetCount",
        "WifiInterfaceErrorCount",
        "WifiInterfaceResetCount",
      ]);
      assert.deepEqual(named("152-155"), ["TempInputT2", "TempInputT3", "TempInputT4", "TempInputT5"]);
      assert.deepEqual(named("160-163"), ["TempOutputN", "TempOutputL1", "TempOutputL2", "TempOutputL3"]);
      assert.deepEqual(named("190-199"), [
        "InVolt_T1_T2", "InVolt_T1_T3", "InVolt_T1_T4", "InVolt_T1_T5", "InVolt_T2_T3",
        "InVolt_T2_T4", "InVolt_T2_T5", "InVolt_T3_T4", "InVolt_T3_T5", "InVolt_T4_T5",
      ]);
      assert.deepEqual(named("202-205"), ["OutVoltPin1_2", "OutVoltPin1_3", "OutVoltPin1_4", "OutVoltPin1_5"]);
      assert.deepEqual(named("210-212"), ["VoltLevel33", "VoltLevel5", "VoltLevel12"]);
      assert.deepEqual(named("220-222"), ["LTE_RSRP", "LTE_SINR", "LTE_RSRQ"]);
      assert.deepEqual(named("230-232"), ["EqAvailableCurrentP1", "EqAvailableCurrentP2", "EqAvailableCurrentP3"]);
      // Each member has its own description, not the first member's.
      assert.equal(findObservationById(143)?.description, "The number of times since boot the interface was reset due to high error count");
      assert.equal(findObservationById(199)?.description, "Input voltage RMS between T4 and T5");
      assert.equal(findObservationById(221)?.description, "Signal to Interference plus Noise Ratio (LTE) [-20 .. +30 dB]");
    });

    it("uses only the contract's units and categories, taken from the tags", () => {
      const units = new Set([null, "kW", "kWh", "A", "V", "mV", "dBm", "°C", "%", "ms", "h"]);
      const categories = new Set([null, "boot", "event", "telemetry", "debug", "poll"]);
      for (const o of OBSERVATIONS) {
        assert.ok(units.has(o.unit), `${o.id} unit ${String(o.unit)}`);
        assert.ok(categories.has(o.category), `${o.id} category ${String(o.category)}`);
        assert.doesNotMatch(o.description, /\[(boot|event|telemetry|debug|poll|pollable|kW|kWh|Amperes|Volt|Celsius|Percent|mV|json)\]/, `${o.id}`);
      }
      const unitOf = (id: number) => findObservationById(id)?.unit;
      const categoryOf = (id: number) => findObservationById(id)?.category;
      assert.equal(unitOf(120), "kW");
      assert.equal(unitOf(124), "kWh");
      assert.equal(unitOf(163), "°C");
      assert.equal(unitOf(172), "%");
      assert.equal(unitOf(175), "mV");
      assert.equal(unitOf(205), "V");
      assert.equal(unitOf(231), "A");
      assert.equal(unitOf(57), "ms");
      assert.equal(unitOf(126), "h");
      assert.equal(categoryOf(84), "poll"); // [pollable]
      assert.equal(categoryOf(145), "poll");
      assert.equal(categoryOf(105), "debug");
      assert.equal(categoryOf(80), "boot");
      assert.equal(categoryOf(47), null);
    });

    it("names 250/251 as the AMQP page does", () => {
      assert.equal(findObservationById(250)?.name, "ConnectedToCloud");
      assert.equal(findObservationById(251)?.name, "CloudDisconnectReason");
    });

    it("is frozen", () => {
      assert.ok(Object.isFrozen(OBSERVATIONS));
      assert.ok(Object.isFrozen(OBSERVATIONS[0]));
      assert.ok(Object.isFrozen(VALUE_TABLES));
      assert.ok(Object.isFrozen(VALUE_TABLES.ChargerOpMode.labels));
    });
  });

  describe("lookups", () => {
    it("finds by id", () => {
      assert.equal(findObservationById(109)?.name, "ChargerOpMode");
      assert.equal(findObservationById(3), undefined);
      assert.equal(findObservationById(999), undefined);
      assert.equal(findObservationById(-1), undefined);
      assert.equal(findObservationById(120.5), undefined);
      assert.equal(findObservationById(Number.NaN), undefined);
    });

    it("finds by name, case-insensitively but otherwise exactly", () => {
      assert.equal(findObservationByName("TotalPower")?.id, 120);
      assert.equal(findObservationByName("totalpower")?.id, 120);
      assert.equal(findObservationByName("INVOLT_T1_T2")?.id, 190);
      assert.equal(findObservationByName("Total Power"), undefined);
      assert.equal(findObservationByName(" TotalPower"), undefined);
      assert.equal(findObservationByName("Total"), undefined);
      assert.equal(findObservationByName("constructor"), undefined);
      assert.equal(findObservationByName("__proto__"), undefined);
    });
  });

  describe("value tables", () => {
    const byId = (id: number): ObservationDefinition => findObservationById(id) as ObservationDefinition;

    it("has the 14 tables, each used by its observation", () => {
      const used: Record<ValueTableName, number> = {
        ChargerOpMode: 109,
        OutputPhase: 110,
        PowerGridType: 21,
        ReasonForNoCurrent: 96,
        LEDMode: 46,
        RebootReason: 89,
        PhaseMode: 38,
        OfflineChargingMode: 45,
        PilotMode: 100,
        ChargerRAT: 141,
        LocalNodeType: 146,
        LocalConnection: 99,
        LegacyEvStatus: 123,
        TemperatureMonitorState: 32,
      };
      assert.deepEqual(Object.keys(VALUE_TABLES).sort(), Object.keys(used).sort());
      for (const [name, id] of Object.entries(used)) {
        assert.equal(byId(id).valueTable, name, `observation ${id}`);
        assert.equal(VALUE_TABLES[name as ValueTableName].name, name);
      }
      assert.equal(OBSERVATIONS.filter((o) => o.valueTable !== undefined).length, 14);
    });

    const cases: readonly [number, unknown, string | undefined][] = [
      // ChargerOpMode: the documented 0–8, and pyeasee's extras.
      [109, 0, "Offline"],
      [109, 1, "Disconnected"],
      [109, 2, "Awaiting Start"],
      [109, 3, "Charging"],
      [109, 4, "Completed"],
      [109, 5, "Error"],
      [109, 6, "Ready to Charge"],
      [109, 7, "Awaiting Authentication"],
      [109, 8, "De-authenticating"],
      [109, 108, "Paused by Equalizer"],
      [109, 161, "PEN Fault"],
      [109, 9, undefined],
      [109, "3", "Charging"],
      [110, 30, "3-phase (N+L1, N+L2, N+L3)"],
      [110, 10, "1-phase (N+L1)"],
      [21, 1, "TN 3-phase"],
      [21, 52, "Error: IT, ground connected to pin 2 or 3"],
      [96, 0, "Charger OK"],
      [96, 76, "Limited by schedule"],
      [46, 24, "Normal mode (charging)"],
      [46, 28, undefined],
      [38, 2, "Auto"],
      [45, 1, "If whitelisted"],
      [100, "C", "Charging"],
      [100, "c", "Charging"],
      [100, "E", undefined],
      [141, 1, "WiFi"],
      [146, 1, "Master"],
      [99, 3, "Radio and WiFi UDP"],
      [123, 2, "Reviving EV"],
      [32, -1, "Monitoring"],
      [32, 1, "Active"],
      // RebootReason: an exact value first, else bits 0–7 as flags.
      [89, 20, "Reboot"],
      [89, 12, "Brownout"],
      [89, 4, "SoftwareReset"],
      [89, 0, "FirewallReset"],
      [89, 24, "BOR, SoftwareReset"],
      [89, 0b1000_0100, "PinReset, LowPowerReset"],
      [89, "40", "BOR, IndependentWindowWatchdogReset"],
      [89, 256, undefined],
      [89, -3, undefined],
      // No table, odd values.
      [120, 7.2, undefined],
      [109, true, undefined],
      [109, null, undefined],
      [109, "constructor", undefined],
      [109, "__proto__", undefined],
      [100, "toString", undefined],
    ];
    for (const [id, value, label] of cases) {
      it(`labels ${id} ${byId(id).name} = ${JSON.stringify(value)} as ${JSON.stringify(label)}`, () => {
        assert.equal(labelFor(byId(id), value), label);
      });
    }

    it("gives every OutputPhase value its phase count (the tens digit)", () => {
      for (const key of Object.keys(VALUE_TABLES.OutputPhase.labels)) {
        assert.equal(phaseCountFor(Number(key)), Math.floor(Number(key) / 10), key);
      }
      assert.equal(phaseCountFor(30), 3);
      assert.equal(phaseCountFor("22"), 2);
      assert.equal(phaseCountFor(0), 0);
      assert.equal(phaseCountFor(16), undefined);
      assert.equal(phaseCountFor("constructor"), undefined);
      assert.equal(phaseCountFor(undefined), undefined);
    });

    it("has short labels for every entry", () => {
      for (const table of Object.values(VALUE_TABLES)) {
        for (const [key, label] of Object.entries(table.labels)) {
          assert.ok(label.length > 0 && label.length <= 60, `${table.name} ${key}: ${label}`);
        }
      }
    });
  });
});
