/**
 * What the browser tests drive: a Node-RED with this package and the Easee cloud simulator, started the way a
 * developer starts them (`npm start` = the compiled scripts/start-demo.js, on its own port, user directory and
 * operator queue; no MQTT), and Debian's Chromium through playwright-core with a fresh profile.
 *
 * The editor page is watched for what a user would call broken: a console error, an uncaught page error, or a
 * request that leaves the machine (the editor must not need the internet for our nodes). The one outside request
 * Node-RED's own palette manager makes at start (the flow library catalogue) is answered with an empty catalogue.
 *
 * Needs the full build (`npm run build`, which `npm test` runs first): Node-RED loads dist/nodes with the editor
 * HTML, message catalogues and icon beside them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { openTray, watchTrays } from "../helpers/editor-trays";

/** dist/test/browser (or build-x/test/browser) → the repository root. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const START_DEMO = path.resolve(__dirname, "..", "..", "scripts", "start-demo.js");
export const ARTIFACTS = path.join(REPO_ROOT, ".test-artifacts", "editor");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PACKAGE_NAME = "node-red-contrib-easee-amqp";
export const NODE_TYPES = ["easee-config", "easee-observations", "easee-filter", "easee-homeassistant", "easee-command"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Node-RED + simulator

export interface EditorInstance {
  /** The editor, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** The simulator's REST API: the API URL of an easee-config node. */
  readonly apiUrl: string;
  readonly userName: string;
  readonly password: string;
  readonly queueName: string;
  readonly chargers: readonly string[];
  /** What the demo and Node-RED printed so far (for failure messages). */
  output(): string;
  /** Resolves when the output (Node-RED's log included) matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Ctrl-C: stops Node-RED and the simulator (which deletes its queue), removes the user directory. */
  stop(): Promise<void>;
}

export interface EditorInstanceOptions {
  /** Operator id of the simulated queue; default a unique one. */
  readonly operatorId?: string;
  /** Simulated seconds per real second (the demo's EASEE_DEMO_SPEED). */
  readonly speed?: number;
  readonly startTimeoutMs?: number;
}

function field(text: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(text);
  if (!match) throw new Error(`the demo did not print ${what}:\n${text}`);
  return match;
}

/** Starts `npm start`'s demo (already built) beside anything else running, and waits until it is ready. */
export async function startEditorInstance(options: EditorInstanceOptions = {}): Promise<EditorInstance> {
  if (!fs.existsSync(START_DEMO) || !fs.existsSync(path.join(REPO_ROOT, "dist", "nodes", "easee-config.js"))) {
    throw new Error("the browser tests need the full build: run `npm run build` first (npm test does)");
  }
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "easee-editor-"));
  const operatorId = options.operatorId ?? `editor-${process.pid}-${Date.now()}`;
  const child: ChildProcess = spawn(process.execPath, [START_DEMO], {
    env: {
      ...process.env,
      EASEE_DEMO_PORT: String(port),
      EASEE_DEMO_USER_DIR: userDir,
      EASEE_DEMO_API_PORT: "0",
      EASEE_DEMO_OPERATOR_ID: operatorId,
      EASEE_DEMO_MQTT_URL: "off",
      EASEE_DEMO_SPEED: String(options.speed ?? 60),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT");
        const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(killer);
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (pattern.test(output)) finish();
      };
      const timer = setTimeout(() => finish(new Error(`${pattern} not printed within ${timeoutMs} ms:\n${output.slice(-3000)}`)), timeoutMs);
      child.stdout?.on("data", check);
      void exited.then((code) => finish(new Error(`the demo exited (${code}) before printing ${pattern}:\n${output.slice(-3000)}`)));
      check();
    });

  try {
    await waitForOutput(/Ctrl-C stops everything/, options.startTimeoutMs ?? 60_000);
    if (/Warning: Node-RED/.test(output)) throw new Error(`Node-RED did not load the package:\n${output}`);
    const [, apiUrl = "", userName = "", password = ""] = field(output, /Easee simulator\s+(\S+)\s+user (\S+) \/ (\S+)/, "the simulator");
    const [, queueName = "", chargerList = ""] = field(output, /queue\s+(\S+) with chargers ([^\n]+)/, "the queue");
    return {
      url: `http://127.0.0.1:${port}/`,
      apiUrl,
      userName,
      password,
      queueName,
      chargers: chargerList.split(",").map((s) => s.trim()),
      output: () => output,
      waitForOutput,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Chromium

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

export interface EditorBrowser {
  readonly context: BrowserContext;
  readonly locale: string;
  /** Requests the editor made to anything but this machine (other than Node-RED's palette catalogue). */
  readonly outsideRequests: string[];
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile directory (playwright wants it as launchPersistentContext's argument rather than
 * a --user-data-dir flag) and the browser language `locale`: navigator.language and Accept-Language, which is what
 * Node-RED's editor picks its language from.
 */
export async function launchEditorBrowser(locale = "en-US"): Promise<EditorBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "easee-editor-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--lang=${locale}`],
    locale,
    viewport: { width: 1400, height: 900 },
  });
  const outsideRequests: string[] = [];
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, async (route) => {
    const url = route.request().url();
    if (/^https:\/\/catalogue\.nodered\.org\//.test(url)) {
      // Node-RED's palette manager loads the flow library catalogue when the editor starts; this machine is offline.
      await route.fulfill({ json: { name: "Node-RED Community catalogue", updated_at: new Date().toISOString(), modules: [] } });
      return;
    }
    outsideRequests.push(url);
    await route.abort("blockedbyclient");
  });
  return {
    context,
    locale,
    outsideRequests,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The editor page

/** The parts of the editor's global RED object these tests read (the page's own code; types only help here). */
export interface EditorRed {
  readonly nodes: {
    node(id: string): EditorNode | undefined;
    eachNode(cb: (node: EditorNode) => void): void;
    eachConfig(cb: (node: EditorNode) => void): void;
    workspace(id: string): { id: string; label: string } | undefined;
  };
  readonly workspaces: { active(): string; show(id: string): void };
  readonly sidebar: { help: { show(type: string): void } };
  readonly actions: { invoke(name: string): void };
  readonly view: { selection(): { nodes?: EditorNode[] } };
}
export interface EditorNode {
  readonly id: string;
  readonly type: string;
  readonly z?: string;
  readonly name?: string;
  readonly valid?: boolean;
  readonly outputs?: number;
  readonly [key: string]: unknown;
}

export interface DebugEntry {
  readonly name: string;
  readonly topic: string;
  readonly text: string;
}

/** What each sidebar tab the tests open shows, the same in Node-RED 4 and 5. */
const SIDEBAR_CONTENT = {
  debug: ".red-ui-debug-content-list",
  help: ".red-ui-sidebar-help-stack",
  config: "#red-ui-sidebar-node-config",
  info: ".red-ui-sidebar-info",
} as const;

export class EditorPage {
  readonly problems: string[] = [];

  private constructor(
    readonly page: Page,
    readonly browser: EditorBrowser,
  ) {
    page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") this.problems.push(`console error: ${message.text()}`);
      // The editor catches exceptions thrown by its message handlers and only warns about them.
      else if (message.type() === "warning" && /^Uncaught error/.test(message.text())) this.problems.push(`console warning: ${message.text()}`);
    });
  }

  /** Opens the editor and waits until the palette, the flows and the observation catalogue have loaded. */
  static async open(browser: EditorBrowser, url: string): Promise<EditorPage> {
    const page = await browser.context.newPage();
    const editor = new EditorPage(page, browser);
    const catalogue = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith("/easee/catalogue"), { timeout: 30_000 });
    catalogue.catch(() => undefined); // awaited below; if goto fails first, nobody else would hear of it
    await page.goto(url);
    await page.waitForSelector(".red-ui-palette-node[data-palette-type='easee-filter']", { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll("#red-ui-workspace-chart .red-ui-flow-node-group").length > 0, null, { timeout: 30_000 });
    const answer = await catalogue;
    if (answer.status() !== 200) throw new Error(`GET easee/catalogue answered ${answer.status()}`);
    // Node-RED's debug sidebar subscribes before the flows have loaded; a debug msg arriving in between fails to
    // find its flow (RED.nodes.workspace(id).label) and is dropped with this warning. That race is Node-RED's and
    // ends once the flows are in; a warning after this point counts.
    const loadRace = /^console warning: Uncaught error from RED\.comms\.subscribe: TypeError: Cannot read properties of undefined \(reading 'label'\)$/;
    for (let i = editor.problems.length - 1; i >= 0; i--) if (loadRace.test(editor.problems[i] ?? "")) editor.problems.splice(i, 1);
    await watchTrays(page);
    return editor;
  }

  /** Console errors, page errors and outside requests since the page opened. */
  allProblems(): string[] {
    return [...this.problems, ...this.browser.outsideRequests.map((url) => `request to the internet: ${url}`)];
  }

  /** The problems so far, forgetting them (for several tests on one page). */
  takeProblems(): string[] {
    const all = this.allProblems();
    this.problems.length = 0;
    this.browser.outsideRequests.length = 0;
    return all;
  }

  /**
   * Every `data-i18n` text of the open dialog as shown: the key, the attribute it fills (`text`, `placeholder`,
   * `html`) and what the user sees there.
   */
  dialogTexts(): Promise<{ key: string; target: string; shown: string }[]> {
    return this.page.evaluate(() => {
      const trays = document.querySelectorAll(".red-ui-tray");
      const tray = trays[trays.length - 1];
      if (!tray) return [];
      const out: { key: string; target: string; shown: string }[] = [];
      tray.querySelectorAll("[data-i18n]").forEach((element) => {
        for (const part of (element.getAttribute("data-i18n") ?? "").split(";")) {
          const match = /^(?:\[(\w+)\])?(.+)$/.exec(part.trim());
          if (!match) continue;
          const target = match[1] ?? "text";
          // Node-RED prefixes the keys of a node's template with its namespace ("module/set:key").
          const key = (match[2] ?? "").replace(/^[^:]*:/, "");
          const shown =
            target === "placeholder"
              ? (element.getAttribute("placeholder") ?? "")
              : target === "html"
                ? (element.textContent ?? "")
                : (element.textContent ?? "");
          out.push({ key, target, shown: shown.replace(/\s+/g, " ").trim() });
        }
      });
      return out;
    });
  }

  /**
   * What a user would see as broken in the dialog on top: boxes of one row that overlap (a label running into its
   * input), a label cut off or wrapped onto a second line, rows that overlap, and tip boxes or previews that do not
   * line up with the inputs (start left of them or reach past them). One line per problem, naming the element.
   */
  dialogLayoutProblems(): Promise<string[]> {
    return this.page.evaluate(() => {
      const trays = document.querySelectorAll(".red-ui-tray");
      const tray = trays[trays.length - 1];
      const form = tray?.querySelector("form");
      if (!tray || !form) return ["no dialog is open"];
      const problems: string[] = [];
      // (The compiler's DOM typings here lack NodeList iteration.)
      const all = (root: ParentNode, selector: string): Element[] => Array.prototype.slice.call(root.querySelectorAll(selector)) as Element[];
      const visible = (el: Element): boolean => {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && style.display !== "none";
      };
      const name = (el: Element): string =>
        `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""} "${(el.textContent ?? "").trim().slice(0, 30)}"`;
      const overlap = (a: DOMRect, b: DOMRect): boolean =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
      const rows = all(form, ".form-row").filter(visible);
      // The input column: where the text inputs and selects of label + input rows start, and how far they reach.
      const lefts = new Map<number, number>();
      let inputRight = 0;
      for (const row of rows) {
        const label = row.querySelector(":scope > label");
        if (!label || !visible(label)) continue;
        for (const input of all(row, ":scope > input[type=text], :scope > input[type=password], :scope > input:not([type]), :scope > select, :scope > .red-ui-typedInput-container")) {
          if (!visible(input)) continue;
          const r = input.getBoundingClientRect();
          const left = Math.round(r.left);
          lefts.set(left, (lefts.get(left) ?? 0) + 1);
          inputRight = Math.max(inputRight, r.right);
        }
      }
      const inputLeft = [...lefts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      for (const row of rows) {
        const parts = (Array.prototype.slice.call(row.children) as Element[]).filter((el) => visible(el) && !(el instanceof HTMLInputElement && el.type === "hidden"));
        for (let i = 0; i < parts.length; i++) {
          for (let j = i + 1; j < parts.length; j++) {
            const a = parts[i] as Element;
            const b = parts[j] as Element;
            if (a.contains(b) || b.contains(a)) continue;
            if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) problems.push(`${name(a)} overlaps ${name(b)}`);
          }
        }
        for (const label of all(row, ":scope > label")) {
          if (!visible(label) || (label.textContent ?? "").trim() === "") continue;
          const el = label as HTMLElement;
          const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
          if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(label)} is cut off`);
          // Only labels beside an input: a checkbox's own label may wrap as a paragraph does.
          if (!label.querySelector("input") && el.getBoundingClientRect().height > line * 1.6) problems.push(`${name(label)} wraps onto a second line`);
        }
      }
      const topRows = rows.filter((row) => !rows.some((other) => other !== row && other.contains(row)));
      for (let i = 0; i < topRows.length; i++) {
        for (let j = i + 1; j < topRows.length; j++) {
          const a = topRows[i] as Element;
          const b = topRows[j] as Element;
          if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) problems.push(`row ${name(a)} overlaps row ${name(b)}`);
        }
      }
      if (inputLeft !== undefined) {
        for (const tip of all(form, ".form-tips, .easee-chargers-preview, .easee-dialog-note")) {
          if (!visible(tip)) continue;
          const r = tip.getBoundingClientRect();
          if (Math.abs(r.left - inputLeft) > 2) problems.push(`${name(tip)} starts at ${Math.round(r.left)}, the inputs at ${inputLeft}`);
          if (r.right > inputRight + 2) problems.push(`${name(tip)} reaches to ${Math.round(r.right)}, the inputs to ${Math.round(inputRight)}`);
        }
      }
      return problems;
    });
  }

  /**
   * Nodes of the flow on show whose boxes (with their status text and buttons) overlap another node's, and
   * groups that overlap each other: what makes a flow hard to read.
   */
  canvasOverlaps(): Promise<string[]> {
    return this.page.evaluate(() => {
      const problems: string[] = [];
      const overlap = (a: DOMRect, b: DOMRect): boolean =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
      const boxes = (selector: string): { id: string; box: DOMRect }[] =>
        (Array.prototype.slice.call(document.querySelectorAll(selector)) as Element[]).map((g) => ({ id: g.id, box: g.getBoundingClientRect() })).filter((b) => b.box.width > 0);
      for (const list of [boxes("#red-ui-workspace-chart g.red-ui-flow-node-group"), boxes("#red-ui-workspace-chart g.red-ui-flow-group").filter((group) => !group.id.startsWith("group_select"))]) {
        for (let i = 0; i < list.length; i++) {
          for (let j = i + 1; j < list.length; j++) {
            const a = list[i] as { id: string; box: DOMRect };
            const b = list[j] as { id: string; box: DOMRect };
            if (overlap(a.box, b.box)) problems.push(`${a.id} overlaps ${b.id}`);
          }
        }
      }
      return problems;
    });
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name.replace(/[^a-z0-9.-]+/gi, "-")}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.page.close();
  }

  /** Runs `fn` in the page with the editor's RED object. */
  red<T, A>(fn: (red: EditorRed, arg: A) => T, arg: A): Promise<T> {
    return this.page.evaluate(
      ({ source, value }) => {
        const call = new Function("RED", "arg", `return (${source})(RED, arg);`) as (red: unknown, arg: unknown) => T;
        return call((window as unknown as { RED: unknown }).RED, value);
      },
      { source: fn.toString(), value: arg },
    );
  }

  paletteNode(type: string): Locator {
    return this.page.locator(`#red-ui-palette-container-Easee .red-ui-palette-node[data-palette-type='${type}']`);
  }

  canvasNode(id: string): Locator {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id='${id}']`);
  }

  /** Drags a node from the palette onto the canvas, as a user does; returns the new node's id. */
  async dropFromPalette(type: string, x: number, y: number): Promise<string> {
    const before = await this.nodeIds();
    await this.paletteNode(type).dragTo(this.page.locator("#red-ui-workspace-chart"), { targetPosition: { x, y } });
    const added = (await this.nodeIds()).filter((id) => !before.includes(id));
    if (added.length !== 1) throw new Error(`dropping ${type} added ${added.length} nodes`);
    return added[0] as string;
  }

  private nodeIds(): Promise<string[]> {
    return this.red((RED) => {
      const ids: string[] = [];
      RED.nodes.eachNode((n) => ids.push(n.id));
      return ids;
    }, null);
  }

  /** Switches to the flow tab a node is on, as a user clicks the tab. */
  async showFlowOf(id: string): Promise<void> {
    const [z, active] = await this.red((RED, nodeId) => [RED.nodes.node(nodeId)?.z ?? "", RED.workspaces.active()], id);
    if (!z) throw new Error(`no node ${id} on a flow`);
    // (A second click on the active tab would be a double click: the flow's own dialog.)
    if (z !== active) await this.page.click(`#red-ui-workspace-tabs li#red-ui-tab-${z} a`);
    await this.page.waitForFunction((flow) => (window as unknown as { RED: EditorRed }).RED.workspaces.active() === flow, z);
    await this.canvasNode(id).waitFor();
  }

  /** Double-clicks a node on the canvas (showing its flow first) and waits for its edit dialog. */
  async editNode(id: string, ready: string): Promise<void> {
    await this.showFlowOf(id);
    await this.openDialog(() => this.canvasNode(id).locator("rect.red-ui-flow-node").dblclick(), ready);
  }

  /**
   * Does what opens a dialog (a double click, the pencil of a configuration node) and waits until the dialog has
   * slid in and taken the focus, and `ready` is there: keys typed earlier can follow the focus elsewhere.
   */
  async openDialog(open: () => Promise<void>, ready: string): Promise<void> {
    await openTray(this.page, open);
    await this.page.waitForSelector(ready);
  }

  /**
   * Clicks Done/Update/Add or Cancel of the dialog on top (a configuration node's dialog opened from a node's
   * dialog sits above it) and waits until that dialog has gone.
   */
  async closeDialog(button: "ok" | "cancel"): Promise<void> {
    const kind = (await this.page.isVisible("#node-config-dialog-ok")) ? "node-config-dialog" : "node-dialog";
    const selector = `#${kind}-${button}`;
    await this.page.click(selector);
    await this.page.waitForSelector(selector, { state: "detached" });
  }

  /** Node-RED's Deploy button; resolves when the editor says the deploy succeeded. */
  async deploy(): Promise<void> {
    await this.page.click("#red-ui-header-button-deploy");
    await this.page.waitForSelector(".red-ui-notification-success, .red-ui-notification:has-text('deployed')", { timeout: 15_000 });
    await this.page.waitForSelector("#red-ui-header-button-deploy.disabled", { timeout: 15_000 });
    await this.dismissNotifications();
  }

  /** Closes the editor's notifications as a click on each does (they would cover the next click otherwise). */
  async dismissNotifications(): Promise<void> {
    await this.page.evaluate(() =>
      document.querySelectorAll(".red-ui-notification").forEach((n) => (n as HTMLElement & { close?: () => void }).close?.()),
    );
    await this.page.waitForFunction(() => document.querySelectorAll(".red-ui-notification").length === 0);
  }

  /**
   * What the Info sidebar shows for a flow, as a user sees it: its tab shown and nothing selected. The flow's
   * description (markdown, rendered) is the part after the flow's name and id.
   */
  async flowDescription(z: string): Promise<string> {
    const active = await this.red((RED) => RED.workspaces.active(), null);
    if (active !== z) await this.page.click(`#red-ui-workspace-tabs li#red-ui-tab-${z} a`);
    await this.page.waitForFunction((flow) => (window as unknown as { RED: EditorRed }).RED.workspaces.active() === flow, z);
    await this.red((RED) => RED.actions.invoke("core:select-none"), null);
    await this.showSidebar("info");
    // Node-RED 4 stacks the outliner and the properties in two panels; Node-RED 5 has the properties alone.
    const stacked = (await this.page.locator(".red-ui-sidebar-info-stack > .red-ui-panel").count()) > 0;
    const panel = stacked
      ? this.page.locator(".red-ui-sidebar-info-stack > .red-ui-panel").nth(1)
      : this.page.locator(".red-ui-sidebar-info-stack > div").first();
    await panel.locator(".red-ui-help").first().waitFor();
    return (await panel.innerText()).replace(/\s+/g, " ").trim();
  }

  /** Import > Examples > node-red-contrib-easee-amqp: opens the dialog there and returns the example names listed. */
  async openExamples(): Promise<string[]> {
    await this.page.click("#red-ui-header-button-sidemenu");
    await this.page.click("#menu-item-import");
    const tree = "#red-ui-clipboard-dialog-import-tab-examples";
    // The first click on the tab is now and then not taken (seen headless: the dialog stays on Clipboard with the
    // tab's tooltip showing); a user clicks again, and so does this.
    for (let attempt = 1; ; attempt++) {
      await this.page.click("#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples");
      try {
        await this.page.waitForSelector(tree, { state: "visible", timeout: 3_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    await this.page.locator(`${tree} .red-ui-treeList-label`, { hasText: PACKAGE_NAME }).click();
    // The folder's entries are fetched when it opens: they follow the package's label in the tree.
    const labels = async (): Promise<string[]> => (await this.page.locator(`${tree} .red-ui-treeList-label`).allInnerTexts()).map((s) => s.trim());
    await this.page.waitForFunction(
      ({ selector, pkg }) => {
        const all = Array.from(document.querySelectorAll(`${selector} .red-ui-treeList-label`)).map((e) => (e as HTMLElement).innerText.trim());
        return all.indexOf(pkg) !== -1 && all.length > all.indexOf(pkg) + 1;
      },
      { selector: tree, pkg: PACKAGE_NAME },
    );
    const all = await labels();
    return all.slice(all.indexOf(PACKAGE_NAME) + 1);
  }

  /**
   * Imports one of our examples from Import > Examples. When nodes of it already exist (the shared easee-config of
   * an earlier example), takes Node-RED's "View nodes..." route and imports everything but those: the account
   * set up before stays in use. Returns the ids of the nodes that arrived.
   */
  async importExample(name: string): Promise<string[]> {
    const before = await this.allIds();
    await this.openExamples();
    const example = this.page.locator("#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label", { hasText: name });
    // Import is enabled once the example's flow has been fetched. On a loaded machine the click on the entry is now
    // and then not taken (Import stays disabled, as with the tab above): a user clicks again, and so does this.
    for (let attempt = 1; ; attempt++) {
      await example.click();
      try {
        await this.page.waitForSelector("#red-ui-clipboard-dialog-ok:not([disabled])", { timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    await this.page.click("#red-ui-clipboard-dialog-ok");
    const conflict = this.page.locator(".red-ui-notification button", { hasText: /View nodes/ });
    const arrived = this.page.waitForFunction(
      (count) => {
        const RED = (window as unknown as { RED: EditorRed }).RED;
        let now = 0;
        RED.nodes.eachNode(() => now++);
        RED.nodes.eachConfig(() => now++);
        return now > count;
      },
      before.length,
      { timeout: 30_000 },
    );
    // The loser of this race would fail later (timeout, page closed) with nobody listening: swallow that.
    const conflictShown = conflict.waitFor({ timeout: 30_000 }).then(
      () => true,
      () => false,
    );
    await Promise.race([conflictShown, arrived]);
    if (await conflict.isVisible()) {
      await conflict.click();
      // Only the flow is ticked, not the configuration node that exists already: that one stays in use.
      await this.page.click("#red-ui-clipboard-dialog-import-conflict");
    }
    await arrived;
    await this.dismissNotifications();
    return (await this.allIds()).filter((id) => !before.includes(id));
  }

  private allIds(): Promise<string[]> {
    return this.red((RED) => {
      const ids: string[] = [];
      RED.nodes.eachNode((n) => ids.push(n.id));
      RED.nodes.eachConfig((n) => ids.push(n.id));
      return ids;
    }, null);
  }

  /**
   * Opens a sidebar tab by its id and waits until its content shows. (Node-RED 5 rebuilt the sidebar: its tab bar
   * differs from 4's, the content of each tab does not.)
   */
  async showSidebar(tab: keyof typeof SIDEBAR_CONTENT): Promise<void> {
    await this.red((RED, name) => RED.actions.invoke(`core:show-${name}-tab`), tab);
    await this.page.waitForSelector(SIDEBAR_CONTENT[tab], { state: "visible" });
  }

  /** The debug sidebar's messages, oldest first. */
  async debugEntries(): Promise<DebugEntry[]> {
    return this.page.evaluate(() =>
      Array.from(document.querySelectorAll(".red-ui-debug-msg")).map((entry) => ({
        name: (entry.querySelector(".red-ui-debug-msg-name") as HTMLElement | null)?.innerText.trim() ?? "",
        topic: (entry.querySelector(".red-ui-debug-msg-topic") as HTMLElement | null)?.innerText.trim() ?? "",
        text: (entry as HTMLElement).innerText,
      })),
    );
  }

  /**
   * Waits until the debug sidebar shows a message from the debug node called `name` (as the sidebar writes it,
   * `node: <name>`) whose topic line matches `topic`; returns the newest such message.
   */
  async waitForDebug(name: string, topic: RegExp, timeoutMs = 20_000): Promise<DebugEntry> {
    const wanted = { name, topic: topic.source, flags: topic.flags };
    try {
      await this.page.waitForFunction(
        (w) =>
          Array.from(document.querySelectorAll(".red-ui-debug-msg")).some((entry) => {
            const source = (entry.querySelector(".red-ui-debug-msg-name") as HTMLElement | null)?.innerText ?? "";
            const line = (entry.querySelector(".red-ui-debug-msg-topic") as HTMLElement | null)?.innerText ?? "";
            return source.trim().endsWith(`: ${w.name}`) && new RegExp(w.topic, w.flags).test(line);
          }),
        wanted,
        { timeout: timeoutMs },
      );
    } catch (error) {
      const seen = (await this.debugEntries()).slice(-5).map((e) => `${e.name} | ${e.topic}`);
      throw new Error(`debug sidebar: nothing from "${name}" with topic ${topic} within ${timeoutMs} ms (last: ${seen.join("; ") || "none"})`, { cause: error });
    }
    const entries = (await this.debugEntries()).filter((e) => e.name.endsWith(`: ${name}`) && topic.test(e.topic));
    return entries[entries.length - 1] as DebugEntry;
  }
}
