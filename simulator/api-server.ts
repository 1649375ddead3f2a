/**
 * A simulated Easee REST API for tests, the simulator CLI and the demo.
 *
 * Answers like Easee (as far as public material shows, see core/easee-api/responses.ts):
 *   POST /api/accounts/login          {userName, password} → {accessToken, expiresIn, accessClaims, tokenType, refreshToken}
 *   POST /api/accounts/refresh_token  {accessToken, refreshToken} → same shape (refresh tokens rotate)
 *   GET  /api/streams/amqp/v2         Bearer → {server, port, useSsl, virtualHost, queueName, exchangeName, username, password}
 *   GET  /api/chargers                Bearer → [{id, name, …}] (any account)
 * and, through `extend` (simulator/signalr-hub.ts), the SignalR hub and the REST command endpoints.
 * and, not Easee's but the simulator's own control (the demo's inject nodes, `easee-simulator session`):
 *   POST /simulator/session           {action: "start" | "stop", charger?: serial} → {serial, action, changed, opMode}
 * with Easee-like failures: 400 "Username or password is invalid"; 400 errorCode 727 for an unverified e-mail; 403 on
 * amqp/v2 for a personal (non-integration) account; 401 for an expired or unknown token; and selectable faults
 * (5xx, 429 with Retry-After, connection dropped, no answer).
 *
 * On start it declares the operator topology on a real RabbitMQ (admin URL `amqpUrl`):
 *   - `Operator_<id>.Q`: a classic durable queue (Easee: "only classic queue is supported");
 *   - `Operator_<id>.C.X`: a durable topic exchange, the one integrators publish commands to;
 *   - bindings OBSERVATION_BINDING_KEYS from that exchange to the queue, so observations `{serial}.O.{id}` and command
 *     responses `{serial}.CR.{commandId}.{ticks}` published to the exchange reach the operator queue, while commands
 *     `{serial}.C.{commandId}.{ticks}` do NOT (no key matches them). The charger simulator consumes commands from its
 *     own queue bound to the exchange with COMMAND_BINDING_KEY.
 * The consumer the API hands out (`consumer`) should have no configure permission, like Easee's; see
 * test/helpers/rabbit.ts for a least-privilege user.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

/** Routing keys binding the operator exchange to the operator queue: observations and command responses. */
export const OBSERVATION_BINDING_KEYS: readonly string[] = ["*.O.#", "*.CR.#"];
/** Routing key pattern of commands published by integrators (`{serial}.C.{commandId}.{ticks}`). */
export const COMMAND_BINDING_KEY = "*.C.#";

export const DEFAULT_USER_NAME = "integration@example.com";
export const DEFAULT_PASSWORD = "simulator";
export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

/** Queue and exchange names of an operator, as Easee names them. */
export function operatorNames(operatorId: string): { readonly queueName: string; readonly exchangeName: string } {
  return { queueName: `Operator_${operatorId}.Q`, exchangeName: `Operator_${operatorId}.C.X` };
}

export interface SimulatedUser {
  readonly password: string;
  /** `integration` (default) may fetch the AMQP details; `personal` logs in but fails the amqp/v2 check. */
  readonly kind?: "integration" | "personal";
  /** Default true; false answers login with Easee's errorCode 727. */
  readonly emailVerified?: boolean;
}

export type ApiEndpoint = "login" | "refresh" | "amqp" | "chargers" | "charger-settings" | "charger-command";

/** Path of the simulator's own session control (not an Easee endpoint). */
export const SESSION_CONTROL_PATH = "/simulator/session";

/** Starts or stops a charging session; undefined when no charger has the serial. */
export type SessionControl = (
  action: "start" | "stop",
  serial: string | undefined,
) => Promise<{ readonly serial: string; readonly action: string; readonly changed: boolean; readonly opMode: number } | undefined>;

export interface ApiFault {
  /**
   * `server-error`: HTTP `status` (default 503). `rate-limit`: 429 with `Retry-After: retryAfterSeconds` (default 2).
   * `down`: the connection is dropped without an answer. `hang`: no answer at all (until close).
   */
  readonly kind: "server-error" | "rate-limit" | "down" | "hang";
  /** Which endpoint; default every endpoint. */
  readonly endpoint?: ApiEndpoint;
  /** How many requests it applies to; default all until cleared. */
  readonly times?: number;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly endpoint: ApiEndpoint | "other";
  readonly status: number;
  readonly atMs: number;
  /** Login only: the user name tried (never the password). */
  readonly userName?: string;
}

export interface EaseeApiServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Admin URL used to declare the topology; default amqp://guest:guest@127.0.0.1:5672. */
  readonly amqpUrl?: string;
  /** Queue `Operator_<id>.Q`, exchange `Operator_<id>.C.X`. Default: a random number. */
  readonly operatorId?: string;
  /** userName → user. Default: `integration@example.com` / `simulator`, an integration account. */
  readonly users?: Readonly<Record<string, SimulatedUser>>;
  /** Default 3600 (Easee itself says 86400). */
  readonly accessTokenLifetimeSeconds?: number;
  /** What amqp/v2 hands out as AMQP user; default the user of `amqpUrl`. */
  readonly consumer?: { readonly username: string; readonly password: string };
  /** Host/port/vhost amqp/v2 points at; default those of `amqpUrl` (a test can put a TCP proxy here). */
  readonly advertise?: { readonly server?: string; readonly port?: number; readonly virtualHost?: string };
  /** Declare queue, exchange and bindings on start. Default true. */
  readonly declareTopology?: boolean;
  /** Delete queue and exchange on close. Default true. */
  readonly deleteTopologyOnClose?: boolean;
  /** Serials GET /api/chargers lists. Default none (the simulator fills in its chargers). */
  readonly chargers?: readonly string[];
}

/** What an extension (the SignalR hub, the REST command side) can answer on the API's HTTP server. */
export interface ApiExtension {
  /** Answer a request (true) or leave it to the API (false). */
  handleRequest?(request: http.IncomingMessage, response: http.ServerResponse, path: string): boolean | Promise<boolean>;
  /** Take a WebSocket upgrade (true) or refuse it (false: answered 404). */
  handleUpgrade?(request: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer, path: string): boolean;
  close?(): Promise<void> | void;
}

/** The holder of a valid access token. */
export interface TokenHolder {
  readonly userName: string;
  readonly expiresAtMs: number;
}

export interface EaseeApiServer {
  readonly url: string;
  readonly operatorId: string;
  readonly queueName: string;
  readonly exchangeName: string;
  /** The default integration user. */
  readonly credentials: { readonly userName: string; readonly password: string };
  /** Every request so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Number of requests to an endpoint (any outcome). */
  count(endpoint: ApiEndpoint): number;
  /** Adds a fault (faults are checked in the order added). */
  setFault(fault: ApiFault): void;
  clearFaults(): void;
  addUser(userName: string, user: SimulatedUser): void;
  setUserPassword(userName: string, password: string): void;
  /** What amqp/v2 hands out from now on (after `rabbitmqctl change_password`, for instance). */
  setConsumer(consumer: { readonly username: string; readonly password: string }): void;
  setAdvertisedEndpoint(endpoint: { readonly server?: string; readonly port?: number }): void;
  setAccessTokenLifetime(seconds: number): void;
  /** Access tokens answer 401 from now on (refresh tokens still work). */
  expireAccessTokens(): void;
  /** Refresh tokens are refused from now on (a refresh answers 400, so clients must log in again). */
  revokeRefreshTokens(): void;
  /**
   * What `POST /simulator/devices/{serial}/presence` (body `{"silent": true|false, "cloudReport"?: true}`) does:
   * set by the simulator; without it the endpoint answers 404. Resolves false for a serial not played.
   */
  setPresenceControl(control: PresenceControl | undefined): void;
  /** What POST /simulator/session does; without one it answers 503. */
  setSessionControl(control: SessionControl | undefined): void;
  /** Every token and AMQP password handed out so far: tests check none reaches a log. */
  issuedSecrets(): readonly string[];
  /** The chargers GET /api/chargers lists (every account sees the same ones). */
  setChargers(serials: readonly string[]): void;
  addCharger(serial: string): void;
  readonly chargerSerials: readonly string[];
  /** Who holds this access token, if it is valid now. */
  authorize(accessToken: string): TokenHolder | undefined;
  /** Let an extension answer requests and upgrades first. */
  extend(extension: ApiExtension): void;
  /** Record a request answered by an extension (for `count` and fault checks). */
  record(entry: RecordedRequest): void;
  /** The first fault for an endpoint, counted as used (for extensions that answer endpoints themselves). */
  takeFault(endpoint: ApiEndpoint): ApiFault | undefined;
  close(): Promise<void>;
}

export type PresenceControl = (serial: string, silent: boolean, options: { cloudReport?: boolean; reason?: string }) => Promise<boolean>;

/** `/simulator/devices/{serial}/presence`: serials are short letters and digits; anything else is not this route. */
const PRESENCE_PATH = /^\/simulator\/devices\/([A-Za-z0-9]{1,32})\/presence$/;

interface IssuedToken {
  readonly userName: string;
  readonly refreshToken: string;
  readonly expiresAtMs: number;
}

function token(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

function endpointOf(method: string, path: string): ApiEndpoint | "other" {
  if (method === "POST" && path === "/api/accounts/login") return "login";
  if (method === "POST" && path === "/api/accounts/refresh_token") return "refresh";
  if (method === "GET" && path === "/api/streams/amqp/v2") return "amqp";
  if (method === "GET" && path === "/api/chargers") return "chargers";
  if (method === "POST" && /^\/api\/chargers\/[^/]+\/settings$/.test(path)) return "charger-settings";
  if (method === "POST" && /^\/api\/chargers\/[^/]+\/commands\/[^/]+$/.test(path)) return "charger-command";
  return "other";
}

async function readJson(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function withAdminChannel(amqpUrl: string, work: (channel: import("amqplib").Channel) => Promise<void>): Promise<void> {
  const amqp = await import("amqplib");
  const connection = await amqp.connect(amqpUrl, { clientProperties: { connection_name: "easee-simulator-admin" } });
  connection.on("error", () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function startEaseeApiServer(options: EaseeApiServerOptions = {}): Promise<EaseeApiServer> {
  const amqpUrl = options.amqpUrl ?? DEFAULT_AMQP_URL;
  const parsedAmqp = new URL(amqpUrl);
  const operatorId = options.operatorId ?? String(100000 + Math.floor(Math.random() * 899999));
  const { queueName, exchangeName } = operatorNames(operatorId);

  const users = new Map<string, SimulatedUser>();
  const userKey = (name: string): string => name.trim().toLowerCase();
  const initialUsers = options.users ?? { [DEFAULT_USER_NAME]: { password: DEFAULT_PASSWORD, kind: "integration" } };
  for (const [name, user] of Object.entries(initialUsers)) users.set(userKey(name), user);
  const defaultUserName = Object.keys(initialUsers)[0] ?? DEFAULT_USER_NAME;
  const defaultUser = initialUsers[defaultUserName] ?? { password: DEFAULT_PASSWORD };

  let lifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
  let consumer = options.consumer ?? {
    username: decodeURIComponent(parsedAmqp.username || "guest"),
    password: decodeURIComponent(parsedAmqp.password || "guest"),
  };
  let advertised = {
    server: options.advertise?.server ?? parsedAmqp.hostname,
    port: options.advertise?.port ?? (Number(parsedAmqp.port) || 5672),
    virtualHost:
      options.advertise?.virtualHost ??
      (parsedAmqp.pathname && parsedAmqp.pathname !== "/" ? decodeURIComponent(parsedAmqp.pathname.slice(1)) : "/"),
  };

  const accessTokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, string>(); // refresh token → access token it belongs to
  const secrets: string[] = [];
  const requests: RecordedRequest[] = [];
  const faults: { fault: ApiFault; remaining: number }[] = [];
  const hanging = new Set<http.ServerResponse>();
  const chargers: string[] = [...(options.chargers ?? [])];
  const extensions: ApiExtension[] = [];

  function authorize(accessToken: string): TokenHolder | undefined {
    const issued = accessToken ? accessTokens.get(accessToken) : undefined;
    if (!issued || issued.expiresAtMs <= Date.now()) return undefined;
    return { userName: issued.userName, expiresAtMs: issued.expiresAtMs };
  }
  let sessionControl: SessionControl | undefined;

  if (options.declareTopology ?? true) {
    await withAdminChannel(amqpUrl, async (channel) => {
      await channel.assertExchange(exchangeName, "topic", { durable: true });
      await channel.assertQueue(queueName, { durable: true });
      for (const key of OBSERVATION_BINDING_KEYS) await channel.bindQueue(queueName, exchangeName, key);
    });
  }

  function issue(userName: string): Record<string, unknown> {
    const accessToken = token();
    const refreshToken = token();
    accessTokens.set(accessToken, { userName, refreshToken, expiresAtMs: Date.now() + lifetimeSeconds * 1000 });
    refreshTokens.set(refreshToken, accessToken);
    secrets.push(accessToken, refreshToken);
    return { accessToken, expiresIn: lifetimeSeconds, accessClaims: ["User"], tokenType: "Bearer", refreshToken };
  }

  function send(
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
    response.end(text);
  }

  function takeFault(endpoint: ApiEndpoint | "other"): ApiFault | undefined {
    for (let i = 0; i < faults.length; i += 1) {
      const entry = faults[i] as { fault: ApiFault; remaining: number };
      if (entry.fault.endpoint !== undefined && entry.fault.endpoint !== endpoint) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) faults.splice(i, 1);
      return entry.fault;
    }
    return undefined;
  }

  let presenceControl: PresenceControl | undefined;

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const endpoint = endpointOf(method, path);
    const record = (status: number, userName?: string): void => {
      requests.push({ method, path, endpoint, status, atMs: Date.now(), ...(userName !== undefined ? { userName } : {}) });
    };

    for (const extension of extensions) {
      if (extension.handleRequest && (await extension.handleRequest(request, response, path))) return;
    }
    const body = method === "POST" ? await readJson(request) : {};
    if (method === "POST" && path.length <= 80) {
      const match = PRESENCE_PATH.exec(path);
      if (match) {
        record(presenceControl === undefined ? 404 : 200);
        if (presenceControl === undefined) {
          send(response, 404, { title: "Not Found", status: 404 });
          return;
        }
        const serial = match[1] as string;
        const silent = body["silent"] === true;
        const known = await presenceControl(serial, silent, {
          ...(body["cloudReport"] === true ? { cloudReport: true } : {}),
          ...(typeof body["reason"] === "string" ? { reason: body["reason"].slice(0, 64) } : {}),
        });
        if (!known) send(response, 404, { title: `No simulated device ${serial}`, status: 404 });
        else send(response, 200, { serial, silent });
        return;
      }
    }

    const fault = endpoint === "other" ? undefined : takeFault(endpoint);
    if (fault) {
      switch (fault.kind) {
        case "down":
          record(0);
          request.socket.destroy();
          return;
        case "hang":
          record(0);
          hanging.add(response);
          response.on("close", () => hanging.delete(response));
          return;
        case "rate-limit": {
          record(429);
          const seconds = fault.retryAfterSeconds ?? 2;
          send(response, 429, { title: "Too Many Requests", status: 429 }, { "Retry-After": String(seconds) });
          return;
        }
        case "server-error": {
          const status = fault.status ?? 503;
          record(status);
          send(response, status, { title: "Service Unavailable", status });
          return;
        }
      }
    }

    if (endpoint === "login") {
      const userName = typeof body["userName"] === "string" ? body["userName"] : "";
      const password = typeof body["password"] === "string" ? body["password"] : "";
      const user = users.get(userKey(userName));
      if (!user || user.password !== password) {
        record(400, userName);
        // Confirmed shape: HTTP 400 with this title (easee_hass#272, evcc#9822).
        send(response, 400, { title: "Username or password is invalid", status: 400 });
        return;
      }
      if (user.emailVerified === false) {
        record(400, userName);
        // errorCode 727 is confirmed (easee_hass#145); the thread cuts the name off after "EmailNot".
        send(response, 400, { errorCode: 727, errorCodeName: "EmailNotVerified", title: "Email is not verified", status: 400 });
        return;
      }
      record(200, userName);
      send(response, 200, issue(userName));
      return;
    }

    if (endpoint === "refresh") {
      const accessToken = typeof body["accessToken"] === "string" ? body["accessToken"] : "";
      const refreshToken = typeof body["refreshToken"] === "string" ? body["refreshToken"] : "";
      const owner = refreshTokens.get(refreshToken);
      const issued = owner !== undefined ? accessTokens.get(owner) : undefined;
      if (owner === undefined || owner !== accessToken || issued === undefined) {
        record(400);
        send(response, 400, { title: "Invalid refresh token", status: 400 });
        return;
      }
      refreshTokens.delete(refreshToken);
      accessTokens.delete(owner);
      record(200, issued.userName);
      send(response, 200, issue(issued.userName));
      return;
    }

    if (endpoint === "amqp") {
      const header = request.headers.authorization ?? "";
      const bearer = header.startsWith("Bearer ") ? header.slice(7) : "";
      const issued = accessTokens.get(bearer);
      if (!issued || issued.expiresAtMs <= Date.now()) {
        record(401);
        send(response, 401, { title: "Unauthorized", status: 401 });
        return;
      }
      const user = users.get(userKey(issued.userName));
      if (!user || (user.kind ?? "integration") !== "integration") {
        record(403, issued.userName);
        send(response, 403, { title: "Forbidden", status: 403 });
        return;
      }
      record(200, issued.userName);
      secrets.push(consumer.password);
      send(response, 200, {
        server: advertised.server,
        port: advertised.port,
        useSsl: false,
        virtualHost: advertised.virtualHost,
        queueName,
        exchangeName,
        username: consumer.username,
        password: consumer.password,
      });
      return;
    }

    if (endpoint === "chargers") {
      const header = request.headers.authorization ?? "";
      const holder = authorize(header.startsWith("Bearer ") ? header.slice(7) : "");
      if (!holder) {
        record(401);
        send(response, 401, { title: "Unauthorized", status: 401 });
        return;
      }
      record(200, holder.userName);
      send(
        response,
        200,
        chargers.map((id) => ({ id, name: `Simulated ${id}`, color: 1, createdOn: "2024-01-01T00:00:00Z", productCode: 1 })),
      );
      return;
    }

    if (method === "POST" && path === SESSION_CONTROL_PATH) {
      const action = body["action"];
      const serial = typeof body["charger"] === "string" ? body["charger"] : undefined;
      if (action !== "start" && action !== "stop") {
        record(400);
        send(response, 400, { title: 'action must be "start" or "stop"', status: 400 });
        return;
      }
      if (sessionControl === undefined) {
        record(503);
        send(response, 503, { title: "No chargers are simulated", status: 503 });
        return;
      }
      const result = await sessionControl(action, serial);
      if (result === undefined) {
        record(404);
        send(response, 404, { title: `No simulated charger ${serial ?? ""}`.trim(), status: 404 });
        return;
      }
      record(200);
      send(response, 200, result);
      return;
    }

    record(404);
    send(response, 404, { title: "Not Found", status: 404 });
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, { title: "Internal Server Error", status: 500 });
    });
  });
  server.on("upgrade", (request: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    for (const extension of extensions) {
      if (extension.handleUpgrade?.(request, socket, head, path)) return;
    }
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  let closed = false;

  return {
    url,
    operatorId,
    queueName,
    exchangeName,
    credentials: { userName: defaultUserName, password: defaultUser.password },
    requests,
    count: (endpoint) => requests.filter((entry) => entry.endpoint === endpoint).length,
    setFault(fault) {
      faults.push({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults.length = 0;
    },
    addUser(userName, user) {
      users.set(userKey(userName), user);
    },
    setUserPassword(userName, password) {
      const user = users.get(userKey(userName));
      if (user) users.set(userKey(userName), { ...user, password });
    },
    setConsumer(next) {
      consumer = { username: next.username, password: next.password };
    },
    setAdvertisedEndpoint(endpoint) {
      advertised = {
        ...advertised,
        ...(endpoint.server !== undefined ? { server: endpoint.server } : {}),
        ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
      };
    },
    setAccessTokenLifetime(seconds) {
      lifetimeSeconds = seconds;
    },
    expireAccessTokens() {
      for (const [key, value] of accessTokens) accessTokens.set(key, { ...value, expiresAtMs: 0 });
    },
    revokeRefreshTokens() {
      refreshTokens.clear();
    },
    setPresenceControl(control) {
      presenceControl = control;
    },
    setSessionControl(control) {
      sessionControl = control;
    },
    issuedSecrets: () => [...secrets],
    setChargers(serials) {
      chargers.length = 0;
      chargers.push(...serials);
    },
    addCharger(serial) {
      if (!chargers.includes(serial)) chargers.push(serial);
    },
    get chargerSerials() {
      return [...chargers];
    },
    authorize,
    extend(extension) {
      extensions.push(extension);
    },
    record(entry) {
      requests.push(entry);
    },
    takeFault,
    async close() {
      if (closed) return;
      closed = true;
      for (const extension of extensions) await extension.close?.();
      for (const response of hanging) response.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if ((options.declareTopology ?? true) && (options.deleteTopologyOnClose ?? true)) {
        await withAdminChannel(amqpUrl, async (channel) => {
          await channel.deleteQueue(queueName);
          await channel.deleteExchange(exchangeName);
        }).catch(() => undefined);
      }
    },
  };
}
