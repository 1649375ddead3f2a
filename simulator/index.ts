/**
 * The Easee cloud simulator in one call: the REST API (login, refresh, amqp/v2) with the operator topology on a
 * real RabbitMQ, chargers publishing observations to it, and the command side answering commands.
 * Used by the CLI, the `npm start` demo, the tests and the benchmarks.
 */
import {
  DEFAULT_AMQP_URL,
  startEaseeApiServer,
  type EaseeApiServer,
  type EaseeApiServerOptions,
} from "./api-server";
import type { ChargerModel, ChargerModelOptions } from "./charger";
import { CommandSide, type CommandEvent } from "./commands";
import type { ArrivalTimeFormat } from "./encode";
import type { EqualizerModel, EqualizerModelOptions } from "./equalizer";
import { Publisher, type LoadOptions, type LoadResult, type ShapeOption, type SilenceOptions } from "./publisher";
import { HUB_PATH, attachSignalrHub, type SimulatedHub } from "./signalr-hub";

export { ChargerModel, COMMAND, OBS, OP_MODE, RESULT_CODE, reverseToken } from "./charger";
export type { ChargerModelOptions, CommandResult, ModelObservation } from "./charger";
export {
  MESSAGE_SHAPES,
  dotNetTicksFromMs,
  encodeCommand,
  encodeCommandResponse,
  encodeObservation,
  msFromDotNetTicks,
} from "./encode";
export type { ArrivalTimeFormat, EncodedMessage, MessageShape, SimObservation } from "./encode";
export { Publisher, serialFor } from "./publisher";
export type { LoadOptions, LoadResult, PublisherCounts, SessionAction, SessionResult, ShapeOption, SilenceOptions } from "./publisher";
export { EQ, EqualizerModel } from "./equalizer";
export type { EqualizerModelOptions } from "./equalizer";
export { SESSION_CONTROL_PATH } from "./api-server";
export type { CommandEvent } from "./commands";
export { HUB_PATH, attachSignalrHub } from "./signalr-hub";
export type { HubCommandResponse, HubConnectionInfo, HubObservation, RestCommandEvent, SimulatedHub } from "./signalr-hub";

export interface SimulatorOptions {
  /** RabbitMQ the simulator declares its topology on and publishes to. Default amqp://guest:guest@127.0.0.1:5672. */
  readonly amqpUrl?: string;
  /** REST API host. Default 127.0.0.1. */
  readonly host?: string;
  /** REST API port. Default 0 (a free port). */
  readonly port?: number;
  /** `Operator_<id>.Q` / `Operator_<id>.C.X`. Default: a random id. */
  readonly operatorId?: string;
  /** Further REST API options (users, token lifetime, advertised endpoint, …). */
  readonly api?: Omit<EaseeApiServerOptions, "amqpUrl" | "host" | "port" | "operatorId">;
  /** Number of chargers (EH000001 …) or their options. Default 3. */
  readonly chargers?: number | readonly ChargerModelOptions[];
  /** How many generated chargers start with a car charging. Default 1. */
  readonly startCharging?: number;
  readonly serialPrefix?: string;
  /** Number of Equalizers (QH000001 …) or their options, measuring the grid the chargers draw from. Default 0. */
  readonly equalizers?: number | readonly EqualizerModelOptions[];
  /** Body shape of observations: masterloop (default), signalr, pascal, or mixed. */
  readonly shape?: ShapeOption;
  /** ArrivalTime header as ISO string (default) or epoch ms. */
  readonly arrivalTimeFormat?: ArrivalTimeFormat;
  /** Simulated seconds per real second. Default 60. */
  readonly speed?: number;
  /** Real ms between model steps. Default 1000. */
  readonly tickMs?: number;
  /** Persistent messages. Default false. */
  readonly persistent?: boolean;
  /** Boot the chargers and play them live. Default true; false leaves the queue quiet (load mode, manual tests). */
  readonly live?: boolean;
  /** Consume and answer commands. Default true. */
  readonly commands?: boolean;
  /** Answer commands (default true); `simulator.commands.setAnswering()` changes it later. */
  readonly answerCommands?: boolean;
  /** Told about each command handled. */
  readonly onCommand?: (event: CommandEvent) => void;
  /** Errors that are not tied to a call (broker gone, a failed tick). Default: written to stderr. */
  readonly onError?: (error: Error) => void;
}

export interface Simulator {
  /** REST base URL: the `apiUrl` of an easee-config node. */
  readonly apiUrl: string;
  /** The integration account to log in with. */
  readonly credentials: { readonly userName: string; readonly password: string };
  readonly operatorId: string;
  readonly queueName: string;
  readonly exchangeName: string;
  readonly amqpUrl: string;
  readonly api: EaseeApiServer;
  /** The SignalR hub (`{apiUrl}/hubs/chargers`): the `signalrUrl` of an easee-config node on the SignalR stream. */
  readonly hub: SimulatedHub;
  readonly hubUrl: string;
  readonly publisher: Publisher;
  readonly commands: CommandSide | undefined;
  readonly chargers: readonly ChargerModel[];
  readonly equalizers: readonly EqualizerModel[];
  /**
   * A charger (or Equalizer) stops talking, as when its network is gone; with `cloudReport` the cloud first says so
   * (CloudDisconnectReason, ConnectedToCloud = false). False for a serial the simulator does not play.
   */
  silence(serial: string, options?: SilenceOptions): Promise<boolean>;
  /** … and comes back (ConnectedToCloud = true, then its usual reports). */
  speak(serial: string): Promise<boolean>;
  /** Load mode: a fixed rate or a backlog of messages onto the operator queue. */
  runLoad(options: LoadOptions): Promise<LoadResult>;
  /** Stops everything and deletes the operator queue and exchange. Safe to call twice. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const amqpUrl = options.amqpUrl ?? DEFAULT_AMQP_URL;
  const onError =
    options.onError ?? ((error: Error) => process.stderr.write(`easee-simulator: ${error.message}\n`));
  const api = await startEaseeApiServer({
    ...options.api,
    amqpUrl,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.operatorId !== undefined ? { operatorId: options.operatorId } : {}),
  });
  let publisher: Publisher | undefined;
  let commands: CommandSide | undefined;
  // Served on the API's HTTP server; closed with it.
  const hub = attachSignalrHub(api);
  const release = async (): Promise<void> => {
    api.setSessionControl(undefined);
    api.setPresenceControl(undefined);
    publisher?.stop();
    await commands?.close();
    await publisher?.close();
    await api.close();
  };
  try {
    publisher = await Publisher.connect({
      amqpUrl,
      exchange: api.exchangeName,
      connectionName: `easee-simulator ${api.operatorId} publisher`,
      onError,
      ...(options.chargers !== undefined ? { chargers: options.chargers } : {}),
      ...(options.startCharging !== undefined ? { startCharging: options.startCharging } : {}),
      ...(options.serialPrefix !== undefined ? { serialPrefix: options.serialPrefix } : {}),
      ...(options.equalizers !== undefined ? { equalizers: options.equalizers } : {}),
      ...(options.shape !== undefined ? { shape: options.shape } : {}),
      ...(options.arrivalTimeFormat !== undefined ? { arrivalTimeFormat: options.arrivalTimeFormat } : {}),
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      ...(options.persistent !== undefined ? { persistent: options.persistent } : {}),
    });
    const hubSource = publisher;
    if (api.chargerSerials.length === 0) api.setChargers(hubSource.chargers.map((charger) => charger.serial));
    // Everything the chargers report also reaches the hub's subscribers, as a device time a moment before now.
    hub.setCommandTarget({
      charger: (serial) => hubSource.charger(serial),
      publish: (serial, observations) => hubSource.publishObservations(serial, observations),
    });
    hubSource.onObservations((serial, observations) => {
      const timestampMs = Date.now() - 40;
      hub.publish(
        serial,
        observations.map((observation) => ({ observationId: observation.observationId, value: observation.value, timestampMs })),
      );
    });
    if (options.commands ?? true) {
      commands = await CommandSide.start({
        amqpUrl,
        exchange: api.exchangeName,
        publisher,
        connectionName: `easee-simulator ${api.operatorId} commands`,
        onError,
        ...(options.arrivalTimeFormat !== undefined ? { arrivalTimeFormat: options.arrivalTimeFormat } : {}),
        ...(options.onCommand !== undefined ? { onCommand: options.onCommand } : {}),
        ...(options.answerCommands !== undefined ? { answer: options.answerCommands } : {}),
      });
    }
    const playing = publisher;
    // The REST API's control endpoint (POST /simulator/devices/{serial}/presence) drives the same switch.
    api.setPresenceControl((serial, silent, silenceOptions) => (silent ? playing.silence(serial, silenceOptions) : playing.speak(serial)));
    const sessions = publisher;
    api.setSessionControl((action, serial) => sessions.session(action, serial));
    if (options.live ?? true) await publisher.start();
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }

  const started = publisher;
  let closing: Promise<void> | undefined;
  return {
    apiUrl: api.url,
    credentials: api.credentials,
    operatorId: api.operatorId,
    queueName: api.queueName,
    exchangeName: api.exchangeName,
    amqpUrl,
    api,
    hub,
    hubUrl: `${api.url}${HUB_PATH}`,
    publisher: started,
    commands,
    chargers: started.chargers,
    equalizers: started.equalizers,
    silence: (serial, silenceOptions) => started.silence(serial, silenceOptions),
    speak: (serial) => started.speak(serial),
    runLoad: (load) => started.runLoad(load),
    close() {
      closing ??= release();
      return closing;
    },
  };
}
