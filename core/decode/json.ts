/**
 * JSON parsing with the limits every delivery gets: a nesting limit (deep structures would make
 * Node-RED's recursive msg cloning blow the stack further down the flow) and no exceptions escaping.
 */

/** Objects/arrays nested deeper than this are refused. Real Easee payloads are a few levels deep. */
export const MAX_NESTING = 32;

/**
 * Whether brackets in `text` nest deeper than `max`, counting only those outside JSON strings.
 * Text shorter than the limit cannot nest that deep, which skips the scan for most bodies' values.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  const len = text.length;
  if (len <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return false;
}

/**
 * Cheap pre-check for nestsDeeperThan: nesting deeper than `max` needs more than `max` opening
 * brackets. Counting them with indexOf (native, vectorised) costs far less than the character loop,
 * and a typical body has one.
 */
export function mayNestDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let count = 0;
  for (let i = text.indexOf("{"); i !== -1; i = text.indexOf("{", i + 1)) if (++count > max) return true;
  for (let i = text.indexOf("["); i !== -1; i = text.indexOf("[", i + 1)) if (++count > max) return true;
  return false;
}

/** Marker for "not JSON", so a parsed `null` stays distinguishable from a failure. */
export const NOT_JSON: unique symbol = Symbol("not JSON");

/** `JSON.parse`, or NOT_JSON when the text is not JSON or nests too deeply. */
export function parseJson(text: string): unknown {
  if (mayNestDeeperThan(text, MAX_NESTING) && nestsDeeperThan(text, MAX_NESTING)) return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** Whether the first non-blank character is `{` or `[` (so the text may be a JSON object or array). */
export function looksLikeJsonContainer(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 123 || c === 91;
  }
  return false;
}
