// Node-RED looks for a node's editor HTML, message catalogues and icons beside its .js file,
// so the compiled nodes in dist/nodes/ need copies of them.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const target = path.join(root, "dist", "nodes");
fs.mkdirSync(target, { recursive: true });
for (const file of fs.readdirSync(path.join(root, "nodes"))) {
  if (file.endsWith(".html")) fs.copyFileSync(path.join(root, "nodes", file), path.join(target, file));
}
fs.cpSync(path.join(root, "locales"), path.join(target, "locales"), { recursive: true });
fs.cpSync(path.join(root, "icons"), path.join(target, "icons"), { recursive: true });
