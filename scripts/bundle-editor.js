// The edit dialogs validate with the runtime's own core code: nodes/editor/easee-amqp-editor.ts and the core
// modules it imports, bundled into one browser script. Node-RED serves a module's resources/ folder at
// resources/<module>/, so the dialogs load it from resources/node-red-contrib-easee-amqp/easee-amqp-editor.js.
const path = require("path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
esbuild.buildSync({
  entryPoints: [path.join(root, "nodes", "editor", "easee-amqp-editor.ts")],
  outfile: path.join(root, "resources", "easee-amqp-editor.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  // Node-RED 3.1+ supports browsers of this age.
  target: ["es2018"],
  minify: false,
  legalComments: "none",
  banner: { js: "/* node-red-contrib-easee-amqp: built from core/ by scripts/bundle-editor.js; do not edit */" },
  logLevel: "warning",
});
