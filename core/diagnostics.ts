/**
 * Text for developers, never for users (issue 16: users read codes worded in nodes/): an error's own message, and
 * the one compact form every core error and decode problem uses for `Error.message` and logs,
 * `EaseeApiError wrong-credentials status=401`.
 */

/** The message of anything thrown (an Error's message, else its string form). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `head key=value …`: the words of `head` (a class name, a code) followed by each param. */
export function developerForm(head: readonly string[], params: Readonly<Record<string, string | number>> = {}): string {
  return [...head, ...Object.entries(params).map(([key, value]) => `${key}=${String(value)}`)].join(" ");
}
