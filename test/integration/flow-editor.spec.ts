/**
 * The filter and observations edit dialogs in a real Node-RED editor (a Node-RED started by this test, headless
 * Chromium through playwright-core): outputs and wires follow the rules when rules are deleted or reordered,
 * rules are checked against the catalogue as typed, names are suggested, labels show the rules, and the
 * observations dialog previews the topic. Screenshots go to .test-artifacts/ (git-ignored).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { openTray, watchTrays } from "../helpers/editor-trays";

/** The parts of the editor's RED object these tests use (it runs in the page; types only help here). */
interface EditorNode {
  readonly id: string;
  readonly outputs: number;
  readonly rules: { ids: string }[];
  readonly valid: boolean;
  readonly _def: { label(this: EditorNode): string; outputLabels(this: EditorNode, index: number): string };
}
interface EditorRed {
  readonly nodes: {
    node(id: string): EditorNode;
    getType(type: string): unknown;
    filterLinks(filter: { source: EditorNode }): { sourcePort: number; target: { id: string } }[];
    eachNode(callback: (node: EditorNode) => void): void;
    remove(id: string): unknown;
  };
  readonly view: { importNodes(nodes: object[], options: { generateIds: boolean; notify: boolean }): void; redraw(full: boolean): void };
  readonly workspaces: { active(): string };
  readonly editor: { edit(node: EditorNode): void };
}

/** The bit of jQuery used to move a rule row. */
interface JQueryLike {
  (selector: string): JQueryLike;
  children(selector: string): JQueryLike;
  eq(index: number): JQueryLike;
  insertBefore(target: JQueryLike): JQueryLike;
  sortable(method: "option", name: "update"): (this: unknown, event: { target: unknown }, ui: { item: JQueryLike }) => void;
  readonly [index: number]: unknown;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }).name === "node-red-contrib-easee-amqp") return dir;
    dir = path.dirname(dir);
  }
  throw new Error("package root not found");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A user directory holding the package as Node-RED would install it: node files that load the compiled nodes
 * this test was built with, next to the editor HTML, message catalogues and icon from the sources.
 */
function makeUserDir(port: number): string {
  const root = packageRoot();
  const compiled = path.resolve(__dirname, "..", "..", "nodes");
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-flownodes-editor-"));
  const moduleDir = path.join(userDir, "node_modules", "node-red-contrib-easee-amqp");
  fs.mkdirSync(path.join(moduleDir, "nodes"), { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string; "node-red": { nodes: Record<string, string> } };
  // Every node type the package declares, so the palette is the one users get.
  const NODE_TYPES = Object.keys(pkg["node-red"].nodes);
  fs.writeFileSync(
    path.join(moduleDir, "package.json"),
    JSON.stringify({
      name: "node-red-contrib-easee-amqp",
      version: pkg.version,
      "node-red": { version: ">=3.1.0", nodes: Object.fromEntries(NODE_TYPES.map((type) => [type, `nodes/${type}.js`])) },
    }),
  );
  for (const type of NODE_TYPES) {
    fs.writeFileSync(path.join(moduleDir, "nodes", `${type}.js`), `module.exports = require(${JSON.stringify(path.join(compiled, `${type}.js`))});\n`);
    fs.copyFileSync(path.join(root, "nodes", `${type}.html`), path.join(moduleDir, "nodes", `${type}.html`));
  }
  fs.cpSync(path.join(root, "locales"), path.join(moduleDir, "nodes", "locales"), { recursive: true });
  fs.cpSync(path.join(root, "icons"), path.join(moduleDir, "nodes", "icons"), { recursive: true });
  // The dialogs' checks: the runtime's core code bundled for the browser, served from the module's resources/ folder.
  fs.cpSync(path.join(root, "resources"), path.join(moduleDir, "resources"), { recursive: true });
  fs.writeFileSync(path.join(userDir, "package.json"), "{}");
  fs.writeFileSync(
    path.join(userDir, "settings.js"),
    `module.exports = ${JSON.stringify({
      uiPort: port,
      uiHost: "127.0.0.1",
      flowFile: "flows.json",
      credentialSecret: false,
      telemetry: { enabled: false },
      editorTheme: { tours: false },
      logging: { console: { level: "warn" } },
    })};\n`,
  );
  return userDir;
}

async function startNodeRed(userDir: string, port: number): Promise<ChildProcess> {
  const red = require.resolve(`${process.env.NODE_RED_PACKAGE ?? "node-red"}/red.js`);
  const child = spawn(process.execPath, [red, "-u", userDir, "-s", path.join(userDir, "settings.js")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited: ${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/settings`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`Node-RED did not start: ${output}`);
}

describe("flow: filter and observations edit dialogs in the editor", function () {
  this.timeout(60000);
  let port = 0;
  let userDir = "";
  let nodeRed: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];
  const artifacts = path.join(packageRoot(), ".test-artifacts", "flownodes");

  before(async () => {
    port = await freePort();
    userDir = makeUserDir(port);
    nodeRed = await startNodeRed(userDir, port);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    fs.mkdirSync(artifacts, { recursive: true });
    // One editor page for all tests (loading the editor is the slow part); each test clears the workspace after it.
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      // Resources from the internet (fonts, update checks) are not reachable on a test machine.
      if (message.type() === "error" && !/Failed to load resource/.test(message.text())) errors.push(message.text());
    });
    // The dialog checks names against the catalogue from GET easee/catalogue: wait until it has arrived.
    const catalogue = page.waitForResponse((response) => response.url().endsWith("/easee/catalogue"), { timeout: 20000 });
    await page.goto(`http://127.0.0.1:${port}/`);
    assert.equal((await catalogue).status(), 200);
    await page.waitForFunction(() => {
      const RED = (window as unknown as { RED?: EditorRed }).RED;
      return Boolean(RED?.nodes?.getType?.("easee-filter"));
    });
    await watchTrays(page);
  });

  after(async () => {
    await browser?.close();
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed?.once("exit", resolve));
      nodeRed.kill("SIGTERM");
      await exited;
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  afterEach(async function () {
    await page.screenshot({ path: path.join(artifacts, `${(this.currentTest?.title ?? "test").replace(/[^a-z0-9]+/gi, "-")}.png`) });
    // A test that failed inside a dialog leaves it open: the next test must not find it.
    while (await page.isVisible("#node-dialog-cancel")) await closeEditor("#node-dialog-cancel");
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      const ids: string[] = [];
      RED.nodes.eachNode((node) => ids.push(node.id));
      for (const id of ids) RED.nodes.remove(id);
      RED.view.redraw(true);
    });
    const found = errors.splice(0);
    assert.deepEqual(found, [], "no errors in the browser console");
  });

  /** Imports a filter f1 with three rules and otherwise, each output wired to its own debug node. */
  async function importFilter(): Promise<void> {
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      const z = RED.workspaces.active();
      RED.view.importNodes(
        [
          { id: "f1", type: "easee-filter", z, rules: [{ ids: "120" }, { ids: "ChargerOpMode" }, { ids: "182-185" }], otherwise: true, checkall: true, onlyOnChange: false, outputs: 4, x: 200, y: 200, wires: [["d0"], ["d1"], ["d2"], ["d3"]] },
          ...["d0", "d1", "d2", "d3"].map((id, i) => ({ id, type: "debug", z, x: 500, y: 100 + 60 * i, wires: [] })),
        ],
        { generateIds: false, notify: false },
      );
    });
  }

  async function filterState(): Promise<{ outputs: number; rules: { ids: string }[]; links: string[]; ports: string[]; label: string; valid: boolean }> {
    return page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      const node = RED.nodes.node("f1");
      const links = RED.nodes.filterLinks({ source: node }).map((l) => `${l.sourcePort}->${l.target.id}`).sort();
      const ports = Array.from({ length: node.outputs }, (_, i) => node._def.outputLabels.call(node, i));
      return { outputs: node.outputs, rules: node.rules, links, ports, label: node._def.label.call(node), valid: node.valid };
    });
  }

  /** Clicks Done or Cancel and waits until the tray has gone (the next dialog must not find the old one). */
  async function closeEditor(button: "#node-dialog-ok" | "#node-dialog-cancel"): Promise<void> {
    await page.click(button);
    await page.waitForSelector(button, { state: "detached" });
  }

  /** Opens a node's dialog and waits until it has its focus (keys typed before that could go astray). */
  async function openEditor(id: string, selector: string): Promise<void> {
    await openTray(page, () =>
      page.evaluate((nodeId) => {
        const RED = (window as unknown as { RED: EditorRed }).RED;
        RED.editor.edit(RED.nodes.node(nodeId));
      }, id),
    );
    await page.waitForSelector(selector);
  }

  it("shows the rules in the node label and port labels", async () => {
    await importFilter();
    const state = await filterState();
    assert.equal(state.label, "120 | ChargerOpMode | 182-185");
    assert.deepEqual(state.ports, ["120", "ChargerOpMode", "182-185", "otherwise"]);
    assert.equal(state.valid, true);
  });

  it("deleting a rule moves the wires of the rules below it; unticking otherwise drops its wire", async () => {
    await importFilter();
    await openEditor("f1", "#node-input-rule-container .node-input-rule-ids");
    await page.locator("#node-input-rule-container li").nth(0).locator(".red-ui-editableList-item-remove").click();
    // The list fades the row out before it is gone.
    await page.waitForFunction(() => document.querySelectorAll("#node-input-rule-container li").length === 2);
    await closeEditor("#node-dialog-ok");
    let state = await filterState();
    assert.deepEqual(state.rules, [{ ids: "ChargerOpMode" }, { ids: "182-185" }]);
    assert.equal(state.outputs, 3);
    assert.deepEqual(state.links, ["0->d1", "1->d2", "2->d3"]);
    assert.deepEqual(state.ports, ["ChargerOpMode", "182-185", "otherwise"]);

    await openEditor("f1", "#node-input-rule-container .node-input-rule-ids");
    await page.uncheck("#node-input-otherwise");
    await closeEditor("#node-dialog-ok");
    state = await filterState();
    assert.equal(state.outputs, 2);
    assert.deepEqual(state.links, ["0->d1", "1->d2"]);
  });

  it("reordering rules keeps each wire on its rule; a new rule adds an output", async () => {
    await importFilter();
    await openEditor("f1", "#node-input-rule-container .node-input-rule-ids");
    // Move rule 3 to the top as a finished drag leaves it: the row moved, then the list's sortable "update".
    // (Simulated mouse drags of jQuery UI sortable proved unreliable headless; the drag itself is Node-RED's.)
    await page.evaluate(() => {
      const $ = (window as unknown as { $: JQueryLike }).$;
      const list = $("#node-input-rule-container");
      const rows = list.children("li");
      rows.eq(2).insertBefore(rows.eq(0));
      list.sortable("option", "update").call(list[0], { target: list[0] }, { item: list.children("li").eq(0) });
    });
    assert.deepEqual(await page.locator("#node-input-rule-container .node-input-rule-index").allInnerTexts(), ["1", "2", "3"]);
    await page.click(".red-ui-editableList-addButton");
    await page.locator("#node-input-rule-container .node-input-rule-ids").nth(3).fill("TotalPower");
    await closeEditor("#node-dialog-ok");
    const state = await filterState();
    assert.deepEqual(state.rules, [{ ids: "182-185" }, { ids: "120" }, { ids: "ChargerOpMode" }, { ids: "TotalPower" }]);
    assert.equal(state.outputs, 5);
    assert.deepEqual(state.links, ["0->d2", "1->d0", "2->d1", "4->d3"]);
    assert.deepEqual(state.ports, ["182-185", "120", "ChargerOpMode", "TotalPower", "otherwise"]);
  });

  it("checks rules as typed against the catalogue and suggests names", async () => {
    await importFilter();
    await openEditor("f1", "#node-input-rule-container .node-input-rule-ids");
    const rule = page.locator("#node-input-rule-container .node-input-rule-ids").nth(1);
    const error = page.locator("#node-input-rule-container .node-input-rule-error").nth(1);
    const resolved = page.locator("#node-input-rule-container .node-input-rule-resolved").nth(1);
    assert.equal(await resolved.innerText(), "→ ChargerOpMode (109)");

    await rule.fill("");
    await rule.pressSequentially("ChargerOpModeX");
    assert.equal(await rule.evaluate((element) => element.classList.contains("input-error")), true);
    assert.equal(await error.innerText(), '"ChargerOpModeX" is not an observation name in the catalogue');
    await page.screenshot({ path: path.join(artifacts, "filter-dialog-invalid-rule.png") });

    await rule.fill("96, ");
    await rule.pressSequentially("totalpow");
    const menu = page.locator(".red-ui-autoComplete-container");
    await menu.waitFor();
    assert.match(await menu.innerText(), /TotalPower\s*120 · kW · Double/);
    await page.screenshot({ path: path.join(artifacts, "filter-dialog-suggestions.png") });
    await rule.press("Enter");
    assert.equal(await rule.inputValue(), "96, TotalPower");
    assert.equal(await rule.evaluate((element) => element.classList.contains("input-error")), false);
    assert.equal(await resolved.innerText(), "→ ReasonForNoCurrent (96), TotalPower (120, kW)");

    await rule.fill("185-182");
    assert.match(await error.innerText(), /runs backwards: write 182-185/);
    // Every problem of the rule, one a line, not only the first.
    await rule.fill("TotalPowr, 300-200");
    assert.deepEqual((await error.innerText()).split("\n"), ['"TotalPowr" is not an observation name in the catalogue', 'range "300-200" runs backwards: write 200-300']);
    await closeEditor("#node-dialog-ok");
    // Saved with an invalid rule: the node is marked invalid (red triangle), as Node-RED does for bad properties.
    assert.equal((await filterState()).valid, false);
  });

  it("observations: previews the topic as typed and labels the node with the charger filter", async () => {
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      RED.view.importNodes([{ id: "o1", type: "easee-observations", z: RED.workspaces.active(), chargers: "EH123456, EH654321", x: 200, y: 300, wires: [[]] }], { generateIds: false, notify: false });
    });
    const label = await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      const node = RED.nodes.node("o1");
      return node._def.label.call(node);
    });
    assert.equal(label, "EH123456, EH654321");
    await openEditor("o1", "#node-input-topic");
    assert.equal(await page.locator("#node-input-topic-preview").innerText(), "easee/EH123456/TotalPower");
    assert.equal(await page.locator("#node-input-includeUnknown").isChecked(), true);
    await page.fill("#node-input-topic", "home/{chargerId}/{observationId}/{site}");
    assert.equal(await page.locator("#node-input-topic-preview").innerText(), "home/EH123456/120/{site}");
    assert.match(await page.locator("#node-input-topic-warning").innerText(), /\{site\}/);
    await page.screenshot({ path: path.join(artifacts, "observations-dialog.png") });
    await page.fill("#node-input-topic", "");
    assert.equal(await page.locator("#node-input-topic-preview").innerText(), "easee/EH123456/TotalPower");
    await closeEditor("#node-dialog-cancel");
  });
});
