/** The Easee REST client: login, token refresh, AMQP stream details, plain-language errors. */
export { EaseeApiClient, LoginBudget, LOGIN_PATH, REFRESH_PATH, AMQP_DETAILS_PATH, CHARGERS_PATH } from "./client";
export type { EaseeApiClientOptions } from "./client";
export { EaseeApiError, isEaseeApiError, describeDelay, NETWORK_CODES, STATUS_REASON_BY_CODE } from "./errors";
export type { ApiRequestId, ApiText, ApiTextId, EaseeErrorCode, EaseeApiErrorOptions } from "./errors";
export {
  interpretLogin,
  interpretRefresh,
  interpretAmqpDetails,
  interpretChargers,
  MAX_CHARGERS,
  normaliseApiUrl,
  parseRetryAfter,
  readEaseeErrorBody,
  EASEE_ERROR_EMAIL_NOT_VERIFIED,
} from "./responses";
export type { AmqpDetails, ChargerSummary, TokenResponse, EaseeErrorBody, HttpAnswer } from "./responses";
export { createAxiosTransport, convertTransportError } from "./transport";
export type { HttpRequest, HttpTransport } from "./transport";
export { acquireEaseeSession, sessionCount } from "./session";
export type { EaseeSession } from "./session";
