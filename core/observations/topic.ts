/**
 * msg.topic templates such as `easee/{chargerId}/{name}`: parsed once at deploy, then rendered per
 * observation by joining literal parts and field values (no regex per message).
 */

export const DEFAULT_TOPIC_TEMPLATE = "easee/{chargerId}/{name}";

export const TOPIC_PLACEHOLDERS = ["chargerId", "name", "observationId"] as const;
export type TopicPlaceholder = (typeof TOPIC_PLACEHOLDERS)[number];

export interface TopicFields {
  readonly chargerId: string;
  readonly name: string;
  /** A number for observations; presence msgs, which have none, put their name here. */
  readonly observationId: number | string;
}

export interface CompiledTopic {
  /** The template in use (the default when the configured one was empty). */
  readonly template: string;
  /** `{word}` placeholders that are not ours; they stay in the topic as typed. */
  readonly unknownPlaceholders: readonly string[];
  render(fields: TopicFields): string;
}

type Part = { readonly literal: string } | { readonly field: TopicPlaceholder };

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function isPlaceholder(word: string): word is TopicPlaceholder {
  return (TOPIC_PLACEHOLDERS as readonly string[]).includes(word);
}

/**
 * MQTT forbids the wildcards `+` and `#` in a published topic, and a `/` inside a value would add a level.
 * Values come from the wire (the routing key), so they are made safe rather than trusted.
 */
export function topicSafe(value: string): string {
  // Runs twice per msg: a character scan is several times cheaper than a regex test on these short values.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 43 || c === 35 || c === 47 || c === 0) return value.replace(/[+#/\u0000]/g, "_");
  }
  return value;
}

export function compileTopicTemplate(template: string | undefined | null): CompiledTopic {
  const source = typeof template === "string" && template.trim() !== "" ? template : DEFAULT_TOPIC_TEMPLATE;
  const parts: Part[] = [];
  const unknown: string[] = [];
  let literal = "";
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const word = match[1] ?? "";
    const index = match.index ?? 0;
    literal += source.slice(last, index);
    last = index + match[0].length;
    if (isPlaceholder(word)) {
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ field: word });
    } else {
      literal += match[0];
      if (!unknown.includes(word)) unknown.push(word);
    }
  }
  literal += source.slice(last);
  if (literal !== "") parts.push({ literal });

  const frozen: readonly Part[] = parts;
  return {
    template: source,
    unknownPlaceholders: unknown,
    render(fields: TopicFields): string {
      let topic = "";
      for (const part of frozen) {
        if ("literal" in part) topic += part.literal;
        else if (part.field === "observationId") {
          topic += typeof fields.observationId === "number" ? String(fields.observationId) : topicSafe(fields.observationId);
        }
        else topic += topicSafe(fields[part.field]);
      }
      return topic;
    },
  };
}
