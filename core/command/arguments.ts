/**
 * From what a flow puts in `msg.payload` to checked argument values, or a plain reason why not.
 *
 * Accepted shapes (CONTRACT.md, node easee-command):
 *   - an object keyed by the argument names of Easee's template, matched ignoring case and underscores
 *     (`{ current_amp: 13, ttlMinutes: 5 }`);
 *   - an array of values in argument order (`[13, 5]`, `[16, 0, 0]`);
 *   - one value, for a command with one argument, or whose other arguments are optional (`13`);
 *   - nothing (undefined, null, "") for a command whose arguments are all optional. An inject node's default
 *     timestamp payload is ignored for a command without arguments, so a plain inject can send Reboot.
 * Numbers may come as numeric strings ("13"), booleans as true/false, 1/0, "true"/"false", "1"/"0", "on"/"off".
 *
 * Problems are returned (never thrown) as a code plus data; the node turns them into words in the user's
 * language (locales/<lang>/easee-command.json `errors.<code>`).
 */
import { normaliseName, type CommandArgumentSpec, type CommandSpec } from "./table";

export type ArgumentValue = number | boolean | string;

/** Checked values, keyed by the template's argument name, in table order; optional ones left out are absent. */
export type CommandArguments = Readonly<Record<string, ArgumentValue>>;

export type CommandProblemCode =
  | "missing-command"
  | "unknown-command"
  | "permanent"
  | "missing-charger"
  | "invalid-charger"
  | "unknown-argument"
  | "duplicate-argument"
  | "missing-argument"
  | "too-many-arguments"
  | "single-value"
  | "not-a-number"
  | "not-whole"
  | "out-of-range"
  | "not-boolean"
  | "not-text"
  | "text-length"
  | "payload-shape";

export interface CommandProblem {
  readonly code: CommandProblemCode;
  /** Parameters for the text (`__command__`, `__argument__`, `__value__`, `__min__`, …). */
  readonly data: Readonly<Record<string, string | number>>;
}

export type ArgumentsResult =
  | { readonly ok: true; readonly arguments: CommandArguments }
  | { readonly ok: false; readonly problem: CommandProblem };

/** Longest value text shown back in an error: the payload is the user's own, but it may be huge. */
const MAX_ECHO = 40;

/**
 * The value shown back in an error: `value`, a short quote of a string, number, boolean or null; or `valueKind`, the
 * kind of anything else (`nothing`, `array`, `object`, …), which the node words (`easee-command.kind.<kind>`).
 */
function echo(value: unknown): { value: string } | { valueKind: string } {
  if (typeof value === "string") return { value: JSON.stringify(value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value) };
  if (value === null || typeof value === "number" || typeof value === "boolean") return { value: String(value) };
  if (value === undefined) return { valueKind: "nothing" };
  return { valueKind: Array.isArray(value) ? "array" : typeof value };
}

function problem(code: CommandProblemCode, data: Record<string, string | number>): ArgumentsResult {
  return { ok: false, problem: { code, data } };
}

/** The argument names; "" for a command without arguments (the node says "none" in the user's words). */
function argumentList(command: CommandSpec): string {
  return command.arguments.map((arg) => arg.name).join(", ");
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

const TRUE_TEXT = new Set(["true", "1", "on", "yes"]);
const FALSE_TEXT = new Set(["false", "0", "off", "no"]);

/** One value checked against its argument: the checked value, or the problem. */
export function checkArgument(
  command: CommandSpec,
  spec: CommandArgumentSpec,
  value: unknown,
): { ok: true; value: ArgumentValue } | { ok: false; problem: CommandProblem } {
  const base = { command: command.name, argument: spec.name, ...echo(value) };
  const fail = (code: CommandProblemCode, extra: Record<string, string | number> = {}) => ({
    ok: false as const,
    problem: { code, data: { ...base, ...extra } },
  });
  switch (spec.type) {
    case "Boolean": {
      if (typeof value === "boolean") return { ok: true, value };
      if (value === 1 || value === 0) return { ok: true, value: value === 1 };
      if (typeof value === "string" && value.length <= 10) {
        const text = value.trim().toLowerCase();
        if (TRUE_TEXT.has(text)) return { ok: true, value: true };
        if (FALSE_TEXT.has(text)) return { ok: true, value: false };
      }
      return fail("not-boolean");
    }
    case "String": {
      if (typeof value !== "string" && typeof value !== "number") return fail("not-text");
      const text = String(value);
      const min = spec.minLength ?? 0;
      const max = spec.maxLength ?? 256;
      if (text.length < min || text.length > max) return fail("text-length", { min, max });
      return { ok: true, value: text };
    }
    case "Integer":
    case "Double": {
      let number: number;
      if (typeof value === "number") number = value;
      else if (typeof value === "string" && value.trim() !== "" && value.length <= 32) number = Number(value.trim());
      else return fail("not-a-number");
      if (!Number.isFinite(number)) return fail("not-a-number");
      if (spec.type === "Integer" && !Number.isInteger(number)) return fail("not-whole", { unit: spec.unit ?? "" });
      const min = spec.min ?? -2147483648;
      const max = spec.max ?? 2147483647;
      if (number < min || number > max) return fail("out-of-range", { min, max, unit: spec.unit ?? "" });
      return { ok: true, value: number };
    }
  }
}

/** `msg.payload` → checked arguments of `command`. */
export function normaliseArguments(command: CommandSpec, payload: unknown): ArgumentsResult {
  const specs = command.arguments;
  const required = specs.filter((spec) => spec.optional !== true);
  const given = new Map<CommandArgumentSpec, unknown>();

  if (specs.length === 0) {
    // Nothing to send: only an explicit list of values is a mistake worth telling (an inject's timestamp is not).
    const hasValues =
      (Array.isArray(payload) && payload.length > 0) ||
      (typeof payload === "object" && payload !== null && !Array.isArray(payload) && Object.keys(payload).length > 0);
    if (hasValues) return problem("too-many-arguments", { command: command.name, expected: 0, given: Array.isArray(payload) ? payload.length : Object.keys(payload as object).length, arguments: "none" });
    return { ok: true, arguments: {} };
  }

  if (Array.isArray(payload)) {
    if (payload.length > specs.length) {
      return problem("too-many-arguments", { command: command.name, expected: specs.length, given: payload.length, arguments: argumentList(command) });
    }
    payload.forEach((value, index) => {
      const spec = specs[index];
      if (spec && !isEmpty(value)) given.set(spec, value);
    });
  } else if (typeof payload === "object" && payload !== null) {
    if (Buffer.isBuffer(payload)) return problem("payload-shape", { command: command.name, arguments: argumentList(command) });
    const byName = new Map(specs.map((spec) => [normaliseName(spec.name), spec]));
    for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
      const spec = byName.get(normaliseName(key.length > 100 ? key.slice(0, 100) : key));
      if (!spec) {
        return problem("unknown-argument", {
          command: command.name,
          argument: key.length > MAX_ECHO ? `${key.slice(0, MAX_ECHO)}…` : key,
          arguments: argumentList(command),
        });
      }
      if (given.has(spec)) return problem("duplicate-argument", { command: command.name, argument: spec.name });
      if (!isEmpty(value)) given.set(spec, value);
    }
  } else if (!isEmpty(payload)) {
    // One value: the first argument, when every other one may be left out.
    const first = specs[0] as CommandArgumentSpec;
    if (required.length > 1) {
      return problem("single-value", { command: command.name, arguments: argumentList(command), expected: required.length });
    }
    given.set(first, payload);
  }

  for (const spec of required) {
    if (!given.has(spec)) {
      return problem("missing-argument", { command: command.name, argument: spec.name, arguments: argumentList(command) });
    }
  }
  const out: Record<string, ArgumentValue> = {};
  for (const spec of specs) {
    if (!given.has(spec)) continue;
    const checked = checkArgument(command, spec, given.get(spec));
    if (!checked.ok) return { ok: false, problem: checked.problem };
    out[spec.name] = checked.value;
  }
  return { ok: true, arguments: out };
}

/** Charger serials go into the routing key: letters and digits only (no dots, no wildcards), at most 32. */
export function checkChargerId(value: unknown): { ok: true; chargerId: string } | { ok: false; problem: CommandProblem } {
  if (isEmpty(value)) return { ok: false, problem: { code: "missing-charger", data: {} } };
  if (typeof value !== "string" || !/^[A-Za-z0-9]{1,32}$/.test(value.trim())) {
    return { ok: false, problem: { code: "invalid-charger", data: echo(value) } };
  }
  return { ok: true, chargerId: value.trim().toUpperCase() };
}
