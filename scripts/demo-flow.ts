/**
 * The flow `npm start` deploys, in one place. Group "Watch the chargers": easee-config (pointing at the simulator)
 * → easee-observations → a debug node for everything (off until clicked: three chargers are a firehose) and
 * easee-filter splitting power and energy from the state, each to its own debug node (the state by its label), and,
 * when Mosquitto answers, an `mqtt out` publishing every observation under its msg.topic. Group "Try it": inject
 * buttons that start and stop a charging session on the simulator, so a state change can be seen on demand.
 * Group "Commands" (commandDemoNodes): inject 6 A / 16 A → easee-command to the first charger, and that charger's
 * limit, current and power, so the effect of a command shows in its observations.
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
  /** The stream of the account: `amqp` (default) or `signalr` with the simulator's hub URL. */
  readonly stream?: { readonly kind: "amqp" } | { readonly kind: "signalr"; readonly hubUrl: string };
}

export interface DemoFlow {
  readonly flows: FlowFileNode[];
  /** flows_cred.json content (unencrypted: the demo settings have `credentialSecret: false`). */
  readonly credentials: Record<string, Record<string, string>>;
}

export const DEMO_IDS = {
  tab: "easee-demo-tab",
  config: "easee-demo-config",
  watchGroup: "easee-demo-group-watch",
  observations: "easee-demo-observations",
  debugAll: "easee-demo-debug-all",
  filter: "easee-demo-filter",
  debugEnergy: "easee-demo-debug-energy",
  debugState: "easee-demo-debug-state",
  mqttBroker: "easee-demo-mqtt-broker",
  mqttOut: "easee-demo-mqtt-out",
  sessionGroup: "easee-demo-group-session",
  startSession: "easee-demo-inject-start",
  stopSession: "easee-demo-inject-stop",
  sessionRequest: "easee-demo-session-request",
  debugSession: "easee-demo-debug-session",
  presenceGroup: "easee-demo-group-presence",
  presenceObservations: "easee-demo-presence-observations",
  presenceSwitch: "easee-demo-presence-switch",
  presenceDebug: "easee-demo-presence-debug",
  silenceInject: "easee-demo-silence-inject",
  backInject: "easee-demo-back-inject",
  presenceRequest: "easee-demo-presence-request",
  equalizerFilter: "easee-demo-equalizer-filter",
  equalizerDebug: "easee-demo-equalizer-debug",
} as const;

/** The charger the demo's presence group cuts off and brings back. */
export const DEMO_SILENT_CHARGER = "EH000002";

/**
 * The demo is laid out in groups, one under the other, each a row of columns: a group added later (commands,
 * Equalizers…) goes below the last one, at `nextGroupY`, with the same x and width, so nothing overlaps.
 * Node x/y are centres (as Node-RED stores them); rows are 60 px apart so a status text never reaches the next node.
 */
export const DEMO_LAYOUT = {
  groupX: 20,
  groupWidth: 960,
  /** Node centres of the columns inside a group. */
  columns: [160, 450, 780] as const,
  rowHeight: 60,
  /** Top of the first group. */
  firstGroupY: 20,
  /** Space between two groups. */
  groupGap: 30,
} as const;

/** A group box of `rows` rows starting at `top`, and the y of its rows' node centres. */
function groupBox(top: number, rows: number): { readonly box: { x: number; y: number; w: number; h: number }; readonly rowY: (row: number) => number } {
  const header = 40;
  return {
    box: { x: DEMO_LAYOUT.groupX, y: top, w: DEMO_LAYOUT.groupWidth, h: header + rows * DEMO_LAYOUT.rowHeight },
    rowY: (row: number) => top + header + 10 + row * DEMO_LAYOUT.rowHeight,
  };
}

/** The y where the next group may start, after the demo's own groups. */
export function nextGroupY(flows: readonly FlowFileNode[]): number {
  let bottom: number = DEMO_LAYOUT.firstGroupY;
  for (const node of flows) {
    if (node.type === "group") bottom = Math.max(bottom, Number(node.y) + Number(node.h));
  }
  return bottom + DEMO_LAYOUT.groupGap;
}

export function buildDemoFlow(options: DemoFlowOptions): DemoFlow {
  const root = options.topicRoot ?? "easee";
  const z = DEMO_IDS.tab;
  const [left, middle, right] = DEMO_LAYOUT.columns;
  const debug = (
    id: string,
    g: string,
    name: string,
    x: number,
    y: number,
    show: { readonly property: string; readonly active?: boolean; readonly status?: string },
  ): FlowFileNode => ({
    id,
    type: "debug",
    z,
    g,
    name,
    active: show.active ?? true,
    tosidebar: true,
    console: false,
    tostatus: show.status !== undefined,
    complete: show.property,
    targetType: show.property === "true" ? "full" : "msg",
    statusVal: show.status ?? "",
    statusType: show.status !== undefined ? "msg" : "auto",
    x,
    y,
    wires: [],
  });

  const watchRows = options.mqtt ? 3 : 2;
  const watch = groupBox(DEMO_LAYOUT.firstGroupY, watchRows);
  const sessionTop = watch.box.y + watch.box.h + DEMO_LAYOUT.groupGap;
  const session = groupBox(sessionTop, 2);

  const observationOutputs: string[] = [DEMO_IDS.debugAll, DEMO_IDS.filter];
  if (options.mqtt) observationOutputs.push(DEMO_IDS.mqttOut);
  const watchNodes: string[] = [DEMO_IDS.observations, DEMO_IDS.debugAll, DEMO_IDS.filter, DEMO_IDS.debugEnergy, DEMO_IDS.debugState];
  if (options.mqtt) watchNodes.push(DEMO_IDS.mqttOut);
  const sessionUrl = `${options.apiUrl.replace(/\/+$/, "")}/simulator/session`;
  const sessionInject = (id: string, name: string, action: "start" | "stop", y: number): FlowFileNode => ({
    id,
    type: "inject",
    z,
    g: DEMO_IDS.sessionGroup,
    name,
    props: [{ p: "payload" }],
    repeat: "",
    crontab: "",
    once: false,
    onceDelay: 0.1,
    topic: "",
    // No serial: the simulator picks the first charger where the action changes something (the answer names it).
    payload: JSON.stringify({ action }),
    payloadType: "json",
    x: left,
    y,
    wires: [[DEMO_IDS.sessionRequest]],
  });

  const flows: FlowFileNode[] = [
    {
      id: z,
      type: "tab",
      label: "Easee demo",
      disabled: false,
      info:
        "Live observations from the Easee cloud simulator: 3 chargers (EH000001 to EH000003), one hour of charging " +
        "per real minute.\n\n" +
        "1. Open the Debug sidebar: **State** shows each charger's state by name (Charging, Awaiting Start…), " +
        "**Power & energy** the kW and kWh values.\n" +
        "2. **All observations** is switched off, as it shows everything at once: click the button on its right to " +
        "turn it on.\n" +
        "3. Press the button of **Start a session** or **Stop a session**: the simulator plugs a car in at a charger " +
        "that is not charging (or ends a session), **Simulator answer** names the charger, and **State** changes " +
        "within a second. From a terminal: `easee-simulator session start EH000002`.\n\n" +
        "4. **Presence & Equalizer**: press **EH000002 goes silent**; after 30 s **Online / offline** shows it offline, " +
        "and **EH000002 comes back** brings it back. **Grid (Equalizer)** shows what the Equalizer QH000001 measures.\n\n" +
        "The simulator's account (user name, password, API URL) is in the **Easee account** configuration node " +
        "*Easee simulator*.",
    },
    {
      id: DEMO_IDS.watchGroup,
      type: "group",
      z,
      name: options.mqtt ? "Watch the chargers: observations → filter → debug, and MQTT" : "Watch the chargers: observations → filter → debug",
      style: { label: true },
      nodes: watchNodes,
      ...watch.box,
    },
    {
      id: DEMO_IDS.config,
      type: "easee-config",
      name: "Easee simulator",
      apiUrl: options.apiUrl,
      rejectUnauthorized: true,
      heartbeat: 30,
      prefetch: 200,
      ...(options.stream?.kind === "signalr" ? { stream: "signalr", signalrUrl: options.stream.hubUrl } : { stream: "amqp" }),
    },
    {
      id: DEMO_IDS.observations,
      type: "easee-observations",
      z,
      g: DEMO_IDS.watchGroup,
      name: "All chargers",
      config: DEMO_IDS.config,
      topic: `${root}/{chargerId}/{name}`,
      chargers: "",
      includeUnknown: true,
      maxAgeSeconds: 0,
      x: left,
      y: watch.rowY(0),
      wires: [observationOutputs],
    },
    // Every observation of three chargers is more than anyone can read: off until clicked on.
    debug(DEMO_IDS.debugAll, DEMO_IDS.watchGroup, "All observations", right, watch.rowY(0), { property: "true", active: false }),
    {
      id: DEMO_IDS.filter,
      type: "easee-filter",
      z,
      g: DEMO_IDS.watchGroup,
      name: "Power & energy | state",
      rules: [{ ids: "120, 121, 122, 124" }, { ids: "ChargerOpMode" }],
      otherwise: false,
      checkall: true,
      onlyOnChange: false,
      chargers: "",
      outputs: 2,
      x: middle,
      y: watch.rowY(1),
      wires: [[DEMO_IDS.debugEnergy], [DEMO_IDS.debugState]],
    },
    debug(DEMO_IDS.debugEnergy, DEMO_IDS.watchGroup, "Power & energy", right, watch.rowY(1) - 20, { property: "payload" }),
    // The state by name (Charging), not its number (3): the sidebar and the node's status show msg.easee.label.
    debug(DEMO_IDS.debugState, DEMO_IDS.watchGroup, "State", right, watch.rowY(1) + 30, { property: "easee.label", status: "easee.label" }),
    {
      id: DEMO_IDS.sessionGroup,
      type: "group",
      z,
      name: "Try it: start or stop a charging session on the simulator",
      style: { label: true },
      nodes: [DEMO_IDS.startSession, DEMO_IDS.stopSession, DEMO_IDS.sessionRequest, DEMO_IDS.debugSession],
      ...session.box,
    },
    sessionInject(DEMO_IDS.startSession, "Start a session", "start", session.rowY(0)),
    sessionInject(DEMO_IDS.stopSession, "Stop a session", "stop", session.rowY(1)),
    {
      id: DEMO_IDS.sessionRequest,
      type: "http request",
      z,
      g: DEMO_IDS.sessionGroup,
      name: "simulator: session",
      method: "POST",
      ret: "obj",
      paytoqs: "ignore",
      url: sessionUrl,
      tls: "",
      persist: false,
      proxy: "",
      insecureHTTPParser: false,
      authType: "",
      senderr: false,
      headers: [],
      x: middle,
      y: (session.rowY(0) + session.rowY(1)) / 2,
      wires: [[DEMO_IDS.debugSession]],
    },
    debug(DEMO_IDS.debugSession, DEMO_IDS.sessionGroup, "Simulator answer", right, (session.rowY(0) + session.rowY(1)) / 2, { property: "payload" }),
  ];
  flows.push(...presenceGroup(options, nextGroupY(flows), debug));
  flows.push(...commandDemoNodes(z, DEMO_IDS.config, nextGroupY(flows)));
  if (options.mqtt) {
    flows.push(
      {
        id: DEMO_IDS.mqttOut,
        type: "mqtt out",
        z,
        g: DEMO_IDS.watchGroup,
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
        x: middle,
        y: watch.rowY(2),
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

type DebugNode = (
  id: string,
  g: string,
  name: string,
  x: number,
  y: number,
  show: { readonly property: string; readonly active?: boolean; readonly status?: string },
) => FlowFileNode;

/**
 * Presence and Equalizer, as their own group below the others: an observations node with a short silence time
 * (30 s, so the demo shows it) whose presence msgs (…/Online) go to a debug node, two inject buttons that cut
 * EH000002's network and bring it back through the simulator's control endpoint, and the Equalizer's grid power
 * and meter readings.
 */
function presenceGroup(options: DemoFlowOptions, top: number, debug: DebugNode): FlowFileNode[] {
  const z = DEMO_IDS.tab;
  const g = DEMO_IDS.presenceGroup;
  const root = options.topicRoot ?? "easee";
  const [left, middle, right] = DEMO_LAYOUT.columns;
  const { box, rowY } = groupBox(top, 4);
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
    x: left,
    y,
    wires: [[DEMO_IDS.presenceRequest]],
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
      x: left,
      y: (rowY(0) + rowY(1)) / 2,
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
      x: middle,
      y: rowY(0),
      wires: [[DEMO_IDS.presenceDebug]],
    },
    debug(DEMO_IDS.presenceDebug, g, "Online / offline", right, rowY(0), { property: "true", status: "payload" }),
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
      chargers: "",
      outputs: 1,
      x: middle,
      y: rowY(1),
      wires: [[DEMO_IDS.equalizerDebug]],
    },
    debug(DEMO_IDS.equalizerDebug, g, "Grid (Equalizer)", right, rowY(1), { property: "payload" }),
    inject(DEMO_IDS.silenceInject, `${DEMO_SILENT_CHARGER} goes silent`, true, rowY(2)),
    inject(DEMO_IDS.backInject, `${DEMO_SILENT_CHARGER} comes back`, false, rowY(3)),
    {
      id: DEMO_IDS.presenceRequest,
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
      x: middle,
      y: (rowY(2) + rowY(3)) / 2,
      wires: [[]],
    },
  ];
  const group: FlowFileNode = {
    id: g,
    type: "group",
    z,
    name: "Presence & Equalizer: a charger goes silent and comes back; the grid as the Equalizer sees it",
    style: { label: true },
    nodes: members.map((node) => node.id),
    ...box,
  };
  return [group, ...members];
}

/** The command group: self-contained (its own ids and area), placed below the groups above it. */
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
 * below, that charger's DynamicChargerCurrent, OutputCurrent and TotalPower in a debug node with a status, so the
 * effect of each click shows within seconds. A group box starting at `top`.
 */
export function commandDemoNodes(z: string, configId: string, top: number): FlowFileNode[] {
  const g = DEMO_COMMAND_IDS.group;
  const { box, rowY } = groupBox(top, 3);
  const [left, middle, right] = DEMO_LAYOUT.columns;
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
    x: left,
    y,
    wires: [[DEMO_COMMAND_IDS.command]],
  });
  const debug = (id: string, name: string, y: number, complete: string): FlowFileNode => ({
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
    x: right,
    y,
    wires: [],
  });
  const members: FlowFileNode[] = [
    inject(DEMO_COMMAND_IDS.inject6, 6, rowY(0)),
    inject(DEMO_COMMAND_IDS.inject16, 16, rowY(1)),
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
      x: middle,
      y: (rowY(0) + rowY(1)) / 2,
      wires: [[DEMO_COMMAND_IDS.debugResponses], []],
    },
    debug(DEMO_COMMAND_IDS.debugResponses, "Command responses", (rowY(0) + rowY(1)) / 2, "true"),
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
      x: left,
      y: rowY(2),
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
      chargers: "",
      outputs: 1,
      x: middle,
      y: rowY(2),
      wires: [[DEMO_COMMAND_IDS.debugEffect]],
    },
    debug(DEMO_COMMAND_IDS.debugEffect, "Limit, current & power", rowY(2), "payload"),
  ];
  const group: FlowFileNode = {
    id: g,
    type: "group",
    z,
    name: `Commands: dynamic current of ${DEMO_COMMAND_CHARGER} (click 6 A or 16 A, watch the limit and the power follow)`,
    style: { label: true },
    nodes: members.map((node) => node.id),
    ...box,
  };
  return [group, ...members];
}
