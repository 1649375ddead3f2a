/**
 * A short, printable preview of a body that could not be decoded, for error messages and
 * `msg.payload` of the error msg. Bytes that are not printable UTF-8 text are shown as `\xNN`.
 * Only used on the error path, so clarity beats speed here.
 */

export const PREVIEW_MAX_CHARS = 200;
const ELLIPSIS = "…";

function hex2(byte: number): string {
  return (byte < 16 ? "\\x0" : "\\x") + byte.toString(16).toUpperCase();
}

function escapeCodePoint(cp: number): string | undefined {
  if (cp === 0x0a) return "\\n";
  if (cp === 0x0d) return "\\r";
  if (cp === 0x09) return "\\t";
  if (cp < 0x20 || cp === 0x7f) return hex2(cp);
  // C1 controls, line/paragraph separators and unpaired surrogates print badly or not at all.
  if ((cp >= 0x80 && cp < 0xa0) || cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp <= 0xdfff)) {
    return "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
  }
  return undefined;
}

/** Length in bytes and code point of a well-formed UTF-8 sequence at `i`, or undefined. */
function utf8At(bytes: Uint8Array, i: number): { size: number; cp: number } | undefined {
  const b0 = bytes[i];
  let size: number;
  let cp: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    size = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return undefined;
  }
  if (i + size > bytes.length) return undefined;
  for (let k = 1; k < size; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return undefined;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return { size, cp };
}

/** Appends pieces up to the limit; ends with "…" when something had to be left out. */
class Builder {
  text = "";
  /** Length of `text` at the last piece boundary that still leaves room for the ellipsis. */
  private cut = 0;
  full = false;

  add(piece: string): void {
    if (this.text.length + piece.length > PREVIEW_MAX_CHARS) {
      this.text = this.text.slice(0, this.cut) + ELLIPSIS;
      this.full = true;
      return;
    }
    this.text += piece;
    if (this.text.length <= PREVIEW_MAX_CHARS - ELLIPSIS.length) this.cut = this.text.length;
  }
}

function previewBytes(bytes: Uint8Array): string {
  const out = new Builder();
  let i = 0;
  while (i < bytes.length && !out.full) {
    const b = bytes[i];
    if (b < 0x80) {
      out.add(escapeCodePoint(b) ?? String.fromCharCode(b));
      i += 1;
      continue;
    }
    const seq = utf8At(bytes, i);
    if (seq === undefined) {
      out.add(hex2(b));
      i += 1;
      continue;
    }
    out.add(escapeCodePoint(seq.cp) ?? String.fromCodePoint(seq.cp));
    i += seq.size;
  }
  return out.text;
}

function previewString(text: string): string {
  const out = new Builder();
  let i = 0;
  while (i < text.length && !out.full) {
    const cp = text.codePointAt(i) as number;
    const size = cp > 0xffff ? 2 : 1;
    out.add(escapeCodePoint(cp) ?? text.slice(i, i + size));
    i += size;
  }
  return out.text;
}

/** At most 200 characters describing `body` (bytes or text); "" for anything else. Never throws. */
export function previewOf(body: unknown): string {
  try {
    if (body instanceof Uint8Array) return previewBytes(body);
    if (typeof body === "string") return previewString(body);
    return "";
  } catch {
    return "";
  }
}
