/**
 * core/ says what happened as codes and data; the words are in locales/ (en-US, de, nb) and nodes/ pick them
 * (issue 16, "Core without UI"). This reads the TypeScript sources of core/ and fails on
 *  - an i18n key of the nodes' catalogues in a string (`easee-config.status.connected`,
 *    `node-red-contrib-easee-amqp/easee-config:…`): keys belong to nodes/;
 *  - an English sentence in a string, which would reach a status, a log or node.error untranslated.
 *
 * The sentence heuristic (a grep, not a parser): every "…", '…' and `…` literal on one line, outside lines that are
 * comments, with `${…}` replaced by a placeholder, that holds three words in a row where the last two are
 * lower-case letters only ("Cannot connect to", "the queue is"). Identifiers, codes ("wrong-credentials"), URLs,
 * header names and single words never match; a message built from several short literals can slip through.
 * core/catalogue/ is left out: the observation names and descriptions there are the catalogue's data (the one
 * place they live), shown by the editor as data, not sentences the code writes.
 *
 * Log lines are codes too (core/log.ts LogEvent, worded from `easee-config.log.*`); a library's own message travels
 * as data. Programming guards throw a developer form (`prefetch=0 (integer >= 1)`), never a sentence. The command
 * table's descriptions are data of Easee's protocol and live with the catalogue (core/catalogue/commands.ts).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CORE = path.join(ROOT, "core");

/** Left out of the sentence check: data tables whose texts are the data (see above). */
const DATA_FOLDERS = ["catalogue"];

const I18N_KEY = /^(?:node-red-contrib-easee-amqp\/)?easee-[a-z-]+[.:][a-zA-Z]/;
const SENTENCE = /\b[A-Za-z][a-z']*,? [a-z']+ [a-z']+\b/;
const LITERAL = /"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\\n]|\\.)*)`/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The string literals of a source text, line by line, skipping lines that are comments. */
export function literalsOf(text: string): { line: number; value: string }[] {
  const out: { line: number; value: string }[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith("//") || line.startsWith("*") || line.startsWith("/*")) return;
    for (const match of line.matchAll(LITERAL)) out.push({ line: index + 1, value: match[1] ?? match[2] ?? match[3] ?? "" });
  });
  return out;
}

export function isSentence(value: string): boolean {
  return SENTENCE.test(value.replace(/\$\{[^}]*\}/g, "X"));
}

export function isI18nKey(value: string): boolean {
  return I18N_KEY.test(value);
}

describe("core/ writes no UI text", () => {
  const files = sourceFiles(CORE).map((file) => ({ file, name: path.relative(CORE, file).split(path.sep).join("/") }));

  it("holds no i18n key of the nodes' catalogues", () => {
    const found = files.flatMap(({ file, name }) =>
      literalsOf(fs.readFileSync(file, "utf8"))
        .filter((literal) => isI18nKey(literal.value))
        .map((literal) => `core/${name}:${literal.line} "${literal.value}"`),
    );
    assert.deepEqual(found, [], "i18n keys belong to nodes/: core reports a code");
  });

  it("writes no English sentence", () => {
    const problems: string[] = [];
    for (const { file, name } of files) {
      if (DATA_FOLDERS.includes(name.split("/")[0] ?? "")) continue;
      const sentences = literalsOf(fs.readFileSync(file, "utf8")).filter((literal) => isSentence(literal.value));
      if (sentences.length > 0) problems.push(`core/${name}:\n${sentences.map((s) => `  ${s.line}: ${s.value}`).join("\n")}`);
    }
    assert.equal(problems.join("\n"), "", "core reports codes and data; the words go to locales/ and nodes/");
  });

  it("the connection states of core/amqp and core/signalr carry codes only", () => {
    for (const name of ["amqp/states.ts", "types.ts"]) {
      const sentences = literalsOf(fs.readFileSync(path.join(CORE, name), "utf8")).filter((literal) => isSentence(literal.value));
      assert.deepEqual(sentences, [], name);
    }
  });

  it("(the heuristic itself) tells sentences and keys from codes", () => {
    assert.ok(isSentence("Cannot connect to the broker at ${where}: ${reason}"));
    assert.ok(isSentence("The queue does not exist"));
    assert.ok(!isSentence("wrong-credentials"));
    assert.ok(!isSentence("https://api.easee.com"));
    assert.ok(!isSentence("Content-Type"));
    assert.ok(!isSentence("SubscribeWithCurrentState"));
    assert.ok(isI18nKey("easee-config.status.connected"));
    assert.ok(isI18nKey("node-red-contrib-easee-amqp/easee-config:easee-config.status.idle"));
    assert.ok(!isI18nKey("easee-config"));
    assert.ok(!isI18nKey("connected"));
    assert.deepEqual(
      literalsOf('// "a comment with words in it"\nconst x = "the real one here";').map((l) => l.value),
      ["the real one here"],
    );
  });
});
