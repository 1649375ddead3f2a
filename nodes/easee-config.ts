/**
 * `easee-config`: the Easee integration account and the one shared AMQP connection.
 *
 * Wiring only: the REST client (core/easee-api) and the connection manager (core/amqp) do the work. Flow nodes
 * use the interface in ./shared/config-api (register / deregister / connectionState).
 *
 * Also serves POST /easee-config/test for the "Test connection" button in the editor.
 */
import type { Request, Response } from "express";
import type { Node, NodeAPI, NodeDef } from "node-red";
import { ConnectionManager, type ConnectionManagerOptions } from "../core/amqp/connection-manager";
import { CommandSendError, PendingCommands, RateGuard, TicksClock, type EncodedCommand } from "../core/command";
import { decodeDelivery } from "../core/decode";
import { EaseeApiError, acquireEaseeSession, normaliseApiUrl, type EaseeSession } from "../core/easee-api";
import {
  RestCommandSender,
  interpretCommandAnswer,
  normaliseHubUrl,
  signalrStreamFor,
  type SignalrStream,
} from "../core/signalr";
import { DEFAULT_SIGNALR_URL, parseStreamKind, type StreamKind, type StreamSource } from "../core/stream-source";
import { errorDetail, messageDetail, type ConnectionState, type StatusReason } from "../core/types";
import type { CommandContext, DeliverySubscriber, EaseeConfigNode, SendCommandOptions } from "./shared/config-api";
import { translator } from "./shared/i18n";
import { CONFIG_CLOSE_GUARD_MS, withCloseGuard } from "./shared/lifecycle";
import { errorText } from "./shared/api-text";
import { detailText, statusKeyOf } from "./shared/status";
import { nodeLogger } from "./shared/log-text";

const DEFAULT_API_URL = "https://api.easee.com";
const DEFAULT_HEARTBEAT = 30;
const DEFAULT_PREFETCH = 200;
/** The editor shows this instead of a stored password; the admin endpoint then uses the stored one. */
const PASSWORD_PLACEHOLDER = "__PWRD__";

interface EaseeConfigDef extends NodeDef {
  apiUrl?: string;
  rejectUnauthorized?: boolean | string;
  heartbeat?: number | string;
  prefetch?: number | string;
  stream?: string;
  signalrUrl?: string;
}

interface EaseeConfigCredentials {
  username?: string;
  password?: string;
}

/**
 * Timing overrides for the test suite only (`easeeAmqpTestTuning` in Node-RED's settings, read as the core mqtt node
 * reads `mqttReconnectTime`), so reconnect tests do not wait a minute. Not a user setting: the defaults are what Easee
 * expects from a well-behaved client.
 */
interface TestTuning {
  amqpBackoffMinMs?: number;
  amqpBackoffMaxMs?: number;
  apiBackoffMinMs?: number;
  apiBackoffMaxMs?: number;
  authRetryMs?: number;
  urlRetryMs?: number;
  stableAfterMs?: number;
  maxLoginsPerHour?: number;
  refetchAfterFailures?: number;
  connectTimeoutMs?: number;
  closeTimeoutMs?: number;
  apiTimeoutMs?: number;
  signalrBackoffMinMs?: number;
  signalrBackoffMaxMs?: number;
  chargerRefreshMs?: number;
  signalrStableAfterMs?: number;
  signalrConnectTimeoutMs?: number;
}

function readTestTuning(value: unknown): TestTuning {
  if (typeof value !== "object" || value === null) return {};
  const out: Record<string, number> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry === "number" && Number.isFinite(entry) && entry >= 0) out[key] = entry;
  }
  return out as TestTuning;
}

interface ConfigProblem {
  /** The status reason the nodes using this config node show (easee-config.status.<reason>). */
  readonly reason: StatusReason;
  /** i18n key of the plain-language error. */
  readonly errorKey: string;
  readonly params?: Record<string, string>;
  /** The error behind it, worded into `reason` by the node (an Easee API error or a hub URL problem). */
  readonly cause?: unknown;
}

interface ParsedSettings {
  readonly apiUrl: string;
  readonly userName: string;
  readonly password: string;
  readonly heartbeatSeconds: number;
  readonly prefetch: number;
  readonly rejectUnauthorized: boolean;
  readonly stream: StreamKind;
  readonly signalrUrl: string;
}

function numberSetting(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  return typeof value === "number" ? value : Number(String(value).trim());
}

/** The node's settings, checked; a problem in plain words instead of an exception. */
function parseSettings(
  def: EaseeConfigDef,
  credentials: EaseeConfigCredentials | undefined,
): ParsedSettings | ConfigProblem {
  const userName = (credentials?.username ?? "").trim();
  const password = credentials?.password ?? "";
  if (userName === "" || password === "") {
    return { reason: "no-credentials", errorKey: "easee-config.errors.no-credentials" };
  }
  let apiUrl: string;
  try {
    apiUrl = normaliseApiUrl(def.apiUrl === undefined || def.apiUrl === "" ? DEFAULT_API_URL : def.apiUrl);
  } catch (error) {
    return {
      reason: "invalid-url",
      errorKey: "easee-config.errors.invalid-url",
      cause: error,
    };
  }
  const prefetch = numberSetting(def.prefetch, DEFAULT_PREFETCH);
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535) {
    return {
      reason: "invalid-settings",
      errorKey: "easee-config.errors.invalid-prefetch",
      params: { value: String(def.prefetch) },
    };
  }
  const heartbeatSeconds = numberSetting(def.heartbeat, DEFAULT_HEARTBEAT);
  if (!Number.isFinite(heartbeatSeconds) || heartbeatSeconds < 0 || heartbeatSeconds > 65535) {
    return {
      reason: "invalid-settings",
      errorKey: "easee-config.errors.invalid-heartbeat",
      params: { value: String(def.heartbeat) },
    };
  }
  const rejectUnauthorized = !(def.rejectUnauthorized === false || def.rejectUnauthorized === "false");
  const stream = parseStreamKind(def.stream);
  let signalrUrl = DEFAULT_SIGNALR_URL;
  if (stream === "signalr") {
    try {
      signalrUrl = normaliseHubUrl(def.signalrUrl === undefined || def.signalrUrl === "" ? DEFAULT_SIGNALR_URL : def.signalrUrl);
    } catch (error) {
      return {
        reason: "invalid-hub-url",
        errorKey: "easee-config.errors.invalid-hub-url",
        cause: error,
      };
    }
  }
  return {
    apiUrl,
    userName,
    password,
    heartbeatSeconds: Math.round(heartbeatSeconds),
    prefetch,
    rejectUnauthorized,
    stream,
    signalrUrl,
  };
}

function isProblem(value: ParsedSettings | ConfigProblem): value is ConfigProblem {
  return "errorKey" in value;
}

type EaseeConfigNodeImpl = Node<EaseeConfigCredentials> & EaseeConfigNode;

/** Where a deployed easee-config node logs in: the only place its stored password may be sent to (issue 12). */
interface DeployedAccount {
  readonly apiUrl: string;
  readonly userName: string;
}

const init = (RED: NodeAPI): void => {
  // RED.settings holds whatever settings.js defines; this key is not in @types/node-red's settings type.
  const tuning = readTestTuning((RED.settings as unknown as Record<string, unknown>).easeeAmqpTestTuning);
  /** By node id, while the node runs. "Test connection" uses a stored password only for exactly these. */
  const deployedAccounts = new Map<string, DeployedAccount>();
  /**
   * The config nodes consuming right now, by account (API URL + user name): two of them are two consumers on one
   * operator queue, and RabbitMQ hands each about half of the stream (issue 12). Each entry re-checks its node.
   */
  const consumingByAccount = new Map<string, Map<string, { readonly label: string; readonly recheck: () => void }>>();

  const t = translator(RED);

  function EaseeConfig(this: EaseeConfigNodeImpl, def: EaseeConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = parseSettings(def, node.credentials);

    let manager: StreamSource | undefined;
    /** Set on the AMQP stream: commands are published on its connection. */
    let amqpManager: ConnectionManager | undefined;
    /** Set on the SignalR stream: commands go over Easee's REST API. */
    let restCommands: RestCommandSender | undefined;
    let session: EaseeSession | undefined;
    let fixedState: ConnectionState = { phase: "disconnected", reason: "disconnected" };
    let lastLogged = "";

    const log = nodeLogger(node, t);

    let deployed: DeployedAccount | undefined;
    if (!isProblem(settings)) {
      deployed = { apiUrl: settings.apiUrl, userName: settings.userName };
      deployedAccounts.set(node.id, deployed);
    }

    // --- the same account consumed by two config nodes: warn in the log and the status -----------------------------
    // AMQP only: each SignalR connection gets the whole stream, so two of them on one account split nothing.
    const accountKey =
      deployed && !isProblem(settings) && settings.stream !== "signalr" ? `${deployed.apiUrl}\n${deployed.userName.toLowerCase()}` : "";
    const self = { label: def.name ? `"${def.name}" (${node.id})` : node.id, recheck: () => recheckShared() };
    let consuming = false;
    /** The other config nodes consuming this account's queue (labels); empty when alone. */
    let sharedWith = "";
    /** Subscribers as registered → what the manager holds (their states go through `present`). */
    const wrappers = new Map<DeliverySubscriber, DeliverySubscriber>();

    function setConsuming(on: boolean): void {
      if (on === consuming || accountKey === "") return;
      consuming = on;
      let peers = consumingByAccount.get(accountKey);
      if (on) {
        if (!peers) consumingByAccount.set(accountKey, (peers = new Map()));
        peers.set(node.id, self);
      } else if (peers?.get(node.id) === self) {
        peers.delete(node.id);
        if (peers.size === 0) consumingByAccount.delete(accountKey);
      }
      for (const peer of [...(peers?.values() ?? [])]) if (peer !== self) peer.recheck();
      recheckShared();
    }

    function recheckShared(): void {
      const peers = consuming ? consumingByAccount.get(accountKey) : undefined;
      const others = [...(peers?.entries() ?? [])].filter(([id]) => id !== node.id).map(([, peer]) => peer.label).join(", ");
      if (others === sharedWith) return;
      sharedWith = others;
      if (others !== "") node.warn(t("easee-config.warn.queue-shared", { names: others }));
      const state = manager?.state;
      if (state) for (const wrapped of [...wrappers.values()]) wrapped.onConnectionState?.(state);
    }

    /** The state subscribers see: "queue shared" (yellow) instead of "connected" while another node consumes too. */
    function present(state: ConnectionState): ConnectionState {
      if (sharedWith === "" || state.phase !== "connected" || state.reason !== "connected") return state;
      return { phase: "connected", reason: "queue-shared", detail: messageDetail(t("easee-config.warn.queue-shared", { names: sharedWith })) };
    }

    /** The subscriber as the manager sees it: the same handlers (so the same need for a consumer), states presented. */
    function wrap(subscriber: DeliverySubscriber): DeliverySubscriber {
      return {
        id: subscriber.id,
        ...(subscriber.onObservation ? { onObservation: (observation) => subscriber.onObservation?.(observation) } : {}),
        ...(subscriber.onDecodeError ? { onDecodeError: (error) => subscriber.onDecodeError?.(error) } : {}),
        ...(subscriber.onCommandResponse ? { onCommandResponse: (response) => subscriber.onCommandResponse?.(response) } : {}),
        onConnectionState: (state) => subscriber.onConnectionState?.(present(state)),
      };
    }

    if (isProblem(settings)) {
      const params = settings.cause !== undefined ? { ...settings.params, reason: errorText(settings.cause, t) } : settings.params;
      const message = t(settings.errorKey, params);
      fixedState = { phase: "error", reason: settings.reason, detail: messageDetail(message) };
      node.error(message);
    } else {
      try {
        session = acquireEaseeSession({
          apiUrl: settings.apiUrl,
          userName: settings.userName,
          password: settings.password,
          ...(tuning.maxLoginsPerHour !== undefined ? { maxLoginsPerHour: tuning.maxLoginsPerHour } : {}),
          ...(tuning.authRetryMs !== undefined ? { authRetryMs: tuning.authRetryMs } : {}),
          ...(tuning.urlRetryMs !== undefined ? { urlRetryMs: tuning.urlRetryMs } : {}),
          ...(tuning.apiTimeoutMs !== undefined ? { timeoutMs: tuning.apiTimeoutMs } : {}),
          ...(tuning.apiBackoffMinMs !== undefined || tuning.apiBackoffMaxMs !== undefined
            ? { backoff: { minMs: tuning.apiBackoffMinMs ?? 2000, maxMs: tuning.apiBackoffMaxMs ?? 300_000 } }
            : {}),
          log,
        });
        const client = session.client;
        const managerOptions: ConnectionManagerOptions = {
          connectionName: `node-red easee-config ${node.id}${def.name ? ` (${def.name})` : ""}`,
          prefetch: settings.prefetch,
          heartbeatSeconds: settings.heartbeatSeconds,
          rejectUnauthorized: settings.rejectUnauthorized,
          getDetails: ({ forceRefresh, signal }) => client.getAmqpDetails({ forceRefresh, signal }),
          decode: decodeDelivery,
          log,
          onStateChange: (state) => {
            setConsuming(state.phase === "connected");
            // One log line per change of status, not one per retry: the "connecting" between two attempts that
            // fail the same way is not a change.
            if (state.phase === "connecting") return;
            const signature = `${state.phase}|${state.reason}|${state.phase === "error" ? JSON.stringify(state.detail ?? "") : ""}`;
            if (signature === lastLogged) return;
            lastLogged = signature;
            if (state.phase === "error") node.error(state.detail ? detailText(state.detail, t) : t(statusKeyOf(state.reason)));
          },
          ...(tuning.amqpBackoffMinMs !== undefined || tuning.amqpBackoffMaxMs !== undefined
            ? { backoff: { minMs: tuning.amqpBackoffMinMs ?? 1000, maxMs: tuning.amqpBackoffMaxMs ?? 60_000 } }
            : {}),
          ...(tuning.refetchAfterFailures !== undefined ? { refetchAfterFailures: tuning.refetchAfterFailures } : {}),
          ...(tuning.connectTimeoutMs !== undefined ? { connectTimeoutMs: tuning.connectTimeoutMs } : {}),
          ...(tuning.closeTimeoutMs !== undefined ? { closeTimeoutMs: tuning.closeTimeoutMs } : {}),
          ...(tuning.stableAfterMs !== undefined ? { stableAfterMs: tuning.stableAfterMs } : {}),
        };
        // The stream seam: the AMQP operator queue (integration accounts) or Easee's SignalR hub (any account).
        // Both hand the same decoded deliveries and connection states to the nodes; commands go out on the AMQP
        // exchange, or over Easee's REST API with the hub's CommandResponse translated back (core/signalr).
        if (settings.stream === "signalr") {
          let stream: SignalrStream | undefined;
          const sender = new RestCommandSender({
            post: (call, signal) => client.postCharger(call.path, call.body, interpretCommandAnswer, { signal }),
            deliver: (response) => stream?.dispatchCommandResponse(response),
          });
          stream = signalrStreamFor(client, {
            hubUrl: settings.signalrUrl,
            log,
            interceptCommandResponse: (response) => sender.onHubResponse(response),
            ...(managerOptions.onStateChange ? { onStateChange: managerOptions.onStateChange } : {}),
            ...(tuning.signalrBackoffMinMs !== undefined || tuning.signalrBackoffMaxMs !== undefined
              ? { backoff: { minMs: tuning.signalrBackoffMinMs ?? 2000, maxMs: tuning.signalrBackoffMaxMs ?? 120_000 } }
              : {}),
            ...(tuning.chargerRefreshMs !== undefined ? { chargerRefreshMs: tuning.chargerRefreshMs } : {}),
            ...(tuning.signalrStableAfterMs !== undefined ? { stableAfterMs: tuning.signalrStableAfterMs } : {}),
            ...(tuning.signalrConnectTimeoutMs !== undefined ? { connectTimeoutMs: tuning.signalrConnectTimeoutMs } : {}),
          });
          restCommands = sender;
          manager = stream;
        } else {
          amqpManager = new ConnectionManager(managerOptions);
          manager = amqpManager;
        }
      } catch (error) {
        const reason: StatusReason = error instanceof EaseeApiError ? error.statusReason : "invalid-settings";
        fixedState = { phase: "error", reason, detail: errorDetail(error) };
        node.error(errorText(error, t));
        session?.release(true);
        session = undefined;
      }
    }

    node.register = (subscriber: DeliverySubscriber): void => {
      if (manager) {
        const wrapped = wrap(subscriber);
        wrappers.set(subscriber, wrapped);
        manager.register(wrapped);
        return;
      }
      try {
        subscriber.onConnectionState?.(fixedState);
      } catch (error) {
        node.error(error instanceof Error ? error.message : String(error));
      }
    };

    node.deregister = async (subscriber: DeliverySubscriber): Promise<void> => {
      if (!manager) return;
      const wrapped = wrappers.get(subscriber);
      wrappers.delete(subscriber);
      await withGuard(manager.deregister(wrapped ?? subscriber.id));
    };

    const commands: CommandContext = { pending: new PendingCommands(), guard: new RateGuard(), ticks: new TicksClock() };
    Object.defineProperty(node, "commands", { value: commands, enumerable: true });

    node.sendCommand = async (command: EncodedCommand, options: SendCommandOptions): Promise<void> => {
      if (!manager) {
        const reason = fixedState.detail ? detailText(fixedState.detail, t) : "";
        throw new CommandSendError("closed", { reason });
      }
      if (restCommands) {
        await restCommands.send(command, options);
        return;
      }
      if (!amqpManager) throw new CommandSendError("unsupported");
      await amqpManager.publishCommand(
        {
          routingKey: command.routingKey,
          body: command.body,
          contentType: command.contentType,
          expiresAtMs: command.expiresAtMs,
        },
        options,
      );
    };

    Object.defineProperty(node, "connectionState", {
      get: (): ConnectionState => (manager ? present(manager.state) : fixedState),
      enumerable: true,
    });

    node.on("close", (removed: boolean, done: () => void) => {
      commands.pending.clear();
      restCommands?.close();
      const closing = manager ? withGuard(manager.close()) : Promise.resolve();
      closing
        .catch((error: unknown) => node.warn(error instanceof Error ? error.message : String(error)))
        .finally(() => {
          session?.release(removed === true);
          session = undefined;
          wrappers.clear();
          setConsuming(false);
          if (deployedAccounts.get(node.id) === deployed) deployedAccounts.delete(node.id);
          done();
        });
    });
  }

  /** deregister() and close() finish within Node-RED's 15 s close timeout; a failure here is not the caller's. */
  function withGuard(work: Promise<void>): Promise<void> {
    return withCloseGuard(() => work, CONFIG_CLOSE_GUARD_MS);
  }

  RED.nodes.registerType<EaseeConfigNodeImpl, EaseeConfigDef, Record<string, never>, EaseeConfigCredentials>("easee-config", EaseeConfig, {
    credentials: {
      username: { type: "text" },
      password: { type: "password" },
    },
  });

  // "Test connection": log in and fetch the AMQP details with what is typed in the dialog. Never answers a secret.
  RED.httpAdmin.post(
    "/easee-config/test",
    RED.auth.needsPermission("easee-config.write"),
    (request: Request, response: Response) => {
      void testConnection(request, response);
    },
  );

  /** The stored password of easee-config node `id`, if the request names exactly where it was deployed to log in. */
  function storedPasswordFor(id: string, apiUrlText: string, userName: string): string | undefined {
    const deployed = id === "" ? undefined : deployedAccounts.get(id);
    const node = deployed ? RED.nodes.getNode(id) : null;
    if (!deployed || !node || node.type !== "easee-config") return undefined;
    let apiUrl: string;
    try {
      apiUrl = normaliseApiUrl(apiUrlText);
    } catch {
      return undefined;
    }
    if (apiUrl !== deployed.apiUrl || userName !== deployed.userName) return undefined;
    const stored = RED.nodes.getCredentials(id) as EaseeConfigCredentials | undefined;
    return stored?.password || undefined;
  }

  async function testConnection(request: Request, response: Response): Promise<void> {
    const body: Record<string, unknown> =
      typeof request.body === "object" && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const text = (value: unknown): string => (typeof value === "string" ? value : "");
    const id = text(body.id);
    const userName = text(body.username).trim();
    let password = text(body.password);
    const apiUrlText = text(body.apiUrl).trim() || DEFAULT_API_URL;
    const chosen = parseStreamKind(body.stream);
    if (password === PASSWORD_PLACEHOLDER || (password === "" && id !== "")) {
      // The stored password, only for a deployed easee-config node and only to the API URL and user name it was
      // deployed with: otherwise any editor user could have the runtime send any node's stored password (an
      // mqtt-broker's, or this node's) to a server of their choosing (issue 12). Nothing is sent then.
      const stored = storedPasswordFor(id, apiUrlText, userName);
      if (stored === undefined) {
        response.json({ ok: false, code: "password-needed", message: t("easee-config.test.result.password-needed") });
        return;
      }
      password = stored;
    }
    if (userName === "" || password === "") {
      response.json({ ok: false, code: "missing-credentials", message: t("easee-config.errors.no-credentials") });
      return;
    }
    let session: EaseeSession | undefined;
    try {
      session = acquireEaseeSession({
        apiUrl: apiUrlText,
        userName,
        password,
        ...(tuning.maxLoginsPerHour !== undefined ? { maxLoginsPerHour: tuning.maxLoginsPerHour } : {}),
        ...(tuning.apiTimeoutMs !== undefined ? { timeoutMs: tuning.apiTimeoutMs } : {}),
      });
      const signal = AbortSignal.timeout(30_000);
      // Which stream can this account use? Integration accounts get the AMQP details; personal ones are refused
      // them (not-integration-account) but can read the SignalR hub: say so, and suggest the right choice.
      let details;
      try {
        details = await session.client.getAmqpDetails({ forceRefresh: true, signal });
      } catch (error) {
        if (!(error instanceof EaseeApiError) || error.code !== "not-integration-account") throw error;
        const chargers = await session.client.getChargers({ signal });
        const count = chargers.length;
        if (chosen === "signalr") {
          response.json({
            ok: true,
            code: "personal-account",
            account: "personal",
            suggest: "signalr",
            chargers: count,
            message: t("easee-config.test.ok-personal", { count }),
          });
        } else {
          response.json({
            ok: false,
            code: "not-integration-account",
            account: "personal",
            suggest: "signalr",
            chargers: count,
            message: t("easee-config.test.result.not-integration-account"),
          });
        }
        return;
      }
      response.json({
        ok: true,
        code: "integration-account",
        account: "integration",
        suggest: "amqp",
        queueName: details.queueName,
        // The editor words the answer in the user's language from the queue and broker.
        broker: `${details.server}:${details.port}`,
        message: t("easee-config.test.ok", {
          queue: details.queueName,
          broker: `${details.server}:${details.port}`,
        }),
      });
    } catch (error) {
      const code = error instanceof EaseeApiError ? error.code : "unexpected";
      // Worded here (easee-config.api.*), in the runtime's language; never a secret (core/easee-api errors).
      const message = errorText(error, t);
      response.json({ ok: false, code, message });
    } finally {
      // Keeps token and details in memory (no timer) so a deploy right after the test needs no new login.
      session?.release(false);
    }
  }
};

export = init;
