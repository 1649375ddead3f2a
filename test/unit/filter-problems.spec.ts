/**
 * Every kind of problem compileFilter can report has a text in every language: the runtime's log line and the edit
 * dialog both show `easee-filter.errors.<kind>` (with the problem's params), never a raw key.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { compileFilter, type RuleProblem } from "../../core/routing/rules";
import { catalogueEntry } from "../../nodes/shared/i18n";

const LOCALES = path.resolve(__dirname, "..", "..", "..", "locales");

describe("filter rule problems in every language", () => {
  const cases: unknown[] = ["NoSuchName", "x!", "185-182", "99999999999", { a: 1 }];
  const problems: RuleProblem[] = [];
  for (const ids of cases) {
    const result = compileFilter({ rules: [{ ids }] }, catalogueNameLookup);
    if (!result.ok) problems.push(...result.problems);
  }
  const notAList = compileFilter({ rules: "120" }, catalogueNameLookup);
  if (!notAList.ok) problems.push(...notAList.problems);

  it("covers every kind", () => {
    assert.deepEqual([...new Set(problems.map((p) => p.kind))].sort(), ["backwardsRange", "badToken", "noRules", "tooLarge", "unknownName"]);
  });

  for (const language of fs.readdirSync(LOCALES)) {
    it(`${language}: a text for each kind, using the problem's placeholders`, () => {
      const catalogue = JSON.parse(fs.readFileSync(path.join(LOCALES, language, "easee-filter.json"), "utf8")) as Record<string, unknown>;
      for (const problem of problems) {
        const text = catalogueEntry(catalogue, `easee-filter.errors.${problem.kind}`);
        assert.equal(typeof text, "string", `${language}: easee-filter.errors.${problem.kind}`);
        for (const name of (text as string).match(/__\w+__/g) ?? []) {
          assert.ok(name.slice(2, -2) in problem.params, `${language} ${problem.kind}: ${name} has no value`);
        }
      }
    });
  }
});
