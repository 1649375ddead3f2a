/**
 * The rule set of `easee-filter`: one output per rule, an optional `otherwise` output, check-all or first match.
 * Like the core switch node, rules are compiled once at deploy; routing a msg is a set lookup per rule.
 */
import { DEVICE_KINDS, type DeviceKind } from "../catalogue/devices";
import { parseChargerFilter, type ChargerFilter } from "../observations/chargers";
import { parseIdList, type IdSelector, type ObservationNameLookup, type RuleError } from "./ids";

export interface FilterRuleDef {
  readonly ids?: unknown;
}

export interface FilterOptions {
  readonly rules?: unknown;
  readonly otherwise?: unknown;
  readonly checkall?: unknown;
  /** Comma-separated charger serials; empty passes every charger. Applies before the rules. */
  readonly chargers?: unknown;
}

export interface CompiledFilter {
  readonly selectors: readonly IdSelector[];
  readonly otherwise: boolean;
  readonly checkall: boolean;
  /** Which chargers' msgs the filter looks at all; the others go to no output (not even otherwise). */
  readonly chargers: ChargerFilter;
  /** Rules plus one for otherwise. */
  readonly outputs: number;
}

/**
 * Something wrong with one rule, for the runtime's log and the edit dialog alike (both translate it by `kind`
 * with `params`, falling back to `message`). `noRules`: the rules are not a list at all.
 */
export interface RuleProblem {
  /** 0-based rule index. */
  readonly rule: number;
  readonly kind: RuleError["kind"] | "noRules";
  /** The part of the rule that is wrong, as typed ("" for `noRules`). */
  readonly token: string;
  /** Placeholders of the translated text: `token`, and for a backwards range `fixed` (the range turned round). */
  readonly params: Readonly<Record<string, string>>;
}

export type CompileResult =
  | { readonly ok: true; readonly filter: CompiledFilter }
  | {
      readonly ok: false;
      /** Every problem, the rules' shape first; the node reports the first, the dialog marks each rule. */
      readonly problems: readonly RuleProblem[];
    };

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

/**
 * Rules in a shape the editor never writes (hand-edited or imported flows), which would otherwise become empty rules
 * that silently pass nothing: rules that are not a list, or ids that are neither text nor a number.
 */
function ruleShapeProblems(rules: unknown): RuleProblem[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) return [{ rule: 0, kind: "noRules", token: "", params: {} }];
  const problems: RuleProblem[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule: unknown = rules[i];
    const ids = rule !== null && typeof rule === "object" && !Array.isArray(rule) ? (rule as { ids?: unknown }).ids : rule;
    if (ids === undefined || ids === null || typeof ids === "string" || typeof ids === "number") continue;
    let token: string;
    try {
      token = JSON.stringify(ids) ?? String(ids);
    } catch {
      token = Object.prototype.toString.call(ids);
    }
    if (token.length > 60) token = `${token.slice(0, 57)}…`;
    problems.push({ rule: i, kind: "badToken", token, params: { token } });
  }
  return problems;
}

function problemOf(rule: number, error: RuleError): RuleProblem {
  return { rule, kind: error.kind, token: error.token, params: ruleErrorParams(error) };
}

/** The placeholders of a rule error's text (locales: easee-filter.errors.<kind>): the token, and a backwards range turned round. */
export function ruleErrorParams(error: RuleError): Readonly<Record<string, string>> {
  const params: Record<string, string> = { token: error.token };
  if (error.kind === "backwardsRange") {
    params.fixed = error.token
      .split("-")
      .map((part) => part.trim())
      .reverse()
      .join("-");
  }
  return params;
}

/** The rules compiled, or every problem they have: the one check the runtime and the edit dialog share. */
export function compileFilter(options: FilterOptions, lookup: ObservationNameLookup): CompileResult {
  const selectors: IdSelector[] = [];
  const problems = ruleShapeProblems(options.rules);
  const rules = ruleList(options.rules);
  for (let i = 0; i < rules.length; i++) {
    const parsed = parseIdList(rules[i]?.ids, lookup);
    if (parsed.ok) selectors.push(parsed.selector);
    // Every problem of the rule, so one edit fixes them all.
    else for (const error of parsed.errors) problems.push(problemOf(i, error));
  }
  if (problems.length > 0) return { ok: false, problems };
  const otherwise = flag(options.otherwise, false);
  const chargers = parseChargerFilter(typeof options.chargers === "string" ? options.chargers : "");
  return {
    ok: true,
    filter: {
      selectors,
      otherwise,
      checkall: flag(options.checkall, true),
      chargers,
      outputs: selectors.length + (otherwise ? 1 : 0),
    },
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

/**
 * True when the filter looks at this msg at all: its charger is one of the filter's (or the filter names none).
 * A msg without a charger passes only a filter that names none.
 */
export function passesChargers(filter: CompiledFilter, chargerId: string | undefined): boolean {
  if (filter.chargers.passesAll) return true;
  return chargerId !== undefined && filter.chargers.matches(chargerId);
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
