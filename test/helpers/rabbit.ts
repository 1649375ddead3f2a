/**
 * RabbitMQ helpers for integration tests (broker on 127.0.0.1:5672, `rabbitmqctl` as root).
 *
 * - `uniqueName`: names no other test (or engineer) uses at the same time.
 * - `createLeastPrivilegeUser`: a user like the one Easee hands out: NO configure permission, read on the operator
 *   queue, write on the operator exchange. Delete it with `user.delete()`.
 * - `changePassword`, `findConnections`, `closeConnections`: act on the broker by user or `connection_name` only, so a
 *   test never touches anybody else's connections (never `close_all_connections`).
 * - `queueInfo`: message and consumer counts of a queue (a passive declare on a guest connection).
 * - `publish`: publish to an exchange as guest.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as amqp from "amqplib";

const run = promisify(execFile);

export const ADMIN_AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let counter = 0;

/** e.g. `config-1795623184578-3`: unique in this process and across processes started at other times. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${process.pid}-${counter}`;
}

/** Runs rabbitmqctl; rejects with its stderr. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("rabbitmqctl", ["-q", ...args], { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`rabbitmqctl ${args[0] ?? ""} failed: ${stderr.trim() || String(error)}`);
  }
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface TestUser {
  readonly username: string;
  password: string;
  delete(): Promise<void>;
}

/**
 * A user with no configure permission, read on `queueName` and write on `exchangeName` (vhost `/`): what an
 * Easee integration account gets on the broker. `queueRegex`/`exchangeRegex` (full RabbitMQ permission
 * regexes) instead allow one user for a whole suite whose tests each have their own queue.
 */
export async function createLeastPrivilegeUser(options: {
  readonly queueName?: string;
  readonly exchangeName?: string;
  readonly queueRegex?: string;
  readonly exchangeRegex?: string;
  readonly prefix?: string;
  readonly vhost?: string;
}): Promise<TestUser> {
  const read = options.queueRegex ?? (options.queueName ? `^${escapeRegex(options.queueName)}$` : undefined);
  const write = options.exchangeRegex ?? (options.exchangeName ? `^${escapeRegex(options.exchangeName)}$` : undefined);
  if (read === undefined || write === undefined) throw new Error("createLeastPrivilegeUser needs a queue and an exchange");
  const username = uniqueName(options.prefix ?? "easee-test-user");
  const password = uniqueName("pw");
  const vhost = options.vhost ?? "/";
  await rabbitmqctl("add_user", username, password);
  await rabbitmqctl("set_permissions", "-p", vhost, username, "^$", write, read);
  const user: TestUser = {
    username,
    password,
    async delete() {
      await rabbitmqctl("delete_user", username).catch(() => undefined);
    },
  };
  return user;
}

export async function changePassword(user: TestUser, newPassword: string): Promise<void> {
  await rabbitmqctl("change_password", user.username, newPassword);
  user.password = newPassword;
}

export interface BrokerConnection {
  /** The broker's process id of the connection, what close_connection needs. */
  readonly pid: string;
  /** The broker's name for it ("127.0.0.1:40000 -> 127.0.0.1:5672"). */
  readonly name: string;
  readonly user: string;
  /** The client's `connection_name` property, if it sent one. */
  readonly connectionName?: string;
}

type ClientProperty = [string, string, unknown];

/** Connections whose connection_name contains `fragment` (or all, without it). */
export async function findConnections(fragment?: string): Promise<BrokerConnection[]> {
  // The JSON formatter prints pids as "#PID<…>", which close_connection does not accept; the table output prints
  // them as "<rabbit@host.…>". So: pids from the table, client properties from JSON, joined by connection name.
  const table = await rabbitmqctl("list_connections", "name", "pid");
  const pidByName = new Map<string, string>();
  for (const line of table.split("\n").slice(1)) {
    const [name, pid] = line.split("\t");
    if (name && pid) pidByName.set(name, pid.trim());
  }
  const out = await rabbitmqctl("list_connections", "name", "user", "client_properties", "--formatter", "json");
  const rows = JSON.parse(out.trim() || "[]") as { name: string; user: string; client_properties: unknown }[];
  const connections = rows.map((row) => {
    const properties = Array.isArray(row.client_properties) ? (row.client_properties as ClientProperty[]) : [];
    const property = properties.find((entry) => Array.isArray(entry) && entry[0] === "connection_name");
    return {
      pid: pidByName.get(row.name) ?? "",
      name: row.name,
      user: row.user,
      ...(property && typeof property[2] === "string" ? { connectionName: property[2] } : {}),
    };
  });
  return fragment === undefined
    ? connections
    : connections.filter((connection) => connection.connectionName?.includes(fragment) === true);
}

/** Closes (as the broker operator would) the connections whose connection_name contains `fragment`. */
export async function closeConnections(fragment: string, reason = "closed by test"): Promise<number> {
  const connections = await findConnections(fragment);
  for (const connection of connections) {
    if (connection.pid) await rabbitmqctl("close_connection", connection.pid, reason);
  }
  return connections.length;
}

/** Connections of a broker user (e.g. a least-privilege test user). */
export async function connectionsOfUser(username: string): Promise<BrokerConnection[]> {
  return (await findConnections()).filter((connection) => connection.user === username);
}

/** Message and consumer counts of a queue, read with a passive declare on a short-lived guest connection. */
export async function queueInfo(queueName: string): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await amqp.connect(ADMIN_AMQP_URL, { clientProperties: { connection_name: "easee-test-inspect" } });
  connection.on("error", () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    const ok = await channel.checkQueue(queueName);
    return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A guest publisher for one test; `close()` when done. */
export async function openPublisher(): Promise<{
  publish(exchange: string, routingKey: string, body: string | Buffer, options?: amqp.Options.Publish): void;
  close(): Promise<void>;
}> {
  const connection = await amqp.connect(ADMIN_AMQP_URL, { clientProperties: { connection_name: "easee-test-publisher" } });
  connection.on("error", () => undefined);
  const channel = await connection.createConfirmChannel();
  channel.on("error", () => undefined);
  return {
    publish(exchange, routingKey, body, options) {
      channel.publish(exchange, routingKey, typeof body === "string" ? Buffer.from(body) : body, {
        contentType: "application/json",
        ...options,
      });
    },
    async close() {
      await channel.waitForConfirms().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
