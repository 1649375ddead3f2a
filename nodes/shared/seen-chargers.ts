/**
 * The charger serials this Node-RED has seen, shared by the observations and filter nodes, and served to their
 * edit dialogs (GET easee/chargers) so the `chargers` fields can suggest them.
 */
import type { NodeAPI } from "node-red";
import { SeenChargers } from "../../core/observations/chargers";

export const seenChargers = new SeenChargers();

export const SEEN_CHARGERS_PATH = "/easee/chargers";

/** The editors' admin apps that already serve the list: both node types call this; the first one registers it. */
const served = new WeakSet<object>();

export function serveSeenChargers(RED: NodeAPI, permission: string): void {
  if (served.has(RED.httpAdmin)) return;
  served.add(RED.httpAdmin);
  RED.httpAdmin.get(SEEN_CHARGERS_PATH, RED.auth.needsPermission(permission), (_req, res) => {
    res.json({ chargers: seenChargers.list() });
  });
}
