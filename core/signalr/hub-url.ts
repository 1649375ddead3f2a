/** The SignalR hub URL of the config node, checked (issue 12: bounded before parsing; issue 16: problems as codes). */
import { developerForm } from "../diagnostics";
import { MAX_API_URL_CHARS, trimTrailingSlashes } from "../easee-api/responses";

/** What is wrong with a hub URL (the node words it from `easee-config.hub-url.<problem>`). */
export type HubUrlProblem = "too-long" | "not-valid" | "scheme" | "credentials" | "fragment";

export class HubUrlError extends RangeError {
  constructor(
    readonly problem: HubUrlProblem,
    /** `length` (too-long) or `url` (not-valid, at most 100 characters). */
    readonly params: Readonly<Record<string, string | number>> = {},
  ) {
    // A developer form for logs; the user reads the node's words.
    super(developerForm(["HubUrlError", problem], params));
    this.name = "HubUrlError";
  }
}

/** The hub URL, checked: http(s) or ws(s), no credentials, no fragment, no trailing slash. Throws HubUrlError. */
export function normaliseHubUrl(value: string): string {
  const raw = typeof value === "string" ? value : "";
  // Bounded before parsing, like the API URL (issue 12): a real hub URL is about 40 characters.
  if (raw.length > MAX_API_URL_CHARS) throw new HubUrlError("too-long", { length: raw.length });
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HubUrlError("not-valid", { url: text.slice(0, 100) });
  }
  if (!/^(https?|wss?):$/.test(url.protocol)) throw new HubUrlError("scheme");
  if (url.username !== "" || url.password !== "") throw new HubUrlError("credentials");
  if (url.hash !== "") throw new HubUrlError("fragment");
  // A backwards scan, not /\/+$/: that is quadratic on "//…/x" (issue 12).
  return trimTrailingSlashes(url.toString());
}
