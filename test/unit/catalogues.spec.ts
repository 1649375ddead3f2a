/**
 * The German and Norwegian Bokmål catalogues and help keep up with the English ones: same keys, same placeholders,
 * status texts short enough for a node's status, help with the same sections, msg properties and links, in Node-RED's
 * help style. (What the editor shows from them is checked in Chromium by editor.spec.ts.) No browser needed.
 *
 * The folders are named `de` and `nb`: Node-RED reads `locales/<browser language>/` and, for a code with a region
 * (`de-DE`, `nb-NO`), falls back to the part before the dash.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
/** Every node type the package registers with Node-RED. */
const NODE_TYPES = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { "node-red": { nodes: Record<string, string> } })["node-red"].nodes,
);

const LOCALES = path.join(REPO_ROOT, "locales");
const TRANSLATIONS = ["de", "nb"] as const;
/** Node-RED's help headings in each language (as the core nodes' help uses them where it has them). */
const HEADINGS: Record<(typeof TRANSLATIONS)[number], Record<string, string>> = {
  de: { Properties: "Eigenschaften", Inputs: "Eingangsdaten", Outputs: "Ausgangsdaten", Details: "Details", References: "Referenzen" },
  nb: { Properties: "Egenskaper", Inputs: "Inndata", Outputs: "Utdata", Details: "Detaljer", References: "Referanser" },
};

type Json = { [key: string]: Json } | string;

function read(folder: string, file: string): string {
  return fs.readFileSync(path.join(LOCALES, folder, file), "utf8");
}

/** key path → text, for every string in a catalogue. */
function flatten(value: Json, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof value === "string") {
    out.set(prefix, value);
    return out;
  }
  for (const [key, child] of Object.entries(value)) for (const [k, v] of flatten(child, prefix ? `${prefix}.${key}` : key)) out.set(k, v);
  return out;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/__(\w+)__/g)].map((m) => m[1] ?? "").sort();
}

interface HelpShape {
  readonly names: string[];
  readonly sections: string[];
  readonly properties: string[];
  readonly ports: number;
  readonly links: string[];
}

function helpShape(html: string): HelpShape {
  const text = (s: string): string => s.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
  return {
    names: [...html.matchAll(/data-help-name="([^"]+)"/g)].map((m) => m[1] ?? ""),
    sections: [...html.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => text(m[1] ?? "")),
    // The property name is the dt's first word (its type follows in a span).
    properties: [...html.matchAll(/<dt[^>]*>([\s\S]*?)<span/g)].map((m) => text(m[1] ?? "")),
    ports: (/<ol class="node-ports">([\s\S]*?)<\/ol>/.exec(html)?.[1]?.match(/<li>/g) ?? []).length,
    links: [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1] ?? ""),
  };
}

describe("message catalogues and help in German and Norwegian Bokmål", () => {
  for (const type of NODE_TYPES) {
    const english = flatten(JSON.parse(read("en-US", `${type}.json`)) as Json);
    const englishHelp = helpShape(read("en-US", `${type}.html`));

    for (const folder of TRANSLATIONS) {
      it(`${folder}/${type}.json has every key of the English catalogue, with the same placeholders`, () => {
        const translated = flatten(JSON.parse(read(folder, `${type}.json`)) as Json);
        assert.deepEqual([...translated.keys()].sort(), [...english.keys()].sort());
        for (const [key, text] of translated) {
          assert.notEqual(text.trim(), "", `${key} is empty`);
          assert.deepEqual(placeholders(text), placeholders(english.get(key) ?? ""), `${key}: placeholders`);
        }
        const differing = [...translated].filter(([key, text]) => text !== english.get(key)).length;
        assert.ok(differing > translated.size / 2, `most texts are translated (${differing} of ${translated.size})`);
      });

      it(`${folder}/${type}.html has the English help's sections, msg properties, ports and links`, () => {
        const help = helpShape(read(folder, `${type}.html`));
        assert.deepEqual(help.names, [type]);
        assert.deepEqual(help.sections, englishHelp.sections.map((s) => HEADINGS[folder][s] ?? s));
        assert.equal(help.ports, englishHelp.ports);
        assert.deepEqual(help.links, englishHelp.links);
        if (type === "easee-config") {
          // The config node's "properties" are its dialog's fields, named as the dialog names them.
          assert.equal(help.properties.length, englishHelp.properties.length);
        } else {
          assert.deepEqual(help.properties, englishHelp.properties);
        }
      });
    }

    it(`${type}: status texts stay short (under 20 characters) in every language`, () => {
      for (const folder of ["en-US", ...TRANSLATIONS]) {
        const catalogue = flatten(JSON.parse(read(folder, `${type}.json`)) as Json);
        for (const [key, text] of catalogue) {
          if (!key.startsWith(`${type}.status.`)) continue;
          const shown = text.replace(/__\w+__/g, "123");
          assert.ok(shown.length < 20, `${folder} ${key}: "${shown}" has ${shown.length} characters`);
        }
      }
    });
  }
});
