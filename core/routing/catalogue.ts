/** The catalogue, seen from the filter: name lookup for rules, and the list the editor suggests from. */
import { EQUALIZER_OBSERVATIONS, OBSERVATIONS, findObservationByName, type ObservationDefinition } from "../catalogue";
import type { NamedObservation, ObservationNameLookup } from "./ids";

/**
 * A name in the charger table, the Equalizer table, or both (`LEDMode` is 46 on a charger, 100 on an Equalizer):
 * each hit matches its id on its own kind of device only.
 */
export const catalogueNameLookup: ObservationNameLookup = (name) => {
  const hits: NamedObservation[] = [];
  const charger = findObservationByName(name, "charger");
  if (charger !== undefined) hits.push({ id: charger.id, name: charger.name, device: "charger" });
  const equalizer = findObservationByName(name, "equalizer");
  if (equalizer !== undefined) hits.push({ id: equalizer.id, name: equalizer.name, device: "equalizer" });
  return hits.length > 0 ? hits : undefined;
};

export interface EditorCatalogueEntry {
  readonly id: number;
  readonly name: string;
  readonly unit: string | null;
  readonly dataType: string;
  readonly description: string;
}

function entryOf(o: ObservationDefinition): EditorCatalogueEntry {
  return { id: o.id, name: o.name, unit: o.unit, dataType: o.dataType, description: o.description };
}

/** What GET /easee/catalogue serves to the filter's edit dialog as `observations`: the charger table, sorted by id. */
export function editorCatalogue(): EditorCatalogueEntry[] {
  return OBSERVATIONS.map(entryOf);
}

/** … and as `equalizerObservations`: the Equalizer table (same shape; the editor marks them as Equalizer names). */
export function editorEqualizerCatalogue(): EditorCatalogueEntry[] {
  return EQUALIZER_OBSERVATIONS.map(entryOf);
}
