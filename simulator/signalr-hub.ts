/**
 * A simulated Easee SignalR hub (`/hubs/chargers`) on the simulator's REST API server, so the real SignalR client
 * can be tested end to end (protocol-notes §1.4, §6, §8):
 *   POST /hubs/chargers/negotiate   Bearer → negotiate answer (WebSockets only); clients that skip negotiation
 *                                   never call it
 *   GET  /hubs/chargers (upgrade)   Bearer header or `access_token` query → WebSocket, SignalR JSON hub protocol:
 *                                   records end with 0x1e; handshake `{"protocol":"json","version":1}` → `{}`;
 *                                   invocations (type 1) answered with completions (type 3); pings (type 6) every
 *                                   `pingMs`; close (type 7).
 * Client method: `SubscribeWithCurrentState(serial, sendCurrentState)`: the charger must be the account's; with
 * `true` the hub first sends the last value of every observation of the charger as `ProductUpdate`, with the
 * timestamps they were reported at (old, like Easee's replay), then completes the call. Afterwards every observation
 * the charger reports reaches the connection as `ProductUpdate`, and command responses as `CommandResponse`.
 * A connection is closed (type 7) when the access token it was opened with expires, like a hub that checks token
 * lifetime. Test hooks: drop every connection (hub restart), refuse upgrades with a status, send any method.
 */
import type * as http from "node:http";
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import type { ApiEndpoint, ApiExtension, EaseeApiServer } from "./api-server";
import type { ChargerModel, CommandResult, ModelObservation } from "./charger";
import { dataTypeOf, dotNetTicksFromMs, valueString, type CommandBody, type SimValue } from "./encode";

export const HUB_PATH = "/hubs/chargers";
const RS = "\u001e";
/** Frames from clients are small (handshake, invocations); anything larger is refused by the socket. */
const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

const DATA_TYPE_CODE: Readonly<Record<string, number>> = {
  Binary: 1,
  Boolean: 2,
  Double: 3,
  Integer: 4,
  Position: 5,
  String: 6,
  Statistics: 7,
};

export interface HubObservation {
  readonly observationId: number;
  readonly value: SimValue;
  /** Device time, epoch ms. */
  readonly timestampMs: number;
}

/** A command response as the hub sends it (evcc `charger/easee/signalr.go`). */
export interface HubCommandResponse {
  readonly SerialNumber: string;
  readonly ID: number;
  readonly Timestamp: string;
  readonly DeliveredAt: string;
  readonly WasAccepted: boolean;
  readonly ResultCode: number;
  readonly Comment: string;
  readonly Ticks: number;
}

export interface HubConnectionInfo {
  readonly id: string;
  readonly userName: string;
  /** SubscribeWithCurrentState calls per serial on this connection (2+ = a duplicate subscription). */
  readonly subscriptions: ReadonlyMap<string, number>;
}

export interface SimulatedHub {
  /** Records observations as the charger's current state and pushes them to its subscribers. */
  publish(serial: string, observations: readonly HubObservation[]): void;
  /** Sends a CommandResponse to the subscribers of its charger. */
  commandResponse(response: HubCommandResponse): void;
  /** Sends any method to every connection (e.g. one the client does not know). */
  sendToAll(target: string, args: readonly unknown[]): void;
  /** Cuts every connection at once, like a hub restart (no close message). */
  dropAll(): void;
  /** Answers the next `times` upgrades with `status` (and Retry-After for 429). */
  refuseUpgrades(status: number, times: number, retryAfterSeconds?: number): void;
  /** Open connections. */
  readonly connections: readonly HubConnectionInfo[];
  /** WebSocket upgrades accepted since start. */
  readonly accepted: number;
  /** Acts on REST commands (POST /api/chargers/{id}/settings and …/commands/{name}) from now on. */
  setCommandTarget(target: RestCommandTarget): void;
  /** REST commands taken so far. */
  readonly restCommands: readonly RestCommandEvent[];
  /** Take REST commands but never send their CommandResponse (a charger that lost its connection). */
  silent: boolean;
  /** Resolves when `predicate` holds (checked on every connection and subscription change). */
  waitFor(predicate: (hub: SimulatedHub) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SimulatedHubOptions {
  /** Server pings, ms. Default 15000 (ASP.NET Core's default). */
  readonly pingMs?: number;
}

/** What the REST command endpoints act on: the simulator's chargers and its publisher. */
export interface RestCommandTarget {
  charger(serial: string): ChargerModel | undefined;
  /** Publishes the observations a command caused (to the queue and the hub). */
  publish(serial: string, observations: readonly ModelObservation[]): Promise<void>;
}

/** A REST command the simulator took (for tests). */
export interface RestCommandEvent {
  readonly chargerId: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly commandId: number;
  readonly ticks: string;
  readonly result: CommandResult;
}

function asText(value: unknown): string | undefined {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A REST command → the charger model's command body (protocol-notes §2: the REST endpoints map onto the same
 * commands): undefined when the simulator does not know the endpoint or the body.
 */
export function commandBodyForRest(endpoint: string, body: Record<string, unknown>, timestamp: string): CommandBody | undefined {
  const make = (Id: number, values: (string | undefined)[]): CommandBody | undefined =>
    values.some((value) => value === undefined)
      ? undefined
      : { Id, Timestamp: timestamp, Arguments: values.map((Value, index) => ({ Id: index + 1, Value: Value as string })) };
  switch (endpoint) {
    case "commands/set_dynamic_charger_current":
      return make(48, [asText(body.amps), asText(body.minutes ?? 0)]);
    case "commands/lock_state":
      return make(30, [asText(body.state)]);
    case "commands/reboot":
      return make(1, []);
    case "commands/override_schedule":
      return make(63, []);
    case "commands/update_firmware":
      return make(4, []);
    case "settings":
      if ("enabled" in body) return make(29, [asText(body.enabled)]);
      if ("smartCharging" in body) return make(11, [asText(body.smartCharging)]);
      if ("maxChargerCurrent" in body) return make(47, [asText(body.maxChargerCurrent)]);
      if ("dynamicChargerCurrent" in body) return make(48, [asText(body.dynamicChargerCurrent)]);
      return undefined;
    default:
      return undefined;
  }
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly userName: string;
  handshaken: boolean;
  readonly subscriptions: Map<string, number>;
  readonly timers: NodeJS.Timeout[];
}

function bearerOf(request: http.IncomingMessage): string {
  const header = request.headers.authorization ?? "";
  if (header.startsWith("Bearer ")) return header.slice(7);
  const query = new URL(request.url ?? "/", "http://hub").searchParams.get("access_token");
  return query ?? "";
}

/** Serves the hub on `api`'s HTTP server. */
export function attachSignalrHub(api: EaseeApiServer, options: SimulatedHubOptions = {}): SimulatedHub {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  const state = new Map<string, Map<number, HubObservation>>();
  const connections = new Map<string, Connection>();
  const refusals: { status: number; remaining: number; retryAfterSeconds?: number }[] = [];
  const waiters = new Set<() => void>();
  let accepted = 0;
  let closed = false;
  let commandTarget: RestCommandTarget | undefined;
  const restCommands: RestCommandEvent[] = [];
  let lastTicks = 0n;
  const pendingTimers = new Set<NodeJS.Timeout>();

  const changed = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const frame = (message: unknown): string => `${JSON.stringify(message)}${RS}`;

  function sendTo(connection: Connection, message: unknown): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(frame(message));
  }

  function productUpdate(serial: string, observation: HubObservation): Record<string, unknown> {
    const dataType = dataTypeOf(observation.observationId, observation.value);
    return {
      mid: serial,
      dataType: DATA_TYPE_CODE[dataType] ?? 6,
      id: observation.observationId,
      timestamp: new Date(observation.timestampMs).toISOString(),
      value: valueString(observation.value, dataType),
    };
  }

  function drop(connection: Connection): void {
    for (const timer of connection.timers) clearTimeout(timer);
    connection.timers.length = 0;
    if (connections.delete(connection.id)) changed();
  }

  function onInvocation(connection: Connection, message: Record<string, unknown>): void {
    const target = typeof message.target === "string" ? message.target : "";
    const invocationId = typeof message.invocationId === "string" ? message.invocationId : undefined;
    const args = Array.isArray(message.arguments) ? message.arguments : [];
    const complete = (result: { result?: unknown; error?: string }): void => {
      if (invocationId !== undefined) sendTo(connection, { type: 3, invocationId, ...result });
    };
    if (target.toLowerCase() !== "subscribewithcurrentstate") {
      complete({ error: `Unknown hub method '${target.slice(0, 60)}'` });
      return;
    }
    const serial = typeof args[0] === "string" ? args[0] : "";
    if (!api.chargerSerials.includes(serial)) {
      complete({ error: "Not authorized to subscribe to this product" });
      return;
    }
    connection.subscriptions.set(serial, (connection.subscriptions.get(serial) ?? 0) + 1);
    if (args[1] === true) {
      for (const observation of state.get(serial)?.values() ?? []) {
        sendTo(connection, { type: 1, target: "ProductUpdate", arguments: [productUpdate(serial, observation)] });
      }
    }
    complete({ result: null });
    changed();
  }

  function onText(connection: Connection, text: string): void {
    for (const record of text.split(RS)) {
      if (record === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(record);
      } catch {
        connection.socket.close(1002, "invalid JSON");
        return;
      }
      if (message === null || typeof message !== "object") continue;
      const fields = message as Record<string, unknown>;
      if (!connection.handshaken) {
        if (fields.protocol !== "json") {
          connection.socket.send(frame({ error: `The protocol '${String(fields.protocol).slice(0, 20)}' is not supported.` }));
          connection.socket.close();
          return;
        }
        connection.handshaken = true;
        connection.socket.send(frame({}));
        continue;
      }
      if (fields.type === 1) onInvocation(connection, fields);
      else if (fields.type === 7) connection.socket.close();
      // 6 (ping) and anything else: nothing to do
    }
  }

  function accept(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const holder = api.authorize(bearerOf(request));
    const refusal = refusals[0];
    if (refusal) {
      refusal.remaining -= 1;
      if (refusal.remaining <= 0) refusals.shift();
      const retry = refusal.retryAfterSeconds !== undefined ? `Retry-After: ${refusal.retryAfterSeconds}\r\n` : "";
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\n${retry}Connection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    if (!holder) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      accepted += 1;
      const connection: Connection = {
        id: randomBytes(8).toString("hex"),
        socket: ws,
        userName: holder.userName,
        handshaken: false,
        subscriptions: new Map(),
        timers: [],
      };
      connections.set(connection.id, connection);
      const ping = setInterval(() => sendTo(connection, { type: 6 }), options.pingMs ?? 15_000);
      ping.unref();
      // The token the connection was opened with expires: close it, as a hub checking token lifetime does.
      const expiry = setTimeout(
        () => {
          sendTo(connection, { type: 7, error: "Connection closed with an error. Unauthorized: token expired", allowReconnect: true });
          ws.close();
        },
        Math.max(0, holder.expiresAtMs - Date.now()),
      );
      expiry.unref();
      connection.timers.push(ping, expiry);
      ws.on("message", (data: RawData, isBinary: boolean) => {
        if (isBinary) return;
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        onText(connection, bytes.toString("utf8"));
      });
      ws.on("close", () => drop(connection));
      ws.on("error", () => drop(connection));
      changed();
    });
  }

  async function readBody(request: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) return {};
      chunks.push(chunk as Buffer);
    }
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  /** POST /api/chargers/{id}/settings and …/commands/{name}: 202 {device, commandId, ticks}; the response follows on the hub. */
  async function handleCommand(request: http.IncomingMessage, response: http.ServerResponse, path: string): Promise<boolean> {
    const match = /^\/api\/chargers\/([^/]+)\/(settings|commands\/[a-z_]+)$/.exec(path);
    if (!match || request.method !== "POST" || !commandTarget) return false;
    const serial = decodeURIComponent(match[1] as string);
    const endpoint = match[2] as string;
    const endpointName: ApiEndpoint = endpoint === "settings" ? "charger-settings" : "charger-command";
    const reply = (status: number, text: string, headers: Record<string, string> = {}): void => {
      api.record({ method: "POST", path, endpoint: endpointName, status, atMs: Date.now() });
      response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
      response.end(text);
    };
    const fault = api.takeFault(endpointName);
    if (fault?.kind === "rate-limit") {
      reply(429, JSON.stringify({ title: "Too Many Requests", status: 429 }), { "Retry-After": String(fault.retryAfterSeconds ?? 2) });
      return true;
    }
    if (fault?.kind === "server-error") {
      reply(fault.status ?? 503, JSON.stringify({ title: "Service Unavailable" }));
      return true;
    }
    const header = request.headers.authorization ?? "";
    if (!api.authorize(header.startsWith("Bearer ") ? header.slice(7) : "")) {
      reply(401, JSON.stringify({ title: "Unauthorized", status: 401 }));
      return true;
    }
    const charger = api.chargerSerials.includes(serial) ? commandTarget.charger(serial) : undefined;
    if (!charger) {
      reply(404, JSON.stringify({ title: "Charger not found", status: 404 }));
      return true;
    }
    const body = await readBody(request);
    const now = Date.now();
    let ticks = dotNetTicksFromMs(now);
    if (ticks <= lastTicks) ticks = lastTicks + 1n;
    lastTicks = ticks;
    const command = commandBodyForRest(endpoint, body, new Date(now).toISOString());
    if (!command) {
      reply(400, JSON.stringify({ title: "Invalid command", status: 400 }));
      return true;
    }
    // Easee's ticks are a JSON number with 18 digits: written as text so no digit is lost on this side.
    const reference = `{"device":${JSON.stringify(serial)},"commandId":${command.Id},"ticks":${ticks.toString()}}`;
    reply(202, endpoint === "settings" ? `[${reference}]` : reference);
    const result = charger.applyCommand(command, now);
    restCommands.push({ chargerId: serial, path, body, commandId: command.Id, ticks: ticks.toString(), result });
    await commandTarget.publish(serial, result.observations).catch(() => undefined);
    if (hub.silent) return true;
    // The charger answers a moment later, on the hub.
    const timer = setTimeout(() => {
      pendingTimers.delete(timer);
      const deliveredAt = new Date(now + 20).toISOString();
      const frame =
        `{"type":1,"target":"CommandResponse","arguments":[{"SerialNumber":${JSON.stringify(serial)},"ID":${command.Id},` +
        `"Timestamp":${JSON.stringify(new Date(now).toISOString())},"DeliveredAt":${JSON.stringify(deliveredAt)},` +
        `"WasAccepted":${result.wasAccepted},"ResultCode":${result.resultCode},"Comment":${JSON.stringify(result.comment)},` +
        `"Ticks":${ticks.toString()}}]}${RS}`;
      for (const connection of connections.values()) {
        if (connection.subscriptions.has(serial) && connection.socket.readyState === connection.socket.OPEN) connection.socket.send(frame);
      }
    }, 30);
    pendingTimers.add(timer);
    return true;
  }

  const extension: ApiExtension = {
    handleRequest(request, response, path) {
      if (path.startsWith("/api/chargers/")) return handleCommand(request, response, path);
      if (path !== `${HUB_PATH}/negotiate`) return false;
      if (!api.authorize(bearerOf(request))) {
        response.writeHead(401, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ title: "Unauthorized", status: 401 }));
        return true;
      }
      const id = randomBytes(16).toString("base64url");
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify({
          negotiateVersion: 1,
          connectionId: id,
          connectionToken: id,
          availableTransports: [{ transport: "WebSockets", transferFormats: ["Text", "Binary"] }],
        }),
      );
      return true;
    },
    handleUpgrade(request, socket, head, path) {
      if (path !== HUB_PATH || closed) return false;
      accept(request, socket, head);
      return true;
    },
    close() {
      closed = true;
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      for (const connection of [...connections.values()]) {
        connection.socket.terminate();
        drop(connection);
      }
      server.close();
    },
  };
  api.extend(extension);

  const hub: SimulatedHub = {
    publish(serial, observations) {
      let current = state.get(serial);
      if (!current) {
        current = new Map();
        state.set(serial, current);
      }
      for (const observation of observations) current.set(observation.observationId, observation);
      for (const connection of connections.values()) {
        if (!connection.subscriptions.has(serial)) continue;
        for (const observation of observations) {
          sendTo(connection, { type: 1, target: "ProductUpdate", arguments: [productUpdate(serial, observation)] });
        }
      }
    },
    commandResponse(response) {
      for (const connection of connections.values()) {
        if (connection.subscriptions.has(response.SerialNumber)) {
          sendTo(connection, { type: 1, target: "CommandResponse", arguments: [response] });
        }
      }
    },
    sendToAll(target, args) {
      for (const connection of connections.values()) sendTo(connection, { type: 1, target, arguments: args });
    },
    dropAll() {
      for (const connection of [...connections.values()]) {
        connection.socket.terminate();
        drop(connection);
      }
    },
    refuseUpgrades(status, times, retryAfterSeconds) {
      refusals.push({ status, remaining: times, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
    },
    get connections() {
      return [...connections.values()].map((c) => ({ id: c.id, userName: c.userName, subscriptions: new Map(c.subscriptions) }));
    },
    get accepted() {
      return accepted;
    },
    setCommandTarget(target) {
      commandTarget = target;
    },
    get restCommands() {
      return [...restCommands];
    },
    silent: false,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        if (predicate(hub)) {
          resolve();
          return;
        }
        const check = (): void => {
          if (!predicate(hub)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the simulated hub did not reach the expected state within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      await extension.close?.();
    },
  };
  return hub;
}
