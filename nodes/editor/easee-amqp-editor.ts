/**
 * The edit dialogs' checks, from the very code the runtime runs: core/routing (the filter's rules) and
 * core/observations/topic (the topic template), bundled by scripts/bundle-editor.js into
 * resources/easee-amqp-editor.js, which Node-RED serves at resources/node-red-contrib-easee-amqp/… and the
 * dialogs load. So a rule the runtime refuses is refused in the dialog, with the same reason.
 * Runs in the browser: it only publishes `EaseeAmqpEditor` on the page's global object.
 */
import { findObservationById } from "../../core/catalogue";
import { compileTopicTemplate, type TopicFields } from "../../core/observations/topic";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { compileFilter, type RuleProblem } from "../../core/routing/rules";

export type RuleCheck = { readonly ok: true; readonly matches: string } | { readonly ok: false; readonly problem: RuleProblem };

/** Every problem of a rules list, as the runtime would report it (empty when the rules compile). */
export function ruleProblems(rules: unknown): readonly RuleProblem[] {
  const compiled = compileFilter({ rules }, catalogueNameLookup);
  return compiled.ok ? [] : compiled.problems;
}

function describeToken(token: string): string {
  if (/^\d+-\d+$/.test(token)) return token.replace("-", "–");
  if (/^\d+$/.test(token)) {
    const known = findObservationById(Number(token));
    return known ? `${token} ${known.name}${known.unit ? ` (${known.unit})` : ""}` : token;
  }
  const found: unknown = catalogueNameLookup(token);
  const first = (Array.isArray(found) ? found[0] : found) as { id: number; name: string; device?: string } | undefined;
  if (first === undefined) return token; // Observation157: an id the catalogue does not know
  // Units come from the charger table; a name of another device's table is shown with its id only.
  const unit = first.device === undefined || first.device === "charger" ? findObservationById(first.id)?.unit : undefined;
  return `${first.name} (${first.id}${unit ? `, ${unit}` : ""})`;
}

/** One rule's text, checked as the runtime checks it: what it matches, or its first problem. */
export function checkRule(text: unknown): RuleCheck {
  const compiled = compileFilter({ rules: [{ ids: text }] }, catalogueNameLookup);
  if (!compiled.ok) return { ok: false, problem: compiled.problems[0] as RuleProblem };
  const selector = compiled.filter.selectors[0];
  const normalised = selector === undefined || selector.empty ? "" : selector.text;
  return { ok: true, matches: normalised === "" ? "" : normalised.split(", ").map(describeToken).join(", ") };
}

/** The topic an observation with `example`'s fields gets from `template`, and the placeholders that are not ours. */
export function topicPreview(template: unknown, example: TopicFields): { topic: string; unknown: readonly string[] } {
  const compiled = compileTopicTemplate(typeof template === "string" ? template : undefined);
  return { topic: compiled.render(example), unknown: compiled.unknownPlaceholders };
}

(globalThis as { EaseeAmqpEditor?: unknown }).EaseeAmqpEditor = Object.freeze({ ruleProblems, checkRule, topicPreview });
