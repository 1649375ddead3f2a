/**
 * English texts of the messages `easee-filter` makes at runtime, keyed like its message catalogue
 * (locales/en-US/easee-filter.json; a unit test keeps the two equal). Used when a catalogue lookup returns the
 * key itself. Rule errors themselves come in plain English from ids.ts.
 */
export const FILTER_TEXTS: Readonly<Record<string, string>> = {
  "easee-filter.errors.invalidRule": "Rule __rule__: __reason__",
  "easee-filter.errors.noRules": "The rules are not a list",
  "easee-filter.errors.badToken": "\"__token__\" is not an observation id (120), a range (182-185) or a name (ChargerOpMode)",
  "easee-filter.warn.noObservationId": "A msg without msg.easee.observationId arrived; it matches no rule. Wire an easee-observations node to this filter.",
};
