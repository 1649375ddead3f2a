/**
 * Last value of every (charger, observation) seen since deploy, for the `snapshot` input.
 * One entry per pair, so memory grows with chargers x observations; a hard cap protects against a stream of
 * made-up serials or ids: past it, the pair updated longest ago is forgotten.
 *
 * `set` runs for every delivery, so it does no string building and no Map reordering: entries are found through
 * a Map per charger, and kept in update order on a linked list through the entries themselves (a move to the
 * tail is four pointer writes). Before, a `${chargerId}\0${id}` key and a Map delete + re-insert cost about 4 %
 * of the CPU time per message (bench/run.ts --cpu-prof).
 */

export const DEFAULT_SNAPSHOT_CAPACITY = 20_000;
/**
 * Memory the cached values may take in all (estimated). Entry counts alone did not bound it: 20,000 String values
 * of 256 KB each (the body limit) are 10 GB (issue 12).
 */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 32 * 1024 * 1024;

export interface LastValueCacheOptions<T> {
  /** Estimated bytes of all values together; past it the pairs updated longest ago are forgotten. */
  readonly maxBytes?: number;
  /** Estimated bytes of one value (default: every value counts 0, so only the entry count bounds the cache). */
  readonly sizeOf?: (value: T) => number;
}

interface Entry<T> {
  readonly chargerId: string;
  readonly observationId: number;
  value: T;
  bytes: number;
  /** Updated earlier (towards the head, the next to forget) / later. */
  older: Entry<T> | undefined;
  newer: Entry<T> | undefined;
}

export class LastValueCache<T> {
  private readonly byCharger = new Map<string, Map<number, Entry<T>>>();
  /** Updated longest ago. */
  private head: Entry<T> | undefined;
  /** Updated last. */
  private tail: Entry<T> | undefined;
  private count = 0;
  private totalBytes = 0;
  readonly maxBytes: number;
  private readonly sizeOf: ((value: T) => number) | undefined;

  constructor(
    readonly capacity: number = DEFAULT_SNAPSHOT_CAPACITY,
    options: LastValueCacheOptions<T> = {},
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity=${capacity} (>= 1)`);
    this.maxBytes = options.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
    this.sizeOf = options.sizeOf;
  }

  get size(): number {
    return this.count;
  }

  /** Estimated bytes of all values held. */
  get bytes(): number {
    return this.totalBytes;
  }

  set(chargerId: string, observationId: number, value: T): void {
    let perCharger = this.byCharger.get(chargerId);
    if (perCharger === undefined) {
      perCharger = new Map();
      this.byCharger.set(chargerId, perCharger);
    }
    const bytes = this.sizeOf === undefined ? 0 : this.sizeOf(value);
    const entry = perCharger.get(observationId);
    if (entry !== undefined) {
      entry.value = value;
      this.totalBytes += bytes - entry.bytes;
      entry.bytes = bytes;
      this.moveToTail(entry);
      this.trim();
      return;
    }
    const added: Entry<T> = { chargerId, observationId, value, bytes, older: this.tail, newer: undefined };
    if (this.tail !== undefined) this.tail.newer = added;
    else this.head = added;
    this.tail = added;
    perCharger.set(observationId, added);
    this.count++;
    this.totalBytes += bytes;
    this.trim();
  }

  /** Forgets the pairs updated longest ago while over the entry cap or the byte budget; the newest always stays. */
  private trim(): void {
    while (this.count > 1 && (this.count > this.capacity || this.totalBytes > this.maxBytes)) this.forgetOldest();
  }

  get(chargerId: string, observationId: number): T | undefined {
    return this.byCharger.get(chargerId)?.get(observationId)?.value;
  }

  /** Every last value, ordered by charger serial, then observation id (stable output for users). */
  values(): T[] {
    const entries: Entry<T>[] = [];
    for (let entry = this.head; entry !== undefined; entry = entry.newer) entries.push(entry);
    return entries
      .sort((a, b) =>
        a.chargerId < b.chargerId ? -1 : a.chargerId > b.chargerId ? 1 : a.observationId - b.observationId,
      )
      .map((entry) => entry.value);
  }

  clear(): void {
    this.byCharger.clear();
    this.head = undefined;
    this.tail = undefined;
    this.count = 0;
    this.totalBytes = 0;
  }

  private moveToTail(entry: Entry<T>): void {
    if (entry === this.tail) return;
    // Not the tail, so `newer` is set.
    const newer = entry.newer as Entry<T>;
    if (entry.older !== undefined) entry.older.newer = newer;
    else this.head = newer;
    newer.older = entry.older;
    entry.older = this.tail;
    entry.newer = undefined;
    if (this.tail !== undefined) this.tail.newer = entry;
    this.tail = entry;
  }

  private forgetOldest(): void {
    const oldest = this.head;
    if (oldest === undefined) return;
    this.head = oldest.newer;
    if (this.head !== undefined) this.head.older = undefined;
    else this.tail = undefined;
    oldest.newer = undefined;
    const perCharger = this.byCharger.get(oldest.chargerId);
    perCharger?.delete(oldest.observationId);
    if (perCharger !== undefined && perCharger.size === 0) this.byCharger.delete(oldest.chargerId);
    this.count--;
    this.totalBytes -= oldest.bytes;
  }
}
