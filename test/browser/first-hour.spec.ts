/**
 * A hobbyist's first hour, in headless Chromium against the `npm start` demo (started by the test): the demo flow
 * reads at first sight (grouped, nothing overlapping, the firehose debug off, the state by its label, a button that
 * starts a charging session), the chargers field of the filter and observations dialogs (suggestions of the serials
 * seen, a preview of what passes), the examples (named as titles, their steps in the flow's description), and every
 * edit dialog of the package lined up (no overlapping boxes, labels on one line, tips aligned with the inputs) in
 * English, German and Norwegian Bokmål. Screenshots go to .test-artifacts/editor/.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EditorPage, REPO_ROOT, launchEditorBrowser, startEditorInstance, type EditorBrowser, type EditorInstance } from "./harness";

const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
const OP_MODE_LABELS = /^(Disconnected|Awaiting Start|Charging|Completed|Ready to Charge)$/;

/** The status text under a node on the canvas, once it matches. */
async function statusOf(editor: EditorPage, id: string, pattern: RegExp): Promise<string> {
  await editor.page.waitForFunction(
    ({ nodeId, source }) => new RegExp(source).test(document.querySelector(`g.red-ui-flow-node-group[id='${nodeId}'] .red-ui-flow-node-status-label`)?.textContent ?? ""),
    { nodeId: id, source: pattern.source },
    { timeout: 20_000 },
  );
  return (await editor.canvasNode(id).locator(".red-ui-flow-node-status-label").textContent()) ?? "";
}

describe("a hobbyist's first hour, in a real browser (headless Chromium)", function () {
  this.timeout(60_000);
  let instance: EditorInstance;
  let browser: EditorBrowser | undefined;
  let editor: EditorPage;

  before(async function () {
    this.timeout(90_000);
    instance = await startEditorInstance({ speed: 30 });
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await instance?.stop();
  });

  async function openIn(locale: string): Promise<void> {
    await browser?.close();
    browser = await launchEditorBrowser(locale);
    editor = await EditorPage.open(browser, instance.url);
  }

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await editor?.screenshot(`FAILED-first-hour-${this.currentTest.title.slice(0, 50)}`).catch(() => undefined);
    while (editor && (await editor.page.isVisible("#node-config-dialog-cancel, #node-dialog-cancel"))) await editor.closeDialog("cancel");
  });

  describe("in English", function () {
    before(async function () {
      this.timeout(60_000);
      await openIn("en-US");
    });

    it("the demo reads at first sight: groups without overlaps, the firehose off, the state by its label, a button for a charging session", async () => {
      const { page } = editor;
      await editor.showFlowOf("easee-demo-observations");
      assert.deepEqual(await editor.canvasOverlaps(), [], "no node, status text or group overlaps another");
      const groups = await editor.red((RED) => {
        const names: string[] = [];
        RED.nodes.eachNode((n) => {
          if (n.g !== undefined && !names.includes(String(n.g))) names.push(String(n.g));
        });
        return names;
      }, null);
      assert.ok(groups.length >= 2, `the demo is laid out in groups: ${groups.join(", ")}`);

      // Every observation of three chargers is a firehose: off until clicked.
      const all = await editor.red((RED) => RED.nodes.node("easee-demo-debug-all")?.active, null);
      assert.equal(all, false, "All observations ships switched off");
      await editor.showSidebar("debug");
      assert.match(await statusOf(editor, "easee-demo-debug-state", OP_MODE_LABELS), OP_MODE_LABELS, "the State node's status is the label");
      await editor.screenshot("first-hour-demo");

      // State changes are rare at demo speed: the session buttons force one. Start a session, or stop one when
      // every charger is busy; the simulator answers which charger, and State shows its new state by name.
      const press = async (inject: string): Promise<string> => {
        const answers = page.locator(".red-ui-debug-msg", { hasText: "Simulator answer" });
        const before = await answers.count();
        await editor.canvasNode(inject).locator("rect.red-ui-flow-node-button-button").click();
        await page.waitForFunction(
          (count) => Array.from(document.querySelectorAll(".red-ui-debug-msg")).filter((entry) => /Simulator answer/.test(entry.textContent ?? "")).length > count,
          before,
        );
        return answers.nth(before).innerText();
      };
      let answer = await press("easee-demo-inject-start");
      if (/changed:\s*false/.test(answer)) answer = await press("easee-demo-inject-stop");
      assert.match(answer, /changed:\s*true/, answer);
      const serial = /serial:\s*"(EH00000[1-3])"/.exec(answer)?.[1] ?? "";
      assert.ok(serial, answer);
      // (Stopped, the car leaves a simulated half minute later: Completed is soon followed by Disconnected.)
      const stateEntry = page
        .locator(".red-ui-debug-msg", { hasText: `${serial}/ChargerOpMode` })
        .filter({ hasText: "State" })
        .filter({ hasText: /"(Awaiting Start|Charging|Completed)"/ })
        .last();
      await stateEntry.waitFor();
      const stateText = await stateEntry.innerText();
      assert.match(stateText, /msg\.easee\.label : string\[\d+\]/, stateText);
      assert.match(stateText, /"(Awaiting Start|Charging|Completed)"/, stateText);
      assert.ok(!(await editor.debugEntries()).some((entry) => entry.name === "node: All observations"), "nothing from the switched-off debug node");
      await editor.screenshot("first-hour-demo-session");

      // A click turns the firehose on.
      await editor.canvasNode("easee-demo-debug-all").locator("rect.red-ui-flow-node-button-button").click();
      await editor.waitForDebug("All observations", /^easee\/EH\d{6}\/\w+ : msg : Object$/);
      await editor.canvasNode("easee-demo-debug-all").locator("rect.red-ui-flow-node-button-button").click();
      assert.deepEqual(editor.takeProblems(), [], "no console errors, page errors or requests to the internet");
    });

    it("filter and observations dialogs: the chargers field suggests the serials seen and previews what passes", async () => {
      const { page } = editor;
      await editor.red((RED) => RED.actions.invoke("core:add-flow"), null);
      for (const type of ["easee-filter", "easee-observations"]) {
        const id = await editor.dropFromPalette(type, 400, type === "easee-filter" ? 200 : 300);
        await editor.editNode(id, "#node-input-chargers");
        const field = page.locator("#node-input-chargers");
        const preview = page.locator("#node-input-chargers-preview");
        assert.match(await preview.innerText(), type === "easee-filter" ? /^Every charger reaches the rules$/ : /^Every charger passes$/);
        await field.click();
        await field.pressSequentially("eh0");
        const menu = page.locator(".red-ui-autoComplete-container");
        await menu.waitFor();
        assert.deepEqual((await menu.locator("li").allInnerTexts()).map((s) => s.trim()), ["EH000001", "EH000002", "EH000003"]);
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        assert.equal(await field.inputValue(), "EH000002");
        await field.pressSequentially(", eh999999");
        assert.equal(await preview.innerText(), "→ EH000002, EH999999 · not seen yet: EH999999");
        await editor.screenshot(`first-hour-${type}-chargers`);
        await editor.closeDialog("ok");
        assert.equal(await editor.red((RED, nodeId) => RED.nodes.node(nodeId)?.chargers, id), "EH000002, eh999999");
      }
      assert.deepEqual(editor.takeProblems(), [], "no console errors, page errors or requests to the internet");
    });

    it("the examples: listed under their titles, each with its steps and how to try it with the simulator in the flow's description", async () => {
      const files = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
      assert.deepEqual(await editor.openExamples(), files);
      for (const name of files) assert.match(name, /^[A-Z][a-z]* [\w ]+$/, `${name} reads as a title`);
      await editor.page.click("#red-ui-clipboard-dialog-cancel");
      for (const name of files) {
        const ids = await editor.importExample(name);
        const z = await editor.red((RED, list) => list.map((id) => RED.nodes.node(id)?.z).find((flow) => flow !== undefined), ids);
        assert.ok(z, `${name} arrives on its own flow`);
        const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, `${name}.json`), "utf8")) as { type: string; label?: string; info?: string }[];
        const tab = flow.find((node) => node.type === "tab");
        assert.equal(await editor.red((RED, flowId) => RED.nodes.workspace(flowId)?.label, z), name, "the flow is named as the example");
        const shown = await editor.flowDescription(z);
        const firstStep = /\n1\. (.+)/.exec(tab?.info ?? "")?.[1]?.replace(/\*\*|\*|`/g, "").slice(0, 40) ?? "no step";
        assert.ok(shown.includes(firstStep), `${name}: the steps in the Info sidebar: ${shown.slice(0, 300)}`);
        assert.match(shown, /npx easee-simulator/, `${name}: how to try it with the simulator`);
        assert.match(shown, /http:\/\/127\.0\.0\.1:8090/);
        if (name === files[0]) await editor.screenshot("first-hour-example-description");
      }
      assert.deepEqual(editor.takeProblems(), [], "no console errors, page errors or requests to the internet");
    });
  });

  for (const language of [
    { locale: "en-US", name: "English" },
    { locale: "de-DE", name: "German" },
    { locale: "nb-NO", name: "Norwegian Bokmål" },
  ]) {
    it(`every edit dialog lines up in ${language.name}: no overlapping boxes, labels on one line, tips aligned with the inputs`, async function () {
      this.timeout(120_000);
      await openIn(language.locale);
      const { page } = editor;
      await editor.red((RED) => RED.actions.invoke("core:add-flow"), null);
      const types = await page.locator("#red-ui-palette-container-Easee .red-ui-palette-node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-palette-type") ?? ""));
      assert.ok(types.length >= 3, types.join(", "));
      const problems: string[] = [];
      let y = 80;
      for (const type of types) {
        const id = await editor.dropFromPalette(type, 400, y);
        y += 70;
        await editor.editNode(id, "#node-input-name");
        // Everything a dialog can show, shown: the list row, the controls, a charger preview, a rule with two problems.
        if (type === "easee-homeassistant") {
          await page.selectOption("#node-input-selection", "list");
          if (await page.isVisible("#node-input-controls")) await page.check("#node-input-controls");
        }
        if (await page.isVisible("#node-input-chargers")) await page.fill("#node-input-chargers", "EH000001, EH999999");
        if (type === "easee-filter") await page.locator("#node-input-rule-container .node-input-rule-ids").first().fill("TotalPowr, 300-200");
        for (const problem of await editor.dialogLayoutProblems()) problems.push(`${type}: ${problem}`);
        await editor.screenshot(`first-hour-${language.locale}-${type}-dialog`);
        await editor.closeDialog("cancel");
      }
      await editor.showSidebar("config");
      await editor.openDialog(() => page.locator(".red-ui-palette-node-config", { hasText: "Easee simulator" }).dblclick(), "#node-config-input-username");
      if (await page.isVisible("#easee-config-advanced-toggle")) await page.click("#easee-config-advanced-toggle");
      for (const problem of await editor.dialogLayoutProblems()) problems.push(`easee-config: ${problem}`);
      await editor.screenshot(`first-hour-${language.locale}-easee-config-dialog`);
      await editor.closeDialog("cancel");
      assert.deepEqual(problems, []);
      assert.deepEqual(editor.takeProblems(), [], "no console errors, page errors or requests to the internet");
    });
  }
});
