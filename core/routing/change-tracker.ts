/**
 * `onlyOnChange` of `easee-filter`: remembers the last value per (charger, observation) and tells whether a
 * new one differs. Memory is capped: past the cap, the pair seen longest ago is forgotten, and its next value
 * counts as a change (a repeated value is cheaper to pass than a real change is to lose).
 */

export const DEFAULT_CHANGE_CAPACITY = 20_000;

/** A comparable signature of a JSON value: type-tagged so 1, "1" and true differ. */
export function valueSignature(value: unknown): string {
  switch (typeof value) {
    case "number":
      return `n${value}`;
    case "string":
      return `s${value}`;
    case "boolean":
      return value ? "t" : "f";
    case "undefined":
      return "u";
    case "object":
      if (value === null) return "z";
      try {
        return `o${JSON.stringify(value)}`;
      } catch {
        // Circular or otherwise unserialisable: never equal to anything, so it always passes.
        return `x${Math.random()}`;
      }
    default:
      return `x${Math.random()}`;
  }
}

export class ChangeTracker {
  private readonly last = new Map<string, string>();

  constructor(readonly capacity: number = DEFAULT_CHANGE_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  get size(): number {
    return this.last.size;
  }

  /** True when the value differs from the last one of this pair (or the pair is new); records it either way. */
  changed(chargerId: string, observationId: number, value: unknown): boolean {
    const key = `${chargerId}\u0000${observationId}`;
    const signature = valueSignature(value);
    const previous = this.last.get(key);
    if (previous !== undefined) {
      this.last.delete(key);
      this.last.set(key, signature);
      return previous !== signature;
    }
    this.last.set(key, signature);
    if (this.last.size > this.capacity) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
    return true;
  }

  clear(): void {
    this.last.clear();
  }
}
