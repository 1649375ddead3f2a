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

/** What a charger serial looks like (Easee: `EH123456`, Equalizers `QH…`); anything else is not remembered. */
const SERIAL = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The serials seen on the stream, for the editor's suggestions in the `chargers` fields. Bounded: past `capacity`
 * the oldest is forgotten, so a flood of made-up serials costs a fixed amount of memory.
 */
export class SeenChargers {
  private readonly serials = new Set<string>();

  constructor(private readonly capacity = 500) {}

  /** Remembers a serial; cheap for one already known (the common case: every msg of a known charger). */
  note(serial: unknown): void {
    if (typeof serial !== "string" || this.serials.has(serial) || !SERIAL.test(serial)) return;
    this.serials.add(serial);
    if (this.serials.size > this.capacity) {
      const oldest = this.serials.values().next().value;
      if (oldest !== undefined) this.serials.delete(oldest);
    }
  }

  /** The serials, sorted. */
  list(): string[] {
    return [...this.serials].sort();
  }

  clear(): void {
    this.serials.clear();
  }
}
