/**
 * The charger filter of `easee-observations`: a comma-separated list of serials, empty = every charger.
 * Serials are compared without regard to case (`eh123456` matches `EH123456`).
 */

export interface ChargerFilter {
  /** Upper-cased serials, in the order typed; empty when every charger passes. */
  readonly serials: readonly string[];
  readonly passesAll: boolean;
  matches(chargerId: string): boolean;
}

export function parseChargerFilter(text: string | undefined | null): ChargerFilter {
  // A Set, not serials.includes: a long pasted list would otherwise cost quadratic time (issue 12).
  const set = new Set<string>();
  for (const token of String(text ?? "").split(/[\s,;]+/)) {
    const serial = token.trim().toUpperCase();
    if (serial !== "") set.add(serial);
  }
  const serials = [...set];
  if (serials.length === 0) return { serials, passesAll: true, matches: () => true };
  return {
    serials,
    passesAll: false,
    // Exact hit first: serials on the wire are upper case already, so the common case allocates nothing.
    matches: (chargerId: string) => set.has(chargerId) || set.has(chargerId.toUpperCase()),
  };
}
