/**
 * English texts of the messages `easee-observations` makes at runtime, keyed like its message catalogue
 * (locales/en-US/easee-observations.json; a unit test keeps the two equal). Used when a catalogue lookup
 * returns the key itself: no catalogue loaded, or the test runtime, whose RED._ returns keys.
 */
export const OBSERVATIONS_TEXTS: Readonly<Record<string, string>> = {
  "easee-observations.status.rate": "__rate__ msg/s",
  "easee-observations.status.rateDropped": "__rate__/s, __dropped__ old",
  "easee-observations.errors.missingConfig": "No easee-config node is selected: open this node and pick one.",
  "easee-observations.errors.undecodable": "Undecodable delivery: __reason__",
  "easee-observations.errors.registerFailed": "Could not subscribe to the easee-config node: __reason__",
  "easee-observations.warn.droppedOld": "Dropped __count__ deliveries older than __seconds__ s by ArrivalTime (__total__ since deploy)",
  "easee-observations.warn.invalidMaxAge": "maxAgeSeconds \"__value__\" is not a number of seconds >= 0: keeping every delivery",
  "easee-observations.warn.unknownPlaceholder": "The topic template has unknown placeholders (__names__); they stay in the topic as typed",
  "easee-observations.warn.unknownInput": "Ignored an input msg: send msg.topic \"snapshot\" to get the last value of every observation",
  "easee-observations.log.snapshot": "Snapshot: sent __count__ last values",
};

/** Fills Node-RED/i18next style `__name__` parameters. */
export function fillText(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/__([A-Za-z]+)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
