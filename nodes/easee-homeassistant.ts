/**
 * `easee-homeassistant`: turns observation msgs into msgs for Node-RED's `mqtt out` node that make every charger
 * appear in Home Assistant through MQTT discovery (retained configs, states, availability), and, with controls on,
 * turns Home Assistant's commands (from an `mqtt in` on the command topics) into msgs for `easee-command` on a second
 * output; the command node's answers, fed back in, update the last-command sensor.
 * This file only wires the pure core (core/homeassistant) to Node-RED.
 */
import { ruleErrorText } from "./shared/rule-text";
import * as fs from "fs";
import * as path from "path";
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import {
  DEFAULT_MAX_CHARGERS,
  HomeAssistantBridge,
  cleanBase,
  createSelection,
  parseCommandTopic,
  readCommandAnswer,
  type CommandProblem,
  type CommandRequest,
  type MqttMessage,
  type OriginInfo,
} from "../core/homeassistant";
import type { DeviceKind } from "../core/catalogue";
import { flag } from "../core/routing/rules";
import type { ConnectionState } from "../core/types";
import { isEaseeConfigNode, type DeliverySubscriber, type EaseeConfigNode } from "./shared/config-api";
import { translator, type Translate } from "./shared/i18n";
import { joinConfig, leaveConfig } from "./shared/lifecycle";

interface EaseeHomeAssistantDef extends NodeDef {
  /** Optional `easee-config` node: its AMQP connection state drives the bridge availability topic. */
  config?: string;
  prefix?: string;
  stateTopic?: string;
  /** `useful` | `all` | `list` */
  selection?: string;
  /** With `list`: ids, ranges and names, e.g. `120, 182-185, ChargerOpMode`. */
  observations?: string;
  /** Retain state messages (configs and availability are always retained). */
  retain?: boolean | string;
  /**
   * Announce controls and turn their commands into msgs for easee-command. The editor ticks it for new nodes;
   * a node saved before controls existed has no such property and stays read-only, as it was.
   */
  controls?: boolean | string;
  /** With controls: a reboot button (off unless ticked). */
  reboot?: boolean | string;
  /** With controls: the 1/3 phases select (acts on the whole circuit; off unless ticked). */
  phases?: boolean | string;
}

const DEFAULT_PREFIX = "homeassistant";
const DEFAULT_STATE_TOPIC = "easee";

/** The package's own name and version, for the `origin` block Home Assistant shows in its MQTT info. */
function readOrigin(): OriginInfo {
  const origin = { name: "node-red-contrib-easee-amqp" };
  try {
    // dist/nodes/ (or build-*/nodes/) sits two levels below the package root.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? { ...origin, sw_version: pkg.version } : origin;
  } catch {
    return origin;
  }
}

interface EaseeMsgFields {
  chargerId?: unknown;
  observationId?: unknown;
  label?: unknown;
  device?: unknown;
  late?: unknown;
  timestamp?: unknown;
  arrivalTime?: unknown;
  presence?: unknown;
}

interface PresenceFields {
  online?: unknown;
  lastSeen?: { arrivalTime?: unknown; receivedAt?: unknown } | null;
}

function deviceOf(easee: EaseeMsgFields): DeviceKind | undefined {
  return easee.device === "charger" || easee.device === "equalizer" || easee.device === "unknown" ? easee.device : undefined;
}

/** When the device was heard: the cloud's arrival time where the msg has it, else the device's own time. */
function seenAtOf(easee: EaseeMsgFields): string | undefined {
  if (typeof easee.arrivalTime === "string") return easee.arrivalTime;
  return typeof easee.timestamp === "string" ? easee.timestamp : undefined;
}

/** The serials a remove msg names: a string, a comma-separated string, or an array of strings; undefined = all. */
function serialsOf(payload: unknown): string[] | undefined {
  const list = Array.isArray(payload) ? payload : typeof payload === "string" ? payload.split(",") : [];
  const serials = list.filter((item): item is string => typeof item === "string").map((item) => item.trim()).filter((item) => item !== "");
  return serials.length > 0 ? serials : undefined;
}

/** The user-facing sentence for a command Home Assistant sent that cannot become a command msg. */
function problemText(t: Translate, problem: CommandProblem): string {
  switch (problem.code) {
    case "controlsOff":
      return t("easee-homeassistant.errors.controlsOff");
    case "unknownControl":
      return t("easee-homeassistant.errors.unknownControl", { control: problem.control });
    case "badPayload":
      return t("easee-homeassistant.errors.badPayload", { control: problem.control, expected: problem.expected });
    case "outOfRange":
      return t("easee-homeassistant.errors.outOfRange", { control: problem.control, value: problem.value, min: problem.min, max: problem.max });
    case "phaseCurrentUnknown":
      return t("easee-homeassistant.errors.phaseCurrentUnknown");
  }
}

/** The msg for easee-command's input (CONTRACT.md "Node easee-command"). */
function commandMsg(request: CommandRequest): NodeMessage {
  return { topic: request.topic, chargerId: request.chargerId, payload: { ...request.payload } } as NodeMessage;
}

const init = (RED: NodeAPI): void => {
  const origin = readOrigin();
  const t = translator(RED);

  function EaseeHomeAssistantNode(this: Node, def: EaseeHomeAssistantDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const prefix = cleanBase(def.prefix, DEFAULT_PREFIX);
    const baseTopic = cleanBase(def.stateTopic, DEFAULT_STATE_TOPIC);

    const selected = createSelection(def.selection, def.observations);
    if (!selected.ok) {
      node.status({ fill: "red", shape: "ring", text: "easee-homeassistant.status.badSelection" });
      node.error(t("easee-homeassistant.errors.badSelection", { reason: ruleErrorText(selected.error, t) }));
      // The flow still deploys (like a core node with a bad setting); this node passes nothing on.
      node.on("input", (_msg, _send, done) => done());
      return;
    }

    const bridge = new HomeAssistantBridge({
      prefix,
      baseTopic,
      selection: selected.selection,
      retain: flag(def.retain, true),
      maxChargers: DEFAULT_MAX_CHARGERS,
      origin,
      controls: { enabled: flag(def.controls, false), reboot: flag(def.reboot, false), phases: flag(def.phases, false) },
    });

    let lastStatus = "";
    let phase: ConnectionState["phase"] | undefined;
    /** The config node consumes nothing: no easee-observations node uses it (so there is no data to show). */
    let idle = false;
    let warnedEvictions = false;
    function showStatus(): void {
      let key: string;
      let status: { fill: "green" | "grey" | "yellow" | "red"; shape: "dot" | "ring"; text: string };
      if (phase === "connecting") {
        key = "connecting";
        status = { fill: "yellow", shape: "ring", text: "easee-homeassistant.status.connecting" };
      } else if (idle) {
        key = "idle";
        status = { fill: "grey", shape: "ring", text: "easee-homeassistant.status.idle" };
      } else if (!bridge.connectionOnline) {
        key = "offline";
        status = { fill: "red", shape: "ring", text: "easee-homeassistant.status.offline" };
      } else if (bridge.entityCount === 0) {
        key = "waiting";
        status = { fill: "grey", shape: "ring", text: "easee-homeassistant.status.waiting" };
      } else {
        key = `entities:${bridge.entityCount}`;
        status = { fill: "green", shape: "dot", text: t("easee-homeassistant.status.entities", { count: bridge.entityCount }) };
      }
      if (key === lastStatus) return;
      lastStatus = key;
      node.status(status);
    }

    function toMsgs(messages: readonly MqttMessage[]): NodeMessage[] {
      return messages.map((message) => ({ topic: message.topic, payload: message.payload, retain: message.retain, qos: message.qos }));
    }

    /** All on output 1, in order: mqtt out publishes each msg as it comes. Output 2 carries only command msgs. */
    function sendAll(send: (msgs: NodeMessage[][]) => void, messages: readonly MqttMessage[]): void {
      if (messages.length > 0) send([toMsgs(messages)]);
    }

    // Connection-state changes are sent as they happen; the state reported at registration is only recorded
    // (sending from inside the constructor could reach wires that do not exist yet).
    let started = false;
    let configNode: EaseeConfigNode | undefined;
    const subscriber: DeliverySubscriber = {
      id: node.id,
      onConnectionState(state: ConnectionState) {
        phase = state.phase;
        idle = state.reason === "idle";
        const messages = bridge.setConnection(state.phase === "connected");
        if (started) sendAll((msgs) => node.send(msgs), messages);
        showStatus();
      },
    };
    if (def.config) {
      const candidate = RED.nodes.getNode(def.config) as Node | null;
      if (isEaseeConfigNode(candidate)) {
        configNode = candidate;
        joinConfig(configNode, subscriber, (reason) => node.error(t("easee-homeassistant.errors.registerFailed", { reason })));
      } else {
        node.warn(t("easee-homeassistant.warn.noConfig"));
      }
    }
    started = true;
    showStatus();

    node.on("input", (msg: NodeMessageInFlow, send, done) => {
      const topic = typeof msg.topic === "string" ? msg.topic : "";
      if (topic === "remove") {
        sendAll(send, bridge.remove(serialsOf(msg.payload)));
        lastStatus = "";
        node.status({ fill: "grey", shape: "dot", text: "easee-homeassistant.status.removed" });
        done();
        return;
      }
      // Home Assistant's birth message (wire an `mqtt in` on `<prefix>/status`), or an explicit request.
      if (topic === "republish" || (topic === `${prefix}/status` && String(msg.payload).trim() === "online")) {
        sendAll(send, bridge.republish());
        done();
        return;
      }
      if (topic === `${prefix}/status`) {
        done();
        return;
      }

      // easee-command's answer (output 1 or 2), or its error passed on by a Catch node: the last-command sensor.
      const report = readCommandAnswer(msg);
      if (report !== undefined) {
        sendAll(send, bridge.reportCommand(report));
        done();
        return;
      }

      // A retained command would be replayed at every reconnect of the mqtt in (a reboot at every deploy): not acted on.
      if ((msg as { retain?: unknown }).retain === true && parseCommandTopic({ prefix, baseTopic }, topic) !== undefined) {
        node.warn(t("easee-homeassistant.warn.retainedCommand", { topic: topic.slice(0, 200) }));
        done();
        return;
      }

      // Home Assistant's command for a control, from an `mqtt in` on <stateTopic>/+/+/set.
      const handled = bridge.command(topic, msg.payload);
      if (handled !== undefined) {
        if (handled.ok) {
          send([handled.messages.length > 0 ? toMsgs(handled.messages) : null, commandMsg(handled.request)]);
        } else {
          const text = problemText(t, handled.problem);
          if (handled.known) {
            sendAll(
              send,
              bridge.reportCommand({ chargerId: handled.chargerId, outcome: "failed", command: handled.command, error: text, at: new Date().toISOString() }),
            );
          }
          node.error(text, msg);
        }
        done();
        return;
      }

      const easee = (msg as { easee?: EaseeMsgFields }).easee;
      // A presence msg of easee-observations (…/Online): availability, the Online and Last seen sensors.
      if (easee !== null && typeof easee === "object" && typeof easee.chargerId === "string" && easee.chargerId !== "" &&
        easee.presence !== null && typeof easee.presence === "object" && typeof (easee.presence as PresenceFields).online === "boolean") {
        const presence = easee.presence as PresenceFields;
        const lastSeen = presence.lastSeen;
        const seen = lastSeen !== null && typeof lastSeen === "object" ? (lastSeen.arrivalTime ?? lastSeen.receivedAt) : undefined;
        const device = deviceOf(easee);
        sendAll(
          send,
          bridge.presence({
            chargerId: easee.chargerId,
            online: presence.online === true,
            ...(device !== undefined ? { device } : {}),
            ...(typeof seen === "string" ? { lastSeen: seen } : {}),
          }),
        );
        showStatus();
        done();
        return;
      }
      if (easee === null || typeof easee !== "object" || typeof easee.chargerId !== "string" || easee.chargerId === "" || typeof easee.observationId !== "number") {
        node.error(t("easee-homeassistant.errors.notObservation"), msg);
        done();
        return;
      }
      const device = deviceOf(easee);
      const seenAt = seenAtOf(easee);
      const messages = bridge.observe({
        chargerId: easee.chargerId,
        observationId: easee.observationId,
        value: msg.payload,
        ...(typeof easee.label === "string" ? { label: easee.label } : {}),
        ...(device !== undefined ? { device } : {}),
        ...(seenAt !== undefined ? { seenAt } : {}),
        ...(easee.late === true ? { late: true } : {}),
      });
      sendAll(send, messages);
      if (bridge.evictions > 0 && !warnedEvictions) {
        warnedEvictions = true;
        node.warn(t("easee-homeassistant.warn.tooManyChargers", { max: DEFAULT_MAX_CHARGERS }));
      }
      showStatus();
      done();
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      const leaving = configNode;
      configNode = undefined;
      leaveConfig(leaving, subscriber, done, (message) => node.debug(`deregister: ${message}`));
    });
  }

  RED.nodes.registerType("easee-homeassistant", EaseeHomeAssistantNode);
};

export = init;
