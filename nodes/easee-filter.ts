/**
 * `easee-filter`: routes observation msgs to one output per rule (ids, ranges, names), like the core switch
 * node. The msg object passes on unchanged; Node-RED clones it for the second and later wires.
 * This file only wires the pure core (core/routing) to Node-RED, and serves the catalogue to the editor.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import { catalogueNameLookup, editorCatalogue } from "../core/routing/catalogue";
import {
  ChangeTracker,
  chargerIdOf,
  compileFilter,
  flag,
  observationIdOf,
  routeObservation,
  type FilterRuleDef,
} from "../core/routing";
import { translator } from "./shared/i18n";

interface EaseeFilterDef extends NodeDef {
  rules?: FilterRuleDef[];
  otherwise?: boolean | string;
  checkall?: boolean | string;
  onlyOnChange?: boolean | string;
  outputs?: number | string;
}

/** Served to the edit dialog for suggestions and validation as the user types. */
const CATALOGUE_PATH = "/easee/catalogue";

const init = (RED: NodeAPI): void => {
  const t = translator(RED);

  function EaseeFilterNode(this: Node, def: EaseeFilterDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    const compiled = compileFilter(def, catalogueNameLookup);
    if (!compiled.ok) {
      // A plain key: the editor translates it in the user's language.
      node.status({ fill: "red", shape: "ring", text: "easee-filter.status.invalidRules" });
      const [problem] = compiled.problems;
      const rule = problem?.rule ?? 0;
      // The reason in the user's language where the catalogue has it, else the core's plain English.
      const kindKey = `easee-filter.errors.${problem?.kind ?? "noRules"}`;
      const translated = t(kindKey, problem?.params);
      const reason = translated === kindKey ? (problem?.message ?? "") : translated;
      node.error(t("easee-filter.errors.invalidRule", { rule: rule + 1, reason }));
      // Like the core switch node with a broken rule: the node stays deployed (so the flow deploys) and passes nothing.
      node.on("input", (_msg, _send, done) => done());
      return;
    }

    const filter = compiled.filter;
    const onlyOnChange = flag(def.onlyOnChange, false);
    const tracker = onlyOnChange ? new ChangeTracker() : undefined;
    let warnedNoId = false;

    node.on("input", (msg, send, done) => {
      const observationId = observationIdOf(msg);
      if (observationId === undefined && !warnedNoId) {
        warnedNoId = true;
        node.warn(t("easee-filter.warn.noObservationId"));
      }
      if (tracker !== undefined && observationId !== undefined) {
        const chargerId = chargerIdOf(msg) ?? "";
        if (!tracker.changed(chargerId, observationId, msg.payload)) {
          done();
          return;
        }
      }
      const ports = routeObservation(filter, observationId);
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

  RED.httpAdmin.get(CATALOGUE_PATH, RED.auth.needsPermission("easee-filter.read"), (_req, res) => {
    res.json({ observations: editorCatalogue() });
  });
};

export = init;
