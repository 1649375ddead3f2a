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

interface Entry<T> {
  readonly chargerId: string;
  readonly observationId: number;
  value: T;
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

  constructor(readonly capacity: number = DEFAULT_SNAPSHOT_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  get size(): number {
    return this.count;
  }

  set(chargerId: string, observationId: number, value: T): void {
    let perCharger = this.byCharger.get(chargerId);
    if (perCharger === undefined) {
      perCharger = new Map();
      this.byCharger.set(chargerId, perCharger);
    }
    const entry = perCharger.get(observationId);
    if (entry !== undefined) {
      entry.value = value;
      this.moveToTail(entry);
      return;
    }
    const added: Entry<T> = { chargerId, observationId, value, older: this.tail, newer: undefined };
    if (this.tail !== undefined) this.tail.newer = added;
    else this.head = added;
    this.tail = added;
    perCharger.set(observationId, added);
    this.count++;
    if (this.count > this.capacity) this.forgetOldest();
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
  }
}
