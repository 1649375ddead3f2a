/**
 * Everything a Node-RED runtime under test says, in one place: every log line (all levels, also while nodes
 * close), every node status, and every msg any node sends (Catch msgs with their `error` included), through the
 * runtime's own extension points (a log handler, the `node-status` event, the `onSend` hook) of the runtime the
 * test helper runs (NODE_RED_PACKAGE).
 *
 * Secrets: `watchSecrets()` registers where secrets come from (a list, or a function such as the simulated Easee
 * API's `issuedSecrets`). Every msg and every metric record is checked against them as it passes (they are not
 * kept: a 100,000-msg stream would fill the heap); log lines and statuses are kept, so `leaks()` checks them again
 * at the end against everything registered by then.
 *
 * Start it after `startServer()` (the runtime's init resets the log handlers) and `stop()` it when done.
 */
import { EventEmitter } from "node:events";
import * as path from "node:path";
import { inspect } from "node:util";

/** Node-RED log levels. */
export const LEVEL = { fatal: 10, error: 20, warn: 30, info: 40, debug: 50, trace: 60, audit: 98, metric: 99 } as const;

export interface CapturedLine {
  readonly level: number;
  readonly text: string;
  readonly nodeId?: string;
  readonly type?: string;
  readonly atMs: number;
}

export interface CapturedStatus {
  readonly nodeId: string;
  readonly text: string;
  readonly fill?: string;
  readonly shape?: string;
  readonly atMs: number;
}

export interface Leak {
  /** `log`, `status` or `msg from <node id>`. */
  readonly where: string;
  /** The first characters of the secret only, so a report does not leak it again. */
  readonly secretHint: string;
  readonly excerpt: string;
}

interface Util {
  readonly log: { addHandler(handler: EventEmitter): void; removeHandler(handler: EventEmitter): void };
  readonly events: EventEmitter;
  readonly hooks: {
    add(id: string, callback: (payload: unknown) => void): void;
    remove(id: string): void;
  };
}

interface SendEvent {
  readonly msg: unknown;
  readonly source?: { readonly id?: string };
}

/** @node-red/util of the runtime the helper runs: the same module instance its flows use. */
function runtimeUtil(): Util {
  const runtime = require.resolve(process.env.NODE_RED_PACKAGE ?? "node-red");
  return require(require.resolve("@node-red/util", { paths: [path.dirname(runtime)] })) as Util;
}

/** The runtime's event bus (`flows:started`, `node-status`, ...) of the runtime the helper runs. */
export function runtimeEvents(): EventEmitter {
  return runtimeUtil().events;
}

/** Text of any value, with bytes shown as text so a secret inside a Buffer is found too. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.message}\n${value.stack ?? ""}`;
  try {
    const text = JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, item: unknown) {
      // `this[key]` is the value before toJSON (a Buffer would otherwise become {type, data: [numbers]}).
      const original = this[key];
      if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("latin1");
      if (original instanceof Error) return { ...original, message: original.message, stack: original.stack };
      if (typeof item === "bigint") return item.toString();
      return item;
    });
    if (text !== undefined) return text;
  } catch {
    // a cycle: inspect copes
  }
  return inspect(value, { depth: 12, maxArrayLength: 2000, maxStringLength: 1_000_000, breakLength: Infinity });
}

let hookCounter = 0;

export class RuntimeCapture {
  readonly lines: CapturedLine[] = [];
  readonly statuses: CapturedStatus[] = [];
  /** Emits `line` and `status` (with the captured entry) as they arrive, for tests that await them. */
  readonly changes = new EventEmitter();
  /** Msgs sent by any node so far. */
  msgCount = 0;
  /** Msgs carrying `msg.error` (what Catch nodes send). */
  errorMsgCount = 0;
  /** Metric and audit records seen (checked, not kept). */
  metricCount = 0;
  /**
   * Keep log lines (default). False: lines are only checked for secrets and counted in `droppedLines`, for tests
   * that measure the heap over a long run and must not count the capture's own growth.
   */
  keepLines = true;
  droppedLines = 0;
  /** Leaks found in what is not kept (msgs, metric records). */
  private readonly msgLeaks: Leak[] = [];
  private readonly sources: (() => Iterable<string>)[] = [];
  private readonly util: Util;
  private readonly handler = new EventEmitter();
  private readonly hookId: string;
  private stopped = false;
  private readonly onStatus = (event: { id?: string; status?: { text?: unknown; fill?: string; shape?: string } }): void => {
    const status = event.status ?? {};
    const captured: CapturedStatus = {
      nodeId: String(event.id ?? ""),
      text: status.text === undefined ? "" : String(status.text),
      ...(status.fill !== undefined ? { fill: status.fill } : {}),
      ...(status.shape !== undefined ? { shape: status.shape } : {}),
      atMs: Date.now(),
    };
    this.statuses.push(captured);
    this.changes.emit("status", captured);
  };

  private constructor() {
    this.util = runtimeUtil();
    this.changes.setMaxListeners(0);
    hookCounter += 1;
    this.hookId = `captureall${process.pid}x${hookCounter}`;
    this.handler.on("log", (entry: { level?: number; msg?: unknown; id?: string; type?: string; timestamp?: number }) => {
      if ((entry.level ?? 0) >= LEVEL.audit) {
        // Metrics (one per msg event) and audit records: checked for secrets now, not kept (a long stream would
        // fill the heap with them). No console or file logger shows them unless told to.
        this.metricCount += 1;
        this.scan("metric/audit record", textOf(entry));
        return;
      }
      if (!this.keepLines) {
        this.droppedLines += 1;
        this.scan("log", textOf(entry.msg));
        return;
      }
      const captured: CapturedLine = {
        level: entry.level ?? 0,
        text: textOf(entry.msg),
        ...(entry.id !== undefined ? { nodeId: entry.id } : {}),
        ...(entry.type !== undefined ? { type: entry.type } : {}),
        atMs: entry.timestamp ?? Date.now(),
      };
      this.lines.push(captured);
      this.changes.emit("line", captured);
    });
    this.util.log.addHandler(this.handler);
    this.util.events.on("node-status", this.onStatus);
    this.util.hooks.add(`onSend.${this.hookId}`, (payload: unknown) => {
      for (const event of payload as SendEvent[]) this.onMsg(event);
    });
  }

  /** Starts capturing (call after the helper's startServer). */
  static start(): RuntimeCapture {
    return new RuntimeCapture();
  }

  /** Where secrets come from; consulted for every msg and again by `leaks()`. */
  watchSecrets(source: Iterable<string> | (() => Iterable<string>)): void {
    this.sources.push(typeof source === "function" ? source : () => source);
  }

  /** Every watched secret now (empty and very short strings ignored: they would match anything). */
  secrets(): string[] {
    const all = new Set<string>();
    for (const source of this.sources) for (const secret of source()) if (secret && secret.length >= 6) all.add(secret);
    return [...all];
  }

  private onMsg(event: SendEvent): void {
    this.msgCount += 1;
    const msg = event.msg;
    if (msg !== null && typeof msg === "object" && "error" in msg) this.errorMsgCount += 1;
    if (this.sources.length === 0) return;
    this.scan(`msg from ${event.source?.id ?? "?"}`, textOf(msg));
  }

  /** Checks a text that is not kept against the secrets known now. */
  private scan(where: string, text: string): void {
    for (const secret of this.secrets()) {
      if (text.includes(secret)) this.msgLeaks.push(leak(where, secret, text));
    }
  }

  /** Log lines from `fromMs` (inclusive) to `toMs` (exclusive), optionally at or below a level (more severe). */
  linesBetween(fromMs: number, toMs = Number.POSITIVE_INFINITY, maxLevel: number = LEVEL.trace): CapturedLine[] {
    return this.lines.filter((line) => line.atMs >= fromMs && line.atMs < toMs && line.level <= maxLevel);
  }

  statusesOf(nodeId: string): CapturedStatus[] {
    return this.statuses.filter((status) => status.nodeId === nodeId);
  }

  /** Every secret found anywhere: msgs (checked when sent), log lines and statuses (checked now). */
  leaks(): Leak[] {
    const secrets = this.secrets();
    const found = [...this.msgLeaks];
    for (const line of this.lines) {
      for (const secret of secrets) if (line.text.includes(secret)) found.push(leak("log", secret, line.text));
    }
    for (const status of this.statuses) {
      for (const secret of secrets) if (status.text.includes(secret)) found.push(leak("status", secret, status.text));
    }
    return found;
  }

  /** A one-line account of what was captured, for test output and docs/reliability.md. */
  summary(): string {
    return `${this.lines.length + this.droppedLines} log lines, ${this.metricCount} metric/audit records, ${this.statuses.length} statuses, ${this.msgCount} msgs (${this.errorMsgCount} with msg.error), checked against ${this.secrets().length} secrets`;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.util.log.removeHandler(this.handler);
    this.util.events.removeListener("node-status", this.onStatus);
    this.util.hooks.remove(`onSend.${this.hookId}`);
  }
}

function leak(where: string, secret: string, text: string): Leak {
  const at = text.indexOf(secret);
  const excerpt = text
    .slice(Math.max(0, at - 60), at + secret.length + 20)
    .split(secret)
    .join("<SECRET>");
  return { where, secretHint: `${secret.slice(0, 3)}…(${secret.length} chars)`, excerpt };
}
