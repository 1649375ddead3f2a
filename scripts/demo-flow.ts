/**
 * The flow `npm start` deploys, in one place: easee-config (pointing at the simulator) → easee-observations →
 * debug; easee-observations → easee-filter splitting power and energy from state, each to a debug node; and,
 * when Mosquitto answers, an `mqtt out` publishing every observation under its msg.topic.
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
  presenceGroup: "easee-demo-presence-group",
  presenceObservations: "easee-demo-presence-observations",
  presenceSwitch: "easee-demo-presence-switch",
  presenceDebug: "easee-demo-presence-debug",
  silenceInject: "easee-demo-silence-inject",
  backInject: "easee-demo-back-inject",
  simulatorControl: "easee-demo-simulator-control",
  equalizerFilter: "easee-demo-equalizer-filter",
  equalizerDebug: "easee-demo-equalizer-debug",
} as const;

/** The charger the demo's presence group cuts off and brings back. */
export const DEMO_SILENT_CHARGER = "EH000002";

/**
 * Presence and Equalizer, as their own group: an observations node with a short silence time (30 s, so the demo
 * shows it), its presence msgs (…/Online) to a debug node, two inject buttons that cut EH000002's network and bring
 * it back through the simulator's control endpoint, and the Equalizer's grid power and meter readings.
 */
function presenceGroup(options: DemoFlowOptions, z: string, debug: (id: string, name: string, x: number, y: number, complete: string) => FlowFileNode): FlowFileNode[] {
  const g = DEMO_IDS.presenceGroup;
  const root = options.topicRoot ?? "easee";
  const control = `${options.apiUrl.replace(/\/+$/, "")}/simulator/devices/${DEMO_SILENT_CHARGER}/presence`;
  const inject = (id: string, name: string, silent: boolean, y: number): FlowFileNode => ({
    id,
    type: "inject",
    z,
    g,
    name,
    props: [{ p: "payload" }],
    repeat: "",
    crontab: "",
    once: false,
    onceDelay: 0.1,
    topic: "",
    payload: JSON.stringify({ silent }),
    payloadType: "json",
    x: 170,
    y,
    wires: [[DEMO_IDS.simulatorControl]],
  });
  const members: FlowFileNode[] = [
    {
      id: DEMO_IDS.presenceObservations,
      type: "easee-observations",
      z,
      g,
      name: "Presence (30 s)",
      config: DEMO_IDS.config,
      topic: `${root}/{chargerId}/{name}`,
      chargers: "",
      includeUnknown: true,
      maxAgeSeconds: 0,
      presence: true,
      silenceMinutes: 0.5,
      x: 160,
      y: 400,
      wires: [[DEMO_IDS.presenceSwitch, DEMO_IDS.equalizerFilter]],
    },
    {
      id: DEMO_IDS.presenceSwitch,
      type: "switch",
      z,
      g,
      name: "presence msgs",
      property: "easee.presence",
      propertyType: "msg",
      rules: [{ t: "nnull" }],
      checkall: "true",
      repair: false,
      outputs: 1,
      x: 400,
      y: 380,
      wires: [[DEMO_IDS.presenceDebug]],
    },
    debug(DEMO_IDS.presenceDebug, "Online / offline", 620, 380, "true"),
    {
      id: DEMO_IDS.equalizerFilter,
      type: "easee-filter",
      z,
      g,
      name: "Equalizer: grid",
      rules: [{ ids: "ActivePowerImport, ActivePowerExport, CumulativeActivePowerImport, CumulativeActivePowerExport" }],
      otherwise: false,
      checkall: true,
      onlyOnChange: false,
      outputs: 1,
      x: 410,
      y: 420,
      wires: [[DEMO_IDS.equalizerDebug]],
    },
    debug(DEMO_IDS.equalizerDebug, "Grid (Equalizer)", 630, 420, "payload"),
    inject(DEMO_IDS.silenceInject, `${DEMO_SILENT_CHARGER} goes silent`, true, 480),
    inject(DEMO_IDS.backInject, `${DEMO_SILENT_CHARGER} comes back`, false, 520),
    {
      id: DEMO_IDS.simulatorControl,
      type: "http request",
      z,
      g,
      name: "simulator: cut / restore network",
      method: "POST",
      ret: "obj",
      paytoqs: "ignore",
      url: control,
      tls: "",
      persist: false,
      proxy: "",
      insecureHTTPParser: false,
      authType: "",
      senderr: false,
      headers: [],
      x: 440,
      y: 500,
      wires: [[]],
    },
  ];
  // Node-RED groups list their members; each member names its group (`g`).
  const group: FlowFileNode = {
    id: g,
    type: "group",
    z,
    name: "Presence & Equalizer",
    style: { label: true },
    nodes: members.map((node) => node.id),
    x: 34,
    y: 339,
    w: 752,
    h: 222,
  };
  for (const node of members) (node as { g?: string }).g = g;
  return [group, ...members];
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
    ...presenceGroup(options, z, (id, name, x, y, complete) => ({ ...debug(id, name, x, y, complete), g: DEMO_IDS.presenceGroup })),
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
