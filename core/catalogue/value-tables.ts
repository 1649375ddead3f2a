import type { ValueTable, ValueTableName } from "./types";

/**
 * Labels for the enum-like observations (protocol-notes section 4), keyed by the raw value as a
 * string. Labels are short English meant for dashboards; the published API names are in the comments
 * where they differ enough to matter when comparing with Easee's documentation.
 */

const CHARGER_OP_MODE: ValueTable = {
  name: "ChargerOpMode",
  labels: {
    // Easee's enumerations page (developer.easee.com/docs/enumerations).
    "0": "Offline",
    "1": "Disconnected",
    "2": "Awaiting Start",
    "3": "Charging",
    "4": "Completed",
    "5": "Error",
    "6": "Ready to Charge",
    "7": "Awaiting Authentication",
    "8": "De-authenticating",
    // Not in Easee's documentation: extra values mapped by pyeasee (charger.py STATUS), origin
    // undocumented. Kept so a label shows if a charger ever sends one.
    "100": "Start Charging",
    "101": "Stop Charging",
    "102": "Offline",
    "103": "Awaiting Load Balancing",
    "104": "Awaiting Authorization",
    "105": "Awaiting Smart Start",
    "106": "Awaiting Scheduled Start",
    "107": "Authenticating",
    "108": "Paused by Equalizer",
    "109": "Searching for Master",
    "157": "Erratic EV",
    "158": "Temperature Too High",
    "159": "Dead Power Board",
    "160": "Overcurrent",
    "161": "PEN Fault",
  },
};

const OUTPUT_PHASE: ValueTable = {
  name: "OutputPhase",
  // API names: UNASSIGNED, P1_T2_T3_TN, P1_T2_T3_IT, …, P3_T2_T3_T4_T5_TN.
  labels: {
    "0": "Unassigned",
    "10": "1-phase (N+L1)",
    "11": "1-phase (L1+L2)",
    "12": "1-phase (N+L2)",
    "13": "1-phase (L1+L3)",
    "14": "1-phase (N+L3)",
    "15": "1-phase (L2+L3)",
    "20": "2-phase (N+L1, N+L2)",
    "21": "2-phase (N+L2, N+L3)",
    "22": "2-phase IT (L1+L2, L2+L3)",
    "30": "3-phase (N+L1, N+L2, N+L3)",
  },
  // The tens digit of the value (P1_… / P2_… / P3_… in the API names).
  phaseCount: {
    "0": 0,
    "10": 1,
    "11": 1,
    "12": 1,
    "13": 1,
    "14": 1,
    "15": 1,
    "20": 2,
    "21": 2,
    "22": 2,
    "30": 3,
  },
};

const POWER_GRID_TYPE: ValueTable = {
  name: "PowerGridType",
  labels: {
    "0": "Not yet detected",
    "1": "TN 3-phase",
    "2": "TN 2-phase (pins 2, 3, 4)",
    "3": "TN 1-phase",
    "4": "IT 3-phase",
    "5": "IT 1-phase",
    "30": "Warning: TN 2-phase (pins 2, 3, 5)",
    "31": "Warning: TN 1-phase, neutral on pin 3",
    "32": "Warning: IT 3-phase, ground fault",
    "33": "Warning: IT 1-phase, ground fault",
    "34": "Warning: IT 3-phase, ground fault on L3",
    "35": "Warning: IT 1-phase, ground fault on L3",
    "36": "Warning: TN 2-phase (pins 2, 3, 4)",
    "37": "Warning: TN 3-phase, ground fault",
    "38": "Warning: TN 2-phase, ground fault",
    "50": "Error: no valid power grid found",
    "51": "Error: TN 400 V, neutral on wrong pin",
    "52": "Error: IT, ground connected to pin 2 or 3",
  },
};

const REASON_FOR_NO_CURRENT: ValueTable = {
  name: "ReasonForNoCurrent",
  labels: {
    "0": "Charger OK",
    "1": "Max circuit current too low",
    "2": "Max dynamic circuit current too low",
    "3": "Max dynamic offline fallback circuit current too low",
    "4": "Circuit fuse too low",
    "5": "Waiting in queue",
    "6": "Waiting in fully charged queue",
    "7": "Illegal grid type",
    "8": "No current request from car",
    "9": "Master communication lost",
    "10": "Current from Equalizer too low",
    "11": "Phase not connected",
    "25": "Limited by circuit fuse",
    "26": "Limited by circuit max current",
    "27": "Limited by dynamic circuit current",
    "28": "Limited by Equalizer",
    "29": "Limited by circuit load balancing",
    "30": "Limited by offline settings",
    "50": "Car not requesting current",
    "51": "Max charger current too low",
    "52": "Max dynamic charger current too low",
    "53": "Charger disabled",
    "54": "Pending scheduled charging",
    "55": "Pending authorization",
    "56": "Charger in error state",
    "57": "Erratic EV",
    "75": "Limited by cable rating",
    "76": "Limited by schedule",
    "77": "Limited by charger max current",
    "78": "Limited by dynamic charger current",
    "79": "Limited by car not charging",
    "80": "Limited by local adjustment",
    "81": "Limited by car",
    "100": "Undefined error",
  },
};

const LED_MODE: ValueTable = {
  name: "LEDMode",
  // Docs names ("Charger updating" for 1–15) made specific with the API names
  // (Startup1ApplicationStarted … OTA7) so the steps can be told apart.
  labels: {
    "0": "Charger disabled",
    "1": "Starting: application started",
    "2": "Starting: checking power board firmware",
    "3": "Starting: checking LWN firmware",
    "4": "Starting: checking WiFi firmware",
    "5": "Starting: firmware upgrade done",
    "6": "Starting (step 6)",
    "7": "Starting: setup half way",
    "8": "Starting: setup complete",
    "9": "Updating (step 1)",
    "10": "Updating power board firmware",
    "11": "Updating LWN firmware",
    "12": "Updating WiFi firmware",
    "13": "Updating (step 5)",
    "14": "Updating (step 6)",
    "15": "Updating (step 7)",
    "16": "Charger faulty",
    "17": "Charger faulty (permanent)",
    "18": "Standby master",
    "19": "Standby secondary",
    "20": "Secondary searching for master",
    "21": "Smart mode (not charging)",
    "22": "Smart mode (charging)",
    "23": "Normal mode (not charging)",
    "24": "Normal mode (charging)",
    "25": "Waiting for authorization",
    "26": "Verifying with backend",
    "27": "Check configuration",
    "29": "Pairing RFID keys",
    "43": "Self test mode",
    "44": "Self test mode",
  },
};

const REBOOT_REASON: ValueTable = {
  name: "RebootReason",
  // Documented values, matched exactly first. 12 and 20 are the common combinations
  // (pin + brown-out, pin + software) that the documentation names on their own.
  labels: {
    "0": "FirewallReset",
    "1": "OptionByteLoaderReset",
    "2": "PinReset",
    "3": "BOR",
    "4": "SoftwareReset",
    "5": "IndependentWindowWatchdogReset",
    "6": "WindowWatchdogReset",
    "7": "LowPowerReset",
    "12": "Brownout",
    "20": "Reboot",
  },
  // The observation is "a bitmask of flags": any other value is read bit by bit (bit n set = flag n).
  // The order matches the STM32 reset flags FWRSTF … LPWRRSTF.
  bitFlags: {
    "0": "FirewallReset",
    "1": "OptionByteLoaderReset",
    "2": "PinReset",
    "3": "BOR",
    "4": "SoftwareReset",
    "5": "IndependentWindowWatchdogReset",
    "6": "WindowWatchdogReset",
    "7": "LowPowerReset",
  },
};

const PHASE_MODE: ValueTable = {
  name: "PhaseMode",
  labels: {
    "0": "Not reported",
    "1": "Locked to 1-phase",
    "2": "Auto",
    "3": "Locked to 3-phase",
  },
};

const OFFLINE_CHARGING_MODE: ValueTable = {
  name: "OfflineChargingMode",
  labels: {
    "0": "Always",
    "1": "If whitelisted",
    "2": "Never",
  },
};

const PILOT_MODE: ValueTable = {
  name: "PilotMode",
  // IEC 61851 pilot states; there is no E in Easee's table.
  labels: {
    A: "Car disconnected",
    B: "Car connected",
    C: "Charging",
    D: "Charging, ventilation needed",
    F: "Fault",
  },
};

const CHARGER_RAT: ValueTable = {
  name: "ChargerRAT",
  labels: {
    "0": "Cellular",
    "1": "WiFi",
  },
};

const LOCAL_NODE_TYPE: ValueTable = {
  name: "LocalNodeType",
  labels: {
    "0": "Unconfigured",
    "1": "Master",
    "2": "Extender",
    "3": "End device",
  },
};

const LOCAL_CONNECTION: ValueTable = {
  name: "LocalConnection",
  labels: {
    "0": "None",
    "1": "Radio",
    "2": "WiFi UDP",
    "3": "Radio and WiFi UDP",
  },
};

const LEGACY_EV_STATUS: ValueTable = {
  name: "LegacyEvStatus",
  labels: {
    "0": "Not a legacy EV",
    "1": "Legacy EV detected",
    "2": "Reviving EV",
  },
};

const TEMPERATURE_MONITOR_STATE: ValueTable = {
  name: "TemperatureMonitorState",
  labels: {
    "0": "Off",
    "-1": "Monitoring",
    "1": "Active",
  },
};

export const VALUE_TABLE_DATA: Readonly<Record<ValueTableName, ValueTable>> = {
  ChargerOpMode: CHARGER_OP_MODE,
  OutputPhase: OUTPUT_PHASE,
  PowerGridType: POWER_GRID_TYPE,
  ReasonForNoCurrent: REASON_FOR_NO_CURRENT,
  LEDMode: LED_MODE,
  RebootReason: REBOOT_REASON,
  PhaseMode: PHASE_MODE,
  OfflineChargingMode: OFFLINE_CHARGING_MODE,
  PilotMode: PILOT_MODE,
  ChargerRAT: CHARGER_RAT,
  LocalNodeType: LOCAL_NODE_TYPE,
  LocalConnection: LOCAL_CONNECTION,
  LegacyEvStatus: LEGACY_EV_STATUS,
  TemperatureMonitorState: TEMPERATURE_MONITOR_STATE,
};
