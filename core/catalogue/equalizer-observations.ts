import type { ObservationDefinition } from "./types";

/**
 * Every Equalizer observation known (protocol-notes §8), sorted by id. Equalizers (serials `QH…`) use their own id
 * space, which overlaps the charger's with other meanings: this table is for Equalizers only.
 *
 * Sources: nordicopen/pyeasee const.py `EqualizerStreamData` for ids and names (names here in the charger table's
 * PascalCase, `state_activePowerImport` → `ActivePowerImport`); units and data types as Home Assistant's Easee
 * integration (easee_hass) shows them: currents in A, voltages in V, active power in kW, energy in kWh, reactive
 * power in kvar and kvarh. Easee publishes no data types for this table: measurements are Double, counters and
 * codes Integer, identifiers and reports String. 250/251 (cloud connection) are reported for Equalizers by newer
 * peers but are not in pyeasee's table; they are kept because the charger's meaning is the same.
 * Measurements an Equalizer reports periodically (currents, voltages, power, energy) are `telemetry`.
 */
export const EQUALIZER_OBSERVATION_DEFINITIONS: readonly ObservationDefinition[] = [
  { id: 1, name: "SelfTestResult", description: "OK or error codes", dataType: "String", unit: null, category: null },
  { id: 2, name: "SelfTestDetails", description: "JSON with details from self-test", dataType: "String", unit: null, category: null },
  { id: 13, name: "EaseeLinkCommandResponse", description: "Response on a EaseeLink command sent to another device", dataType: "Integer", unit: null, category: null },
  { id: 14, name: "EaseeLinkDataReceived", description: "Data received on EaseeLink from another device", dataType: "String", unit: null, category: null },
  { id: 19, name: "SiteIDNumeric", description: "Site ID numeric value", dataType: "Integer", unit: null, category: "event" },
  { id: 20, name: "SiteStructure", description: "Site structure", dataType: "String", unit: null, category: "boot" },
  { id: 21, name: "SoftwareRelease", description: "Equalizer software release", dataType: "Integer", unit: null, category: "boot" },
  { id: 25, name: "MeterType", description: "Type of the electricity meter the Equalizer reads", dataType: "String", unit: null, category: "boot" },
  { id: 26, name: "MeterID", description: "Identifier of the electricity meter", dataType: "String", unit: null, category: "boot" },
  { id: 27, name: "OBISListIdentifier", description: "OBIS list identifier sent by the meter", dataType: "String", unit: null, category: null },
  { id: 29, name: "GridType", description: "Grid type", dataType: "Integer", unit: null, category: "boot" },
  { id: 30, name: "NumPhases", description: "Number of phases", dataType: "Integer", unit: null, category: "boot" },
  { id: 31, name: "CurrentL1", description: "Current on phase L1", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 32, name: "CurrentL2", description: "Current on phase L2", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 33, name: "CurrentL3", description: "Current on phase L3", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 34, name: "VoltageNL1", description: "Voltage between N and L1", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 35, name: "VoltageNL2", description: "Voltage between N and L2", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 36, name: "VoltageNL3", description: "Voltage between N and L3", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 37, name: "VoltageL1L2", description: "Voltage between L1 and L2", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 38, name: "VoltageL1L3", description: "Voltage between L1 and L3", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 39, name: "VoltageL2L3", description: "Voltage between L2 and L3", dataType: "Double", unit: "V", category: "telemetry" },
  { id: 40, name: "ActivePowerImport", description: "Active power imported from the grid", dataType: "Double", unit: "kW", category: "telemetry" },
  { id: 41, name: "ActivePowerExport", description: "Active power exported to the grid", dataType: "Double", unit: "kW", category: "telemetry" },
  { id: 42, name: "ReactivePowerImport", description: "Reactive power imported", dataType: "Double", unit: "kvar", category: "telemetry" },
  { id: 43, name: "ReactivePowerExport", description: "Reactive power exported", dataType: "Double", unit: "kvar", category: "telemetry" },
  { id: 44, name: "MaxPowerImport", description: "Highest active power imported", dataType: "Double", unit: "kW", category: "telemetry" },
  { id: 45, name: "CumulativeActivePowerImport", description: "Active energy imported from the grid (meter reading)", dataType: "Double", unit: "kWh", category: "telemetry" },
  { id: 46, name: "CumulativeActivePowerExport", description: "Active energy exported to the grid (meter reading)", dataType: "Double", unit: "kWh", category: "telemetry" },
  { id: 47, name: "CumulativeReactivePowerImport", description: "Reactive energy imported (meter reading)", dataType: "Double", unit: "kvarh", category: "telemetry" },
  { id: 48, name: "CumulativeReactivePowerExport", description: "Reactive energy exported (meter reading)", dataType: "Double", unit: "kvarh", category: "telemetry" },
  { id: 49, name: "ClockAndDateMeter", description: "Clock and date reported by the meter", dataType: "String", unit: null, category: null },
  { id: 50, name: "RCPI", description: "WiFi received channel power indicator", dataType: "Double", unit: null, category: null },
  { id: 51, name: "WiFiSSID", description: "WiFi SSID name", dataType: "String", unit: null, category: null },
  { id: 55, name: "MasterBackPlateID", description: "Backplate id of the master charger", dataType: "String", unit: null, category: null },
  { id: 56, name: "EqualizerID", description: "Equalizer id", dataType: "String", unit: null, category: null },
  { id: 60, name: "ExceptionData", description: "Exception data (debug)", dataType: "String", unit: null, category: "debug" },
  { id: 61, name: "BootReason", description: "Reason of the last boot", dataType: "Integer", unit: null, category: "boot" },
  { id: 64, name: "HighCurrentTransitions", description: "Number of high current transitions", dataType: "Integer", unit: null, category: null },
  { id: 65, name: "VCap", description: "Capacitor voltage", dataType: "Double", unit: "V", category: null },
  { id: 66, name: "VBusMin", description: "Lowest bus voltage", dataType: "Double", unit: "V", category: null },
  { id: 67, name: "VBusMax", description: "Highest bus voltage", dataType: "Double", unit: "V", category: null },
  { id: 68, name: "InternalTemperature", description: "Internal temperature", dataType: "Double", unit: "°C", category: null },
  { id: 69, name: "HANSnapshot", description: "Snapshot of the meter's HAN port data (debug)", dataType: "String", unit: null, category: "debug" },
  { id: 70, name: "LocalRSSI", description: "Local radio signal strength", dataType: "Integer", unit: "dBm", category: null },
  { id: 71, name: "LocalTxPower", description: "Local radio transmission power", dataType: "Integer", unit: null, category: null },
  { id: 72, name: "LocalRadioChannel", description: "Local radio channel", dataType: "Integer", unit: null, category: null },
  { id: 73, name: "LocalShortAddress", description: "Local radio short address", dataType: "Integer", unit: null, category: null },
  { id: 74, name: "LocalNodeType", description: "Local radio node type", dataType: "Integer", unit: null, category: null, valueTable: "LocalNodeType" },
  { id: 75, name: "LocalParentAddress", description: "Local radio parent address", dataType: "Integer", unit: null, category: null },
  { id: 80, name: "CircuitPhaseMapping", description: "Mapping of circuit phases", dataType: "String", unit: null, category: null },
  { id: 81, name: "PhaseMappingReport", description: "Phase mapping report", dataType: "String", unit: null, category: null },
  { id: 85, name: "ModbusConfiguration", description: "Modbus configuration", dataType: "String", unit: null, category: null },
  { id: 86, name: "LoadbalanceThrottle", description: "Load balance throttle", dataType: "Integer", unit: null, category: null },
  { id: 87, name: "AvailableCurrentL1", description: "Current available for charging on L1", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 88, name: "AvailableCurrentL2", description: "Current available for charging on L2", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 89, name: "AvailableCurrentL3", description: "Current available for charging on L3", dataType: "Double", unit: "A", category: "telemetry" },
  { id: 90, name: "HANChecksumErrors", description: "Checksum errors on the meter's HAN port", dataType: "Integer", unit: null, category: null },
  { id: 91, name: "APMacAddress", description: "MAC address of the WiFi access point", dataType: "String", unit: null, category: null },
  { id: 92, name: "WiFiReconnects", description: "Number of WiFi reconnects", dataType: "Integer", unit: null, category: null },
  { id: 100, name: "LEDMode", description: "Equalizer LED mode", dataType: "Integer", unit: null, category: "event" },
  { id: 250, name: "ConnectedToCloud", description: "Device is connected to AWS", dataType: "Boolean", unit: null, category: null },
  { id: 251, name: "CloudDisconnectReason", description: "AWS DisconnectReason", dataType: "String", unit: null, category: null },
];
