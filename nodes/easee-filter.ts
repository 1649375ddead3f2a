/**
 * `easee-filter`: routes observation msgs to one output per rule (ids, ranges, names), like the core switch
 * node. The msg object passes on unchanged; Node-RED clones it for the second and later wires.
 * This file only wires the pure core (core/routing) to Node-RED, and serves the catalogue to the editor.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import { catalogueNameLookup, editorCatalogue, editorEqualizerCatalogue } from "../core/routing/catalogue";
import {
  ChangeTracker,
  chargerIdOf,
  compileFilter,
  deviceOf,
  flag,
  observationIdOf,
  passesChargers,
  routeObservation,
  type FilterRuleDef,
} from "../core/routing";
import { translator } from "./shared/i18n";
import { seenChargers, serveSeenChargers } from "./shared/seen-chargers";

interface EaseeFilterDef extends NodeDef {
  rules?: FilterRuleDef[];
  otherwise?: boolean | string;
  checkall?: boolean | string;
  onlyOnChange?: boolean | string;
  chargers?: string;
  outputs?: number | string;
}

/** Served to the edit dialog for suggestions and validation as the user types. */
const CATALOGUE_PATH = "/easee/catalogue";

/** `msg.easee.timestamp` (device time) as epoch ms; NaN when absent or unreadable. */
function deviceTimeOf(msg: unknown): number {
  const easee = (msg as { easee?: { timestamp?: unknown } } | null)?.easee;
  if (easee === null || typeof easee !== "object") return NaN;
  return typeof easee.timestamp === "string" && easee.timestamp.length <= 40 ? Date.parse(easee.timestamp) : NaN;
}

/** `msg.easee.late` (CONTRACT.md): an older value than the one already seen, so never a change. */
function isLate(msg: unknown): boolean {
  return (msg as { easee?: { late?: unknown } } | null)?.easee?.late === true;
}

const init = (RED: NodeAPI): void => {
  const t = translator(RED);

  function EaseeFilterNode(this: Node, def: EaseeFilterDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    const compiled = compileFilter(def, catalogueNameLookup);
    if (!compiled.ok) {
      // A plain key: the editor translates it in the user's language.
      node.status({ fill: "red", shape: "ring", text: "easee-filter.status.invalidRules" });
      // Every problem, so one edit fixes them all, each worded from its kind and data (core writes no text).
      const reasons = compiled.problems.map((problem) => {
        const reason = t(`easee-filter.errors.${problem.kind}`, problem.params);
        return t("easee-filter.errors.invalidRule", { rule: problem.rule + 1, reason });
      });
      node.error(reasons.join("; "));
      // Like the core switch node with a broken rule: the node stays deployed (so the flow deploys) and passes nothing.
      node.on("input", (_msg, _send, done) => done());
      return;
    }

    const filter = compiled.filter;
    const onlyOnChange = flag(def.onlyOnChange, false);
    const tracker = onlyOnChange ? new ChangeTracker() : undefined;
    let warnedNoId = false;

    node.on("input", (msg, send, done) => {
      const chargerId = chargerIdOf(msg);
      seenChargers.note(chargerId);
      // Other chargers' msgs are not this filter's business: no output, not even otherwise, and no change tracking.
      if (!passesChargers(filter, chargerId)) {
        done();
        return;
      }
      const observationId = observationIdOf(msg);
      // Presence msgs (easee-observations, topic …/Online) have no observation id by design: they go to otherwise.
      const isPresence = observationId === undefined && (msg as { easee?: { presence?: unknown } }).easee?.presence !== undefined;
      if (observationId === undefined && !warnedNoId && !isPresence) {
        warnedNoId = true;
        node.warn(t("easee-filter.warn.noObservationId"));
      }
      if (tracker !== undefined && observationId !== undefined) {
        // Device time decides which value is current: a late msg (older than the one remembered) is no change.
        if (isLate(msg) || !tracker.changed(chargerId ?? "", observationId, msg.payload, deviceTimeOf(msg))) {
          done();
          return;
        }
      }
      const ports = routeObservation(filter, observationId, deviceOf(msg));
      if (ports.length > 0) {
        const onward: (NodeMessage | null)[] = new Array<NodeMessage | null>(filter.outputs).fill(null);
        for (const port of ports) onward[port] = msg;
        send(onward);
      }
      done();
    });

    node.on("close", (done: () => void) => {
      tracker?.clear();
      done();
    });
  }

  RED.nodes.registerType("easee-filter", EaseeFilterNode);
  serveSeenChargers(RED, "easee-filter.read");

  RED.httpAdmin.get(CATALOGUE_PATH, RED.auth.needsPermission("easee-filter.read"), (_req, res) => {
    res.json({ observations: editorCatalogue(), equalizerObservations: editorEqualizerCatalogue() });
  });
};

export = init;
