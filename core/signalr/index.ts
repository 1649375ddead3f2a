/** Easee's SignalR hub as a stream source for personal (app) accounts; see docs/signalr.md. */
import type { EaseeApiClient } from "../easee-api";
import { SignalrStream, type SignalrStreamOptions } from "./stream";

export { SignalrStream, SIGNALR_IDLE_STATE, SUBSCRIBE_METHOD } from "./stream";
export type { SignalrLogLevel, SignalrStreamOptions, SignalrStreamStats } from "./stream";
export { createHubLink, redactTokens, DEFAULT_MAX_FRAME_BYTES } from "./hub-link";
export type { HubLink, HubLinkFactory, HubLinkOptions, HubRefusal } from "./hub-link";
export { decodeHubMessage, HUB_METHODS } from "./messages";
export type { HubMethod } from "./messages";
export { ReplayTracker } from "./replay";
export { HubUrlError, normaliseHubUrl } from "./hub-url";
export type { HubUrlProblem } from "./hub-url";
export { RestCommandSender, REST_COMMAND_IDS, interpretCommandAnswer, restCallFor } from "./rest-commands";
export type { RestCommandAnswer, RestCommandCall, RestCommandSenderOptions } from "./rest-commands";
export type { ReplayTrackerOptions } from "./replay";

/** A SignalR stream that takes its token and charger list from an Easee REST client. */
export function signalrStreamFor(
  client: EaseeApiClient,
  options: Omit<SignalrStreamOptions, "getAccessToken" | "renewAccessToken" | "listChargers">,
): SignalrStream {
  return new SignalrStream({
    ...options,
    getAccessToken: (signal) => client.getAccessToken(signal),
    renewAccessToken: (signal) => client.renewAccessToken(signal),
    listChargers: (signal) => client.getChargers({ signal }),
  });
}
