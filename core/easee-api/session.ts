/**
 * Easee REST sessions shared across redeploys.
 *
 * A Node-RED redeploy replaces the config node; without sharing, every deploy would log in again and fetch the
 * AMQP details again, and twenty deploys in a row would get the address blocked by Easee. Sessions are keyed by
 * API URL, user name and a hash of the password, so a changed password gets a new session. The login budget is
 * keyed by API URL and user name only: wrong passwords count against the same hourly cap.
 *
 * A released session keeps its token and AMQP details in memory but runs no timer. It is dropped when the config
 * node is deleted (`release(true)`), or when it is idle and its token has expired.
 *
 * The client logs through the newest holder still holding the session: a log function is a closure over its config
 * node, and a closed node must be neither written to nor kept in memory by a session that outlives it.
 */
import { createHash } from "node:crypto";
import { EaseeApiClient, LoginBudget, type EaseeApiClientOptions } from "./client";
import { normaliseApiUrl } from "./responses";

type LogFunction = NonNullable<EaseeApiClientOptions["log"]>;

interface Entry {
  readonly client: EaseeApiClient;
  refs: number;
  /** The log functions of the current holders, oldest first. */
  readonly logs: LogFunction[];
}

const sessions = new Map<string, Entry>();
const budgets = new Map<string, LoginBudget>();

export interface EaseeSession {
  readonly client: EaseeApiClient;
  /** Give the session back; `forget` drops its tokens and details (the config node was deleted). Idempotent. */
  release(forget?: boolean): void;
}

function budgetKey(apiUrl: string, userName: string): string {
  return `${apiUrl}\n${userName.trim().toLowerCase()}`;
}

function sessionKey(apiUrl: string, userName: string, password: string): string {
  const digest = createHash("sha256").update(password).digest("hex");
  return `${budgetKey(apiUrl, userName)}\n${digest}`;
}

function purgeIdle(now: number): void {
  for (const [key, entry] of sessions) {
    const expiresAt = entry.client.tokenExpiresAt;
    if (entry.refs === 0 && (expiresAt === undefined || expiresAt <= now)) {
      entry.client.close();
      sessions.delete(key);
    }
  }
}

/**
 * The shared client for these credentials (created on first use). Throws EaseeApiError `invalid-url` or
 * `missing-credentials` for settings that cannot work. Options other than the credentials only apply when the
 * session is created.
 */
export function acquireEaseeSession(options: EaseeApiClientOptions): EaseeSession {
  const apiUrl = normaliseApiUrl(options.apiUrl);
  purgeIdle(Date.now());
  const key = sessionKey(apiUrl, options.userName ?? "", options.password ?? "");
  let entry = sessions.get(key);
  if (!entry) {
    const bKey = budgetKey(apiUrl, options.userName ?? "");
    let budget = budgets.get(bKey);
    if (!budget) {
      budget = options.loginBudget ?? new LoginBudget(options.maxLoginsPerHour ?? 5);
      budgets.set(bKey, budget);
    }
    const logs: LogFunction[] = [];
    const client = new EaseeApiClient({ ...options, apiUrl, loginBudget: budget, log: (level, event) => logs.at(-1)?.(level, event) });
    entry = { client, refs: 0, logs };
    sessions.set(key, entry);
  }
  const log = options.log;
  if (log) entry.logs.push(log);
  entry.refs += 1;
  entry.client.resume();
  const held = entry;
  let released = false;
  return {
    client: held.client,
    release(forget = false) {
      if (released) return;
      released = true;
      const index = log ? held.logs.lastIndexOf(log) : -1;
      if (index >= 0) held.logs.splice(index, 1);
      held.refs = Math.max(0, held.refs - 1);
      if (held.refs === 0) {
        held.client.suspend();
        if (forget) {
          held.client.close();
          if (sessions.get(key) === held) sessions.delete(key);
        }
      }
    },
  };
}

/** Number of sessions held in memory (tests and diagnostics). */
export function sessionCount(): number {
  return sessions.size;
}
