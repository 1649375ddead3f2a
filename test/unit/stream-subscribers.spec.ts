/**
 * StreamSubscribers: the one place both stream sources (AMQP, SignalR) keep their subscribers and hand them
 * deliveries and states.
 */
import assert from "node:assert/strict";
import { sameState, StreamSubscribers, type StreamSubscriber } from "../../core/stream-source";
import type { ConnectionState, DecodedCommandResponse, DecodedObservation, DecodeError } from "../../core/types";

const CONNECTED: ConnectionState = { phase: "connected", reason: "connected" };
const observation = { kind: "observation", chargerId: "EH1", observationId: 120 } as unknown as DecodedObservation;
const response = { kind: "commandResponse", chargerId: "EH1" } as unknown as DecodedCommandResponse;
const decodeError = { kind: "error", reason: "bad", preview: "" } as unknown as DecodeError;

function recorder(id: string, log: string[]): StreamSubscriber {
  return {
    id,
    onObservation: () => log.push(`${id}:observation`),
    onCommandResponse: () => log.push(`${id}:response`),
    onDecodeError: () => log.push(`${id}:error`),
    onConnectionState: (state) => log.push(`${id}:${state.phase}`),
  };
}

describe("StreamSubscribers (both stream sources)", () => {
  it("hands each delivery to every subscriber by its kind, and states to all or one", () => {
    const log: string[] = [];
    const set = new StreamSubscribers(() => assert.fail("nobody throws"));
    set.add(recorder("a", log));
    set.add(recorder("b", log));
    set.deliver(observation);
    set.deliver(response);
    set.deliver(decodeError);
    set.tellState(CONNECTED);
    const only = recorder("c", log);
    set.tellState(CONNECTED, only);
    assert.deepEqual(log, [
      "a:observation", "b:observation", "a:response", "b:response", "a:error", "b:error", "a:connected", "b:connected",
      "c:connected",
    ]);
  });

  it("a subscriber that throws is counted and reported; the others still get theirs", () => {
    const log: string[] = [];
    const failures: string[] = [];
    const set = new StreamSubscribers((id, error) => failures.push(`${id}: ${(error as Error).message}`));
    set.add({ id: "bad", onObservation: () => { throw new Error("boom"); } });
    set.add(recorder("good", log));
    set.deliver(observation);
    assert.deepEqual(log, ["good:observation"]);
    assert.deepEqual(failures, ["bad: boom"]);
    assert.equal(set.failures, 1);
  });

  it("one subscriber per id; removing a replaced subscriber keeps its successor", () => {
    const set = new StreamSubscribers(() => undefined);
    const first = recorder("node", []);
    const second = recorder("node", []);
    set.add(first);
    set.add(second);
    assert.equal(set.size, 1);
    set.remove(first);
    assert.equal(set.size, 1, "the redeployed node's successor stays");
    set.remove("node");
    assert.equal(set.size, 0);
  });

  it("a subscriber may leave from inside its own call without upsetting the round", () => {
    const log: string[] = [];
    const set = new StreamSubscribers(() => undefined);
    set.add({ id: "leaver", onObservation: () => set.remove("leaver") });
    set.add(recorder("stayer", log));
    set.deliver(observation);
    assert.deepEqual(log, ["stayer:observation"]);
    assert.equal(set.size, 1);
  });

  it("sameState: same phase, reason and detail read the same", () => {
    assert.equal(sameState(CONNECTED, { ...CONNECTED }), true);
    assert.equal(sameState(CONNECTED, { phase: "connecting", reason: "connecting" }), false);
  });
});
