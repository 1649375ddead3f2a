/**
 * The rule set of `easee-filter`: one output per rule, an optional `otherwise` output, check-all or first match.
 * Like the core switch node, rules are compiled once at deploy; routing a msg is a set lookup per rule.
 */
import { DEVICE_KINDS, type DeviceKind } from "../catalogue/devices";
import { parseIdList, type IdSelector, type ObservationNameLookup, type RuleError } from "./ids";

export interface FilterRuleDef {
  readonly ids?: unknown;
}

export interface FilterOptions {
  readonly rules?: unknown;
  readonly otherwise?: unknown;
  readonly checkall?: unknown;
}

export interface CompiledFilter {
  readonly selectors: readonly IdSelector[];
  readonly otherwise: boolean;
  readonly checkall: boolean;
  /** Rules plus one for otherwise. */
  readonly outputs: number;
}

export type CompileResult =
  | { readonly ok: true; readonly filter: CompiledFilter }
  | { readonly ok: false; /** 0-based rule index */ readonly rule: number; readonly error: RuleError };

/** Node-RED saves checkboxes as booleans, but flows written by hand (and the core switch) use "true"/"false". */
export function flag(value: unknown, fallback: boolean): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return fallback;
}

export function ruleList(rules: unknown): FilterRuleDef[] {
  if (!Array.isArray(rules)) return [{ ids: "" }];
  return rules.map((rule: unknown) => (rule !== null && typeof rule === "object" ? (rule as FilterRuleDef) : { ids: rule }));
}

export function compileFilter(options: FilterOptions, lookup: ObservationNameLookup): CompileResult {
  const selectors: IdSelector[] = [];
  const rules = ruleList(options.rules);
  for (let i = 0; i < rules.length; i++) {
    const parsed = parseIdList(rules[i]?.ids, lookup);
    if (!parsed.ok) return { ok: false, rule: i, error: parsed.error };
    selectors.push(parsed.selector);
  }
  const otherwise = flag(options.otherwise, false);
  return {
    ok: true,
    filter: { selectors, otherwise, checkall: flag(options.checkall, true), outputs: selectors.length + (otherwise ? 1 : 0) },
  };
}

/**
 * The output ports a msg with this observation id goes to (ascending). An id that is not a usable number
 * matches no rule, so it goes to `otherwise` when there is one (as the switch node does with a missing property).
 */
export function routeObservation(filter: CompiledFilter, observationId: number | undefined, device?: DeviceKind): number[] {
  const ports: number[] = [];
  if (observationId !== undefined) {
    const { selectors } = filter;
    for (let i = 0; i < selectors.length; i++) {
      if (selectors[i]?.matches(observationId, device)) {
        ports.push(i);
        if (!filter.checkall) break;
      }
    }
  }
  if (ports.length === 0 && filter.otherwise) ports.push(filter.selectors.length);
  return ports;
}

/** `msg.easee.observationId` as a number, accepting an integer string; undefined when there is none. */
export function observationIdOf(msg: unknown): number | undefined {
  if (msg === null || typeof msg !== "object") return undefined;
  const easee = (msg as { easee?: unknown }).easee;
  if (easee === null || typeof easee !== "object") return undefined;
  const id = (easee as { observationId?: unknown }).observationId;
  if (typeof id === "number") return Number.isInteger(id) ? id : undefined;
  if (typeof id === "string" && /^\d+$/.test(id.trim())) return Number(id.trim());
  return undefined;
}

/** `msg.easee.chargerId` when it is a string. */
export function chargerIdOf(msg: unknown): string | undefined {
  if (msg === null || typeof msg !== "object") return undefined;
  const easee = (msg as { easee?: unknown }).easee;
  if (easee === null || typeof easee !== "object") return undefined;
  const id = (easee as { chargerId?: unknown }).chargerId;
  return typeof id === "string" ? id : undefined;
}

/** `msg.easee.device` when it is one of the kinds; undefined otherwise (names then match as on a charger). */
export function deviceOf(msg: unknown): DeviceKind | undefined {
  if (msg === null || typeof msg !== "object") return undefined;
  const easee = (msg as { easee?: unknown }).easee;
  if (easee === null || typeof easee !== "object") return undefined;
  const device = (easee as { device?: unknown }).device;
  return typeof device === "string" && (DEVICE_KINDS as readonly string[]).includes(device) ? (device as DeviceKind) : undefined;
}
