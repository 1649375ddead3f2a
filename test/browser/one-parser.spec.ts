/**
 * One parser: the filter and observations dialogs check with the runtime's own core code (bundled into
 * resources/easee-amqp-editor.js by scripts/bundle-editor.js), so whatever the runtime refuses the dialog refuses
 * too, with the same reason, and the topic preview is the topic the runtime builds.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { compileTopicTemplate } from "../../core/observations/topic";
import { catalogueNameLookup } from "../../core/routing/catalogue";
import { compileFilter, type RuleProblem } from "../../core/routing/rules";
import { catalogueEntry } from "../../nodes/shared/i18n";
import { EditorPage, REPO_ROOT, launchEditorBrowser, startEditorInstance, type EditorBrowser, type EditorInstance } from "./harness";

const ENGLISH = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "locales", "en-US", "easee-filter.json"), "utf8")) as Record<string, unknown>;

/** What the runtime says about a problem (nodes/easee-filter.ts): the English catalogue text with its placeholders. */
function runtimeReason(problem: RuleProblem): string {
  const text = catalogueEntry(ENGLISH, `easee-filter.errors.${problem.kind}`);
  assert.equal(typeof text, "string", `no English text for ${problem.kind}`);
  return Object.entries(problem.params).reduce((out, [name, value]) => out.split(`__${name}__`).join(value), text as string);
}

/** Rule texts a user may type: good ones, and each way the runtime refuses one (1 MB of text included). */
const RULE_TEXTS = [
  "120",
  "120, 121",
  "182-185",
  "185-182",
  "totalpower",
  "ChargerOpModeX",
  "TotalPower SessionEnergy",
  "TotalPower Nope",
  "Observation157",
  "x!",
  "120;121",
  "99999999999",
  "constructor",
  "__proto__",
  "120-",
  "",
];

/** Rules values as a flow file may hold them (hand-edited or imported); the dialog never writes most of these. */
const RULE_LISTS: unknown[] = [
  [{ ids: "120" }, { ids: "182-185" }],
  [{ ids: "120" }, { ids: "NoSuchThing" }],
  "120",
  [{ ids: { a: 1 } }],
  [{ ids: ["120"] }, { ids: "185-182" }],
  [true, { ids: 120 }],
  [{ ids: `${"1,".repeat(500_000)}x` }],
];

describe("one parser: the dialogs check with the runtime's code (headless Chromium)", function () {
  this.timeout(60_000);
  let instance: EditorInstance;
  let browser: EditorBrowser;
  let editor: EditorPage;

  before(async function () {
    this.timeout(120_000);
    instance = await startEditorInstance();
    browser = await launchEditorBrowser("en-US");
    editor = await EditorPage.open(browser, instance.url);
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await instance?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await editor.screenshot(`FAILED-one-parser-${this.currentTest.title.slice(0, 40)}`).catch(() => undefined);
    while (await editor.page.isVisible("#node-config-dialog-cancel, #node-dialog-cancel")) await editor.closeDialog("cancel");
    assert.deepEqual(editor.takeProblems(), [], "no console errors, page errors or requests to the internet");
  });

  it("loads the bundled core code from the package's resources/ folder", async () => {
    const response = await editor.page.request.get(new URL("resources/node-red-contrib-easee-amqp/easee-amqp-editor.js", instance.url).href);
    assert.equal(response.status(), 200);
    assert.deepEqual(
      await editor.page.evaluate(() => Object.keys((window as unknown as { EaseeAmqpEditor: object }).EaseeAmqpEditor).sort()),
      ["chargerSerials", "chargersField", "checkRule", "ruleProblems", "silenceMinutesValid", "topicPreview"],
    );
    // The observations dialog's Offline after: the runtime's parseSilenceMinutes, run in the page.
    assert.deepEqual(
      await editor.page.evaluate(() =>
        ["", "20", "0.5", "0", "-1", "soon"].map((value) =>
          (window as unknown as { EaseeAmqpEditor: { silenceMinutesValid(value: string): boolean } }).EaseeAmqpEditor.silenceMinutesValid(value),
        ),
      ),
      [true, true, true, false, false, false],
    );
  });

  it("a rule the runtime refuses is refused in the filter dialog, with the runtime's reason; one it takes is taken", async () => {
    const { page } = editor;
    const id = await editor.dropFromPalette("easee-filter", 420, 520);
    await editor.editNode(id, "#node-input-rule-container .node-input-rule-ids");
    const rule = page.locator("#node-input-rule-container .node-input-rule-ids").first();
    const errorRow = page.locator("#node-input-rule-container .node-input-rule-error").first();
    for (const text of RULE_TEXTS) {
      const runtime = compileFilter({ rules: [{ ids: text }] }, catalogueNameLookup);
      await rule.fill(text);
      const refused = await rule.evaluate((e) => e.classList.contains("input-error"));
      assert.equal(refused, !runtime.ok, `"${text}": the runtime ${runtime.ok ? "takes" : "refuses"} it, the dialog ${refused ? "refuses" : "takes"} it`);
      if (!runtime.ok) assert.equal(await errorRow.innerText(), runtimeReason(runtime.problems[0] as RuleProblem), `"${text}"`);
    }
    await editor.closeDialog("cancel");
  });

  it("the node's validator (the red triangle) refuses exactly the rules lists the runtime refuses, with the same reasons", async () => {
    for (const rules of RULE_LISTS) {
      const runtime = compileFilter({ rules }, catalogueNameLookup);
      const verdict = await editor.page.evaluate((value) => {
        const red = (window as unknown as { RED: { nodes: { getType(t: string): { defaults: { rules: { validate(v: unknown, opt?: object): unknown } } } } } }).RED;
        const validate = red.nodes.getType("easee-filter").defaults.rules.validate;
        return { valid: validate.call({}, value), messages: validate.call({}, value, {}) };
      }, rules);
      const label = JSON.stringify(rules).slice(0, 80);
      assert.equal(verdict.valid, runtime.ok, `${label}: runtime ok=${runtime.ok}`);
      if (!runtime.ok) {
        const messages = ([] as unknown[]).concat(verdict.messages).map(String);
        assert.equal(messages.length, runtime.problems.length, label);
        runtime.problems.forEach((problem, i) => assert.ok(messages[i]?.includes(runtimeReason(problem)), `${label}: ${messages[i]}`));
      }
    }
  });

  it("the observations dialog previews the topic the runtime builds, and names the placeholders it keeps as typed", async () => {
    const { page } = editor;
    const id = await editor.dropFromPalette("easee-observations", 420, 600);
    await editor.editNode(id, "#node-input-topic");
    const example = { chargerId: "EH123456", name: "TotalPower", observationId: 120 };
    for (const template of ["", "home/{chargerId}/{observationId}", "x/{site}/{name}/{site}", "{chargerId}{name}", "{ name }/{Name}"]) {
      const runtime = compileTopicTemplate(template);
      await page.fill("#node-input-topic", template);
      assert.equal(await page.locator("#node-input-topic-preview").innerText(), runtime.render(example), `template "${template}"`);
      const warning = page.locator("#node-input-topic-warning");
      assert.equal(await warning.isVisible(), runtime.unknownPlaceholders.length > 0, `template "${template}"`);
      for (const word of runtime.unknownPlaceholders) assert.ok((await warning.innerText()).includes(`{${word}}`));
    }
    await editor.closeDialog("cancel");
  });
});
