/**
 * Where the time goes: a V8 CPU profile (`.cpuprofile`, as written by `npm run bench -- --cpu-prof` or
 * `node --cpu-prof`) summarised by area of the hot path and by function (self time).
 *
 * An allocation profile (`.heapprofile`, from `--alloc-prof`) is summarised the same way, by bytes allocated.
 *
 *   node dist/bench/profile.js <file.cpuprofile|file.heapprofile> [top]
 */
import * as fs from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Busy time: everything but (idle). */
  readonly busyMs: number;
  readonly byArea: ProfileLine[];
  readonly top: ProfileLine[];
}

/** The parts of the path from the socket to the next node, in the order a delivery passes them. */
const AREAS: ReadonlyArray<readonly [string, (url: string, fn: string) => boolean]> = [
  ["(idle)", (_u, fn) => fn === "(idle)"],
  ["(garbage collector)", (_u, fn) => fn === "(garbage collector)"],
  ["(program: V8/native)", (_u, fn) => fn === "(program)"],
  ["amqplib (frames, channel, ack)", (u) => u.includes("/amqplib/")],
  ["core/decode (decoder)", (u) => u.includes("/core/decode/") || u.includes("/core/catalogue/")],
  ["core/amqp (delivery, fan-out)", (u) => u.includes("/core/amqp/")],
  ["core/observations (msg build)", (u) => u.includes("/core/observations/")],
  ["core/routing (filter rules)", (u) => u.includes("/core/routing/")],
  ["nodes/ (node shells)", (u) => /\/nodes\/easee-[a-z]+\.js$/.test(u) || u.includes("/nodes/shared/")],
  ["bench counter / consumer", (u) => u.includes("/bench/")],
  ["Node-RED runtime (send, hooks, route)", (u) => u.includes("@node-red/")],
  ["node: net/stream/timers", (u) => u.startsWith("node:")],
];

function areaOf(frame: CallFrame): string {
  for (const [name, test] of AREAS) if (test(frame.url, frame.functionName)) return name;
  return frame.url === "" ? "(native)" : "other";
}

function shortUrl(url: string): string {
  const marks = ["/node_modules/", "/dist/", "/build-"];
  for (const mark of marks) {
    const at = url.lastIndexOf(mark);
    if (at >= 0) return url.slice(at + (mark === "/build-" ? 1 : mark.length));
  }
  return url.replace(/^file:\/\//, "");
}

export function summariseProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  // Self time per node: the sampled intervals that landed on it (timeDeltas[i] precedes samples[i]).
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i] as number;
      const next = deltas[i + 1] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next));
    }
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
    for (const node of profile.nodes) selfUs.set(node.id, ((node.hitCount ?? 0) / hits) * total);
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const frame = node.callFrame;
    if (frame.functionName === "(idle)") idleUs += us;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${frame.functionName || "(anonymous)"}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs || 1;
  const lines = (map: Map<string, number>, limit: number, base: number): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / base) * 1000) / 10 }));
  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    byArea: lines(areas, AREAS.length + 2, totalUs || 1),
    top: lines(new Map([...functions].filter(([name]) => !name.startsWith("(idle)"))), top, busyUs),
  };
}

interface AllocationNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly AllocationNode[];
}

export interface AllocationProfile {
  readonly head: AllocationNode;
}

/** An allocation profile (HeapProfiler sampling) by area and by function: bytes allocated, as shares. */
export function summariseAllocations(profile: AllocationProfile, top = 20): ProfileSummary {
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const walk = (node: AllocationNode): void => {
    if (node.selfSize > 0) {
      total += node.selfSize;
      const frame = node.callFrame;
      const area = areaOf(frame);
      areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
      const name = `${frame.functionName || "(anonymous)"}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ""}`;
      functions.set(name, (functions.get(name) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const lines = (map: Map<string, number>, limit: number): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      // "ms" holds MB here.
      .map(([name, bytes]) => ({ name, ms: Math.round(bytes / 1024 / 102.4) / 10, percent: Math.round((bytes / (total || 1)) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1024 / 1024), busyMs: Math.round(total / 1024 / 1024), byArea: lines(areas, AREAS.length + 2), top: lines(functions, top) };
}

export function formatAllocations(title: string, summary: ProfileSummary, messages?: number): string {
  const perMessage = messages ? `, about ${Math.round((summary.totalMs * 1024 * 1024) / messages)} bytes per message` : "";
  const out = [`${title}: ${summary.totalMs} MB allocated${perMessage}`, "  by area:"];
  for (const line of summary.byArea) out.push(`    ${line.percent.toFixed(1).padStart(5)} %  ${line.ms.toFixed(1).padStart(7)} MB  ${line.name}`);
  out.push("  top functions by bytes allocated:");
  for (const line of summary.top) out.push(`    ${line.percent.toFixed(1).padStart(5)} %  ${line.name}`);
  return out.join("\n");
}

export function formatProfile(title: string, summary: ProfileSummary): string {
  const out = [`${title}: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy`, "  by area (share of all samples):"];
  for (const line of summary.byArea) out.push(`    ${line.percent.toFixed(1).padStart(5)} %  ${line.ms.toFixed(0).padStart(6)} ms  ${line.name}`);
  out.push("  top functions by self time (share of busy time):");
  for (const line of summary.top) out.push(`    ${line.percent.toFixed(1).padStart(5)} %  ${line.name}`);
  return out.join("\n");
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/bench/profile.js <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const text = file.endsWith(".heapprofile")
    ? formatAllocations(file, summariseAllocations(JSON.parse(fs.readFileSync(file, "utf8")) as AllocationProfile, top))
    : formatProfile(file, summariseProfile(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile, top));
  process.stdout.write(`${text}\n`);
}
