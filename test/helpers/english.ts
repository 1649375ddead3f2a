/**
 * The English a user sees for what core reports as codes and data, from the shipped en-US catalogue (the same
 * path as a runtime without our catalogue loaded: nodes/shared/i18n.ts).
 */
import type { StatusDetail } from "../../core/types";
import { englishText, fillText } from "../../nodes/shared/i18n";
import { detailText } from "../../nodes/shared/status";

export function englishDetail(detail: StatusDetail | undefined): string {
  if (detail === undefined) return "";
  return detailText(detail, (key, params) => fillText(englishText(key) ?? key, params));
}
