/**
 * Flow-test helpers for the nodes users wire (easee-observations, easee-filter):
 * - `stubEaseeConfigModule`: a stand-in `easee-config` node type that offers the subscriber API of
 *   nodes/shared/config-api.ts and lets a test push observations, decode errors and connection states
 *   straight into the subscribed nodes (no broker, no timing). Integration tests use the real config node.
 * - `observation()`: a decoded observation with sensible defaults.
 * - msg collectors for helper nodes and Node-RED's spied node methods.
 */
import type { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import { PendingCommands, RateGuard, TicksClock, type EncodedCommand } from "../../core/command";
import { messageDetail, type ConnectionState, type DecodeError, type DecodedCommandResponse, type DecodedObservation } from "../../core/types";
import type { DeliverySubscriber, EaseeConfigNode } from "../../nodes/shared/config-api";
import { catalogueEntry, englishText, fillText, type TextParams } from "../../nodes/shared/i18n";
import { helper } from "./node-red";

/**
 * A core node module (`common/20-inject.js`, `common/90-comment.js`...) of the Node-RED runtime under test,
 * to load in helper flows next to ours. (The helper preloads only catch, status and complete.)
 */
export function coreNodeModule(file: string): (RED: NodeAPI) => void {
  const runtime = require.resolve(process.env.NODE_RED_PACKAGE ?? "node-red");
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [path.dirname(runtime)] })) as (RED: NodeAPI) => void;
}

/** A node of a test flow: plain JSON as Node-RED exports it. */
export type FlowNode = { id: string; type: string; [key: string]: unknown };

type NodeModule = (RED: NodeAPI) => void;

/**
 * Timing overrides the easee-config node reads from RED.settings.easeeAmqpTestTuning (its TestTuning keys:
 * amqpBackoffMinMs, apiBackoffMaxMs, connectTimeoutMs, … in nodes/easee-config.ts), in milliseconds or counts.
 */
export type TestTuning = Readonly<Record<string, number>>;

let testTuning: TestTuning | undefined;

/**
 * Shorter backoffs and timeouts for the flows loaded from now on, handed to the nodes as Node-RED settings
 * (`easeeAmqpTestTuning`); `undefined` restores the defaults.
 */
export function setTestTuning(tuning: TestTuning | undefined): void {
  testTuning = tuning;
}

/**
 * helper.load with plain flow JSON (the helper's own typing wants every property declared).
 * Credentials are keyed by config node id.
 */
export async function loadFlow(
  modules: NodeModule | NodeModule[],
  flow: FlowNode[],
  credentials: Record<string, Record<string, string>> = {},
): Promise<void> {
  if (process.env.EASEE_AMQP_TEST_TUNING !== undefined) {
    // The nodes no longer read the environment: a test still setting it would silently run with the real timings.
    throw new Error("EASEE_AMQP_TEST_TUNING is no longer read: use setTestTuning() from test/helpers/flows");
  }
  // A setting of this package, not in @types/node-red's settings type (Node-RED passes any settings.js key on).
  helper.settings({ easeeAmqpTestTuning: testTuning } as never);
  await helper.load(modules as never, flow as never, credentials as never);
}

export interface StubEaseeConfigNode extends EaseeConfigNode {
  readonly subscribers: Map<string, DeliverySubscriber>;
  readonly deregistered: string[];
  /** Every command handed to sendCommand, in order. */
  readonly sent: EncodedCommand[];
  /** How sendCommand answers: resolve at once (default), reject with this error, or never settle. */
  sendBehaviour: "resolve" | "hang" | Error;
  emitObservation(observation: DecodedObservation): void;
  emitCommandResponse(response: DecodedCommandResponse): void;
  emitDecodeError(error: DecodeError): void;
  setState(state: ConnectionState): void;
}

export const CONNECTED: ConnectionState = { phase: "connected", reason: "connected" };
export const CONNECTING: ConnectionState = { phase: "connecting", reason: "connecting" };
export const DISCONNECTED: ConnectionState = {
  phase: "disconnected",
  reason: "disconnected",
  detail: messageDetail("broker closed the connection"),
};

/** Registers the stub under the real type name, so flows are the same as with the real config node. */
export function stubEaseeConfigModule(RED: NodeAPI): void {
  function StubConfig(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const subscribers = new Map<string, DeliverySubscriber>();
    const deregistered: string[] = [];
    let state: ConnectionState = CONNECTED;
    const stub = this as unknown as StubEaseeConfigNode & { connectionState: ConnectionState };
    const sent: EncodedCommand[] = [];
    Object.assign(stub, {
      subscribers,
      deregistered,
      sent,
      sendBehaviour: "resolve",
      commands: { pending: new PendingCommands(), guard: new RateGuard(), ticks: new TicksClock() },
      sendCommand(command: EncodedCommand, options: { signal?: AbortSignal }) {
        sent.push(command);
        const behaviour = stub.sendBehaviour;
        if (behaviour === "resolve") return Promise.resolve();
        if (behaviour instanceof Error) return Promise.reject(behaviour);
        return new Promise<void>((_resolve, reject) => {
          options.signal?.addEventListener("abort", () => reject(new Error("withdrawn")), { once: true });
        });
      },
      emitCommandResponse(response: DecodedCommandResponse) {
        for (const subscriber of subscribers.values()) subscriber.onCommandResponse?.(response);
      },
      register(subscriber: DeliverySubscriber) {
        subscribers.set(subscriber.id, subscriber);
        subscriber.onConnectionState?.(state);
      },
      async deregister(subscriber: DeliverySubscriber) {
        subscribers.delete(subscriber.id);
        deregistered.push(subscriber.id);
      },
      emitObservation(observation: DecodedObservation) {
        for (const subscriber of subscribers.values()) subscriber.onObservation?.(observation);
      },
      emitDecodeError(error: DecodeError) {
        for (const subscriber of subscribers.values()) subscriber.onDecodeError?.(error);
      },
      setState(next: ConnectionState) {
        state = next;
        for (const subscriber of subscribers.values()) subscriber.onConnectionState?.(next);
      },
    });
    Object.defineProperty(stub, "connectionState", { get: () => state });
  }
  RED.nodes.registerType("easee-config", StubConfig);
}

export function stubConfig(id = "cfg"): StubEaseeConfigNode {
  return helper.getNode(id) as unknown as StubEaseeConfigNode;
}

export function observation(overrides: Partial<DecodedObservation> = {}): DecodedObservation {
  const chargerId = overrides.chargerId ?? "EH123456";
  const observationId = overrides.observationId ?? 120;
  return {
    kind: "observation",
    chargerId,
    observationId,
    name: "TotalPower",
    known: true,
    description: "Total power",
    dataType: "Double",
    unit: "kW",
    category: "telemetry",
    value: 7.2,
    routingKey: `${chargerId}.O.${observationId}`,
    ...overrides,
  };
}

/** A few catalogue-consistent observations for routing tests. */
export const OBS = {
  totalPower: (value = 7.2, chargerId = "EH123456") =>
    observation({ chargerId, value, observationId: 120, name: "TotalPower" }),
  sessionEnergy: (value = 1.5, chargerId = "EH123456") =>
    observation({ chargerId, value, observationId: 121, name: "SessionEnergy", description: "Session accumulated energy", unit: "kWh" }),
  opMode: (value = 3, chargerId = "EH123456") =>
    observation({
      chargerId,
      value,
      observationId: 109,
      name: "ChargerOpMode",
      description: "Charger operation mode",
      dataType: "Integer",
      unit: null,
      category: "event",
      label: value === 3 ? "Charging" : "Disconnected",
    }),
  current: (observationId: number, value = 16, chargerId = "EH123456") =>
    observation({ chargerId, value, observationId, name: `InCurrent_T${observationId - 180}`, unit: "A" }),
};

/** Every msg a helper node receives, in order, with a way to await the n-th. */
export class Inbox {
  readonly msgs: NodeMessage[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly id: string) {
    const node = helper.getNode(id);
    if (!node) throw new Error(`no node ${id} in the flow`);
    node.on("input", (msg: NodeMessage) => {
      this.msgs.push(msg);
      this.waiters = this.waiters.filter((waiter) => {
        if (this.msgs.length >= waiter.count) waiter.resolve();
        return this.msgs.length < waiter.count;
      });
    });
  }

  /** Resolves with the first `count` msgs once they have arrived; fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000): Promise<NodeMessage[]> {
    if (this.msgs.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${this.id}: ${this.msgs.length} of ${count} msgs arrived within ${timeoutMs} ms`)),
          timeoutMs,
        );
        this.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.msgs.slice(0, count);
  }

  async next(timeoutMs = 5000): Promise<NodeMessage> {
    const msgs = await this.waitFor(this.msgs.length + 1, timeoutMs);
    return msgs[msgs.length - 1] as NodeMessage;
  }
}

/** Inboxes for several helper nodes at once: `inboxes("o1", "o2")`. */
export function inboxes(...ids: string[]): Inbox[] {
  return ids.map((id) => new Inbox(id));
}

interface SpyCall {
  readonly args: unknown[];
  readonly thisValue: unknown;
}

/** The helper spies on Node.prototype, so a spy's calls are every node's: keep this node's only. */
function ownCalls(node: unknown, method: string): SpyCall[] {
  const spy = (node as { [key: string]: { getCalls?: () => SpyCall[] } })[method];
  return (spy?.getCalls?.() ?? []).filter((call) => call.thisValue === node);
}

/** The runtime's spied node methods (test helper): awaits the first call whose args match. */
export function nextCall(
  nodeId: string,
  method: "status" | "warn" | "error" | "log" | "debug",
  match: (args: unknown[]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<unknown[]> {
  const found0 = helper.getNode(nodeId);
  if (!found0) return Promise.reject(new Error(`no node ${nodeId} in the flow`));
  // Node's typing only knows "input" and "close"; the helper emits `call:<method>` on the same emitter.
  const node = found0 as unknown as EventEmitter;
  const earlier = ownCalls(node, method);
  const found = earlier.find((call) => match(call.args));
  if (found) return Promise.resolve(found.args);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener(`call:${method}`, listener);
      reject(new Error(`${nodeId}.${method}() was not called as expected within ${timeoutMs} ms`));
    }, timeoutMs);
    function listener(call: SpyCall): void {
      if (!match(call.args)) return;
      clearTimeout(timer);
      node.removeListener(`call:${method}`, listener);
      resolve(call.args);
    }
    node.on(`call:${method}`, listener);
  });
}

/** All calls so far of a spied node method, as argument lists. */
export function calls(nodeId: string, method: "status" | "warn" | "error" | "log" | "debug"): unknown[][] {
  return ownCalls(helper.getNode(nodeId), method).map((call) => call.args);
}

/** Text of the first argument of a call (status objects give their text). */
export function callText(args: unknown[]): string {
  const first = args[0];
  if (typeof first === "string") return first;
  if (first && typeof first === "object" && "text" in first) return String((first as { text?: unknown }).text);
  if (first instanceof Error) return first.message;
  return String(first);
}

/** A message catalogue of locales/en-US (or `lang`), read from the package sources. */
export function readCatalogue(node: string, lang = "en-US"): Record<string, unknown> {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, "locales", lang, `${node}.json`);
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    dir = path.dirname(dir);
  }
  throw new Error(`locales/${lang}/${node}.json not found`);
}

/** The entry at a dotted key (`easee-filter.errors.badToken`) of a message catalogue. */
export const lookup: (catalogue: Record<string, unknown>, key: string) => unknown = catalogueEntry;

/** What a user of an English Node-RED reads for a runtime text key (`params` filled in). */
export function english(key: string, params: TextParams = {}): string {
  const text = englishText(key);
  if (text === undefined) throw new Error(`no English text for ${key}`);
  return fillText(text, params);
}

/** Finds the English text of `key`, whatever its `__parameters__` are, in a message or a log line. */
export function englishPattern(key: string): RegExp {
  const text = english(key);
  const parts = text.split(/__[A-Za-z]+__/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join(".*"), "s");
}
