/**
 * docs/observations.md lists every observation and value table of core/catalogue. The lists are
 * generated from the catalogue (the one place the data lives), between two marker lines, so the
 * text around them stays hand-written. `npm run docs` rewrites them; test/unit/docs.spec.ts fails
 * when the committed file is out of date.
 */
import fs from "node:fs";
import path from "node:path";
import { EQUALIZER_OBSERVATIONS, OBSERVATIONS, VALUE_TABLES } from "../core/catalogue";
import type { ValueTable } from "../core/catalogue";

// Compiled to dist/scripts/, so the repository root is two folders up.
export const OBSERVATIONS_DOC_PATH = path.join(__dirname, "..", "..", "docs", "observations.md");

export const BEGIN_MARKER = "<!-- BEGIN generated from core/catalogue by `npm run docs`: do not edit by hand -->";
export const END_MARKER = "<!-- END generated -->";

/** Markdown table cells: a `|` would end the cell, a line break the row. */
function cell(text: string | number | null | undefined): string {
  return String(text ?? "").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function row(cells: readonly (string | number | null | undefined)[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

function observationTable(): string[] {
  const lines = [
    `### All ${OBSERVATIONS.length} observations`,
    "",
    row(["id", "name", "type", "unit", "category", "table", "description"]),
    "|---|---|---|---|---|---|---|",
  ];
  for (const o of OBSERVATIONS) {
    lines.push(row([o.id, o.name, o.dataType, o.unit, o.category, o.valueTable, o.description]));
  }
  return lines;
}

/** The Equalizer's own table (serials `QH…`): its ids overlap the charger's with other meanings. */
function equalizerTable(): string[] {
  const lines = [
    `### All ${EQUALIZER_OBSERVATIONS.length} Equalizer observations`,
    "",
    "Read for serials starting `QH` (msg.easee.device `equalizer`); the same ids mean other things on a charger.",
    "",
    row(["id", "name", "type", "unit", "category", "table", "description"]),
    "|---|---|---|---|---|---|---|",
  ];
  for (const o of EQUALIZER_OBSERVATIONS) {
    lines.push(row([o.id, o.name, o.dataType, o.unit, o.category, o.valueTable, o.description]));
  }
  return lines;
}

function usersOf(table: ValueTable): string {
  const charger = OBSERVATIONS.filter((o) => o.valueTable === table.name).map((o) => `${o.id} ${o.name}`);
  const equalizer = EQUALIZER_OBSERVATIONS.filter((o) => o.valueTable === table.name).map((o) => `Equalizer ${o.id} ${o.name}`);
  return [...charger, ...equalizer].join(", ");
}

function valueTables(): string[] {
  const lines = [`### The ${Object.keys(VALUE_TABLES).length} value tables`, ""];
  for (const table of Object.values(VALUE_TABLES)) {
    lines.push(`#### ${table.name}`, "", `Used by: ${usersOf(table)}.`, "", row(["value", "label"]), "|---|---|");
    for (const [value, label] of Object.entries(table.labels)) lines.push(row([`\`${value}\``, label]));
    if (table.phaseCount) {
      const counts = Object.entries(table.phaseCount).map(([value, phases]) => `${value} → ${phases}`);
      lines.push("", `Phases in use by value: ${counts.join(", ")}.`);
    }
    if (table.bitFlags) {
      const flags = Object.entries(table.bitFlags).map(([bit, label]) => `bit ${bit} ${label}`);
      lines.push("", `A value not in the table is read as bit flags: ${flags.join(", ")}.`);
    }
    lines.push("");
  }
  return lines;
}

/** The generated part, markers included. */
export function renderGeneratedSection(): string {
  return [BEGIN_MARKER, "", ...observationTable(), "", ...equalizerTable(), "", ...valueTables(), END_MARKER].join("\n");
}

/** The document with its generated part replaced by the catalogue's current content. */
export function updateObservationsDoc(document: string): string {
  const begin = document.indexOf(BEGIN_MARKER);
  const end = document.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`docs/observations.md has lost its markers (${BEGIN_MARKER})`);
  return document.slice(0, begin) + renderGeneratedSection() + document.slice(end + END_MARKER.length);
}

if (require.main === module) {
  const before = fs.readFileSync(OBSERVATIONS_DOC_PATH, "utf8");
  const after = updateObservationsDoc(before);
  if (after === before) {
    console.log("docs/observations.md is up to date");
  } else {
    fs.writeFileSync(OBSERVATIONS_DOC_PATH, after);
    console.log("docs/observations.md rewritten from core/catalogue");
  }
}
