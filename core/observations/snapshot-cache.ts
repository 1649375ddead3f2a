/**
 * Last value of every (charger, observation) seen since deploy, for the `snapshot` input.
 * One entry per pair, so memory grows with chargers x observations; a hard cap protects against a stream of
 * made-up serials or ids: past it, the pair updated longest ago is forgotten.
 */

export const DEFAULT_SNAPSHOT_CAPACITY = 20_000;

interface Entry<T> {
  readonly chargerId: string;
  readonly observationId: number;
  value: T;
}

export class LastValueCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(readonly capacity: number = DEFAULT_SNAPSHOT_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  get size(): number {
    return this.entries.size;
  }

  set(chargerId: string, observationId: number, value: T): void {
    const key = `${chargerId}\u0000${observationId}`;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      // Re-inserted so the Map's order stays "least recently updated first".
      this.entries.delete(key);
      entry.value = value;
      this.entries.set(key, entry);
      return;
    }
    this.entries.set(key, { chargerId, observationId, value });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  get(chargerId: string, observationId: number): T | undefined {
    return this.entries.get(`${chargerId}\u0000${observationId}`)?.value;
  }

  /** Every last value, ordered by charger serial, then observation id (stable output for users). */
  values(): T[] {
    return [...this.entries.values()]
      .sort((a, b) =>
        a.chargerId < b.chargerId ? -1 : a.chargerId > b.chargerId ? 1 : a.observationId - b.observationId,
      )
      .map((entry) => entry.value);
  }

  clear(): void {
    this.entries.clear();
  }
}
