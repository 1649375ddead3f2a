/**
 * The observation catalogue: lookups over the data in observations.ts and value-tables.ts.
 * Pure; no Node-RED.
 */
import type { DeviceKind } from "./devices";
import { EQUALIZER_OBSERVATION_DEFINITIONS } from "./equalizer-observations";
import { OBSERVATION_DEFINITIONS } from "./observations";
import type { ObservationDefinition, ValueTable, ValueTableName } from "./types";
import { VALUE_TABLE_DATA } from "./value-tables";

export type { ObservationDefinition, ValueTable, ValueTableName } from "./types";
export { DEVICE_KINDS, deviceKindOf, type DeviceKind } from "./devices";

function freezeTable(table: ValueTable): ValueTable {
  Object.freeze(table.labels);
  if (table.phaseCount) Object.freeze(table.phaseCount);
  if (table.bitFlags) Object.freeze(table.bitFlags);
  return Object.freeze(table);
}

function freezeSorted(definitions: readonly ObservationDefinition[]): readonly ObservationDefinition[] {
  return Object.freeze(
    definitions
      .slice()
      .sort((a, b) => a.id - b.id)
      .map((definition) => Object.freeze(definition)),
  );
}

/** Every known charger observation, sorted by id. Frozen. */
export const OBSERVATIONS: readonly ObservationDefinition[] = freezeSorted(OBSERVATION_DEFINITIONS);

/** Every known Equalizer observation (serials `QH…`), sorted by id. Frozen. Ids overlap the charger's. */
export const EQUALIZER_OBSERVATIONS: readonly ObservationDefinition[] = freezeSorted(EQUALIZER_OBSERVATION_DEFINITIONS);

/** The table a device kind's observations are read with; none for an unknown kind. */
export function observationsFor(device: DeviceKind): readonly ObservationDefinition[] {
  return device === "charger" ? OBSERVATIONS : device === "equalizer" ? EQUALIZER_OBSERVATIONS : [];
}

/** The value tables by name. Frozen. */
export const VALUE_TABLES: Readonly<Record<ValueTableName, ValueTable>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(VALUE_TABLE_DATA) as ValueTableName[]).map((name) => [name, freezeTable(VALUE_TABLE_DATA[name])]),
  ) as Record<ValueTableName, ValueTable>,
);

interface Index {
  // Ids are small (1–251), so a dense array indexed by id is the fastest lookup for the decoder's hot path.
  readonly byId: readonly (ObservationDefinition | undefined)[];
  readonly byName: ReadonlyMap<string, ObservationDefinition>;
}

function indexOf(definitions: readonly ObservationDefinition[]): Index {
  const byId: (ObservationDefinition | undefined)[] = [];
  const byName = new Map<string, ObservationDefinition>();
  for (const definition of definitions) {
    byId[definition.id] = definition;
    byName.set(definition.name.toLowerCase(), definition);
  }
  return { byId, byName };
}

const CHARGER_INDEX = indexOf(OBSERVATIONS);
const EQUALIZER_INDEX = indexOf(EQUALIZER_OBSERVATIONS);

// Maps rather than the table objects themselves, so a value like "constructor" or "__proto__"
// can never resolve to something inherited from Object.prototype.
interface CompiledTable {
  readonly labels: ReadonlyMap<string, string>;
  readonly bitFlags?: readonly (string | undefined)[];
  readonly phaseCount?: ReadonlyMap<string, number>;
}

function compile(table: ValueTable): CompiledTable {
  const labels = new Map(Object.entries(table.labels));
  const phaseCount = table.phaseCount ? new Map(Object.entries(table.phaseCount)) : undefined;
  let bitFlags: (string | undefined)[] | undefined;
  if (table.bitFlags) {
    bitFlags = [];
    for (const [bit, label] of Object.entries(table.bitFlags)) bitFlags[Number(bit)] = label;
  }
  return { labels, bitFlags, phaseCount };
}

const COMPILED = new Map<ValueTableName, CompiledTable>(
  (Object.keys(VALUE_TABLES) as ValueTableName[]).map((name) => [name, compile(VALUE_TABLES[name])]),
);
const OUTPUT_PHASE = COMPILED.get("OutputPhase") as CompiledTable;

function indexFor(device: DeviceKind): Index | undefined {
  return device === "charger" ? CHARGER_INDEX : device === "equalizer" ? EQUALIZER_INDEX : undefined;
}

/** The definition of an observation id in the table of `device` (the charger's unless told); none for unknown kinds. */
export function findObservationById(id: number, device: DeviceKind = "charger"): ObservationDefinition | undefined {
  const index = device === "charger" ? CHARGER_INDEX : indexFor(device);
  if (index === undefined) return undefined;
  const byId = index.byId;
  // `byId[id]` for a non-integer or negative id would be a property lookup; keep it to real indices.
  return Number.isInteger(id) && id >= 0 && id < byId.length ? byId[id] : undefined;
}

/** Case-insensitive; otherwise the exact name (no trimming, no partial matches). In the charger's table unless told. */
export function findObservationByName(name: string, device: DeviceKind = "charger"): ObservationDefinition | undefined {
  if (typeof name !== "string") return undefined;
  return indexFor(device)?.byName.get(name.toLowerCase());
}

/** The table key of a raw value: numbers as their decimal text, strings as they are. */
function keyOf(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "string") return value;
  return undefined;
}

/** Bit-flag labels for a non-negative integer whose set bits all have a label, joined with ", ". */
function bitFlagLabel(flags: readonly (string | undefined)[], value: unknown): string | undefined {
  const n = typeof value === "string" && value !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n >= 2 ** 31) return undefined;
  const names: string[] = [];
  for (let bit = 0, rest = n; rest !== 0; bit++, rest >>>= 1) {
    if ((rest & 1) === 0) continue;
    const name = flags[bit];
    // An unknown bit means the value is not what the table describes: show the raw value instead.
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names.join(", ");
}

/**
 * The enum label of a value, or undefined when the observation has no value table or the value
 * is not in it. RebootReason: the exact value first, else its bits 0–7 as flags ("PinReset, BOR").
 * PilotMode letters are matched case-insensitively.
 */
export function labelFor(definition: ObservationDefinition, value: unknown): string | undefined {
  const tableName = definition?.valueTable;
  if (tableName === undefined) return undefined;
  const table = COMPILED.get(tableName);
  if (table === undefined) return undefined;
  const key = keyOf(value);
  if (key === undefined) return undefined;
  const exact = table.labels.get(key);
  if (exact !== undefined) return exact;
  if (table.bitFlags) return bitFlagLabel(table.bitFlags, value);
  if (tableName === "PilotMode") return table.labels.get(key.toUpperCase());
  return undefined;
}

/** Number of phases in use for an OutputPhase value (0 for unassigned), undefined when not in the table. */
export function phaseCountFor(value: unknown): number | undefined {
  const key = keyOf(value);
  return key === undefined ? undefined : OUTPUT_PHASE.phaseCount?.get(key);
}
