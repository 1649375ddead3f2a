/**
 * The words for what the Easee API client reports (core/easee-api EaseeApiError: a text id and data; issue 16,
 * core without UI text). The texts are in the easee-config catalogue, `easee-config.api.*`, so every node (the
 * config node, its admin endpoint, easee-command's send errors) says the same in the user's language.
 */
import { EaseeApiError, NETWORK_CODES, type ApiText } from "../../core/easee-api";
import { HubUrlError } from "../../core/signalr/hub-url";
import type { Translate } from "./i18n";
import { CONFIG_NAMESPACE } from "./status";

const apiKey = (key: string): string => `${CONFIG_NAMESPACE}:easee-config.api.${key}`;

/** The network part of "Cannot reach the Easee API at … : …": a known code in words, else the code as it is. */
function networkText(code: string, t: Translate): string {
  if (NETWORK_CODES.includes(code)) return t(apiKey(`network.${code}`));
  return code ? t(apiKey("network.other"), { code }) : t(apiKey("network.none"));
}

export function apiText(text: ApiText, t: Translate): string {
  const params: Record<string, string | number> = { ...text.params };
  if (typeof params.request === "string") params.request = t(apiKey(`request.${params.request}`));
  if (typeof params.network === "string") params.network = networkText(params.network, t);
  return t(apiKey(`text.${text.id}`), params);
}

/**
 * An error in the user's words: an EaseeApiError worded from its text id, a HubUrlError from its problem
 * (`easee-config.hub-url.<problem>`); any other error keeps its message.
 */
export function errorText(error: unknown, t: Translate): string {
  if (error instanceof EaseeApiError) return apiText(error.text, t);
  if (error instanceof HubUrlError) return t(`${CONFIG_NAMESPACE}:easee-config.hub-url.${error.problem}`, error.params);
  return error instanceof Error ? error.message : String(error);
}
