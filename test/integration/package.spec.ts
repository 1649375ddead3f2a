/**
 * What a user installs: `npm pack`, unpacked into a Node-RED user directory, loaded by a real Node-RED.
 * Catches packaging mistakes a test of the compiled sources cannot see (a file missing from `files`,
 * editor HTML or locales not beside the node's .js, an icon Node-RED cannot find, examples not shipped).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const NODE_TYPES = ["easee-config", "easee-observations", "easee-filter", "easee-homeassistant", "easee-command"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  assert.equal(response.status, 200, `${url} answered ${response.status}`);
  return response.json();
}

/** Resolves once Node-RED logs that it is serving; rejects if it exits first. */
function waitUntilServing(child: ChildProcess, output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.join("").includes("Server now running")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`Node-RED exited (${code}) before serving:\n${output.join("")}`)));
  });
}

describe("the npm package in a real Node-RED", function () {
  this.timeout(90_000);
  const workDir = path.join(repoRoot, ".test-artifacts", "package");
  const userDir = path.join(workDir, "userdir");
  let nodeRed: ChildProcess | undefined;
  const output: string[] = [];
  let baseUrl = "";
  let packedFiles: string[] = [];

  before(async () => {
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(userDir, "node_modules", "node-red-contrib-easee-amqp"), { recursive: true });
    const packed = JSON.parse(
      // --ignore-scripts: prepack would rebuild dist/, which this very test runs from; `npm test` has just built it.
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", workDir], { cwd: repoRoot, encoding: "utf8" }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const [tarball] = packed;
    assert.ok(tarball, "npm pack produced no tarball");
    packedFiles = tarball.files.map((file) => file.path);
    // Unpacked inside the repository, so the package's own dependencies resolve from the repository's node_modules,
    // as they would from the user directory's after `npm install`.
    execFileSync("tar", ["-xzf", path.join(workDir, tarball.filename), "--strip-components=1", "-C", path.join(userDir, "node_modules", "node-red-contrib-easee-amqp")]);
    fs.writeFileSync(
      path.join(userDir, "settings.js"),
      "module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: 'info' } } };\n",
    );
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const runtime = require.resolve(`${process.env.NODE_RED_PACKAGE ?? "node-red"}/red.js`);
    nodeRed = spawn(process.execPath, [runtime, "-u", userDir, "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    await waitUntilServing(nodeRed, output);
  });

  after(async () => {
    if (nodeRed && nodeRed.exitCode === null) {
      const exited = new Promise((resolve) => nodeRed?.once("exit", resolve));
      nodeRed.kill("SIGINT");
      await exited;
    }
  });

  it("ships the compiled nodes with their editor HTML, message catalogues, icon and the examples, and no tests", () => {
    for (const type of NODE_TYPES) {
      assert.ok(packedFiles.includes(`dist/nodes/${type}.js`), `${type}.js missing from the package`);
      assert.ok(packedFiles.includes(`dist/nodes/${type}.html`), `${type}.html missing from the package`);
      assert.ok(packedFiles.includes(`dist/nodes/locales/en-US/${type}.json`), `${type} catalogue missing`);
      assert.ok(packedFiles.includes(`dist/nodes/locales/en-US/${type}.html`), `${type} help missing`);
    }
    assert.ok(packedFiles.includes("dist/nodes/icons/easee.svg"));
    // The dialogs' checks: the runtime's core code bundled for the browser (scripts/bundle-editor.js).
    assert.ok(packedFiles.includes("resources/easee-amqp-editor.js"), "the editor bundle is missing from the package");
    assert.ok(packedFiles.some((file) => file.startsWith("examples/") && file.endsWith(".json")));
    assert.ok(!packedFiles.some((file) => file.startsWith("dist/test/")), "tests must not be shipped");
  });

  it("ships exactly the runtime, the simulator, the examples and the docs: nothing of the repository besides", () => {
    const topLevel = [...new Set(packedFiles.map((file) => (file.startsWith("dist/") ? file.split("/").slice(0, 2).join("/") : file.split("/")[0])))].sort();
    assert.deepEqual(topLevel, [
      "CHANGELOG.md",
      "LICENSE",
      "README.md",
      "dist/core",
      "dist/nodes",
      "dist/simulator",
      "docs",
      "examples",
      "package.json",
      "resources",
    ]);
    // Every docs page the README links to travels with it (npm shows the README; its links must not dangle).
    const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
    for (const [, page] of readme.matchAll(/\]\((docs\/[^)#\s]+)/g)) assert.ok(packedFiles.includes(page), `${page} missing from the package`);
    assert.ok(!packedFiles.some((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")), "TypeScript sources must not be shipped");
  });

  it("is a library too: the decoder, the catalogue and the simulator, with their types, as package.json exports them", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      main: string;
      types: string;
      bin: Record<string, string>;
      exports: Record<string, string | { types: string; default: string }>;
    };
    assert.ok(packedFiles.includes(manifest.main), `main ${manifest.main} is not in the package`);
    assert.ok(packedFiles.includes(manifest.types), `types ${manifest.types} is not in the package`);
    for (const bin of Object.values(manifest.bin)) assert.ok(packedFiles.includes(bin.replace(/^\.\//, "")), `bin ${bin} missing`);
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === "string") continue;
      assert.ok(packedFiles.includes(target.default.replace(/^\.\//, "")), `${entry}: ${target.default} missing`);
      assert.ok(packedFiles.includes(target.types.replace(/^\.\//, "")), `${entry}: ${target.types} missing`);
    }
    // Resolved from the user directory, as another project that installed the package would.
    const resolveFrom = (request: string): string => require.resolve(request, { paths: [userDir] });
    const library = require(resolveFrom("node-red-contrib-easee-amqp")) as typeof import("../../core");
    const decoded = library.decodeDelivery({ routingKey: "EH123456.O.120", body: Buffer.from('{"Timestamp":"2026-01-05T10:00:00Z","Value":7.2}') });
    assert.equal(decoded.kind, "observation");
    assert.equal(library.findObservationByName("TotalPower")?.unit, "kW");
    const catalogue = require(resolveFrom("node-red-contrib-easee-amqp/catalogue")) as typeof import("../../core/catalogue");
    assert.equal(catalogue.OBSERVATIONS.length, library.OBSERVATIONS.length);
    const simulator = require(resolveFrom("node-red-contrib-easee-amqp/simulator")) as typeof import("../../simulator");
    assert.equal(typeof simulator.startSimulator, "function");
    assert.ok(resolveFrom("node-red-contrib-easee-amqp/decode").endsWith(path.join("dist", "core", "decode", "index.js")));
  });

  it("loads all four node types without an error", async () => {
    const modules = (await getJson(`${baseUrl}/nodes`)) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = modules.filter((set) => set.module === "node-red-contrib-easee-amqp");
    const types = ours.flatMap((set) => set.types).sort();
    assert.deepEqual(types, [...NODE_TYPES].sort(), output.join(""));
    for (const set of ours) {
      assert.equal(set.err, undefined, `node set failed to load: ${set.err}`);
      assert.ok(set.enabled, `node set ${set.types.join(",")} is disabled`);
    }
  });

  it("serves the editor HTML, the icon and the English catalogue to the editor", async () => {
    const html = await (await fetch(`${baseUrl}/nodes`, { headers: { accept: "text/html" } })).text();
    for (const type of NODE_TYPES) assert.ok(html.includes(`registerType("${type}"`) || html.includes(`registerType('${type}'`), `${type} editor code missing`);
    const bundle = await fetch(`${baseUrl}/resources/node-red-contrib-easee-amqp/easee-amqp-editor.js`);
    assert.equal(bundle.status, 200, "Node-RED serves the editor bundle from the package's resources/ folder");
    assert.match(await bundle.text(), /EaseeAmqpEditor/);
    const icon = await fetch(`${baseUrl}/icons/node-red-contrib-easee-amqp/easee.svg`);
    assert.equal(icon.status, 200);
    const catalogue = (await getJson(`${baseUrl}/locales/node-red-contrib-easee-amqp/easee-config?lng=en-US`)) as Record<string, unknown>;
    assert.ok(catalogue["easee-config"], "the easee-config catalogue is not served");
  });

  it("lists the examples under Import > Examples", async () => {
    // The editor's Import > Examples menu reads the same library endpoint.
    const listing = JSON.stringify(await getJson(`${baseUrl}/library/examples/flows/node-red-contrib-easee-amqp`));
    for (const example of fs.readdirSync(path.join(repoRoot, "examples")).filter((file) => file.endsWith(".json"))) {
      assert.ok(listing.includes(example.replace(/\.json$/, "")), `${example} is not listed: ${listing.slice(0, 300)}`);
    }
  });
});
