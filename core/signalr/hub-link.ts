/**
 * One connection to Easee's SignalR hub, made with the official client (@microsoft/signalr), set up so that the
 * traps peers fell into cannot happen (protocol-notes §6, §8):
 * - WebSockets only, with skipNegotiation: no negotiate request, so the client's fetch/cookie HTTP stack (the cause
 *   of "Cannot read properties of undefined (reading 'secure')" for peers) is never used. The HTTP client handed to
 *   the library refuses every request instead of loading node-fetch and tough-cookie.
 * - The WebSocket is `ws` with `maxPayload` bounded: the hub is untrusted input, and a frame is read whole before
 *   the library parses it.
 * - The status the hub answers a refused upgrade with (401, 429 + Retry-After) is kept, so the caller can renew the
 *   token or wait as told; the library itself only says "WebSocket failed to connect".
 * - The library's own log lines go to `log` at debug level with tokens blanked out; unknown server methods (such as
 *   `SubscribeToMyProduct`) are only logged by it and never close the connection.
 * - No automatic reconnect: the stream owns reconnecting (backoff, token, resubscribing every charger).
 */
import * as signalR from "@microsoft/signalr";
import type { ClientRequest, IncomingMessage } from "node:http";
import WebSocket from "ws";

export interface HubRefusal {
  /** HTTP status of the refused WebSocket upgrade. */
  readonly status: number;
  /** Its Retry-After header, if any. */
  readonly retryAfter?: string;
}

export interface HubLink {
  start(): Promise<void>;
  stop(): Promise<void>;
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
  on(method: string, handler: (...args: unknown[]) => void): void;
  /** Called once when the connection closes (not after a failed start). */
  onClose(handler: (error?: Error) => void): void;
  /** Set when the hub refused the WebSocket upgrade with an HTTP status. */
  readonly refusal: HubRefusal | undefined;
}

export interface HubLinkOptions {
  /** The hub, e.g. https://streams.easee.com/hubs/chargers (http(s) or ws(s)). */
  readonly url: string;
  /** A valid access token for each connect (sent as `Authorization: Bearer`). */
  readonly accessTokenFactory: () => Promise<string>;
  readonly log: (message: string) => void;
  /** The connection counts as dead after this long without a message. Default 60000 ms. */
  readonly serverTimeoutMs?: number;
  /** Ping the hub this often. Default 15000 ms. */
  readonly keepAliveMs?: number;
  /** Largest WebSocket frame accepted. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /** How long the connection (WebSocket upgrade and SignalR handshake) may take. Default 20000 ms. */
  readonly connectTimeoutMs?: number;
}

export type HubLinkFactory = (options: HubLinkOptions) => HubLink;

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Blanks out bearer tokens and `access_token=` query values in a log line. */
export function redactTokens(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/(access_token=)[^&\s"']+/gi, "$1[redacted]").replace(/(Bearer\s+)[^\s"',]+/gi, "$1[redacted]");
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** The library's HttpClient, never used with skipNegotiation + WebSockets; refusing beats loading fetch polyfills. */
class NoHttpClient extends signalR.HttpClient {
  override send(): Promise<signalR.HttpResponse> {
    // A developer form, should it ever show: the hub is reached by WebSocket only.
    return Promise.reject(new Error("hub-http-disabled (websocket-only)"));
  }

  override getCookieString(): string {
    return "";
  }
}

/** How the SignalR client constructs its WebSocket in Node (dist/cjs/WebSocketTransport.js). */
type WebSocketClass = new (address: string, protocols?: string | string[], options?: WebSocket.ClientOptions) => WebSocket;

/** `ws` with a bounded frame size that remembers how the server refused the upgrade. */
function boundedWebSocket(maxPayload: number, handshakeTimeout: number, onRefusal: (refusal: HubRefusal) => void): WebSocketClass {
  return class BoundedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
      // handshakeTimeout: a hub that takes the TCP connection but never answers the upgrade must not leave the
      // stream "connecting" forever (ws waits without end by default).
      super(address, protocols, { ...options, maxPayload, handshakeTimeout, followRedirects: false });
      // ws keeps the upgrade request as `_req` while connecting; its 'response' event fires only for an answer that
      // is not an upgrade (401, 429, 503 …). Reading it is the only way to learn the status: ws reports
      // "Unexpected server response" and the SignalR client drops even that.
      const request = (this as unknown as { _req?: ClientRequest })._req;
      request?.on("response", (response: IncomingMessage) => {
        const retryAfter = response.headers["retry-after"];
        onRefusal({
          status: response.statusCode ?? 0,
          ...(typeof retryAfter === "string" ? { retryAfter } : {}),
        });
      });
    }
  };
}

export const createHubLink: HubLinkFactory = (options) => {
  let refusal: HubRefusal | undefined;
  let token = "";
  const log = (message: string): void => options.log(redactTokens(message, token ? [token] : []));
  const logger: signalR.ILogger = {
    log(level: signalR.LogLevel, message: string) {
      if (level >= signalR.LogLevel.Information) log(message);
    },
  };
  const connectionOptions: signalR.IHttpConnectionOptions & { WebSocket: WebSocketClass } = {
    transport: signalR.HttpTransportType.WebSockets,
    skipNegotiation: true,
    httpClient: new NoHttpClient(),
    logger,
    logMessageContent: false,
    timeout: options.connectTimeoutMs ?? 20_000,
    accessTokenFactory: async () => {
      token = await options.accessTokenFactory();
      return token;
    },
    // Not in the library's typings, but read by HttpConnection (dist/cjs/HttpConnection.js): the WebSocket class
    // to use in Node.
    WebSocket: boundedWebSocket(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, options.connectTimeoutMs ?? 20_000, (value) => {
      refusal = value;
    }),
  };
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(options.url, connectionOptions)
    .configureLogging(logger)
    .withServerTimeout(options.serverTimeoutMs ?? 60_000)
    .withKeepAliveInterval(options.keepAliveMs ?? 15_000)
    .build();
  return {
    start: () => connection.start(),
    stop: () => connection.stop(),
    invoke: (method, ...args) => connection.invoke(method, ...args) as Promise<unknown>,
    on: (method, handler) => connection.on(method, handler),
    onClose: (handler) => connection.onclose(handler),
    get refusal() {
      return refusal;
    },
  };
};
