/**
 * The documentation that is generated from the code: docs/observations.md must list the catalogue
 * as it is, so a catalogue change without `npm run docs` fails here.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { OBSERVATIONS } from "../../core/catalogue";
import { OBSERVATIONS_DOC_PATH, updateObservationsDoc } from "../../scripts/observations-doc";

describe("docs/observations.md", () => {
  const committed = fs.readFileSync(OBSERVATIONS_DOC_PATH, "utf8");

  it("is what `npm run docs` generates from core/catalogue (run it after changing the catalogue)", () => {
    assert.equal(committed, updateObservationsDoc(committed), "docs/observations.md is out of date: run `npm run docs`");
  });

  it("has one row per catalogue observation", () => {
    for (const observation of OBSERVATIONS) {
      assert.ok(committed.includes(`| ${observation.id} | ${observation.name} |`), `row for ${observation.id}`);
    }
  });

  it("notices a catalogue that differs from the file", () => {
    const stale = committed.replace("| 120 | TotalPower |", "| 120 | TotalPowerOld |");
    assert.notEqual(updateObservationsDoc(stale), stale);
  });
});

describe("README.md and docs/", () => {
  const root = path.join(__dirname, "..", "..", "..");
  const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
  const pages = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...fs.readdirSync(path.join(root, "docs")).map((f) => `docs/${f}`)];

  it("keep the README a five-minute read (at most 300 lines) showing the two commands", () => {
    const readme = read("README.md");
    assert.ok(readme.split("\n").length <= 300, `README.md has ${readme.split("\n").length} lines`);
    assert.ok(readme.includes("npm install && npm start"));
    assert.ok(readme.includes("npm install && npm test"));
  });

  it("link every docs page from the README", () => {
    const readme = read("README.md");
    for (const page of pages.filter((p) => p.startsWith("docs/"))) {
      assert.ok(readme.includes(`](${page})`), `README.md links ${page}`);
    }
  });

  it("have no relative link to a file that does not exist", () => {
    // Markdown links `](target)`; only relative file targets are checked, anchors and web addresses are not.
    const link = /\]\(([^()\s]+)\)/g;
    for (const page of pages) {
      for (const match of read(page).matchAll(link)) {
        const target = match[1].split("#")[0];
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        const resolved = path.join(root, path.dirname(page), target);
        assert.ok(fs.existsSync(resolved), `${page} links ${match[1]}, which does not exist`);
      }
    }
  });
});
