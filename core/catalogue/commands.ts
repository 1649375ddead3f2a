/**
 * Easee's command table for integration (operator) accounts, as data in one place.
 *
 * Source: developer.easee.com "Controlling the charger — Available commands and responses" (command ids, names,
 * argument types) and Easee's Masterloop template export EASEECHG.cs (argument ids and names), see
 * protocol-notes.md section 2. The editor, the validator, the encoder, the simulator and the docs all read this
 * (lookups in core/command/table.ts). Lives with the observation catalogue: Easee's protocol as data.
 *
 * Ranges are this package's, not Easee's (Easee publishes none): currents 0–80 A (the largest Easee circuit),
 * TTLs 0–1440 minutes (0 = no expiry), token 1–64 characters.
 */

export type CommandArgumentType = "Integer" | "Double" | "Boolean" | "String";

export interface CommandArgumentSpec {
  /** Argument id on the wire (`Arguments[].Id`). */
  readonly id: number;
  /** Argument name of Easee's template, how users key `msg.payload` (matched ignoring case and underscores). */
  readonly name: string;
  readonly type: CommandArgumentType;
  /** Numbers only: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** Strings only: inclusive length bounds. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Unit shown in the editor and in errors. */
  readonly unit?: "A" | "min";
  /** May be left out; it is then not sent (the charger uses its own default). */
  readonly optional?: boolean;
  /** One line for the editor, English (the help in locales/ explains in every language). */
  readonly description: string;
}

export interface CommandSpec {
  readonly id: number;
  readonly name: string;
  /** Writes the charger's flash: refused unless the node allows permanent commands. */
  readonly permanent: boolean;
  readonly description: string;
  readonly arguments: readonly CommandArgumentSpec[];
}

const CURRENT = { min: 0, max: 80, unit: "A" } as const;
const TTL = { min: 0, max: 1440, unit: "min", optional: true } as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    id: 48,
    name: "SetDynamicChargerCurrent",
    permanent: false,
    description: "Volatile current limit of the charger; 0 A pauses charging. Falls back after the TTL.",
    arguments: [
      { id: 1, name: "Current_Amp", type: "Integer", ...CURRENT, description: "Current limit, whole amperes (0 pauses)" },
      { id: 2, name: "TTL_Minutes", type: "Integer", ...TTL, description: "Minutes until the limit falls back (0 or none: until changed)" },
    ],
  },
  {
    id: 22,
    name: "SetDynamicCircuitCurrent",
    permanent: false,
    description: "Volatile per-phase current limit of the circuit; P2 = P3 = 0 charges on one phase, 0 on all pauses.",
    arguments: [
      { id: 1, name: "CurrentP1", type: "Double", ...CURRENT, description: "Phase 1 current, amperes" },
      { id: 2, name: "CurrentP2", type: "Double", ...CURRENT, description: "Phase 2 current, amperes" },
      { id: 3, name: "CurrentP3", type: "Double", ...CURRENT, description: "Phase 3 current, amperes" },
      { id: 4, name: "TTL_Minutes", type: "Integer", ...TTL, description: "Minutes until the limits fall back (0 or none: until changed)" },
    ],
  },
  {
    id: 29,
    name: "SetEnabled",
    permanent: false,
    description: "Enable or disable the charger; a disabled charger stops charging.",
    arguments: [{ id: 1, name: "IsEnabled", type: "Boolean", description: "true enables, false disables" }],
  },
  {
    id: 11,
    name: "SetSmartCharging",
    permanent: false,
    description: "Smart charging on or off.",
    arguments: [{ id: 1, name: "SmartCharging", type: "Boolean", description: "true turns smart charging on" }],
  },
  {
    id: 30,
    name: "SetLockCablePermanently",
    permanent: false,
    description: "Lock the type 2 cable permanently in the charger, or release it.",
    arguments: [{ id: 1, name: "Locked", type: "Boolean", description: "true locks, false releases" }],
  },
  {
    id: 25,
    name: "AuthorizeCharging",
    permanent: false,
    description: "Authorize the waiting charging session.",
    arguments: [
      { id: 1, name: "IDToken", type: "String", minLength: 1, maxLength: 64, optional: true, description: "RFID token to authorize (optional)" },
      { id: 2, name: "Status", type: "Integer", min: 0, max: 255, optional: true, description: "Authorization status code (optional)" },
    ],
  },
  {
    id: 26,
    name: "DeauthorizeCharging",
    permanent: false,
    description: "End the authorization of the charging session.",
    arguments: [
      { id: 1, name: "IDToken", type: "String", minLength: 1, maxLength: 64, optional: true, description: "RFID token (optional)" },
      { id: 2, name: "Status", type: "Integer", min: 0, max: 255, optional: true, description: "Status code (optional)" },
    ],
  },
  { id: 1, name: "Reboot", permanent: false, description: "Restart the charger.", arguments: [] },
  {
    id: 21,
    name: "SetDynamicCurrentOfflineFallback",
    permanent: false,
    description: "Per-phase current the charger falls back to when it loses the cloud.",
    arguments: [
      { id: 1, name: "MaxDynamicCurrentP1", type: "Integer", ...CURRENT, description: "Phase 1 fallback current, whole amperes" },
      { id: 2, name: "MaxDynamicCurrentP2", type: "Integer", ...CURRENT, description: "Phase 2 fallback current, whole amperes" },
      { id: 3, name: "MaxDynamicCurrentP3", type: "Integer", ...CURRENT, description: "Phase 3 fallback current, whole amperes" },
    ],
  },
  {
    id: 63,
    name: "OverrideSchedule",
    permanent: false,
    description: "Ignore the charging schedule for the current session (until the car disconnects).",
    arguments: [],
  },
  {
    id: 47,
    name: "SetMaxChargerCurrent",
    permanent: true,
    description: "Permanent (flash) maximum current of the charger. Not for automation: use SetDynamicChargerCurrent.",
    arguments: [{ id: 1, name: "Current_Amp", type: "Integer", ...CURRENT, description: "Maximum current, whole amperes" }],
  },
  {
    id: 24,
    name: "SetMaxCircuitCurrent",
    permanent: true,
    description: "Permanent (flash) per-phase maximum current of the circuit. Not for automation: use SetDynamicCircuitCurrent.",
    arguments: [
      { id: 1, name: "CurrentP1", type: "Integer", ...CURRENT, description: "Phase 1 maximum, whole amperes" },
      { id: 2, name: "CurrentP2", type: "Integer", ...CURRENT, description: "Phase 2 maximum, whole amperes" },
      { id: 3, name: "CurrentP3", type: "Integer", ...CURRENT, description: "Phase 3 maximum, whole amperes" },
    ],
  },
  { id: 4, name: "UpgradeFirmware", permanent: false, description: "Install the newest firmware.", arguments: [] },
];
