/**
 * One filter rule's text: observation ids, ranges and names, comma-separated.
 * `"120, 121"`, `"182-185"`, `"ChargerOpMode, 96"`, `"Observation157"` (the name unknown ids decode to).
 * Names are looked up in the catalogue without regard to case; anything unreadable is an error with a plain
 * message, never a guess.
 */

import type { DeviceKind } from "../catalogue/devices";

/** An observation a name stands for. With `device`, the name matches that id on that kind of device only. */
export interface NamedObservation {
  readonly id: number;
  readonly name: string;
  readonly device?: DeviceKind;
}

/**
 * Finds an observation by name, case-insensitively (the catalogue's findObservationByName). A name can stand for
 * an observation in several tables (`LEDMode` is 46 on a charger and 100 on an Equalizer): then a list.
 */
export type ObservationNameLookup = (name: string) => NamedObservation | readonly NamedObservation[] | undefined;

export type RuleErrorKind = "unknownName" | "badToken" | "backwardsRange" | "tooLarge";

export interface RuleError {
  readonly kind: RuleErrorKind;
  /** The part of the rule text that is wrong, as typed. The nodes word it by `kind` (locales: easee-filter.errors). */
  readonly token: string;
}

export interface IdSelector {
  /** The rule text, normalised: tokens trimmed, names spelled as in the catalogue. */
  readonly text: string;
  readonly ids: ReadonlySet<number>;
  readonly ranges: readonly (readonly [number, number])[];
  /** Ids named for one kind of device (names resolve per table: ActivePowerImport is 40 on an Equalizer only). */
  readonly deviceIds: ReadonlyMap<DeviceKind, ReadonlySet<number>>;
  /** True when the rule lists nothing (matches no observation). */
  readonly empty: boolean;
  /** Numbers and ranges match on every device; names on the device they name (a charger when `device` is not given). */
  matches(observationId: number, device?: DeviceKind): boolean;
}

export type IdListResult =
  | { readonly ok: true; readonly selector: IdSelector }
  | {
      readonly ok: false;
      /** The first problem. */
      readonly error: RuleError;
      /** Every problem in the text, in the order typed: a user fixes them all in one go. */
      readonly errors: readonly RuleError[];
    };

/** Larger ids are surely typos; Easee ids are below 1000 and the wire format carries 32-bit integers. */
export const MAX_OBSERVATION_ID = 2_147_483_647;

const ID = /^\d+$/;
const RANGE = /^(\d+)\s*-\s*(\d+)$/;
const UNKNOWN_NAME = /^observation(\d+)$/i;
const NAME_LIKE = /^[A-Za-z_][A-Za-z0-9_ ]*$/;

type TokenResult =
  | { readonly id: number; readonly text: string }
  | { readonly named: readonly NamedObservation[]; readonly text: string }
  | { readonly range: readonly [number, number]; readonly text: string }
  | { readonly error: RuleError };

function error(kind: RuleErrorKind, token: string): { error: RuleError } {
  return { error: { kind, token } };
}

function toId(digits: string, token: string): number | { error: RuleError } {
  const id = Number(digits);
  if (!Number.isSafeInteger(id) || id > MAX_OBSERVATION_ID) {
    return error("tooLarge", token);
  }
  return id;
}

function parseToken(token: string, lookup: ObservationNameLookup): TokenResult {
  if (ID.test(token)) {
    const id = toId(token, token);
    return typeof id === "number" ? { id, text: String(id) } : id;
  }
  const range = RANGE.exec(token);
  if (range) {
    const from = toId(range[1] ?? "", token);
    if (typeof from !== "number") return from;
    const to = toId(range[2] ?? "", token);
    if (typeof to !== "number") return to;
    if (from > to) return error("backwardsRange", token);
    return { range: [from, to], text: `${from}-${to}` };
  }
  const found = lookup(token);
  const named: readonly NamedObservation[] = found === undefined ? [] : Array.isArray(found) ? found : [found as NamedObservation];
  if (named.length > 0) return { named, text: (named[0] as NamedObservation).name };
  const unknownId = UNKNOWN_NAME.exec(token);
  if (unknownId) {
    const id = toId(unknownId[1] ?? "", token);
    return typeof id === "number" ? { id, text: `Observation${id}` } : id;
  }
  if (NAME_LIKE.test(token)) {
    return error("unknownName", token);
  }
  return error("badToken", token);
}

function makeSelector(
  text: string,
  ids: Set<number>,
  ranges: (readonly [number, number])[],
  deviceIds: Map<DeviceKind, Set<number>>,
): IdSelector {
  const empty = ids.size === 0 && ranges.length === 0 && deviceIds.size === 0;
  const anyDevice =
    ranges.length === 0
      ? (observationId: number) => ids.has(observationId)
      : (observationId: number) => {
          if (ids.has(observationId)) return true;
          for (const [from, to] of ranges) if (observationId >= from && observationId <= to) return true;
          return false;
        };
  return {
    text,
    ids,
    ranges,
    deviceIds,
    empty,
    matches:
      deviceIds.size === 0
        ? anyDevice
        : (observationId: number, device: DeviceKind = "charger") =>
            anyDevice(observationId) || deviceIds.get(device)?.has(observationId) === true,
  };
}

export function parseIdList(text: unknown, lookup: ObservationNameLookup): IdListResult {
  const source = typeof text === "string" ? text : typeof text === "number" ? String(text) : "";
  const ids = new Set<number>();
  const ranges: (readonly [number, number])[] = [];
  const deviceIds = new Map<DeviceKind, Set<number>>();
  const normalised: string[] = [];
  const errors: RuleError[] = [];
  for (const raw of source.split(",")) {
    const token = raw.trim();
    if (token === "") continue;
    let result = parseToken(token, lookup);
    if ("error" in result && /\s/.test(token) && !RANGE.test(token)) {
      // "120 121" or "TotalPower SessionEnergy": forgive a missing comma when every word reads on its own.
      const words = token.split(/\s+/).map((word) => parseToken(word, lookup));
      const wordError = words.find((word): word is { error: RuleError } => "error" in word);
      if (!wordError) {
        for (const word of words) addToken(word);
        continue;
      }
      result = wordError.error.kind === "unknownName" && result.error.kind === "unknownName" ? result : wordError;
    }
    if ("error" in result) errors.push(result.error);
    else addToken(result);
  }
  const [first] = errors;
  if (first !== undefined) return { ok: false, error: first, errors };
  return { ok: true, selector: makeSelector(normalised.join(", "), ids, ranges, deviceIds) };

  function addToken(token: TokenResult): void {
    if ("id" in token) ids.add(token.id);
    else if ("range" in token) ranges.push(token.range);
    else if ("named" in token) {
      for (const { id, device } of token.named) {
        if (device === undefined) {
          ids.add(id);
          continue;
        }
        let set = deviceIds.get(device);
        if (set === undefined) deviceIds.set(device, (set = new Set()));
        set.add(id);
      }
    } else return;
    normalised.push(token.text);
  }
}
