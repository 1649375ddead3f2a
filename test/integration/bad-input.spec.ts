/**
 * Bad input through the real broker: a generated corpus of 10,000 malformed deliveries (test/helpers/
 * bad-input-corpus.ts) shuffled into a stream of valid ones and published to the operator exchange; the package
 * consumes them in a real Node-RED runtime (easee-config → easee-observations, a Catch node for errors).
 *
 * What a user would see: the runtime does not crash, each bad delivery is reported once through Catch with a
 * preview of at most 200 characters and is acknowledged (the queue ends empty), every valid msg arrives once, and
 * nothing has been added to Object.prototype (or any other built-in prototype).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import * as amqp from "amqplib";
import type { Node, NodeAPI, NodeDef, NodeMessage } from "node-red";
import { decodeDelivery } from "../../core/decode";
import configNode from "../../nodes/easee-config";
import observationsNode from "../../nodes/easee-observations";
import { startEaseeApiServer, type EaseeApiServer } from "../../simulator/api-server";
import {
  corpusIndexOf,
  countByCategory,
  generateBadInputCorpus,
  seededRandom,
  validOddDeliveries,
  type CorpusDelivery,
} from "../helpers/bad-input-corpus";
import { loadFlow, type FlowNode } from "../helpers/flows";
import { LEVEL, RuntimeCapture } from "../helpers/log-capture";
import { helper, startServer, stopServer } from "../helpers/node-red";
import { ADMIN_AMQP_URL, createLeastPrivilegeUser, findConnections, queueInfo, rabbitmqctl, uniqueName, type TestUser } from "../helpers/rabbit";

const CORPUS_SIZE = 10_000;
const VALID = 20_000;
const VALID_ODD = 200;

const received = new EventEmitter();
received.setMaxListeners(0);

function sinkModule(RED: NodeAPI): void {
  function BadInputSink(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    node.on("input", (msg, _send, done) => {
      received.emit("msg", node.id, msg);
      done();
    });
  }
  RED.nodes.registerType("bad-input-sink", BadInputSink);
}

/** Own property names and descriptors of the built-in prototypes a pollution would touch. */
function prototypeSnapshot(): string {
  const targets: [string, object][] = [
    ["Object.prototype", Object.prototype],
    ["Array.prototype", Array.prototype],
    ["Function.prototype", Function.prototype],
    ["String.prototype", String.prototype],
    ["Number.prototype", Number.prototype],
    ["Boolean.prototype", Boolean.prototype],
    ["Buffer.prototype", Buffer.prototype],
  ];
  return targets
    .map(([name, target]) => `${name}: ${Object.getOwnPropertyNames(target).sort().join(",")}`)
    .join("\n");
}

describe("bad input through the broker: 10,000 malformed deliveries in a valid stream (integration)", function () {
  this.timeout(180_000);

  let api: EaseeApiServer;
  let user: TestUser;
  let capture: RuntimeCapture;
  let password: string;
  const cfgId = uniqueName("badinput-cfg");

  before(async () => {
    await startServer();
    capture = RuntimeCapture.start();
    password = uniqueName("B4d-input-pw");
    api = await startEaseeApiServer({
      amqpUrl: ADMIN_AMQP_URL,
      operatorId: uniqueName("badinput").replace(/-/g, ""),
      users: { "integration@example.com": { password, kind: "integration" } },
    });
    user = await createLeastPrivilegeUser({ queueName: api.queueName, exchangeName: api.exchangeName, prefix: "badinput-lp" });
    api.setConsumer({ username: user.username, password: user.password });
    capture.watchSecrets([password, user.password]);
    capture.watchSecrets(() => api.issuedSecrets());
  });

  after(async () => {
    await stopServer();
    capture.stop();
    await api.close();
    await user.delete();
  });

  it("no crash; each bad delivery reported once through Catch with a bounded preview and acked; every valid msg arrives; prototypes untouched", async () => {
    const corpus = generateBadInputCorpus({ size: CORPUS_SIZE });
    // The decoder's verdict first, so a failure below is about the nodes, not about what counts as malformed.
    const accepted = corpus.filter((entry) => decodeDelivery({ routingKey: entry.routingKey, headers: entry.headers, body: entry.body }).kind !== "error");
    assert.deepEqual(accepted.map((entry) => `${entry.index} ${entry.category} ${entry.routingKey}`), [], "the decoder refuses every corpus entry");

    const protoBefore = prototypeSnapshot();
    await loadFlow([configNode, observationsNode, sinkModule], [
      { id: "tab", type: "tab", label: "bad input" },
      { id: cfgId, type: "easee-config", name: "bad input", apiUrl: api.url, heartbeat: 30, prefetch: 200, rejectUnauthorized: true },
      {
        id: "obs",
        type: "easee-observations",
        z: "tab",
        x: 100,
        y: 100,
        config: cfgId,
        topic: "easee/{chargerId}/{name}",
        chargers: "",
        includeUnknown: true,
        maxAgeSeconds: 0,
        wires: [["valid"]],
      },
      { id: "valid", type: "bad-input-sink", z: "tab", x: 300, y: 100, wires: [] },
      { id: "catcher", type: "catch", z: "tab", x: 100, y: 200, scope: null, uncaught: false, wires: [["caught"]] },
      { id: "caught", type: "bad-input-sink", z: "tab", x: 300, y: 200, wires: [] },
    ] as FlowNode[], { [cfgId]: { username: "integration@example.com", password } });

    const validSeen = new Uint8Array(VALID);
    const oddSeen = new Uint8Array(VALID_ODD);
    const reported = new Uint16Array(CORPUS_SIZE);
    let validDuplicates = 0;
    let validCount = 0;
    let caughtCount = 0;
    let unidentified: NodeMessage[] = [];
    let longestPreview = 0;
    let longestMessage = 0;
    const badPreviews: string[] = [];
    const oddProblems: string[] = [];
    const wrongSource: string[] = [];
    const onMsg = (nodeId: string, msg: NodeMessage & { easee?: { routingKey?: string; observationId?: number }; error?: { message?: string; source?: { id?: string } } }): void => {
      if (nodeId === "valid") {
        if (msg.easee?.observationId === 999999) {
          const payload = msg.payload as Record<string, unknown>;
          const seq = Number(payload.seq);
          if (Object.getPrototypeOf(payload) !== Object.prototype || payload.polluted !== undefined || ({} as Record<string, unknown>).polluted !== undefined) {
            oddProblems.push(`seq ${seq}: prototype ${String(Object.getPrototypeOf(payload))}, polluted ${String(payload.polluted)}`);
          }
          if (Number.isInteger(seq) && seq >= 0 && seq < VALID_ODD) oddSeen[seq] = (oddSeen[seq] ?? 0) + 1;
          return;
        }
        const seq = msg.payload as number;
        if (typeof seq === "number" && Number.isInteger(seq) && seq >= 0 && seq < VALID) {
          if ((validSeen[seq] ?? 0) > 0) validDuplicates += 1;
          else validCount += 1;
          validSeen[seq] = Math.min(255, (validSeen[seq] ?? 0) + 1);
        }
        return;
      }
      if (nodeId !== "caught") return;
      caughtCount += 1;
      const index = corpusIndexOf(msg.easee?.routingKey);
      if (index === undefined || index >= CORPUS_SIZE) {
        if (unidentified.length < 5) unidentified.push(msg);
        return;
      }
      reported[index] = (reported[index] ?? 0) + 1;
      if (msg.error?.source?.id !== "obs" && wrongSource.length < 5) wrongSource.push(JSON.stringify(msg.error));
      const preview = msg.payload;
      if (typeof preview !== "string" || preview.length > 200) {
        if (badPreviews.length < 5) badPreviews.push(`${index}: ${typeof preview} ${String(preview).length}`);
      } else longestPreview = Math.max(longestPreview, preview.length);
      longestMessage = Math.max(longestMessage, msg.error?.message?.length ?? 0);
    };
    received.on("msg", onMsg);

    // One stream, bad and valid shuffled together (seeded: a failure can be replayed).
    type Item = { kind: "bad"; entry: CorpusDelivery } | { kind: "valid"; seq: number } | { kind: "odd"; routingKey: string; body: Buffer };
    const items: Item[] = [
      ...corpus.map((entry): Item => ({ kind: "bad", entry })),
      ...Array.from({ length: VALID }, (_, seq): Item => ({ kind: "valid", seq })),
      ...validOddDeliveries(VALID_ODD).map((odd): Item => ({ kind: "odd", routingKey: odd.routingKey, body: odd.body })),
    ];
    const random = seededRandom(7);
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j] as Item, items[i] as Item];
    }

    const started = Date.now();
    const connection = await amqp.connect(ADMIN_AMQP_URL, { clientProperties: { connection_name: `bad-input publisher ${cfgId}` } });
    connection.on("error", () => undefined);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on("error", () => undefined);
      let inFlight = 0;
      for (const item of items) {
        let ok: boolean;
        if (item.kind === "bad") {
          const { entry } = item;
          ok = channel.publish(api.exchangeName, entry.routingKey, entry.body, {
            ...(entry.headers !== undefined ? { headers: entry.headers } : {}),
            ...(entry.contentType !== undefined ? { contentType: entry.contentType } : {}),
          });
        } else if (item.kind === "valid") {
          const body = Buffer.from(JSON.stringify({ Timestamp: new Date().toISOString(), Value: item.seq }));
          ok = channel.publish(api.exchangeName, `EH00000${(item.seq % 5) + 1}.O.120`, body, {
            contentType: "application/json",
            headers: { ArrivalTime: new Date().toISOString() },
          });
        } else {
          ok = channel.publish(api.exchangeName, item.routingKey, item.body, { contentType: "application/json" });
        }
        inFlight += 1;
        if (!ok) await new Promise((resolve) => channel.once("drain", resolve));
        if (inFlight >= 1000) {
          await channel.waitForConfirms();
          inFlight = 0;
        }
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close().catch(() => undefined);
    }
    const publishedMs = Date.now() - started;

    const complete = (): boolean => validCount === VALID && caughtCount >= CORPUS_SIZE && oddSeen.every((count) => count > 0);
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!complete()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out: ${validCount}/${VALID} valid, ${caughtCount}/${CORPUS_SIZE} caught`));
      }, 120_000);
      const cleanup = (): void => {
        clearTimeout(timer);
        received.removeListener("msg", check);
      };
      received.on("msg", check);
      check();
    });
    const consumedMs = Date.now() - started;
    // Anything reported twice would come right behind: let the flow go quiet before counting.
    await new Promise<void>((resolve) => {
      let timer = setTimeout(done, 500);
      function done(): void {
        received.removeListener("msg", again);
        resolve();
      }
      function again(): void {
        clearTimeout(timer);
        timer = setTimeout(done, 500);
      }
      received.on("msg", again);
    });
    received.removeListener("msg", onMsg);

    // Acknowledged: nothing ready and nothing unacknowledged while the consumer is still up.
    const queueLine = (await rabbitmqctl("list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers"))
      .split("\n")
      .find((line) => line.startsWith(`${api.queueName}\t`));
    const protoAfter = prototypeSnapshot();
    const notOnce = [...reported.entries()].filter(([, count]) => count !== 1).map(([index, count]) => `${index} (${corpus[index]?.category}) ×${count}`);
    const errorLines = capture.lines.filter((line) => line.level === LEVEL.error && line.nodeId === "obs").length;
    const summary = {
      badDeliveries: CORPUS_SIZE,
      categories: countByCategory(corpus),
      validDeliveries: VALID + VALID_ODD,
      megabytesPublished: +(corpus.reduce((sum, entry) => sum + entry.body.length, 0) / 1048576).toFixed(1),
      caught: caughtCount,
      reportedOnce: CORPUS_SIZE - notOnce.length,
      longestPreview,
      longestErrorMessage: longestMessage,
      errorLogLines: errorLines,
      validArrived: validCount,
      validDuplicates,
      publishedMs,
      consumedMs,
    };
    console.log(`      ${JSON.stringify(summary)}`);
    try {
      const dir = path.resolve(__dirname, "../../../.test-artifacts/reliability");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `bad-input${process.env.NODE_RED_PACKAGE === "node-red-5" ? "-node-red-5" : ""}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    } catch {
      // figures are a by-product
    }

    assert.equal(protoAfter, protoBefore, "no built-in prototype gained or lost a property");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(oddProblems, [], "hostile-looking valid payloads arrive as plain objects");
    assert.deepEqual(unidentified, [], "every Catch msg names the routing key of its delivery");
    assert.deepEqual(notOnce.slice(0, 20), [], `each bad delivery reported exactly once (${notOnce.length} not)`);
    assert.deepEqual(badPreviews, [], "previews are strings of at most 200 characters");
    assert.deepEqual(wrongSource, [], "reported by the observations node");
    assert.ok(longestMessage <= 400, `error messages are short (longest ${longestMessage})`);
    // Node-RED logs an error only when no Catch node handled it: the log stays quiet however much garbage arrives.
    assert.equal(errorLines, 0, "errors handled by Catch are not logged again");
    assert.equal(validCount, VALID, "every valid msg arrived");
    assert.equal(validDuplicates, 0, "no valid msg twice");
    assert.ok(oddSeen.every((count) => count === 1), "every hostile-looking valid msg arrived once");
    assert.ok(queueLine, "the queue exists");
    assert.deepEqual(queueLine.split("\t").slice(1), ["0", "0", "1"], "nothing ready, nothing unacked, one consumer");
    assert.equal((await findConnections(cfgId)).length, 1, "still connected: nothing crashed");
    assert.ok(
      capture.statusesOf("obs").at(-1)?.fill === "green",
      `the observations node still shows a healthy status: ${JSON.stringify(capture.statusesOf("obs").at(-1))}`,
    );

    // Stopped, whatever was unacked would be back in the queue: nothing is.
    await helper.unload();
    assert.equal((await queueInfo(api.queueName)).messageCount, 0, "every delivery was acknowledged");
  });

  it("nothing secret in any log line, status or msg of the bad-input run", () => {
    const leaks = capture.leaks();
    console.log(`      ${capture.summary()}`);
    assert.ok(capture.msgCount > CORPUS_SIZE);
    assert.deepEqual(leaks, []);
  });
});
