/** Easee's SignalR hub as a stream source for personal (app) accounts; see docs/signalr.md. */
import type { EaseeApiClient } from "../easee-api";
import { SignalrStream, type SignalrStreamOptions } from "./stream";
import { MAX_API_URL_CHARS, trimTrailingSlashes } from "../easee-api/responses";

export { SignalrStream, SIGNALR_IDLE_STATE, SUBSCRIBE_METHOD } from "./stream";
export type { SignalrLogLevel, SignalrStreamOptions, SignalrStreamStats } from "./stream";
export { createHubLink, redactTokens, DEFAULT_MAX_FRAME_BYTES } from "./hub-link";
export type { HubLink, HubLinkFactory, HubLinkOptions, HubRefusal } from "./hub-link";
export { decodeHubMessage, HUB_METHODS } from "./messages";
export type { HubMethod } from "./messages";
export { ReplayTracker } from "./replay";
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

/** The hub URL, checked: http(s) or ws(s), no credentials, no fragment. Throws RangeError in plain words. */
export function normaliseHubUrl(value: string): string {
  const raw = typeof value === "string" ? value : "";
  // Bounded before parsing, like the API URL (issue 12): a real hub URL is about 40 characters.
  if (raw.length > MAX_API_URL_CHARS) throw new RangeError(`The SignalR hub URL is too long (${raw.length} characters).`);
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`"${text.slice(0, 100)}" is not a valid URL. The usual value is https://streams.easee.com/hubs/chargers.`);
  }
  if (!/^(https?|wss?):$/.test(url.protocol)) {
    throw new RangeError("The SignalR hub URL must start with https:// (or http:// for a local simulator).");
  }
  if (url.username !== "" || url.password !== "") throw new RangeError("The SignalR hub URL must not contain a user name or password.");
  if (url.hash !== "") throw new RangeError("The SignalR hub URL must not contain a fragment (#…).");
  // A backwards scan, not /\/+$/: that is quadratic on "//…/x" (issue 12).
  return trimTrailingSlashes(url.toString());
}
