/**
 * `easee-observations`: one msg per decoded observation from the `easee-config` node's stream.
 * This file only wires the pure core (core/observations) to Node-RED: registration, status, input, close.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from "node-red";
import { realScheduler } from "../core/timing/scheduler";
import {
  DEFAULT_SILENCE_MINUTES,
  ObservationPipeline,
  PresenceTracker,
  RateMeter,
  buildPresenceMsg,
  compactCount,
  formatRate,
  parseMaxAgeSeconds,
  parseSilenceMinutes,
  type PresenceChange,
} from "../core/observations";
import { translator } from "./shared/i18n";
import { joinConfig, leaveConfig } from "./shared/lifecycle";
import type { ConnectionState, DecodeError, DecodedObservation } from "../core/types";
import { isEaseeConfigNode, type DeliverySubscriber, type EaseeConfigNode } from "./shared/config-api";
import { seenChargers, serveSeenChargers } from "./shared/seen-chargers";
import { connectionStatus } from "./shared/status";
import { decodeErrorText } from "./shared/decode-text";

interface EaseeObservationsDef extends NodeDef {
  config?: string;
  topic?: string;
  chargers?: string;
  includeUnknown?: boolean | string;
  maxAgeSeconds?: number | string;
  /** Send a msg when a charger goes silent or speaks again (default true). */
  presence?: boolean | string;
  /** Minutes of silence after which a charger counts as offline (default 20; fractions allowed). */
  silenceMinutes?: number | string;
}

/** Status rate refresh: at most once a second, as the editor and Status nodes would otherwise be flooded.
 * The rate itself is averaged over the meter's window (RATE_WINDOW_MS). */
const STATUS_INTERVAL_MS = 1000;

const init = (RED: NodeAPI): void => {
  const t = translator(RED);

  function EaseeObservationsNode(this: Node, def: EaseeObservationsDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    let maxAgeSeconds = parseMaxAgeSeconds(def.maxAgeSeconds);
    if (maxAgeSeconds === undefined) {
      node.warn(t("easee-observations.warn.invalidMaxAge", { value: String(def.maxAgeSeconds) }));
      maxAgeSeconds = 0;
    }
    const pipeline = new ObservationPipeline({
      topic: def.topic,
      chargers: def.chargers,
      includeUnknown: !(def.includeUnknown === false || def.includeUnknown === "false"),
      maxAgeSeconds,
    });
    if (pipeline.topic.unknownPlaceholders.length > 0) {
      node.warn(
        t("easee-observations.warn.unknownPlaceholder", {
          names: pipeline.topic.unknownPlaceholders.map((name) => `{${name}}`).join(", "),
        }),
      );
    }

    const presenceOn = !(def.presence === false || def.presence === "false");
    let silenceMinutes = parseSilenceMinutes(def.silenceMinutes);
    if (silenceMinutes === undefined) {
      node.warn(t("easee-observations.warn.invalidSilence", { value: String(def.silenceMinutes), default: DEFAULT_SILENCE_MINUTES }));
      silenceMinutes = DEFAULT_SILENCE_MINUTES;
    }
    const presence = presenceOn
      ? new PresenceTracker({
          silenceMs: silenceMinutes * 60_000,
          scheduler: realScheduler,
          // Listed chargers are expected: one that never speaks is reported offline once the silence time has passed.
          expected: pipeline.chargerFilter.serials,
          onChange(change: PresenceChange): void {
            if (closing) return;
            node.send(buildPresenceMsg(change, pipeline.topic) as unknown as NodeMessage);
          },
        })
      : undefined;

    const meter = new RateMeter(Date.now());
    let closing = false;
    let connection: ConnectionState | undefined;
    let rate = 0;
    let shown = "";

    function render(): void {
      if (closing) return;
      let status: NodeStatus;
      if (connection === undefined) {
        status = { fill: "grey", shape: "ring", text: "easee-observations.status.waiting" };
      } else {
        // The config's text, translated at runtime from the config node's catalogue. Without a catalogue the plain
        // key is kept (not the English fallback), as for every other status: the editor translates keys itself.
        status = connectionStatus(connection, (key) => RED._(key));
        // Healthy (green) and traffic seen: the rate says more than "connected". Anything else keeps the
        // config's words (connecting, disconnected, blocked by the broker...).
        if (status.fill === "green" && (meter.totalCount > 0 || pipeline.droppedOld > 0)) {
          const dropped = pipeline.droppedOld;
          const text =
            dropped > 0
              ? t("easee-observations.status.rateDropped", { rate: formatRate(rate), dropped: compactCount(dropped) })
              : t("easee-observations.status.rate", { rate: formatRate(rate) });
          status = { fill: "green", shape: "dot", text };
        }
      }
      // Only real changes reach the editor: an idle node must not send a status every second.
      const signature = `${status.fill}|${status.shape}|${status.text}`;
      if (signature === shown) return;
      shown = signature;
      node.status(status);
    }

    const candidate = def.config ? RED.nodes.getNode(def.config) : null;
    const config: EaseeConfigNode | undefined = isEaseeConfigNode(candidate) ? candidate : undefined;

    const subscriber: DeliverySubscriber = {
      id: node.id,
      onObservation(observation: DecodedObservation): void {
        if (closing) return;
        // Before the charger filter: the dialog suggests every charger on the stream, not only those passed.
        seenChargers.note(observation.chargerId);
        // Presence first: a charger coming back is announced before its first value.
        if (presence !== undefined && pipeline.chargerFilter.matches(observation.chargerId)) presence.heard(observation);
        const msg = pipeline.accept(observation);
        if (msg === undefined) return;
        meter.mark();
        node.send(msg as unknown as NodeMessage);
      },
      onDecodeError(error: DecodeError): void {
        if (closing) return;
        // A msg (not just text) so a Catch node fires; preview and routing key help find the culprit.
        // The SignalR stream has no routing key: then `msg.easee` has none either.
        const msg: NodeMessage = {
          payload: error.preview.slice(0, 200),
          easee: error.routingKey === "" ? {} : { routingKey: error.routingKey },
        };
        node.error(t("easee-observations.errors.undecodable", { reason: decodeErrorText(error, t) }), msg);
      },
      onConnectionState(state: ConnectionState): void {
        connection = state;
        // Nothing can be heard while the stream is down: nobody goes offline for our own outage.
        if (state.phase === "connected") presence?.resume();
        else presence?.pause();
        render();
      },
    };

    let timer: NodeJS.Timeout | undefined;
    if (config === undefined) {
      node.status({ fill: "red", shape: "ring", text: "easee-observations.status.missingConfig" });
      node.error(t("easee-observations.errors.missingConfig"));
    } else {
      render();
      timer = setInterval(() => {
        rate = meter.sample(Date.now());
        const dropped = pipeline.takeUnreportedDrops();
        if (dropped > 0) {
          node.warn(
            t("easee-observations.warn.droppedOld", {
              count: dropped,
              seconds: pipeline.maxAgeSeconds,
              total: pipeline.droppedOld,
            }),
          );
        }
        render();
      }, STATUS_INTERVAL_MS);
      joinConfig(config, subscriber, (reason) => {
        node.status({ fill: "red", shape: "ring", text: "easee-observations.status.error" });
        node.error(t("easee-observations.errors.registerFailed", { reason }));
      });
    }

    node.on("input", (msg, send, done) => {
      const topic = typeof msg.topic === "string" ? msg.topic.trim().toLowerCase() : "";
      if (topic !== "snapshot") {
        node.warn(t("easee-observations.warn.unknownInput"));
        done();
        return;
      }
      const msgs = pipeline.snapshot() as unknown as NodeMessage[];
      for (const change of presence?.known() ?? []) {
        const presenceMsg = buildPresenceMsg(change, pipeline.topic);
        presenceMsg.easee.snapshot = true;
        msgs.push(presenceMsg as unknown as NodeMessage);
      }
      // One send with an array for output 1: Node-RED delivers them in order, one msg each.
      if (msgs.length > 0) send([msgs]);
      node.debug(t("easee-observations.log.snapshot", { count: msgs.length }));
      done();
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      closing = true;
      if (timer !== undefined) clearInterval(timer);
      presence?.close();
      leaveConfig(config, subscriber, done, (message) => node.warn(message));
    });
  }

  RED.nodes.registerType("easee-observations", EaseeObservationsNode);
  serveSeenChargers(RED, "easee-observations.read");
};

export = init;
