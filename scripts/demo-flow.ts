/**
 * The flow `npm start` deploys, in one place: easee-config (pointing at the simulator) → easee-observations →
 * debug; easee-observations → easee-filter splitting power and energy from state, each to a debug node; and,
 * when Mosquitto answers, an `mqtt out` publishing every observation under its msg.topic. A group of its own (see
 * commandDemoNodes) sends dynamic current to the first charger and shows the effect in its observations.
 */

/** A node of a flow file, as Node-RED stores it. */
export interface FlowFileNode {
  readonly id: string;
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface DemoFlowOptions {
  /** The simulator's REST URL (easee-config → API URL). */
  readonly apiUrl: string;
  readonly username: string;
  readonly password: string;
  /** MQTT broker for the `mqtt out` node; omitted when none answers. */
  readonly mqtt?: { readonly host: string; readonly port: number };
  /** First topic level of the observations (`<root>/{chargerId}/{name}`). Default `easee`. */
  readonly topicRoot?: string;
}

export interface DemoFlow {
  readonly flows: FlowFileNode[];
  /** flows_cred.json content (unencrypted: the demo settings have `credentialSecret: false`). */
  readonly credentials: Record<string, Record<string, string>>;
}

export const DEMO_IDS = {
  tab: "easee-demo-tab",
  config: "easee-demo-config",
  observations: "easee-demo-observations",
  debugAll: "easee-demo-debug-all",
  filter: "easee-demo-filter",
  debugEnergy: "easee-demo-debug-energy",
  debugState: "easee-demo-debug-state",
  mqttBroker: "easee-demo-mqtt-broker",
  mqttOut: "easee-demo-mqtt-out",
  comment: "easee-demo-comment",
} as const;

/** The command group: self-contained (its own area and nodes), so the rest of the demo can be laid out freely. */
export const DEMO_COMMAND_IDS = {
  group: "easee-demo-commands",
  inject6: "easee-demo-command-6a",
  inject16: "easee-demo-command-16a",
  command: "easee-demo-command",
  debugResponses: "easee-demo-debug-command-responses",
  observations: "easee-demo-command-observations",
  filter: "easee-demo-command-filter",
  debugEffect: "easee-demo-debug-command-effect",
} as const;

/** The charger the demo's command group drives: the simulator's first, the one charging a car. */
export const DEMO_COMMAND_CHARGER = "EH000001";

/**
 * Inject 6 A / inject 16 A → easee-command (SetDynamicChargerCurrent, 10 min TTL) → debug "Command responses";
 * beside it, that charger's DynamicChargerCurrent, OutputCurrent and TotalPower in a debug node with status, so the
 * effect of each click shows within seconds. Placed below y = `top`.
 */
export function commandDemoNodes(z: string, configId: string, top = 360): FlowFileNode[] {
  const g = DEMO_COMMAND_IDS.group;
  const inject = (id: string, amps: number, y: number): FlowFileNode => ({
    id,
    type: "inject",
    z,
    g,
    name: `${amps} A`,
    props: [{ p: "payload" }],
    repeat: "",
    crontab: "",
    once: false,
    onceDelay: 0.1,
    topic: "",
    payload: JSON.stringify({ Current_Amp: amps, TTL_Minutes: 10 }),
    payloadType: "json",
    x: 130,
    y,
    wires: [[DEMO_COMMAND_IDS.command]],
  });
  const debug = (id: string, name: string, x: number, y: number, complete: string): FlowFileNode => ({
    id,
    type: "debug",
    z,
    g,
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: true,
    complete,
    targetType: complete === "true" ? "full" : "msg",
    statusVal: "payload",
    statusType: "auto",
    x,
    y,
    wires: [],
  });
  return [
    {
      id: g,
      type: "group",
      z,
      name: `Commands: dynamic current of ${DEMO_COMMAND_CHARGER} (click 6 A or 16 A, watch the limit and the power follow)`,
      style: { label: true },
      nodes: [
        DEMO_COMMAND_IDS.inject6,
        DEMO_COMMAND_IDS.inject16,
        DEMO_COMMAND_IDS.command,
        DEMO_COMMAND_IDS.debugResponses,
        DEMO_COMMAND_IDS.observations,
        DEMO_COMMAND_IDS.filter,
        DEMO_COMMAND_IDS.debugEffect,
      ],
      x: 54,
      y: top - 40,
      w: 832,
      h: 182,
    },
    inject(DEMO_COMMAND_IDS.inject6, 6, top),
    inject(DEMO_COMMAND_IDS.inject16, 16, top + 40),
    {
      id: DEMO_COMMAND_IDS.command,
      type: "easee-command",
      z,
      g,
      name: "",
      config: configId,
      chargerId: DEMO_COMMAND_CHARGER,
      command: "SetDynamicChargerCurrent",
      timeoutSeconds: 30,
      allowPermanent: false,
      x: 380,
      y: top + 20,
      wires: [[DEMO_COMMAND_IDS.debugResponses], []],
    },
    debug(DEMO_COMMAND_IDS.debugResponses, "Command responses", 720, top + 20, "true"),
    {
      id: DEMO_COMMAND_IDS.observations,
      type: "easee-observations",
      z,
      g,
      name: DEMO_COMMAND_CHARGER,
      config: configId,
      topic: "easee/{chargerId}/{name}",
      chargers: DEMO_COMMAND_CHARGER,
      includeUnknown: true,
      maxAgeSeconds: 0,
      x: 150,
      y: top + 100,
      wires: [[DEMO_COMMAND_IDS.filter]],
    },
    {
      id: DEMO_COMMAND_IDS.filter,
      type: "easee-filter",
      z,
      g,
      name: "Limit, current, power",
      rules: [{ ids: "DynamicChargerCurrent, OutputCurrent, TotalPower" }],
      otherwise: false,
      checkall: true,
      onlyOnChange: false,
      outputs: 1,
      x: 400,
      y: top + 100,
      wires: [[DEMO_COMMAND_IDS.debugEffect]],
    },
    debug(DEMO_COMMAND_IDS.debugEffect, "Limit, current & power", 720, top + 100, "payload"),
  ];
}

export function buildDemoFlow(options: DemoFlowOptions): DemoFlow {
  const root = options.topicRoot ?? "easee";
  const z = DEMO_IDS.tab;
  const debug = (id: string, name: string, x: number, y: number, complete: string): FlowFileNode => ({
    id,
    type: "debug",
    z,
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: true,
    complete,
    targetType: complete === "true" ? "full" : "msg",
    statusVal: "payload",
    statusType: "auto",
    x,
    y,
    wires: [],
  });
  const observationOutputs: string[] = [DEMO_IDS.debugAll, DEMO_IDS.filter];
  if (options.mqtt) observationOutputs.push(DEMO_IDS.mqttOut);

  const flows: FlowFileNode[] = [
    {
      id: z,
      type: "tab",
      label: "Easee demo",
      disabled: false,
      info:
        "Live observations from the Easee cloud simulator (3 chargers, one hour of charging per real minute).\n\n" +
        "Open the debug sidebar to watch them. Commands to try: `easee-simulator --help`.",
    },
    {
      id: DEMO_IDS.comment,
      type: "comment",
      z,
      name: "Easee simulator → observations → filter (power & energy | state) → debug, and MQTT when Mosquitto runs",
      info: "",
      x: 450,
      y: 60,
      wires: [],
    },
    {
      id: DEMO_IDS.config,
      type: "easee-config",
      name: "Easee simulator",
      apiUrl: options.apiUrl,
      rejectUnauthorized: true,
      heartbeat: 30,
      prefetch: 200,
    },
    {
      id: DEMO_IDS.observations,
      type: "easee-observations",
      z,
      name: "All chargers",
      config: DEMO_IDS.config,
      topic: `${root}/{chargerId}/{name}`,
      chargers: "",
      includeUnknown: true,
      maxAgeSeconds: 0,
      x: 150,
      y: 160,
      wires: [observationOutputs],
    },
    debug(DEMO_IDS.debugAll, "All observations", 470, 120, "true"),
    {
      id: DEMO_IDS.filter,
      type: "easee-filter",
      z,
      name: "Power & energy | state",
      rules: [{ ids: "120, 121, 122, 124" }, { ids: "ChargerOpMode, 96" }],
      otherwise: false,
      checkall: true,
      onlyOnChange: false,
      outputs: 2,
      x: 450,
      y: 200,
      wires: [[DEMO_IDS.debugEnergy], [DEMO_IDS.debugState]],
    },
    debug(DEMO_IDS.debugEnergy, "Power & energy", 730, 180, "payload"),
    debug(DEMO_IDS.debugState, "State", 710, 220, "payload"),
    ...commandDemoNodes(z, DEMO_IDS.config),
  ];
  if (options.mqtt) {
    flows.push(
      {
        id: DEMO_IDS.mqttOut,
        type: "mqtt out",
        z,
        name: `MQTT ${root}/#`,
        topic: "",
        qos: "0",
        retain: "false",
        respTopic: "",
        contentType: "",
        userProps: "",
        correl: "",
        expiry: "",
        broker: DEMO_IDS.mqttBroker,
        x: 440,
        y: 280,
        wires: [],
      },
      {
        id: DEMO_IDS.mqttBroker,
        type: "mqtt-broker",
        name: "Local Mosquitto",
        broker: options.mqtt.host,
        port: String(options.mqtt.port),
        clientid: "",
        autoConnect: true,
        usetls: false,
        protocolVersion: "4",
        keepalive: "60",
        cleansession: true,
        autoUnsubscribe: true,
        birthTopic: "",
        birthQos: "0",
        birthPayload: "",
        closeTopic: "",
        closeQos: "0",
        closePayload: "",
        willTopic: "",
        willQos: "0",
        willPayload: "",
      },
    );
  }
  return {
    flows,
    credentials: { [DEMO_IDS.config]: { username: options.username, password: options.password } },
  };
}
