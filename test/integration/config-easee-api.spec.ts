/**
 * The real Easee REST client (axios) against the simulated Easee API (a real HTTP server on a random port):
 * every login failure kind in plain words, token refresh before expiry, re-login when the refresh is refused,
 * 429 with Retry-After, and no secret inside any error.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { inspect } from "node:util";
import { EaseeApiClient, EaseeApiError } from "../../core/easee-api";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import { englishError } from "../helpers/english";

function assertNoSecrets(value: unknown, secrets: readonly string[]): void {
  const text = `${inspect(value, { depth: 8, showHidden: true })} ${JSON.stringify(value)} ${String(value)}`;
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 300)}`);
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<EaseeApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EaseeApiError, `expected an EaseeApiError, got ${inspect(error)}`);
    return error;
  }
  throw new Error("expected a failure");
}

describe("Easee REST client against the simulated API (integration)", function () {
  this.timeout(15000);
  let server: EaseeApiServer;
  const clients: EaseeApiClient[] = [];

  function client(options: Partial<ConstructorParameters<typeof EaseeApiClient>[0]> = {}): EaseeApiClient {
    const made = new EaseeApiClient({
      apiUrl: server.url,
      userName: server.credentials.userName,
      password: server.credentials.password,
      timeoutMs: 2000,
      ...options,
    });
    clients.push(made);
    return made;
  }

  before(async () => {
    server = await startEaseeApiServer({
      declareTopology: false,
      users: {
        "integration@example.com": { password: "simulator", kind: "integration" },
        "unverified@example.com": { password: "pw-unverified", emailVerified: false },
        "personal@example.com": { password: "pw-personal", kind: "personal" },
      },
    });
  });

  afterEach(() => {
    server.clearFaults();
    for (const made of clients.splice(0)) made.close();
  });

  after(async () => {
    await server.close();
  });

  it("an integration account logs in and gets the AMQP details", async () => {
    const details = await client().getAmqpDetails();
    assert.equal(details.queueName, server.queueName);
    assert.equal(details.exchangeName, server.exchangeName);
    assert.equal(details.useSsl, false);
    assert.equal(details.server, "127.0.0.1");
    assert.equal(details.port, 5672);
  });

  it("wrong password → 'wrong-credentials' in plain words", async () => {
    const error = await failure(client({ password: "not-the-password" }).getAmqpDetails());
    assert.equal(error.code, "wrong-credentials");
    assert.equal(error.httpStatus, 400);
    assert.match(englishError(error), /Easee rejected the user name or password/);
    assertNoSecrets(error, ["not-the-password"]);
  });

  it("unknown user → 'wrong-credentials' too", async () => {
    const error = await failure(client({ userName: "nobody@example.com" }).getAccessToken());
    assert.equal(error.code, "wrong-credentials");
  });

  it("unverified e-mail → 'email-not-verified'", async () => {
    const error = await failure(client({ userName: "unverified@example.com", password: "pw-unverified" }).getAmqpDetails());
    assert.equal(error.code, "email-not-verified");
    assert.match(englishError(error), /e-mail address of this account is not verified/);
  });

  it("personal (non-integration) account: login works, the amqp/v2 check fails → 'not-integration-account'", async () => {
    const personal = client({ userName: "personal@example.com", password: "pw-personal" });
    assert.ok((await personal.getAccessToken()).length > 10, "login works");
    const error = await failure(personal.getAmqpDetails());
    assert.equal(error.code, "not-integration-account");
    assert.match(englishError(error), /only for Easee integration \(partner\) accounts/);
  });

  it("429 with Retry-After → 'rate-limited', retry after what Easee said", async () => {
    server.setFault({ kind: "rate-limit", endpoint: "login", retryAfterSeconds: 7, times: 1 });
    const limited = client();
    const error = await failure(limited.getAmqpDetails());
    assert.equal(error.code, "rate-limited");
    assert.equal(error.retryAfterMs, 7000);
    assert.match(englishError(error), /next try in 7 s/);
    // The fault was for one request: the next attempt works.
    assert.equal((await limited.getAmqpDetails()).queueName, server.queueName);
  });

  it("5xx → 'server-error' with a backoff delay", async () => {
    server.setFault({ kind: "server-error", endpoint: "amqp", status: 502, times: 1 });
    const error = await failure(client().getAmqpDetails());
    assert.equal(error.code, "server-error");
    assert.equal(error.httpStatus, 502);
    assert.ok((error.retryAfterMs ?? 0) >= 2000);
  });

  it("API down (connection dropped) → 'unreachable', no secret in the error", async () => {
    server.setFault({ kind: "down", endpoint: "login" });
    const error = await failure(client().getAmqpDetails());
    assert.equal(error.code, "unreachable");
    assert.match(englishError(error), /Cannot reach the Easee API at 127\.0\.0\.1:\d+/);
    assertNoSecrets(error, [server.credentials.password]);
  });

  it("API hangs → 'unreachable' after the request timeout", async () => {
    server.setFault({ kind: "hang", endpoint: "login" });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).getAccessToken());
    assert.equal(error.code, "unreachable");
    assert.match(englishError(error), /did not answer in time/);
    assert.ok(Date.now() - started < 3000);
  });

  it("nothing listening → 'unreachable' (connection refused)", async () => {
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", () => resolve()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const error = await failure(client({ apiUrl: `http://127.0.0.1:${port}` }).getAccessToken());
    assert.equal(error.code, "unreachable");
    assert.match(englishError(error), /connection was refused/);
    assertNoSecrets(error, [server.credentials.password]);
  });

  it("a URL that is not the Easee API → 'invalid-url'; a malformed URL fails at once", async () => {
    const error = await failure(client({ apiUrl: `${server.url}/not-easee` }).getAccessToken());
    assert.equal(error.code, "invalid-url");
    // Retried after a long wait, never "for ever": a redirect or 404 may be maintenance (issue 12).
    assert.equal(error.retryAfterMs, 15 * 60_000);
    assert.throws(() => client({ apiUrl: "htp:/api.easee" }), { code: "invalid-url" });
  });

  it("refreshes the token before it expires (80 % of expiresIn)", async () => {
    server.setAccessTokenLifetime(3);
    try {
      const refreshing = client();
      const first = await refreshing.getAccessToken();
      const loginsBefore = server.count("login");
      await waitFor("a refresh", () => server.count("refresh") >= 1, 6000);
      const refreshAt = server.requests.find((entry) => entry.endpoint === "refresh")?.atMs ?? 0;
      const loginAt = [...server.requests].reverse().find((entry) => entry.endpoint === "login")?.atMs ?? 0;
      // 80 % of 3 s = 2.4 s; the token expires at 3 s.
      assert.ok(refreshAt - loginAt >= 2200 && refreshAt - loginAt < 3000, `refreshed after ${refreshAt - loginAt} ms`);
      await waitFor("the refreshed token", () => server.requests.some((r) => r.endpoint === "refresh" && r.status === 200));
      const second = await refreshing.getAccessToken();
      assert.notEqual(second, first);
      assert.equal(server.count("login"), loginsBefore, "no new login");
      // The refreshed token works.
      assert.equal((await refreshing.getAmqpDetails({ forceRefresh: true })).queueName, server.queueName);
    } finally {
      server.setAccessTokenLifetime(3600);
    }
  });

  it("logs in again when the refresh is refused (4xx)", async () => {
    server.setAccessTokenLifetime(2);
    try {
      const relogging = client();
      await relogging.getAccessToken();
      const loginsBefore = server.count("login");
      const refreshesBefore = server.count("refresh");
      server.revokeRefreshTokens();
      await waitFor("a re-login", () => server.count("login") > loginsBefore, 4000);
      assert.equal(server.count("refresh"), refreshesBefore + 1);
      const refresh = [...server.requests].reverse().find((entry) => entry.endpoint === "refresh");
      assert.equal(refresh?.status, 400);
      assert.equal((await relogging.getAmqpDetails({ forceRefresh: true })).queueName, server.queueName);
    } finally {
      server.setAccessTokenLifetime(3600);
    }
  });

  it("AMQP details after the access token was revoked: renewed once, then fetched", async () => {
    const renewing = client();
    await renewing.getAmqpDetails();
    server.expireAccessTokens();
    const details = await renewing.getAmqpDetails({ forceRefresh: true });
    assert.equal(details.queueName, server.queueName);
  });

  it("no error of any kind carries a password or token", async () => {
    server.setFault({ kind: "down" });
    const errors = [await failure(client().getAmqpDetails())];
    server.clearFaults();
    errors.push(await failure(client({ password: "pw-x-123" }).getAmqpDetails()));
    errors.push(await failure(client({ userName: "personal@example.com", password: "pw-personal" }).getAmqpDetails()));
    assertNoSecrets(errors, [...server.issuedSecrets(), "pw-x-123", "pw-personal", server.credentials.password]);
  });
});
