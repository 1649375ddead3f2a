/**
 * The backlog guard of `easee-observations`: a classic queue keeps what arrived while Node-RED was down and
 * delivers it all on reconnect. `ArrivalTime` (cloud arrival) tells how old each delivery really is.
 */

/** `maxAgeSeconds` from the node definition: a finite number >= 0, else undefined (invalid). */
export function parseMaxAgeSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return 0;
  const seconds = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return seconds;
}

/** Age in milliseconds judged by the ArrivalTime (ISO 8601); undefined when absent or unreadable. */
export function arrivalAgeMs(arrivalTime: string | undefined, nowMs: number): number | undefined {
  if (arrivalTime === undefined) return undefined;
  const at = Date.parse(arrivalTime);
  return Number.isNaN(at) ? undefined : nowMs - at;
}

/**
 * True when the delivery should be dropped. Deliveries without an ArrivalTime are kept: their age is unknown,
 * and dropping live data on a guess would be worse than passing a stale value.
 */
export function isTooOld(arrivalTime: string | undefined, maxAgeSeconds: number, nowMs: number): boolean {
  if (!(maxAgeSeconds > 0)) return false;
  const age = arrivalAgeMs(arrivalTime, nowMs);
  return age !== undefined && age > maxAgeSeconds * 1000;
}
