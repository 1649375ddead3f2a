/**
 * The Easee REST client without network: Easee's answers are fed through a fake transport and time is a
 * ManualScheduler. (The same client against a real HTTP server: test/integration/config-easee-api.spec.ts.)
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { ManualScheduler } from "../../core/timing/scheduler";
import {
  EaseeApiClient,
  EaseeApiError,
  LoginBudget,
  acquireEaseeSession,
  convertTransportError,
  interpretAmqpDetails,
  interpretLogin,
  normaliseApiUrl,
  parseRetryAfter,
  sessionCount,
  type HttpAnswer,
  type HttpRequest,
  type HttpTransport,
} from "../../core/easee-api";
import { englishError } from "../helpers/english";
import type { LogEvent, LogLevel } from "../../core/log";

const PASSWORD = "s3cret-Pa55word";
const NOW = Date.parse("2026-11-25T10:00:00Z");

function answer(status: number, data: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, data, headers };
}

const DETAILS = {
  server: "b-123.mq.eu-west-1.amazonaws.com",
  port: 5671,
  useSsl: true,
  virtualHost: "/",
  queueName: "Operator_42.Q",
  exchangeName: "Operator_42.C.X",
  username: "operator42",
  password: "amqp-secret-xyz",
};

/** A scripted Easee: each endpoint answers from a queue of responses (the last one repeats). */
class FakeEasee {
  readonly calls: HttpRequest[] = [];
  private tokenCounter = 0;
  login: (() => HttpAnswer)[] = [];
  refresh: (() => HttpAnswer)[] = [];
  amqp: (() => HttpAnswer)[] = [];
  /** Resolve requests only when released (for single-flight tests). */
  gate: Promise<void> | undefined;

  tokens(expiresIn = 3600): HttpAnswer {
    this.tokenCounter += 1;
    return answer(200, {
      accessToken: `access-${this.tokenCounter}`,
      expiresIn,
      accessClaims: ["User"],
      tokenType: "Bearer",
      refreshToken: `refresh-${this.tokenCounter}`,
    });
  }

  count(path: string): number {
    return this.calls.filter((call) => call.path === path).length;
  }

  readonly transport: HttpTransport = async (request) => {
    this.calls.push(request);
    if (this.gate) await this.gate;
    const list =
      request.path === "/api/accounts/login"
        ? this.login
        : request.path === "/api/accounts/refresh_token"
          ? this.refresh
          : this.amqp;
    const next = list.length > 1 ? list.shift() : list[0];
    if (!next) throw new Error(`no scripted answer for ${request.path}`);
    return next();
  };
}

function makeClient(easee: FakeEasee, clock: ManualScheduler, extra: Partial<ConstructorParameters<typeof EaseeApiClient>[0]> = {}) {
  return new EaseeApiClient({
    apiUrl: "https://api.easee.com",
    userName: "integration@example.com",
    password: PASSWORD,
    transport: easee.transport,
    scheduler: clock,
    ...extra,
  });
}

function assertNoSecrets(value: unknown, secrets: string[]): void {
  const text = `${inspect(value, { depth: 10, showHidden: true })} ${JSON.stringify(value)} ${String(value)}`;
  for (const secret of secrets) assert.ok(!text.includes(secret), `secret ${secret.slice(0, 4)}… leaked: ${text}`);
}

describe("Easee API: answers → plain-language errors", () => {
  it("wrong password: HTTP 400 'Username or password is invalid' → wrong-credentials", () => {
    assert.throws(
      () => interpretLogin(answer(400, { title: "Username or password is invalid", status: 400 }), NOW),
      (error: unknown) =>
        error instanceof EaseeApiError &&
        error.code === "wrong-credentials" &&
        error.statusReason === "wrong-password" &&
        /rejected the user name or password/.test(englishError(error)),
    );
  });

  it("wrong password without a body (401) is still wrong-credentials", () => {
    assert.throws(() => interpretLogin(answer(401, ""), NOW), { code: "wrong-credentials" });
  });

  it("unverified e-mail: errorCode 727 → email-not-verified", () => {
    assert.throws(
      () => interpretLogin(answer(400, { errorCode: 727, errorCodeName: "EmailNotVerified", title: "x" }), NOW),
      (error: unknown) =>
        error instanceof EaseeApiError &&
        error.code === "email-not-verified" &&
        error.easeeCode === "EmailNotVerified" &&
        error.statusReason === "email-not-verified",
    );
    // The name alone (PascalCase body, code as text) is recognised too.
    assert.throws(() => interpretLogin(answer(400, '{"ErrorCodeName":"EmailNotConfirmed"}'), NOW), {
      code: "email-not-verified",
    });
  });

  it("429 → rate-limited, honouring Retry-After (seconds or HTTP date)", () => {
    assert.throws(
      () => interpretLogin(answer(429, { title: "Too Many Requests" }, { "retry-after": "120" }), NOW),
      (error: unknown) => error instanceof EaseeApiError && error.code === "rate-limited" && error.retryAfterMs === 120_000,
    );
    const at = new Date(NOW + 300_000).toUTCString();
    assert.equal(parseRetryAfter(at, NOW), 300_000);
    assert.equal(parseRetryAfter(undefined, NOW), 60_000, "no header: one minute");
    assert.equal(parseRetryAfter("0", NOW), 1000, "never less than a second");
    assert.equal(parseRetryAfter("garbage", NOW), 60_000);
  });

  it("403 saying 'too many requests' (seen in 2022) → rate-limited", () => {
    assert.throws(() => interpretLogin(answer(403, { title: "Too many requests" }), NOW), { code: "rate-limited" });
  });

  it("5xx → server-error; 404 → invalid-url; redirect → invalid-url; HTML 200 → unexpected-response", () => {
    assert.throws(() => interpretLogin(answer(503, "down"), NOW), { code: "server-error" });
    assert.throws(() => interpretLogin(answer(404, "<html>"), NOW), { code: "invalid-url" });
    assert.throws(() => interpretLogin(answer(301, "", { location: "https://elsewhere" }), NOW), { code: "invalid-url" });
    assert.throws(() => interpretLogin(answer(200, "<html>hello</html>"), NOW), { code: "unexpected-response" });
  });

  it("amqp/v2: 403 or 404 after a good login → not-integration-account; 401 → ask again", () => {
    assert.throws(
      () => interpretAmqpDetails(answer(403, { title: "Forbidden" }), NOW),
      (error: unknown) =>
        error instanceof EaseeApiError &&
        error.code === "not-integration-account" &&
        /integration \(partner\) account/.test(englishError(error)),
    );
    assert.throws(() => interpretAmqpDetails(answer(404, ""), NOW), { code: "not-integration-account" });
    assert.equal(interpretAmqpDetails(answer(401, ""), NOW), "unauthorized");
  });

  it("amqp/v2 server written as a URL is reduced to its host name", () => {
    const asUrl = { ...DETAILS, server: `amqps://${DETAILS.server}:5671/` };
    assert.deepEqual(interpretAmqpDetails(answer(200, asUrl), NOW), DETAILS);
  });

  it("amqp/v2 details are read in camelCase or PascalCase", () => {
    assert.deepEqual(interpretAmqpDetails(answer(200, DETAILS), NOW), DETAILS);
    const pascal = Object.fromEntries(Object.entries(DETAILS).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), v]));
    assert.deepEqual(interpretAmqpDetails(answer(200, pascal), NOW), DETAILS);
    assert.throws(() => interpretAmqpDetails(answer(200, { server: "x" }), NOW), { code: "unexpected-response" });
  });

  it("API URL: trailing slash dropped; non-http(s), garbage, credentials or a query are refused", () => {
    assert.equal(normaliseApiUrl("https://api.easee.com/"), "https://api.easee.com");
    assert.equal(normaliseApiUrl(" http://127.0.0.1:8080/base/ "), "http://127.0.0.1:8080/base");
    for (const bad of ["ftp://api.easee.com", "api.easee.com", "", "https://user:pw@api.easee.com", "https://x/?a=1"]) {
      assert.throws(() => normaliseApiUrl(bad), { code: "invalid-url" }, bad);
    }
  });

  it("transport errors are rebuilt from their code only: request config, headers and body are dropped", () => {
    const axiosLike = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), {
      code: "ECONNREFUSED",
      isAxiosError: true,
      config: { data: JSON.stringify({ userName: "u", password: PASSWORD }), headers: { Authorization: "Bearer tok-123" } },
      request: { _header: `POST /api/accounts/login\r\nAuthorization: Bearer tok-123` },
    });
    const converted = convertTransportError(axiosLike, "https://api.easee.com");
    assert.equal(converted.code, "unreachable");
    assert.match(englishError(converted), /Cannot reach the Easee API at api\.easee\.com: the connection was refused/);
    assertNoSecrets(converted, [PASSWORD, "tok-123"]);
    assert.equal(convertTransportError({ code: "ERR_CANCELED" }, "https://x").code, "aborted");
  });
});

describe("Easee API client: tokens, retries, caps (fake transport, manual clock)", () => {
  let clock: ManualScheduler;
  let easee: FakeEasee;

  beforeEach(() => {
    clock = new ManualScheduler(NOW);
    easee = new FakeEasee();
    easee.login = [() => easee.tokens(3600)];
    easee.refresh = [() => easee.tokens(3600)];
    easee.amqp = [() => answer(200, DETAILS)];
  });

  it("missing credentials or a bad URL fail at construction, in plain words", () => {
    assert.throws(() => makeClient(easee, clock, { password: "" }), { code: "missing-credentials" });
    assert.throws(() => makeClient(easee, clock, { apiUrl: "not a url" }), { code: "invalid-url" });
  });

  it("concurrent callers share one login and one AMQP details request", async () => {
    const client = makeClient(easee, clock);
    let release!: () => void;
    easee.gate = new Promise<void>((resolve) => (release = resolve));
    const callers = Array.from({ length: 5 }, () => client.getAmqpDetails());
    await clock.settle();
    release();
    const results = await Promise.all(callers);
    assert.equal(easee.count("/api/accounts/login"), 1);
    assert.equal(easee.count("/api/streams/amqp/v2"), 1);
    for (const result of results) assert.equal(result.queueName, "Operator_42.Q");
    client.close();
  });

  it("the details are cached; forceRefresh asks Easee again without logging in again", async () => {
    const client = makeClient(easee, clock);
    await client.getAmqpDetails();
    await client.getAmqpDetails();
    assert.equal(easee.count("/api/streams/amqp/v2"), 1);
    await client.getAmqpDetails({ forceRefresh: true });
    assert.equal(easee.count("/api/streams/amqp/v2"), 2);
    assert.equal(easee.count("/api/accounts/login"), 1);
    const amqpCall = easee.calls.find((call) => call.path === "/api/streams/amqp/v2");
    assert.equal(amqpCall?.bearer, "access-1");
    client.close();
  });

  it("refreshes the token at 80 % of its lifetime, before it expires", async () => {
    const client = makeClient(easee, clock);
    await client.getAccessToken();
    await clock.advance(0.79 * 3600_000);
    assert.equal(easee.count("/api/accounts/refresh_token"), 0, "not before 80 %");
    await clock.advance(0.02 * 3600_000);
    assert.equal(easee.count("/api/accounts/refresh_token"), 1, "refreshed by timer at 80 %");
    const refresh = easee.calls.find((call) => call.path === "/api/accounts/refresh_token");
    assert.deepEqual(refresh?.body, { accessToken: "access-1", refreshToken: "refresh-1" });
    assert.equal(await client.getAccessToken(), "access-2");
    assert.ok((client.tokenExpiresAt ?? 0) > clock.now(), "the new token is valid");
    assert.equal(easee.count("/api/accounts/login"), 1);
    client.close();
    assert.equal(clock.pending, 0, "close leaves no timer");
  });

  it("a token past its refresh point is refreshed on use even without the timer", async () => {
    const client = makeClient(easee, clock, { autoRefresh: false });
    await client.getAccessToken();
    assert.equal(clock.pending, 0);
    await clock.advance(0.85 * 3600_000);
    assert.equal(await client.getAccessToken(), "access-2");
    assert.equal(easee.count("/api/accounts/refresh_token"), 1);
  });

  it("logs in again when the refresh answers 4xx", async () => {
    easee.refresh = [() => answer(400, { title: "Invalid refresh token" })];
    const client = makeClient(easee, clock);
    await client.getAccessToken();
    await clock.advance(0.81 * 3600_000);
    assert.equal(easee.count("/api/accounts/refresh_token"), 1);
    assert.equal(easee.count("/api/accounts/login"), 2, "re-login after the refused refresh");
    assert.equal(await client.getAccessToken(), "access-2");
    client.close();
  });

  it("a 5xx on refresh does not log in again; it retries later with backoff", async () => {
    easee.refresh = [() => answer(503, "down"), () => easee.tokens()];
    const client = makeClient(easee, clock);
    await client.getAccessToken();
    await clock.advance(0.8 * 3600_000);
    assert.equal(easee.count("/api/accounts/refresh_token"), 1);
    assert.equal(easee.count("/api/accounts/login"), 1);
    assert.equal(clock.pending, 1, "a retry is scheduled");
    const [retryIn] = clock.pendingDelays;
    assert.ok(retryIn !== undefined && retryIn >= 2000 && retryIn <= 4000, `first retry after 2..4 s, got ${retryIn}`);
    await clock.advance(5000);
    assert.equal(easee.count("/api/accounts/refresh_token"), 2);
    assert.equal(await client.getAccessToken(), "access-2");
    client.close();
  });

  it("AMQP details: a 401 with an older token renews the token once and asks again", async () => {
    const client = makeClient(easee, clock);
    await client.getAccessToken();
    easee.amqp = [() => answer(401, ""), () => answer(200, DETAILS)];
    const details = await client.getAmqpDetails();
    assert.equal(details.queueName, "Operator_42.Q");
    assert.equal(easee.count("/api/accounts/refresh_token"), 1);
    client.close();
  });

  it("AMQP details: refused right after a login → not an integration account (retry in 30 min)", async () => {
    easee.amqp = [() => answer(403, { title: "Forbidden" })];
    const client = makeClient(easee, clock);
    await assert.rejects(client.getAmqpDetails(), (error: unknown) => {
      assert.ok(error instanceof EaseeApiError);
      assert.equal(error.code, "not-integration-account");
      assert.equal(error.retryAfterMs, 30 * 60_000);
      return true;
    });
    const other = new FakeEasee();
    other.login = [() => other.tokens()];
    other.amqp = [() => answer(401, "")];
    const client2 = makeClient(other, clock);
    await assert.rejects(client2.getAmqpDetails(), { code: "not-integration-account" });
    assert.equal(other.count("/api/accounts/login"), 1, "no second login for a 401 right after login");
    client.close();
    client2.close();
  });

  it("wrong credentials: plain error, retry only after 30 minutes", async () => {
    easee.login = [() => answer(400, { title: "Username or password is invalid" })];
    const client = makeClient(easee, clock);
    await assert.rejects(client.getAmqpDetails(), (error: unknown) => {
      assert.ok(error instanceof EaseeApiError);
      assert.equal(error.code, "wrong-credentials");
      assert.equal(error.retryAfterMs, 30 * 60_000);
      assertNoSecrets(error, [PASSWORD]);
      return true;
    });
  });

  it("429 on login: rate-limited with Easee's Retry-After", async () => {
    easee.login = [() => answer(429, "", { "retry-after": "90" })];
    const client = makeClient(easee, clock);
    await assert.rejects(client.getAccessToken(), { code: "rate-limited", retryAfterMs: 90_000 });
  });

  it("5xx and network errors back off exponentially with jitter, capped at 5 minutes, reset on success", async () => {
    easee.login = [() => answer(502, "")];
    // A generous login budget: this test is about the backoff, not the hourly cap.
    const client = makeClient(easee, clock, { maxLoginsPerHour: 1000 });
    const waits: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      try {
        await client.getAccessToken();
      } catch (error) {
        waits.push((error as EaseeApiError).retryAfterMs ?? -1);
      }
    }
    assert.ok((waits[0] ?? 0) >= 2000 && (waits[0] ?? 0) <= 2000, `first wait ${waits[0]}`);
    assert.ok(waits.every((ms, i) => i === 0 || ms >= (waits[i - 1] ?? 0) / 2), "non-shrinking (within jitter)");
    assert.ok(waits.every((ms) => ms <= 300_000), `capped: ${waits.join(",")}`);
    assert.ok((waits.at(-1) ?? 0) >= 150_000, "reaches the 5 min range");
    easee.login = [() => easee.tokens()];
    await client.getAccessToken();
    easee.amqp = [() => answer(503, "")];
    await assert.rejects(client.getAmqpDetails(), { code: "server-error", retryAfterMs: 2000 });
  });

  it("never more than a handful of logins an hour, whatever happens", async () => {
    const budget = new LoginBudget(5);
    easee.login = [() => answer(400, { title: "Username or password is invalid" })];
    const client = makeClient(easee, clock, { loginBudget: budget });
    const codes: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      await clock.advance(60_000);
      try {
        await client.getAccessToken();
      } catch (error) {
        codes.push((error as EaseeApiError).code);
      }
    }
    assert.equal(easee.count("/api/accounts/login"), 5);
    assert.deepEqual(codes.slice(5), ["login-limit", "login-limit", "login-limit"]);
    let limit: EaseeApiError | undefined;
    try {
      await client.getAccessToken();
    } catch (error) {
      limit = error as EaseeApiError;
    }
    // The first of the five was at +1 min; now is +8 min: a login is allowed again at +61 min.
    assert.equal(limit?.retryAfterMs, 53 * 60_000);
    assert.match(englishError(limit), /5 logins in the last hour/);
    await clock.advance(53 * 60_000);
    await assert.rejects(client.getAccessToken(), { code: "wrong-credentials" });
    assert.equal(easee.count("/api/accounts/login"), 6);
  });

  it("suspend stops the refresh timer and cancels requests; resume re-arms it", async () => {
    const client = makeClient(easee, clock);
    await client.getAccessToken();
    assert.equal(clock.pending, 1);
    client.suspend();
    assert.equal(clock.pending, 0);
    client.resume();
    assert.equal(clock.pending, 1);
    let release!: () => void;
    easee.gate = new Promise<void>((resolve) => (release = resolve));
    const waiting = client.getAmqpDetails({ forceRefresh: true });
    await clock.settle();
    const controller = new AbortController();
    const second = client.getAmqpDetails({ forceRefresh: true, signal: controller.signal });
    controller.abort();
    await assert.rejects(second, { code: "aborted" });
    release();
    assert.equal((await waiting).queueName, "Operator_42.Q", "one caller's abort does not cancel the shared request");
    client.close();
    await assert.rejects(client.getAccessToken(), { code: "aborted" });
  });
});

describe("Easee API client: the login cap ignores attempts Easee never saw", () => {
  it("network errors on login are not counted; HTTP answers are", async () => {
    const clock = new ManualScheduler(NOW);
    const budget = new LoginBudget(2);
    let down = true;
    let logins = 0;
    const transport: HttpTransport = async (request) => {
      if (request.path !== "/api/accounts/login") return answer(200, DETAILS);
      logins += 1;
      if (down) throw new EaseeApiError("unreachable", { id: "unreachable", params: { host: "api.easee.com", network: "ECONNREFUSED" } });
      return answer(400, { title: "Username or password is invalid" });
    };
    const client = new EaseeApiClient({
      apiUrl: "https://api.easee.com",
      userName: "u",
      password: PASSWORD,
      transport,
      scheduler: clock,
      loginBudget: budget,
    });
    for (let i = 0; i < 6; i += 1) await assert.rejects(client.getAccessToken(), { code: "unreachable" });
    assert.equal(budget.used, 0);
    down = false;
    await assert.rejects(client.getAccessToken(), { code: "wrong-credentials" });
    await assert.rejects(client.getAccessToken(), { code: "wrong-credentials" });
    await assert.rejects(client.getAccessToken(), { code: "login-limit" });
    assert.equal(logins, 8);
    client.close();
  });
});

describe("Easee sessions shared across redeploys", () => {
  it("one client per account; it logs through the newest config node still holding it, and through none once all let go", async () => {
    const clock = new ManualScheduler(NOW);
    const easee = new FakeEasee();
    easee.login = [() => easee.tokens(3600)];
    easee.amqp = [() => answer(200, DETAILS)];
    const heard: string[] = [];
    const options = (who: string) => ({
      apiUrl: "https://session-test.example.com",
      userName: "integration@example.com",
      password: PASSWORD,
      transport: easee.transport,
      scheduler: clock,
      log: (_level: LogLevel, event: LogEvent) => heard.push(`${who}: ${event.code}`),
    });
    const before = sessionCount();
    const first = acquireEaseeSession(options("first"));
    // A redeploy: the new config node takes the session before the old one has let go.
    const second = acquireEaseeSession(options("second"));
    assert.equal(second.client, first.client);
    assert.equal(sessionCount(), before + 1);
    first.release();
    await second.client.getAmqpDetails({ forceRefresh: true });
    assert.deepEqual(heard, ["second: logged-in", "second: amqp-details-fetched"]);

    const third = acquireEaseeSession(options("third"));
    second.release();
    third.release();
    heard.length = 0;
    await third.client.getAmqpDetails({ forceRefresh: true });
    assert.deepEqual(heard, [], "a session nobody holds writes to no closed node");
    assert.equal(easee.count("/api/accounts/login"), 1, "the token outlived the redeploys");
    acquireEaseeSession(options("last")).release(true);
    assert.equal(sessionCount(), before);
  });
});
