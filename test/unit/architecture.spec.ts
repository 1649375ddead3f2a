/**
 * The shape of core/: no module imports Node-RED, no two modules import each other (directly or round a loop), and no
 * two core folders do either (core/easee-api and core/amqp used to, through the backoff and the clock, now in
 * core/timing). Read from the TypeScript sources, so a new import that closes a loop fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CORE = path.join(ROOT, "core");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** `from "…"` and `require("…")` specifiers of a file (type-only imports included: they are coupling too). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/\bfrom\s+"([^"]+)"|\brequire\(\s*"([^"]+)"\s*\)|\bimport\s+"([^"]+)"/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

/** A cycle in a directed graph, as a list of its nodes, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

describe("architecture of core/", () => {
  const files = sourceFiles(CORE);
  const fileGraph = new Map<string, Set<string>>();
  const folderGraph = new Map<string, Set<string>>();
  /** A file's first-level folder of core/, or its own name for the files directly in core/. */
  const unitOf = (file: string): string => path.relative(CORE, file).split(path.sep).slice(0, -1)[0] ?? path.relative(CORE, file);
  const isFolder = (unit: string): boolean => !unit.endsWith(".ts");

  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of specifiers(file)) {
      const target = resolveLocal(file, specifier);
      if (target) targets.add(target);
    }
    fileGraph.set(file, targets);
    // The folders only: core/types.ts (the shared types every folder uses) and core/index.ts (the library entry)
    // are checked file by file above.
    const from = unitOf(file);
    if (!isFolder(from)) continue;
    const folders = folderGraph.get(from) ?? new Set<string>();
    for (const target of targets) if (unitOf(target) !== from && isFolder(unitOf(target))) folders.add(unitOf(target));
    folderGraph.set(from, folders);
  }

  it("imports no Node-RED and nothing outside core/ but Node's and the runtime dependencies", () => {
    for (const file of files) {
      for (const specifier of specifiers(file)) {
        assert.ok(!/^node-red|^@node-red/.test(specifier), `${path.relative(ROOT, file)} imports ${specifier}`);
        const target = resolveLocal(file, specifier);
        if (target) assert.ok(target.startsWith(CORE + path.sep), `${path.relative(ROOT, file)} imports ${specifier} from outside core/`);
      }
    }
  });

  it("has no import cycle between its modules", () => {
    const cycle = findCycle(fileGraph);
    assert.equal(cycle, undefined, `import cycle: ${(cycle ?? []).map((f) => path.relative(ROOT, f)).join(" → ")}`);
  });

  it("has no import cycle between its folders (core/easee-api and core/amqp share only core/timing)", () => {
    const cycle = findCycle(folderGraph);
    assert.equal(cycle, undefined, `folders importing each other: ${(cycle ?? []).join(" → ")}`);
    assert.ok(!folderGraph.get("easee-api")?.has("amqp"), "core/easee-api imports core/amqp");
  });

  it("(the check itself) finds a loop where there is one", () => {
    const graph = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])], ["d", new Set<string>()]]);
    assert.deepEqual(findCycle(graph), ["a", "b", "c", "a"]);
    assert.equal(findCycle(new Map([["a", new Set(["b"])], ["b", new Set<string>()]])), undefined);
  });
});
