/**
 * A checked command → what goes on the wire (protocol-notes.md section 2):
 *   routing key `{serial}.C.{commandId}.{ticks}`, ticks = .NET ticks of the command's Timestamp;
 *   body `{"Id", "Timestamp", "ExpiresAt", "Arguments": [{"Id", "Value": "<string>"}]}` (Masterloop `Command`,
 *   PascalCase), content type application/json, persistent, AMQP expiration = time left until ExpiresAt.
 * Argument values are strings: numbers in invariant culture ("13", "6.5"), booleans "1"/"0" (Masterloop's
 * DataTypeStringConverter), text as is.
 */
import type { ArgumentValue, CommandArguments } from "./arguments";
import type { CommandSpec } from "./table";

/** .NET ticks (100 ns since 0001-01-01 UTC) at the Unix epoch. */
export const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000n;
export const TICKS_PER_MS = 10_000n;

export function ticksFromMs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS + TICKS_AT_UNIX_EPOCH;
}

export function msFromTicks(ticks: bigint | string): number {
  return Number((BigInt(ticks) - TICKS_AT_UNIX_EPOCH) / TICKS_PER_MS);
}

/** ISO 8601 with .NET's seven fraction digits, exact to the tick: `2023-05-04T17:00:23.6305199Z`. */
export function isoFromTicks(ticks: bigint): string {
  const sinceEpoch = ticks - TICKS_AT_UNIX_EPOCH;
  const ms = sinceEpoch / TICKS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // …T17:00:23.630Z
  const fraction = (sinceEpoch % 10_000_000n + 10_000_000n) % 10_000_000n;
  return `${iso.slice(0, 19)}.${fraction.toString().padStart(7, "0")}Z`;
}

/**
 * Hands out ticks that never repeat, even for two commands in the same millisecond: the ticks are the command's
 * identity in the response's routing key. One clock per config node (per connection).
 */
export class TicksClock {
  private last = 0n;

  next(nowMs: number): bigint {
    let ticks = ticksFromMs(nowMs);
    if (ticks <= this.last) ticks = this.last + 1n;
    this.last = ticks;
    return ticks;
  }
}

/** The wire text of an argument value. */
export function wireValue(value: ArgumentValue): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

export interface EncodedCommand {
  readonly chargerId: string;
  readonly commandId: number;
  readonly command: string;
  /** Decimal string: too large for a JS number. */
  readonly ticks: string;
  readonly routingKey: string;
  /** The JSON body, UTF-8. */
  readonly body: Buffer;
  readonly contentType: "application/json";
  /** Command creation time (ms) and expiry (ms); AMQP `expiration` is the difference at publish time. */
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly arguments: CommandArguments;
}

export function commandRoutingKey(chargerId: string, commandId: number, ticks: bigint | string): string {
  return `${chargerId}.C.${commandId}.${String(ticks)}`;
}

/** Key of a command and of its response: (serial, command id, ticks). */
export function commandKey(chargerId: string, commandId: number, ticks: bigint | string): string {
  return `${chargerId}|${commandId}|${String(ticks)}`;
}

export function encodeCommand(input: {
  readonly chargerId: string;
  readonly command: CommandSpec;
  readonly arguments: CommandArguments;
  readonly ticks: bigint;
  /** The command expires (the charger must not act on it any more) this long after it was created. */
  readonly expiresInMs: number;
}): EncodedCommand {
  const createdAtMs = msFromTicks(input.ticks);
  const expiresAtMs = createdAtMs + Math.max(1000, Math.round(input.expiresInMs));
  const args: { Id: number; Value: string }[] = [];
  for (const spec of input.command.arguments) {
    const value = input.arguments[spec.name];
    if (value !== undefined) args.push({ Id: spec.id, Value: wireValue(value) });
  }
  const body = {
    Id: input.command.id,
    Timestamp: isoFromTicks(input.ticks),
    ExpiresAt: new Date(expiresAtMs).toISOString(),
    Arguments: args,
  };
  return {
    chargerId: input.chargerId,
    commandId: input.command.id,
    command: input.command.name,
    ticks: input.ticks.toString(),
    routingKey: commandRoutingKey(input.chargerId, input.command.id, input.ticks),
    body: Buffer.from(JSON.stringify(body), "utf8"),
    contentType: "application/json",
    createdAtMs,
    expiresAtMs,
    arguments: input.arguments,
  };
}
