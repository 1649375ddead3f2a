/**
 * The edit dialogs' checks, from the very code the runtime runs: core/routing (the filter's rules) and
 * core/observations/topic (the topic template), bundled by scripts/bundle-editor.js into
 * resources/easee-amqp-editor.js, which Node-RED serves at resources/node-red-contrib-easee-amqp/… and the
 * dialogs load. So a rule the runtime refuses is refused in the dialog, with the same reason.
 * Runs in the browser: it only publishes `EaseeAmqpEditor` on the page's global object.
 */
import { findObservationById } from "../../core/catalogue";
import { parseChargerFilter } from "../../core/observations/chargers";
import { parseSilenceMinutes } from "../../core/observations/presence";
import { compileTopicTemplate, type TopicFields } from "../../core/observations/topic";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { compileFilter, type RuleProblem } from "../../core/routing/rules";

export type RuleCheck =
  | { readonly ok: true; readonly matches: string }
  | { readonly ok: false; readonly problem: RuleProblem; readonly problems: readonly RuleProblem[] };

/** Every problem of a rules list, as the runtime would report it (empty when the rules compile). */
export function ruleProblems(rules: unknown): readonly RuleProblem[] {
  const compiled = compileFilter({ rules }, catalogueNameLookup);
  return compiled.ok ? [] : compiled.problems;
}

/** One wording for a rule's part, typed as an id or a name: "TotalPower (120, kW)", "182–185", "Observation157". */
function describeToken(token: string): string {
  if (/^\d+-\d+$/.test(token)) return token.replace("-", "–");
  if (/^\d+$/.test(token)) {
    const known = findObservationById(Number(token));
    return known ? `${known.name} (${token}${known.unit ? `, ${known.unit}` : ""})` : token;
  }
  const found: unknown = catalogueNameLookup(token);
  const first = (Array.isArray(found) ? found[0] : found) as { id: number; name: string; device?: string } | undefined;
  if (first === undefined) return token; // Observation157: an id the catalogue does not know
  // The unit from the name's own table (ids overlap between chargers and Equalizers); Equalizer names say so.
  const device = first.device === "equalizer" ? "equalizer" : "charger";
  const unit = findObservationById(first.id, device)?.unit;
  return `${first.name} (${device === "equalizer" ? "Equalizer " : ""}${first.id}${unit ? `, ${unit}` : ""})`;
}

/** One rule's text, checked as the runtime checks it: what it matches, or every problem it has. */
export function checkRule(text: unknown): RuleCheck {
  const compiled = compileFilter({ rules: [{ ids: text }] }, catalogueNameLookup);
  if (!compiled.ok) return { ok: false, problem: compiled.problems[0] as RuleProblem, problems: compiled.problems };
  const selector = compiled.filter.selectors[0];
  const normalised = selector === undefined || selector.empty ? "" : selector.text;
  return { ok: true, matches: normalised === "" ? "" : normalised.split(", ").map(describeToken).join(", ") };
}

/** True when the runtime takes this `silenceMinutes` (empty means the default, 20). */
export function silenceMinutesValid(value: unknown): boolean {
  return parseSilenceMinutes(typeof value === "string" ? value.trim() : value) !== undefined;
}

/** The topic an observation with `example`'s fields gets from `template`, and the placeholders that are not ours. */
export function topicPreview(template: unknown, example: TopicFields): { topic: string; unknown: readonly string[] } {
  const compiled = compileTopicTemplate(typeof template === "string" ? template : undefined);
  return { topic: compiled.render(example), unknown: compiled.unknownPlaceholders };
}

/** The serials a `chargers` field passes, as the runtime reads it (upper case, no repeats; empty: every charger). */
export function chargerSerials(text: unknown): readonly string[] {
  return parseChargerFilter(typeof text === "string" ? text : "").serials;
}

/** The little of jQuery the chargers field uses: the editor page's own jQuery (no typings are shipped for it here). */
interface FieldElement {
  val(): unknown;
  text(value: string): unknown;
  on(events: string, handler: () => void): unknown;
  autoComplete?(options: { minLength: number; search(value: string): { value: string; label: string }[] }): unknown;
}
interface PageJquery {
  readonly fn: { readonly autoComplete?: unknown };
  getJSON(url: string): { done(callback: (data: unknown) => void): unknown };
}
/** The node being edited: its `_` translates in the node's own catalogue. */
interface EditedNode {
  _(key: string, params?: Record<string, string>): string;
}

/**
 * The chargers field, the same in the observations and filter dialogs: suggestions of the serials seen on the stream
 * (GET easee/chargers) and a preview of what passes, read by chargerSerials (the runtime's own parser).
 * `prefix` is the node type whose catalogue has `label.chargersAll` and `label.chargersUnseen`.
 */
export function chargersField(node: EditedNode, input: FieldElement, preview: FieldElement, prefix: string): void {
  const jquery = (globalThis as { $?: PageJquery }).$;
  let seen: string[] = [];
  const serials = (): string[] => chargerSerials(input.val()).slice();
  const update = (): void => {
    const list = serials();
    if (list.length === 0) {
      preview.text(node._(`${prefix}.label.chargersAll`));
      return;
    }
    const unseen = seen.length === 0 ? [] : list.filter((serial) => !seen.includes(serial));
    const note = unseen.length > 0 ? ` · ${node._(`${prefix}.label.chargersUnseen`, { serials: unseen.join(", ") })}` : "";
    preview.text(`→ ${list.join(", ")}${note}`);
  };
  if (jquery?.fn.autoComplete && input.autoComplete) {
    input.autoComplete({
      minLength: 0,
      search(value: string) {
        const cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(" "));
        const head = cut === -1 ? "" : value.slice(0, cut + 1).replace(/,$/, ", ");
        const needle = value.slice(cut + 1).trim().toUpperCase();
        const chosen = serials();
        return seen
          .filter((serial) => serial.includes(needle) && !chosen.includes(serial))
          .slice(0, 20)
          .map((serial) => ({ value: head + serial, label: serial }));
      },
    });
  }
  input.on("input change keyup", update);
  update();
  jquery?.getJSON("easee/chargers").done((data) => {
    const chargers = (data as { chargers?: unknown } | null)?.chargers;
    if (Array.isArray(chargers)) {
      seen = chargers.map(String);
      update();
    }
  });
}

(globalThis as { EaseeAmqpEditor?: unknown }).EaseeAmqpEditor = Object.freeze({ ruleProblems, checkRule, topicPreview, chargerSerials, silenceMinutesValid, chargersField });
