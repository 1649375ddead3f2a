/**
 * `easee-command`: a msg in → a command to a charger → the charger's response as a msg out.
 *
 * Wiring only: checking, encoding, matching and the rate guard live in core/command; sending goes through the
 * config node's `sendCommand` (its one connection) and its shared CommandContext. Output 1: the response to each
 * command this node sent. Output 2: responses to commands nobody in this runtime sent (the Easee app, another
 * system). Every failure is `node.error(text, msg)`, so Catch nodes see it with the msg that caused it.
 */
import type { Request, Response } from "express";
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from "node-red";
import {
  COMMANDS,
  CommandSendError,
  RateGuard,
  checkChargerId,
  commandName,
  encodeCommand,
  findCommand,
  msFromTicks,
  normaliseArguments,
  type CommandProblem,
  type EncodedCommand,
  type PendingHandle,
} from "../core/command";
import { sendErrorReason } from "./shared/send-text";
import type { ConnectionState, DecodedCommandResponse } from "../core/types";
import { isEaseeConfigNode, type DeliverySubscriber, type EaseeConfigNode } from "./shared/config-api";
import { translator } from "./shared/i18n";
import { joinConfig, leaveConfig } from "./shared/lifecycle";
import { connectionStatus } from "./shared/status";

interface EaseeCommandDef extends NodeDef {
  config?: string;
  chargerId?: string;
  command?: string;
  timeoutSeconds?: number | string;
  allowPermanent?: boolean | string;
}

const DEFAULT_TIMEOUT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 3600;

/** What the last command of this node came to, for the status. */
type Outcome = "accepted" | "refused" | "timeout" | "failed" | "coalesced";

interface Flight {
  settled: boolean;
  /** The config node still holds the command (waiting for the connection or the broker's confirm). */
  sending: boolean;
  readonly abort: AbortController;
  handle?: PendingHandle;
}

function parseTimeoutSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return DEFAULT_TIMEOUT_SECONDS;
  const number = typeof value === "number" ? value : Number(String(value).trim());
  return Number.isFinite(number) && number > 0 && number <= MAX_TIMEOUT_SECONDS ? number : undefined;
}

function textOf(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

function isoOrUndefined(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

const init = (RED: NodeAPI): void => {
  const t = translator(RED);

  function EaseeCommandNode(this: Node, def: EaseeCommandDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    let timeoutSeconds = parseTimeoutSeconds(def.timeoutSeconds);
    if (timeoutSeconds === undefined) {
      node.warn(t("easee-command.warn.invalidTimeout", { value: String(def.timeoutSeconds), seconds: DEFAULT_TIMEOUT_SECONDS }));
      timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    }
    const timeoutMs = timeoutSeconds * 1000;
    const allowPermanent = def.allowPermanent === true || def.allowPermanent === "true";
    const fixedCharger = textOf(def.chargerId);
    const fixedCommand = textOf(def.command);

    const candidate = def.config ? RED.nodes.getNode(def.config) : null;
    const config: EaseeConfigNode | undefined = isEaseeConfigNode(candidate) ? candidate : undefined;
    const canSend = config !== undefined && typeof config.sendCommand === "function" && config.commands !== undefined;

    const flights = new Set<Flight>();
    let closing = false;
    let connection: ConnectionState | undefined;
    let last: Outcome | undefined;
    let shown = "";

    /**
     * Status texts, translated once per key and count: a status is rendered twice per command, and RED._ (i18next)
     * costs more than the rest of a command's handling. Bounded: a few keys times the counts seen in flight.
     */
    const statusTexts = new Map<string, string>();
    function statusText(key: string, count?: number): string {
      const cacheKey = count === undefined ? key : `${key}|${count}`;
      let text = statusTexts.get(cacheKey);
      if (text === undefined) {
        text = count === undefined ? t(key) : t(key, { count });
        if (statusTexts.size < 200) statusTexts.set(cacheKey, text);
      }
      return text;
    }
    let connectionText: { readonly state: ConnectionState; readonly status: NodeStatus } | undefined;

    function render(): void {
      if (closing) return;
      let status: NodeStatus;
      const up = connection?.phase === "connected";
      if (!canSend) {
        status = { fill: "red", shape: "ring", text: config ? "easee-command.status.cannotSend" : "easee-command.status.missingConfig" };
      } else if (flights.size > 0) {
        status = up
          ? { fill: "blue", shape: "dot", text: statusText("easee-command.status.inFlight", flights.size) }
          : { fill: "yellow", shape: "ring", text: statusText("easee-command.status.waiting", flights.size) };
      } else if (connection === undefined) {
        status = { fill: "grey", shape: "ring", text: "easee-command.status.idle" };
      } else if (!up || last === undefined) {
        if (connectionText?.state !== connection) {
          connectionText = { state: connection, status: connectionStatus(connection, (key) => RED._(key)) };
        }
        status = connectionText.status;
      } else {
        const fill = last === "accepted" || last === "coalesced" ? "green" : last === "refused" ? "yellow" : "red";
        status = { fill, shape: "dot", text: statusText(`easee-command.status.${last}`) };
      }
      const signature = `${status.fill}|${status.shape}|${status.text}`;
      if (signature === shown) return;
      shown = signature;
      node.status(status);
    }

    function problemText(problem: CommandProblem): string {
      const data: Record<string, string | number> = { ...problem.data };
      // Core gives the kind of a value it cannot quote, and "" for a command without arguments: words here.
      if (typeof data.valueKind === "string") data.value = t(`easee-command.kind.${data.valueKind}`);
      if (data.arguments === "") data.arguments = t("easee-command.kind.none");
      return t(`easee-command.errors.${problem.code}`, data);
    }

    function sendErrorText(error: unknown, command: EncodedCommand): string {
      const reason = sendErrorReason(error, t);
      return t("easee-command.errors.notSent", { command: command.command, charger: command.chargerId, reason });
    }

    /** A response msg: `base` (the input msg, for output 1) keeps the flow's own properties. */
    function responseMsg(
      response: DecodedCommandResponse,
      base: NodeMessage,
      sent?: { readonly command: EncodedCommand; readonly sentAtMs: number },
    ): NodeMessage {
      const respondedAtMs = Date.now();
      const startMs = sent ? sent.sentAtMs : msFromTicksSafe(response.ticks);
      const easee: Record<string, unknown> = {
        chargerId: response.chargerId,
        commandId: response.commandId,
        command: sent ? sent.command.command : commandName(response.commandId),
        ticks: response.ticks,
      };
      if (sent) {
        easee.arguments = { ...sent.command.arguments };
        easee.sentAt = isoOrUndefined(sent.sentAtMs);
      }
      if (response.deliveredAt !== undefined) easee.deliveredAt = response.deliveredAt;
      easee.respondedAt = new Date(respondedAtMs).toISOString();
      if (startMs !== undefined) easee.latencyMs = Math.max(0, respondedAtMs - startMs);
      const msg = base as NodeMessage & { easee?: unknown };
      msg.topic = easee.command as string;
      msg.payload = {
        accepted: response.wasAccepted,
        resultCode: response.resultCode ?? null,
        comment: response.unchanged ? t("easee-command.response.unchanged") : (response.comment ?? ""),
      };
      msg.easee = easee;
      return msg;
    }

    function msFromTicksSafe(ticks: string): number | undefined {
      if (!/^\d{1,20}$/.test(ticks)) return undefined;
      const ms = msFromTicks(ticks);
      return Number.isFinite(ms) && ms > 0 ? ms : undefined;
    }

    const subscriber: DeliverySubscriber = {
      id: node.id,
      onCommandResponse(response: DecodedCommandResponse): void {
        if (closing || !config || !canSend) return;
        if (config.commands.pending.handle(response)) return;
        // Nobody in this runtime sent it: the Easee app, another system, or a command of a node since redeployed.
        if (fixedCharger !== "" && response.chargerId.toUpperCase() !== fixedCharger.toUpperCase()) return;
        node.send([null, responseMsg(response, {})]);
      },
      onConnectionState(state: ConnectionState): void {
        connection = state;
        render();
      },
    };

    if (!config) {
      render();
      node.error(t("easee-command.errors.missingConfig"));
    } else if (!canSend) {
      render();
      node.error(t("easee-command.errors.cannotSend"));
    } else {
      render();
      joinConfig(config, subscriber, (reason) => node.error(t("easee-command.errors.registerFailed", { reason })));
    }

    node.on("input", (msg: NodeMessageInFlow, send, done) => {
      const fail = (text: string, outcome: Outcome = "failed"): void => {
        last = outcome;
        render();
        // With the msg, so Catch nodes fire; a timeout also carries msg.error.code "timeout" (the Home Assistant
        // node's last-command sensor tells it apart from other failures by that code).
        node.error(outcome === "timeout" ? new CodedError(text, "timeout") : text, msg);
        done();
      };
      if (!config || !canSend) {
        fail(t(config ? "easee-command.errors.cannotSend" : "easee-command.errors.missingConfig"));
        return;
      }
      const input = msg as NodeMessageInFlow & { chargerId?: unknown; easee?: { chargerId?: unknown }; force?: unknown };
      const charger = checkChargerId(fixedCharger !== "" ? fixedCharger : (input.chargerId ?? input.easee?.chargerId));
      if (!charger.ok) return fail(problemText(charger.problem));
      const commandInput = fixedCommand !== "" ? fixedCommand : input.topic;
      if (commandInput === undefined || commandInput === null || (typeof commandInput === "string" && commandInput.trim() === "")) {
        return fail(problemText({ code: "missing-command", data: {} }));
      }
      const spec = findCommand(commandInput);
      if (!spec) {
        const shown = typeof commandInput === "string" ? commandInput.slice(0, 40) : String(commandInput).slice(0, 40);
        return fail(problemText({ code: "unknown-command", data: { value: shown } }));
      }
      if (spec.permanent && !allowPermanent) {
        return fail(problemText({ code: "permanent", data: { command: spec.name, id: spec.id } }));
      }
      const args = normaliseArguments(spec, input.payload);
      if (!args.ok) return fail(problemText(args.problem));

      const { pending, guard, ticks } = config.commands;
      const nowMs = Date.now();
      const signature = RateGuard.signature(spec.id, args.arguments);
      const verdict = guard.check(charger.chargerId, signature, nowMs, input.force === true);
      if (verdict.verdict === "coalesce") {
        node.debug(t("easee-command.log.coalesced", { command: spec.name, charger: charger.chargerId, seconds: Math.round(verdict.ageMs / 1000) }));
        last = "coalesced";
        render();
        done();
        return;
      }
      if (verdict.verdict === "limit") {
        return fail(
          t("easee-command.errors.rate-limit", {
            command: spec.name,
            charger: charger.chargerId,
            limit: verdict.limit,
            seconds: Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
          }),
        );
      }
      guard.record(charger.chargerId, signature, nowMs);

      const encoded = encodeCommand({
        chargerId: charger.chargerId,
        command: spec,
        arguments: args.arguments,
        ticks: ticks.next(nowMs),
        expiresInMs: timeoutMs,
      });
      const flight: Flight = { settled: false, sending: true, abort: new AbortController() };
      let sentAtMs: number | undefined;
      const settle = (): boolean => {
        if (flight.settled) return false;
        flight.settled = true;
        // Only a send still in progress needs withdrawing (an abort builds an exception object: not for every command).
        if (flight.sending) flight.abort.abort();
        flight.handle?.cancel();
        flights.delete(flight);
        return true;
      };
      flight.handle = pending.add({
        chargerId: encoded.chargerId,
        commandId: encoded.commandId,
        ticks: encoded.ticks,
        ownerId: node.id,
        timeoutMs,
        onResponse(response) {
          if (!settle()) return;
          last = response.wasAccepted ? "accepted" : "refused";
          render();
          send([responseMsg(response, msg, { command: encoded, sentAtMs: sentAtMs ?? nowMs }), null]);
          done();
        },
        onTimeout() {
          if (!settle()) return;
          fail(
            t(sentAtMs === undefined ? "easee-command.errors.timeoutUnsent" : "easee-command.errors.timeout", {
              command: encoded.command,
              charger: encoded.chargerId,
              seconds: timeoutSeconds as number,
            }),
            "timeout",
          );
        },
      });
      flights.add(flight);
      render();
      config.sendCommand(encoded, { timeoutMs, signal: flight.abort.signal }).then(
        () => {
          flight.sending = false;
          sentAtMs = Date.now();
        },
        (error: unknown) => {
          flight.sending = false;
          if (flight.settled || closing) return;
          settle();
          // Nothing reached the charger: the attempt does not count against its rate budget.
          if (error instanceof CommandSendError && error.code !== "connection-lost" && error.code !== "no-confirm") {
            guard.forget(encoded.chargerId, Date.now(), nowMs);
          }
          fail(sendErrorText(error, encoded));
        },
      );
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      closing = true;
      for (const flight of [...flights]) {
        flight.settled = true;
        if (flight.sending) flight.abort.abort();
        flight.handle?.cancel();
      }
      flights.clear();
      if (!config || !canSend) {
        done();
        return;
      }
      // Belt and braces: every timer of this node's commands is gone, whatever happened above.
      config.commands.pending.cancelOwner(node.id);
      leaveConfig(config, subscriber, done, (message) => node.warn(message));
    });
  }

  RED.nodes.registerType("easee-command", EaseeCommandNode);

  // The editor's command list, straight from the one table (core/command/table.ts).
  RED.httpAdmin.get("/easee-command/commands", RED.auth.needsPermission("easee-command.read"), (_request: Request, response: Response) => {
    response.json(COMMANDS);
  });
};

/**
 * An error Node-RED hands to Catch nodes with its own `code` copied to `msg.error.code`; it prints as its text alone
 * (no "Error: " prefix), as the string errors of this node do.
 */
class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }

  override toString(): string {
    return this.message;
  }
}

export = init;
