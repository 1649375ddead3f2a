/**
 * A real MQTT client on the test Mosquitto (127.0.0.1:1883, MQTT_URL to override) for tests that check what
 * Node-RED's `mqtt out` published: live messages, the retained ones a new subscriber gets, and clean-up.
 * Also resolves Node-RED's own MQTT nodes from the runtime under test, so flows can use the real `mqtt out`.
 */
import type { NodeAPI } from "node-red";
import mqtt, { type MqttClient } from "mqtt";
import { coreNodeModule } from "./flows";

export const MQTT_URL = process.env.MQTT_URL ?? "mqtt://127.0.0.1:1883";

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
}

/** Node-RED's core MQTT nodes (`mqtt in`, `mqtt out`, `mqtt-broker`). */
export function coreMqttNodes(): (RED: NodeAPI) => void {
  return coreNodeModule("network/10-mqtt.js");
}

/** The broker and `mqtt out` config of a test flow, with QoS and retain left to each msg. */
export function mqttOutNodes(z: string, ids: { broker: string; out: string }): Record<string, unknown>[] {
  const url = new URL(MQTT_URL);
  return [
    {
      id: ids.broker,
      type: "mqtt-broker",
      name: "test broker",
      broker: url.hostname,
      port: url.port || "1883",
      clientid: "",
      autoConnect: true,
      usetls: false,
      protocolVersion: "4",
      keepalive: "60",
      cleansession: true,
      birthTopic: "",
      closeTopic: "",
      willTopic: "",
    },
    { id: ids.out, type: "mqtt out", z, name: "", topic: "", qos: "", retain: "", broker: ids.broker, wires: [] },
  ];
}

/** A subscriber that records everything it receives on its filters. */
export class MqttRecorder {
  readonly messages: ReceivedMessage[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString("utf8"), retain: packet.retain });
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.check()) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  static async connect(): Promise<MqttRecorder> {
    const client = await mqtt.connectAsync(MQTT_URL, { clientId: `easee-test-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 0 });
    return new MqttRecorder(client);
  }

  async subscribe(...filters: string[]): Promise<void> {
    await this.client.subscribeAsync(filters, { qos: 1 });
  }

  /** Resolves once `check` holds for what has arrived; fails after `timeoutMs` saying what did arrive. */
  async until(check: (messages: readonly ReceivedMessage[]) => boolean, what: string, timeoutMs = 10000): Promise<void> {
    if (check(this.messages)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`${what}: not seen within ${timeoutMs} ms (${this.messages.length} messages arrived)`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ check: () => check(this.messages), resolve: done });
    });
  }

  /** Messages on one topic, in order. */
  on(topic: string): ReceivedMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Every retained message under the filters, as a fresh subscriber sees it. A marker published after the
 * subscription tells when the broker has delivered them all (it keeps per-client order within a QoS).
 */
export async function retainedMessages(...filters: string[]): Promise<Map<string, ReceivedMessage>> {
  const recorder = await MqttRecorder.connect();
  try {
    const marker = `easee-test-marker/${process.pid}/${Date.now()}/${Math.random().toString(16).slice(2)}`;
    await recorder.subscribe(...filters, marker);
    await recorder.client.publishAsync(marker, "done", { qos: 1 });
    await recorder.until((messages) => messages.some((message) => message.topic === marker), "retained-messages marker");
    const retained = new Map<string, ReceivedMessage>();
    for (const message of recorder.messages) if (message.retain) retained.set(message.topic, message);
    return retained;
  } finally {
    await recorder.close();
  }
}

/** Deletes the retained messages under the filters (publishes an empty retained payload to each topic). */
export async function clearRetained(...filters: string[]): Promise<number> {
  const retained = await retainedMessages(...filters);
  if (retained.size === 0) return 0;
  const client = await mqtt.connectAsync(MQTT_URL, { reconnectPeriod: 0 });
  try {
    for (const topic of retained.keys()) await client.publishAsync(topic, "", { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
  return retained.size;
}
