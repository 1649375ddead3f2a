/**
 * Loaded by mocha before every spec (see .mocharc.json).
 * NODE_RED_PACKAGE picks the Node-RED runtime under test: `node-red` (4.x, Node 20) by default,
 * `node-red-5` (the 5.x alias in devDependencies, needs Node 22) for the compatibility run.
 */
import helper from "node-red-node-test-helper";

const runtimePackage = process.env.NODE_RED_PACKAGE ?? "node-red";
helper.init(require.resolve(runtimePackage));
