/**
 * The words for a decode problem (core/decode reports a code and data; issue 16, core without UI text). The
 * texts are in the easee-observations catalogue, `easee-observations.decode.*`.
 */
import type { DecodeError } from "../../core/types";
import type { Translate } from "./i18n";

/** Params that are ids with their own words: `field` → decode.field.<id>, and so on. */
const WORDED_PARAMS: Readonly<Record<string, string>> = { field: "field", type: "type", missing: "missing", expected: "expected" };

export function decodeErrorText(error: DecodeError, t: Translate): string {
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(error.problem.params ?? {})) {
    const group = WORDED_PARAMS[name];
    params[name] = group !== undefined && typeof value === "string" ? t(`easee-observations.decode.${group}.${value}`) : value;
  }
  let text = t(`easee-observations.decode.${error.problem.code}`, params);
  if (error.observationId !== undefined) text = t("easee-observations.decode.observation", { id: error.observationId, reason: text });
  if (error.method !== undefined) text = `${error.method}: ${text}`;
  return text;
}
