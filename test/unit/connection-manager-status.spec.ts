import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { NETWORK_CODES, type ApiRequestId, type ApiTextId } from "../../core/easee-api";
import type { StatusDetail, StatusReason } from "../../core/types";
import { englishDetail } from "../helpers/english";
import { catalogueEntry, fillText } from "../../nodes/shared/i18n";
import { connectionStatus, detailText, qualifiedStatusKey, statusKeyOf } from "../../nodes/shared/status";

/** Every reason and detail code core can report (a Record, so a new code that is missing here fails to compile). */
const REASONS: Record<StatusReason, true> = {
  connecting: true, connected: true, disconnected: true, blocked: true, "queue-shared": true, idle: true,
  "wrong-password": true, "email-not-verified": true, "not-integration": true, "rate-limited": true, "login-limit": true,
  "api-unreachable": true, "api-error": true, "invalid-url": true, "no-credentials": true, "invalid-settings": true,
  "access-refused": true, "broker-unreachable": true, "queue-not-found": true, "hub-unreachable": true, "hub-refused": true,
  "invalid-hub-url": true,
};
const DETAIL_CODES: Record<Exclude<StatusDetail["code"], "message" | "api">, true> = {
  consuming: true, "amqp-closed": true, "api-retry": true, blocked: true, "no-consumer": true, "access-refused": true,
  "broker-unreachable": true, "broker-timeout": true, "queue-not-found": true, "cannot-consume": true, "hub-subscribed": true, "hub-closed": true,
  "hub-refused": true, "hub-rate-limited": true, "hub-unreachable": true,
};

/** Every Easee API text id (a Record, so a new id that is missing here fails to compile). */
const API_TEXTS: Record<ApiTextId, true> = {
  cancelled: true, "missing-credentials": true, "not-command-path": true, "unexpected-problem": true, "login-limit": true,
  "fresh-token-refused": true, "rate-limited": true, "server-error": true, "not-easee": true, redirect: true,
  "email-not-verified": true, "wrong-credentials": true, "no-login": true, "not-integration": true, "url-too-long": true,
  "url-not-valid": true, "url-scheme": true, "url-credentials": true, "url-query": true, "url-invalid": true, "too-large": true,
  unreachable: true, "command-rate-limited": true, "command-refused": true, "command-server-error": true, "command-not-taken": true,
};
const API_REQUESTS: Record<ApiRequestId, true> = { login: true, refresh: true, "amqp-details": true, chargers: true };

describe("ConnectionState → node status (nodes/shared/status)", () => {
  it("every Easee API text, request and network code has its words in en-US, de and nb", () => {
    for (const lang of ["en-US", "de", "nb"]) {
      const catalogue: Record<string, unknown> = JSON.parse(readFileSync(path.resolve(__dirname, `../../../locales/${lang}/easee-config.json`), "utf8"));
      const keys = [
        ...Object.keys(API_TEXTS).map((id) => `easee-config.api.text.${id}`),
        ...Object.keys(API_REQUESTS).map((id) => `easee-config.api.request.${id}`),
        ...[...NETWORK_CODES, "other", "none"].map((code) => `easee-config.api.network.${code}`),
      ];
      for (const key of keys) {
        const text = catalogueEntry(catalogue, key);
        assert.ok(typeof text === "string" && text.length > 0, `${lang}: ${key}`);
      }
    }
  });

  it("words an Easee API error detail, with its request and network code in words", () => {
    assert.equal(
      englishDetail({ code: "api", text: { id: "unreachable", params: { host: "api.easee.com", network: "ENOTFOUND" } } }),
      "Cannot reach the Easee API at api.easee.com: the host name was not found (check the API URL).",
    );
    assert.equal(
      englishDetail({ code: "api", text: { id: "unreachable", params: { host: "h", network: "EWEIRD" } } }),
      "Cannot reach the Easee API at h: network error EWEIRD.",
    );
    assert.equal(
      englishDetail({ code: "api-retry", params: { message: "", delay: "1 min" }, text: { id: "not-easee", params: { request: "login", status: 404 } } }),
      "The API URL answered the login with HTTP 404, not like the Easee API. Check the API URL. Next try in 1 min.",
    );
  });

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

  it("every reason and detail code core reports has its text in en-US, de and nb", () => {
    for (const lang of ["en-US", "de", "nb"]) {
      const catalogue: unknown = JSON.parse(readFileSync(path.resolve(__dirname, "../../../locales", lang, "easee-config.json"), "utf8"));
      for (const reason of Object.keys(REASONS) as StatusReason[]) {
        const text = catalogueEntry(catalogue, statusKeyOf(reason));
        assert.ok(typeof text === "string" && text.length > 0 && text.length < 20, `${lang}: ${statusKeyOf(reason)}`);
      }
      for (const code of Object.keys(DETAIL_CODES)) {
        const text = catalogueEntry(catalogue, `easee-config.detail.${code}`);
        assert.ok(typeof text === "string" && text.length > 0, `${lang}: easee-config.detail.${code}`);
      }
    }
  });

  it("words a detail from its code and data; a message detail is shown as it is", () => {
    const english: Record<string, string> = JSON.parse(readFileSync(path.resolve(__dirname, "../../../locales/en-US/easee-config.json"), "utf8"));
    const translate = (key: string, params?: Readonly<Record<string, string | number>>): string =>
      fillText(String(catalogueEntry(english, key)), params);
    assert.equal(
      detailText({ code: "broker-unreachable", params: { where: "broker.example:5671", reason: "ECONNREFUSED" } }, translate),
      "Cannot connect to the broker at broker.example:5671: ECONNREFUSED",
    );
    assert.equal(detailText({ code: "queue-not-found", params: { queue: "q-1" } }, translate), "The queue q-1 does not exist on the broker");
    assert.equal(detailText({ code: "message", params: { message: "as it is" } }, translate), "as it is");
  });
});
