/**
 * Which kind of Easee device a serial belongs to. Chargers and Equalizers number their observations in two
 * separate id spaces that overlap (31 is IsEnabled on a charger, the L1 current on an Equalizer), so the kind
 * decides which table an observation is read with.
 */

export type DeviceKind = "charger" | "equalizer" | "unknown";

export const DEVICE_KINDS: readonly DeviceKind[] = Object.freeze(["charger", "equalizer", "unknown"]);

function isUpperLetter(code: number): boolean {
  return code >= 65 && code <= 90;
}

/**
 * `QH…` → equalizer (protocol-notes §8, pyeasee); `E` + a letter (`EH…` Home, `EC…` Charge and the other charger
 * lines) → charger; anything else → unknown. Letters are compared without regard to case, since hand-typed serials
 * (filters, test flows) are not always upper case. A character scan: this runs for every delivery.
 */
export function deviceKindOf(serial: string): DeviceKind {
  if (typeof serial !== "string" || serial.length < 3) return "unknown";
  const first = serial.charCodeAt(0) & ~32;
  const second = serial.charCodeAt(1) & ~32;
  if (first === 81 && second === 72) return "equalizer";
  if (first === 69 && isUpperLetter(second)) return "charger";
  return "unknown";
}
