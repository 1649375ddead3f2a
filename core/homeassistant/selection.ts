/**
 * Which observations become Home Assistant entities.
 * - `useful` (default): what a dashboard wants (state, power, energy, currents, voltages, limits, signal, cloud);
 * - `all`: every observation the catalogue knows (unknown ids never become entities: nothing says what they are);
 * - `list`: the ids, ranges and names the user typed, in the filter node's syntax (`120, 182-185, ChargerOpMode`).
 */
import { findObservationById, type DeviceKind } from "../catalogue";
import type { ObservationDefinition } from "../catalogue/types";
import { catalogueNameLookup } from "../routing/catalogue";
import { parseIdList, type RuleError } from "../routing/ids";
import { describeEntity } from "./entities";

export type SelectionMode = "useful" | "all" | "list";

/**
 * The observations Easee's AMQP page lists for operators (amqp-connect), without the two RFID token ones
 * (108 is 128 reversed; tokens identify people, so they are opt-in), plus a few readbacks that help on a
 * dashboard when a charger sends them (phase mode, offered and derated current, derating, operating hours).
 * Nothing tagged debug. An entity appears only once its charger sends the observation.
 */
export const USEFUL_OBSERVATION_IDS: readonly number[] = Object.freeze([
  21, 22, 23, 24, 30, 31, 38, 44, 46, 47, 48, 50, 51, 52, 80, 89, 96, 102, 103, 104, 109, 110, 111, 112, 113, 114, 115,
  116, 120, 121, 122, 124, 126, 130, 132, 141, 146, 150, 182, 183, 184, 185, 190, 191, 192, 193, 194, 195, 196, 250, 251,
]);

const USEFUL = new Set(USEFUL_OBSERVATION_IDS);

/**
 * An Equalizer's useful entities: what the energy dashboard and load balancing need (phase currents and voltages,
 * import/export power and meter readings, the current left for charging) and its cloud link.
 */
export const USEFUL_EQUALIZER_OBSERVATION_IDS: readonly number[] = Object.freeze([
  21, 31, 32, 33, 34, 35, 36, 40, 41, 45, 46, 87, 88, 89, 250, 251,
]);

const USEFUL_EQUALIZER = new Set(USEFUL_EQUALIZER_OBSERVATION_IDS);

export interface Selection {
  readonly mode: SelectionMode;
  /**
   * True when the observation becomes an entity (it must also be in the catalogue and representable).
   * `device` picks the table (ids overlap between chargers and Equalizers): the charger's unless told.
   */
  includes(observationId: number, device?: DeviceKind): boolean;
}

export type SelectionResult = { readonly ok: true; readonly selection: Selection } | { readonly ok: false; readonly error: RuleError };

function representable(
  definition: ObservationDefinition | undefined,
  device: DeviceKind,
): definition is ObservationDefinition {
  return definition !== undefined && describeEntity(definition, device) !== null;
}

export function createSelection(mode: unknown, list?: unknown): SelectionResult {
  if (mode === "all") {
    return {
      ok: true,
      selection: { mode: "all", includes: (id, device = "charger") => representable(findObservationById(id, device), device) },
    };
  }
  if (mode === "list") {
    const parsed = parseIdList(list, catalogueNameLookup);
    if (!parsed.ok) return parsed;
    const { selector } = parsed;
    return {
      ok: true,
      selection: {
        mode: "list",
        includes: (id, device = "charger") => selector.matches(id, device) && representable(findObservationById(id, device), device),
      },
    };
  }
  return {
    ok: true,
    selection: {
      mode: "useful",
      includes: (id, device = "charger") => {
        if (!(device === "equalizer" ? USEFUL_EQUALIZER : USEFUL).has(id)) return false;
        const definition = findObservationById(id, device);
        return representable(definition, device) && definition.category !== "debug";
      },
    },
  };
}
