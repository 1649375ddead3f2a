/**
 * The command side: what a charger does with commands an integrator publishes to `Operator_<id>.C.X`.
 *
 * A private queue (exclusive, auto-deleted, so it vanishes with the simulator) is bound to the command exchange
 * for `*.C.#` (the api-server binds only observations and responses to the operator queue). Each command `{serial}.C.{commandId}.{ticks}` is applied to the simulated charger; the observations
 * it causes are published first and the command response `{serial}.CR.{commandId}.{ticks}` after them, so a client
 * that waits for the response finds the new state already on the queue.
 */
import { connect } from "amqplib";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import { COMMAND_BINDING_KEY } from "./api-server";
import type { CommandResult } from "./charger";
import { RESULT_CODE } from "./charger";
import { encodeCommandResponse, type ArrivalTimeFormat, type CommandBody } from "./encode";
import type { Publisher } from "./publisher";
import { Reconnector } from "./reconnect";

const COMMAND_KEY = /^([^.]+)\.C\.(\d+)\.(\d+)$/;

export interface CommandEvent {
  readonly chargerId: string;
  readonly commandId: number;
  readonly ticks: string;
  readonly body: CommandBody | undefined;
  /** Undefined when the command was ignored (no such charger, or a routing key that is not a command). */
  readonly result?: CommandResult;
}

export interface CommandSideOptions {
  readonly amqpUrl: string;
  /** The command exchange, `Operator_<id>.C.X`. */
  readonly exchange: string;
  /** Publishes responses and observations, and knows the chargers. */
  readonly publisher: Publisher;
  readonly arrivalTimeFormat?: ArrivalTimeFormat;
  readonly connectionName?: string;
  /** Told about every command handled (after its response is published). */
  readonly onCommand?: (event: CommandEvent) => void;
  readonly onError?: (error: Error) => void;
  /** Answer commands (default true); false: take them and stay silent, like a charger that lost its connection. */
  readonly answer?: boolean;
}

function parseBody(content: Buffer): CommandBody | undefined {
  try {
    const parsed: unknown = JSON.parse(content.toString("utf8"));
    if (parsed === null || typeof parsed !== "object") return undefined;
    const candidate = parsed as Partial<CommandBody>;
    if (typeof candidate.Id !== "number") return undefined;
    if (candidate.Arguments !== undefined && !Array.isArray(candidate.Arguments)) return undefined;
    return candidate as CommandBody;
  } catch {
    return undefined;
  }
}

export class CommandSide {
  private readonly options: CommandSideOptions;
  private connection: ChannelModel | undefined;
  private queue = "";
  private closed = false;
  /** Commands published while the broker connection is down are lost with the exclusive queue, as on a real outage. */
  private readonly reconnector = new Reconnector(
    () => this.open(),
    () => {
      if (this.closed) void this.close();
    },
  );
  private handledCount = 0;
  private ignoredCount = 0;
  private unansweredCount = 0;
  private answering: boolean;

  private constructor(options: CommandSideOptions) {
    this.options = options;
    this.answering = options.answer ?? true;
  }

  /** From now on answer commands (true) or swallow them without effect or response (false). */
  setAnswering(answer: boolean): void {
    this.answering = answer;
  }

  get isAnswering(): boolean {
    return this.answering;
  }

  /** Commands taken while not answering. */
  get unanswered(): number {
    return this.unansweredCount;
  }

  static async start(options: CommandSideOptions): Promise<CommandSide> {
    const side = new CommandSide(options);
    await side.open();
    return side;
  }

  /** Commands applied (accepted or refused, each answered with a response). */
  get handled(): number {
    return this.handledCount;
  }

  /** The simulator's private command queue (bound to the command exchange). */
  get queueName(): string {
    return this.queue;
  }

  /** Commands for unknown chargers or with routing keys that are not commands. */
  get ignored(): number {
    return this.ignoredCount;
  }

  private async open(): Promise<void> {
    const connection = await connect(this.options.amqpUrl, {
      clientProperties: { connection_name: this.options.connectionName ?? "easee-simulator commands" },
    });
    this.connection = connection;
    connection.on("error", (error: Error) => this.options.onError?.(error));
    connection.on("close", () => {
      if (this.connection === connection) this.connection = undefined;
      if (!this.closed) this.reconnector.schedule();
    });
    const channel = await connection.createChannel();
    channel.on("error", (error: Error) => this.options.onError?.(error));
    channel.on("close", () => {
      if (!this.closed) connection.close().catch(() => undefined);
    });
    const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true, durable: false });
    this.queue = queue;
    await channel.bindQueue(queue, this.options.exchange, COMMAND_BINDING_KEY);
    await channel.prefetch(50);
    await channel.consume(queue, (message) => {
      if (message) void this.handle(channel, message);
    });
  }

  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    try {
      await this.process(message);
    } catch (error) {
      this.options.onError?.(error as Error);
    } finally {
      try {
        channel.ack(message);
      } catch {
        // channel already closed during shutdown: the exclusive queue goes with it
      }
    }
  }

  private async process(message: ConsumeMessage): Promise<void> {
    const routingKey = message.fields.routingKey;
    const match = COMMAND_KEY.exec(routingKey);
    const publisher = this.options.publisher;
    if (!match) {
      this.ignoredCount++;
      return;
    }
    const chargerId = match[1] as string;
    const commandId = Number(match[2]);
    const ticks = match[3] as string;
    const charger = publisher.charger(chargerId);
    const body = parseBody(message.content);
    if (!this.answering) {
      this.unansweredCount++;
      this.options.onCommand?.({ chargerId, commandId, ticks, body });
      return;
    }
    // A silent charger has no network: the command never reaches it, so nobody answers.
    if (!charger || publisher.isSilent(chargerId)) {
      this.ignoredCount++;
      this.options.onCommand?.({ chargerId, commandId, ticks, body });
      return;
    }
    const now = Date.now();
    let result: CommandResult;
    if (!body) {
      result = { wasAccepted: false, resultCode: RESULT_CODE.InvalidArguments, comment: "body is not a command", observations: [] };
    } else if (body.Id !== commandId) {
      result = {
        wasAccepted: false,
        resultCode: RESULT_CODE.InvalidArguments,
        comment: `body Id ${body.Id} does not match routing key command ${commandId}`,
        observations: [],
      };
    } else {
      result = charger.applyCommand(body, now);
    }
    await publisher.publishObservations(chargerId, result.observations);
    await publisher.publishConfirmed(
      encodeCommandResponse(
        {
          chargerId,
          commandId,
          ticks,
          wasAccepted: result.wasAccepted,
          resultCode: result.resultCode,
          comment: result.comment,
          deliveredAtMs: now,
        },
        { arrivalTimeFormat: this.options.arrivalTimeFormat },
      ),
    );
    this.handledCount++;
    this.options.onCommand?.({ chargerId, commandId, ticks, body, result });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reconnector.stop();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      try {
        await connection.close();
      } catch {
        // broker already gone
      }
    }
  }
}
