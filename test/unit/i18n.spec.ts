/**
 * Runtime texts: RED._ first, the English catalogue shipped beside the nodes when RED._ has nothing, and every
 * key the node code asks for present in every language.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeAPI } from "node-red";
import { englishText, fillText, translator } from "../../nodes/shared/i18n";
import { lookup, readCatalogue } from "../helpers/flows";

/** dist/test/unit → the repository root, where the node sources are. */
const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const LANGUAGES = fs.readdirSync(path.join(REPO_ROOT, "locales"));

/** The bit of NodeAPI a translator uses. Only RED._ is read; the cast says so. */
function fakeRed(translate: (key: string, params?: Record<string, unknown>) => string): NodeAPI {
  return { _: translate } as unknown as NodeAPI;
}

/** The literal keys in t("…") calls of the node sources (the calls that go through the translator). */
function keysUsedByNodes(): { file: string; key: string }[] {
  const used: { file: string; key: string }[] = [];
  const dir = path.join(REPO_ROOT, "nodes");
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const source = fs.readFileSync(path.join(dir, file), "utf8");
    for (const match of source.matchAll(/\bt\("(easee-[a-z-]+\.[A-Za-z0-9.-]+)"/g)) used.push({ file, key: match[1] as string });
  }
  return used;
}

describe("runtime texts (nodes/shared/i18n)", () => {
  it("fills __name__ parameters and leaves unknown ones as written", () => {
    assert.equal(fillText("__rate__/s, __dropped__ old", { rate: 42, dropped: "3k" }), "42/s, 3k old");
    assert.equal(fillText("__missing__", {}), "__missing__");
  });

  it("uses RED._ when it knows the key", () => {
    const t = translator(fakeRed((key) => (key === "easee-filter.errors.noRules" ? "Die Regeln sind keine Liste" : key)));
    assert.equal(t("easee-filter.errors.noRules"), "Die Regeln sind keine Liste");
  });

  it("falls back to the shipped English catalogue when RED._ answers with the key", () => {
    const t = translator(fakeRed((key) => key));
    assert.equal(t("easee-filter.errors.invalidRule", { rule: 2, reason: "nope" }), "Rule 2: nope");
    assert.equal(t("easee-observations.log.snapshot", { count: 3 }), fillText(String(lookup(readCatalogue("easee-observations"), "easee-observations.log.snapshot")), { count: 3 }));
    // A key qualified with another node set's namespace (how statuses of the config node are asked for).
    assert.equal(t("node-red-contrib-easee-amqp/easee-config:easee-config.status.connected"), englishText("easee-config.status.connected"));
    assert.ok((englishText("easee-config.status.connected") ?? "").length > 0);
  });

  it("shows the key when no catalogue has it (never throws)", () => {
    const t = translator(fakeRed((key) => key));
    assert.equal(t("easee-filter.errors.noSuchKey"), "easee-filter.errors.noSuchKey");
    assert.equal(t("no-such-file.key"), "no-such-file.key");
    assert.equal(t(""), "");
  });

  it("every key the node code asks for is in every language's catalogue", () => {
    const used = keysUsedByNodes();
    // A sanity check that the calls are found at all (the filter's error kinds are checked in filter-problems.spec.ts).
    assert.ok(used.length > 15, `found the t("…") calls: ${used.length}`);
    for (const language of LANGUAGES) {
      for (const { file, key } of used) {
        const catalogueFile = key.split(".")[0] as string;
        assert.equal(typeof lookup(readCatalogue(catalogueFile, language), key), "string", `${language}: ${key} (asked for in nodes/${file})`);
      }
    }
  });
});
