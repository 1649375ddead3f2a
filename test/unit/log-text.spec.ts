/**
 * What core writes to the log is a code and data (core/log.ts); the user reads the config node's words
 * (easee-config.log.*, easee-config.close.*, easee-config.hub-url.*) in en-US, de or nb (issue 16).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { LogCode } from "../../core/log";
import type { HubUrlProblem } from "../../core/signalr";
import type { CloseReason } from "../../core/types";
import { EaseeApiError } from "../../core/easee-api";
import { catalogueEntry } from "../../nodes/shared/i18n";
import { nodeLogger } from "../../nodes/shared/log-text";
import { englishDetail, englishLog } from "../helpers/english";

/** Every log code (a Record, so a new code that is missing here fails to compile). */
const LOG_CODES: Record<LogCode, true> = {
  "subscriber-failed": true, "state-handler-failed": true, "api-failed": true, "logged-in": true, "token-refreshed": true,
  "token-refresh-refused": true, "token-refresh-failed": true, "amqp-details-fetched": true, "amqp-loop-ended": true,
  "amqp-connected": true, "amqp-closed": true, "amqp-connect-failed": true, "amqp-consume-failed": true,
  "amqp-connection-error": true, "amqp-handler-error": true, "amqp-blocked": true, "amqp-channel-error": true,
  "amqp-channel-handler-error": true, "amqp-channel-closed": true, "amqp-consumer-cancelled": true,
  "amqp-reconsume-failed": true, "amqp-ack-failed": true, "amqp-command-channel-error": true, "hub-loop-ended": true,
  "hub-no-chargers": true, "hub-client": true, "hub-connected": true, "hub-connected-none": true, "hub-closed": true,
  "hub-connect-failed": true, "hub-subscribe-failed": true, "hub-subscribe-timeout": true,
  "hub-chargers-refresh-failed": true, "hub-subscribed-new": true,
};
const CLOSE_CODES: Record<CloseReason["code"], true> = { error: true, closed: true, unanswered: true, stopped: true };
const HUB_URL_PROBLEMS: Record<HubUrlProblem, true> = { "too-long": true, "not-valid": true, scheme: true, credentials: true, fragment: true };

describe("core log events → the node's log, in the user's language", () => {
  it("every log code, close reason and hub URL problem has its words in en-US, de and nb", () => {
    for (const lang of ["en-US", "de", "nb"]) {
      const catalogue: unknown = JSON.parse(readFileSync(path.resolve(__dirname, "../../../locales", lang, "easee-config.json"), "utf8"));
      const keys = [
        ...Object.keys(LOG_CODES).map((code) => `easee-config.log.${code}`),
        ...Object.keys(CLOSE_CODES).filter((code) => code !== "error").map((code) => `easee-config.close.${code}`),
        ...Object.keys(HUB_URL_PROBLEMS).map((problem) => `easee-config.hub-url.${problem}`),
      ];
      for (const key of keys) {
        const text = catalogueEntry(catalogue, key);
        assert.ok(typeof text === "string" && text.length > 0, `${lang}: ${key}`);
      }
    }
  });

  it("words the event's data, its error (an Easee API error in words) and why a connection closed", () => {
    assert.equal(
      englishLog({ code: "amqp-connected", params: { where: "broker.example:5671", queue: "Operator_42.Q" } }),
      "Connected to broker.example:5671, consuming Operator_42.Q",
    );
    assert.equal(
      englishLog({ code: "token-refresh-failed", error: new EaseeApiError("wrong-credentials", { id: "wrong-credentials" }) }),
      "Could not refresh the Easee token: Easee rejected the user name or password. Check them in the easee-config node (the user name is the e-mail address or phone number of the integration account).",
    );
    assert.equal(englishLog({ code: "amqp-connection-error", error: new Error("read ECONNRESET") }), "AMQP connection error: read ECONNRESET");
    assert.equal(
      englishLog({ code: "amqp-closed", params: { ms: 4000 }, cause: { code: "unanswered", ms: 2000 } }),
      "AMQP connection closed (the broker did not answer a close within 2000 ms); reconnecting in 4000 ms",
    );
    assert.equal(
      englishLog({ code: "hub-closed", params: { ms: 2000 }, cause: { code: "closed" } }),
      "SignalR hub connection closed (closed without an error); reconnecting in 2000 ms",
    );
    assert.equal(englishLog({ code: "hub-connected", params: { chargers: "EH1, EH2" } }), "Connected to the Easee SignalR hub; subscribed to EH1, EH2");
  });

  it("the status detail of a closed connection words its cause the same way", () => {
    assert.equal(
      englishDetail({ code: "amqp-closed", params: { seconds: 5 }, cause: { code: "error", message: "CONNECTION_FORCED - closed via management plugin" } }),
      "The AMQP connection closed (CONNECTION_FORCED - closed via management plugin); reconnecting in 5 s",
    );
    assert.equal(
      englishDetail({ code: "hub-closed", params: { delay: "2 s" }, cause: { code: "closed" } }),
      "The SignalR hub connection closed (closed without an error); reconnecting in 2 s",
    );
    assert.equal(
      englishDetail({ code: "broker-timeout", params: { where: "broker.example:5671", seconds: 15 } }),
      "The broker at broker.example:5671 did not answer within 15 s",
    );
  });

  it("nodeLogger writes each level to the node's matching log method", () => {
    const written: string[] = [];
    const node = {
      debug: (text: string) => written.push(`debug ${text}`),
      log: (text: string) => written.push(`info ${text}`),
      warn: (text: string) => written.push(`warn ${text}`),
      error: (text: string) => written.push(`error ${text}`),
    };
    const log = nodeLogger(node, (key) => key.slice(key.lastIndexOf(".") + 1));
    log("debug", { code: "logged-in" });
    log("info", { code: "hub-connected-none" });
    log("warn", { code: "amqp-channel-closed" });
    log("error", { code: "amqp-loop-ended" });
    assert.deepEqual(written, ["debug logged-in", "info hub-connected-none", "warn amqp-channel-closed", "error amqp-loop-ended"]);
  });
});
