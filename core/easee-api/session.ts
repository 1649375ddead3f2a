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
 */
import { createHash } from "node:crypto";
import { EaseeApiClient, LoginBudget, type EaseeApiClientOptions } from "./client";
import { normaliseApiUrl } from "./responses";

interface Entry {
  readonly client: EaseeApiClient;
  refs: number;
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
    const client = new EaseeApiClient({ ...options, apiUrl, loginBudget: budget });
    entry = { client, refs: 0 };
    sessions.set(key, entry);
  }
  entry.refs += 1;
  entry.client.resume();
  const held = entry;
  let released = false;
  return {
    client: held.client,
    release(forget = false) {
      if (released) return;
      released = true;
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
