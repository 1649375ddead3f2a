import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { connectionStatus, qualifiedStatusKey } from "../../nodes/shared/status";

describe("ConnectionState → node status (nodes/shared/status)", () => {
  it("connecting yellow ring, connected green dot, disconnected and error red ring", () => {
    assert.deepEqual(connectionStatus({ phase: "connecting", reason: "connecting" }), {
      fill: "yellow",
      shape: "ring",
      text: "easee-config.status.connecting",
    });
    assert.deepEqual(connectionStatus({ phase: "connected", reason: "connected" }), {
      fill: "green",
      shape: "dot",
      text: "easee-config.status.connected",
    });
    for (const phase of ["disconnected", "error"] as const) {
      assert.deepEqual(connectionStatus({ phase, reason: "wrong-password" }), {
        fill: "red",
        shape: "ring",
        text: "easee-config.status.wrong-password",
      });
    }
    assert.equal(connectionStatus({ phase: "connected", reason: "blocked" }).fill, "yellow");
  });

  it("translates through the config node's catalogue when given RED._", () => {
    const catalogue: Record<string, string> = {
      "node-red-contrib-easee-amqp/easee-config:easee-config.status.wrong-password": "wrong password",
    };
    const translate = (key: string): string => catalogue[key] ?? key;
    assert.equal(connectionStatus({ phase: "error", reason: "wrong-password" }, translate).text, "wrong password");
    assert.equal(
      connectionStatus({ phase: "error", reason: "api-error" }, translate).text,
      "easee-config.status.api-error",
      "an untranslated key stays the key",
    );
    assert.equal(qualifiedStatusKey("a:b"), "a:b");
  });

  it("every status text of the catalogue is under 20 characters", () => {
    // Compiled to <build>/test/unit/: the sources' locales/ is three levels up.
    const file = path.join(__dirname, "..", "..", "..", "locales", "en-US", "easee-config.json");
    const catalogue = JSON.parse(readFileSync(file, "utf8")) as { "easee-config": { status: Record<string, string> } };
    for (const [key, text] of Object.entries(catalogue["easee-config"].status)) {
      assert.ok(text.length < 20, `${key}: "${text}" is ${text.length} characters`);
    }
  });
});
