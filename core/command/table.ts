/** Lookups over Easee's command table (the data is core/catalogue/commands.ts, with the observation catalogue). */
import { COMMANDS, type CommandSpec } from "../catalogue/commands";

export { COMMANDS } from "../catalogue/commands";
export type { CommandArgumentSpec, CommandArgumentType, CommandSpec } from "../catalogue/commands";

const BY_ID = new Map<number, CommandSpec>(COMMANDS.map((command) => [command.id, command]));
const BY_NAME = new Map<string, CommandSpec>(COMMANDS.map((command) => [normaliseName(command.name), command]));

/** Names are matched ignoring case, underscores, spaces and hyphens: `set_dynamic_charger_current` works. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, "");
}

export function findCommandById(id: number): CommandSpec | undefined {
  return BY_ID.get(id);
}

/** A command by name (any case) or id (number or decimal string); undefined when not in the table. */
export function findCommand(nameOrId: unknown): CommandSpec | undefined {
  if (typeof nameOrId === "number") return Number.isInteger(nameOrId) ? BY_ID.get(nameOrId) : undefined;
  if (typeof nameOrId !== "string") return undefined;
  const text = nameOrId.trim();
  if (text.length === 0 || text.length > 100) return undefined;
  if (/^\d{1,4}$/.test(text)) return BY_ID.get(Number(text));
  return BY_NAME.get(normaliseName(text));
}

/** The name of a command id, or `Command<id>` for ids not in the table (responses to other systems' commands). */
export function commandName(id: number): string {
  return BY_ID.get(id)?.name ?? `Command${id}`;
}
