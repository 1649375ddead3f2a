/**
 * The sentence of a rule problem (core/routing reports a kind and a token; locales hold easee-filter.errors.<kind>),
 * for every node that takes observation rules (easee-filter, easee-homeassistant's selection).
 */
import { ruleErrorParams, type RuleError } from "../../core/routing";
import type { Translate } from "./i18n";

/** i18n namespace of the easee-filter catalogue, so RED._ finds its rule texts from any node. */
export const FILTER_NAMESPACE = "node-red-contrib-easee-amqp/easee-filter";

export function ruleErrorText(error: RuleError, translate: Translate): string {
  return translate(`${FILTER_NAMESPACE}:easee-filter.errors.${error.kind}`, ruleErrorParams(error));
}
