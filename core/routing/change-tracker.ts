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

/** Memory the remembered signatures may take in all (estimated, UTF-16): entry counts alone did not bound it. */
export const DEFAULT_CHANGE_MAX_BYTES = 16 * 1024 * 1024;

interface Remembered {
  readonly signature: string;
  /** Device time of the remembered value (epoch ms), NaN when unknown. */
  readonly timestampMs: number;
}

export class ChangeTracker {
  private readonly last = new Map<string, Remembered>();
  private totalBytes = 0;

  constructor(
    readonly capacity: number = DEFAULT_CHANGE_CAPACITY,
    readonly maxBytes: number = DEFAULT_CHANGE_MAX_BYTES,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity=${capacity} (>= 1)`);
  }

  get size(): number {
    return this.last.size;
  }

  /** Estimated bytes of the remembered signatures. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * True when the value differs from the last one of this pair (or the pair is new); records it either way.
   * With device times (`timestampMs`, epoch ms): a value older than the remembered one is late (CONTRACT.md): it is
   * no change and is not remembered, so the newer value stays the reference.
   */
  changed(chargerId: string, observationId: number, value: unknown, timestampMs: number = NaN): boolean {
    const key = `${chargerId}\u0000${observationId}`;
    const previous = this.last.get(key);
    if (previous !== undefined && timestampMs === timestampMs && previous.timestampMs === previous.timestampMs && timestampMs < previous.timestampMs) {
      return false;
    }
    const signature = valueSignature(value);
    const keepTime = timestampMs === timestampMs ? timestampMs : previous !== undefined ? previous.timestampMs : NaN;
    if (previous !== undefined) {
      this.last.delete(key);
      this.totalBytes -= (key.length + previous.signature.length) * 2;
    }
    this.last.set(key, { signature, timestampMs: keepTime });
    this.totalBytes += (key.length + signature.length) * 2;
    // Past either cap the pair seen longest ago is forgotten (Map order is insertion order); the newest stays.
    while (this.last.size > 1 && (this.last.size > this.capacity || this.totalBytes > this.maxBytes)) {
      const oldest = this.last.entries().next();
      if (oldest.done === true) break;
      this.last.delete(oldest.value[0]);
      this.totalBytes -= (oldest.value[0].length + oldest.value[1].signature.length) * 2;
    }
    return previous === undefined || previous.signature !== signature;
  }

  clear(): void {
    this.last.clear();
    this.totalBytes = 0;
  }
}
