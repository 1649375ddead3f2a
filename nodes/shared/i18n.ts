/**
 * Runtime texts (errors, warnings, statuses) in the user's language, with the package's own English catalogue
 * behind them. RED._ answers with the key itself when it has no catalogue for it: a runtime that has not loaded
 * ours (node-red-node-test-helper never does). The English catalogue shipped beside the nodes is then read
 * directly, so a user (or a test) sees a sentence, never a key, and the sentence exists in one place only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeAPI } from "node-red";

export type TextParams = Readonly<Record<string, string | number>>;
export type Translate = (key: string, params?: TextParams) => string;

/** The build copies locales/ beside the compiled nodes (dist/nodes/locales), where Node-RED looks for them. */
const ENGLISH_DIR = path.join(__dirname, "..", "locales", "en-US");

const englishCatalogues = new Map<string, unknown>();

function englishCatalogue(file: string): unknown {
  if (!englishCatalogues.has(file)) {
    let catalogue: unknown = {};
    try {
      catalogue = JSON.parse(fs.readFileSync(path.join(ENGLISH_DIR, `${file}.json`), "utf8"));
    } catch {
      // No catalogue beside the nodes (a build without assets): the key is the best that can be shown.
    }
    englishCatalogues.set(file, catalogue);
  }
  return englishCatalogues.get(file);
}

/** The entry at a dotted key (`easee-filter.errors.badToken`) of a message catalogue, or undefined. */
export function catalogueEntry(catalogue: unknown, key: string): unknown {
  let entry = catalogue;
  for (const part of key.split(".")) {
    entry = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
  }
  return entry;
}

/** The English text of `key` ("easee-filter.errors.noRules"; a "module/set:" namespace prefix is ignored). */
export function englishText(key: string): string | undefined {
  const bare = key.slice(key.indexOf(":") + 1);
  const [file] = bare.split(".", 1);
  if (!file) return undefined;
  const text = catalogueEntry(englishCatalogue(file), bare);
  return typeof text === "string" ? text : undefined;
}

/** Fills Node-RED/i18next style `__name__` parameters; unknown names stay as written. */
export function fillText(template: string, params: TextParams = {}): string {
  return template.replace(/__([A-Za-z]+)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** RED._, falling back to the English catalogue when RED._ has none. */
export function translator(RED: NodeAPI): Translate {
  return (key, params = {}) => {
    const text = RED._(key, params as Record<string, string | number>);
    if (text !== key) return text;
    const english = englishText(key);
    return english === undefined ? text : fillText(english, params);
  };
}
