/** The catalogue, seen from the filter: name lookup for rules, and the list the editor suggests from. */
import { OBSERVATIONS, findObservationByName } from "../catalogue";
import type { ObservationNameLookup } from "./ids";

export const catalogueNameLookup: ObservationNameLookup = (name) => findObservationByName(name);

export interface EditorCatalogueEntry {
  readonly id: number;
  readonly name: string;
  readonly unit: string | null;
  readonly dataType: string;
  readonly description: string;
}

/** What GET /easee/catalogue serves to the filter's edit dialog (sorted by id). */
export function editorCatalogue(): EditorCatalogueEntry[] {
  return OBSERVATIONS.map((o) => ({ id: o.id, name: o.name, unit: o.unit, dataType: o.dataType, description: o.description }));
}
