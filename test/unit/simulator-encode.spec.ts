import assert from "node:assert/strict";
import { decodeDelivery } from "../../core/decode";
import type { RawDelivery } from "../../core/types";
import { ChargerModel, OBS, type ModelObservation } from "../../simulator/charger";
import {
  MESSAGE_SHAPES,
  dotNetTicksFromMs,
  encodeCommand,
  encodeCommandResponse,
  encodeObservation,
  msFromDotNetTicks,
  type EncodedMessage,
} from "../../simulator/encode";

function raw(message: EncodedMessage): RawDelivery {
  return { routingKey: message.routingKey, headers: message.headers, contentType: message.contentType, body: message.body };
}

/** Everything one charger reports over a simulated day with two sessions, plus a command or two. */
function aDayOfObservations(): ModelObservation[] {
  const model = new ChargerModel({ serial: "EH000001", startMs: Date.UTC(2026, 0, 5, 0, 0, 0) });
  const all = [...model.boot()];
  for (let i = 0; i < 24 * 60; i++) all.push(...model.advance(60_000, 0));
  all.push(...model.applyCommand({ Id: 48, Arguments: [{ Id: 1, Value: "10" }] }).observations);
  all.push(...model.applyCommand({ Id: 1 }).observations);
  for (let i = 0; i < 2; i++) all.push(...model.advance(60_000, 0));
  return all;
}

describe("simulator message encoding", () => {
  it("converts epoch ms to .NET ticks and back", () => {
    assert.equal(dotNetTicksFromMs(0), 621355968000000000n);
    const ms = Date.UTC(2023, 4, 4, 17, 0, 23, 630);
    assert.equal(dotNetTicksFromMs(ms), 638188164236300000n);
    assert.equal(msFromDotNetTicks(dotNetTicksFromMs(ms)), ms);
    assert.equal(msFromDotNetTicks("638188164236300000"), ms);
  });

  it("writes the three body shapes with routing key, content type and ArrivalTime header", () => {
    const obs = { chargerId: "EH000009", observationId: 120, value: 7.25, timestampMs: Date.UTC(2026, 0, 1, 10, 0, 0) };
    const arrival = obs.timestampMs + 120;
    const masterloop = encodeObservation(obs, { shape: "masterloop", arrivalTimeMs: arrival });
    assert.equal(masterloop.routingKey, "EH000009.O.120");
    assert.equal(masterloop.contentType, "application/json");
    assert.deepEqual(JSON.parse(masterloop.body.toString()), { Timestamp: "2026-01-01T10:00:00.000Z", Value: 7.25 });
    assert.equal(masterloop.headers.ArrivalTime, "2026-01-01T10:00:00.120Z");

    const signalr = encodeObservation({ ...obs, observationId: 31, value: true }, { shape: "signalr", arrivalTimeFormat: "epochMs", arrivalTimeMs: arrival });
    assert.deepEqual(JSON.parse(signalr.body.toString()), {
      mid: "EH000009",
      dataType: 2,
      id: 31,
      timestamp: "2026-01-01T10:00:00.000Z",
      value: "1",
    });
    assert.equal(signalr.headers.ArrivalTime, arrival);

    const pascal = encodeObservation({ ...obs, observationId: 109, value: 3 }, { shape: "pascal" });
    assert.deepEqual(JSON.parse(pascal.body.toString()), {
      ChargerId: "EH000009",
      ObservationId: 109,
      DataType: 4,
      Value: 3,
      Timestamp: "2026-01-01T10:00:00.000Z",
    });
  });

  for (const shape of MESSAGE_SHAPES) {
    for (const arrivalTimeFormat of ["iso", "epochMs"] as const) {
      it(`${shape} messages (ArrivalTime ${arrivalTimeFormat}) decode through the real decoder to the values the charger reported`, () => {
        const observations = aDayOfObservations();
        const ids = new Set<number>();
        const t0 = Date.UTC(2026, 0, 5, 12, 0, 0);
        for (const [i, o] of observations.entries()) {
          const timestampMs = t0 + i * 1000;
          const message = encodeObservation(
            { chargerId: "EH000001", observationId: o.observationId, value: o.value, timestampMs },
            { shape, arrivalTimeFormat, arrivalTimeMs: timestampMs + 50 },
          );
          const decoded = decodeDelivery(raw(message), timestampMs + 80);
          assert.equal(decoded.kind, "observation", `${message.routingKey} ${message.body.toString()}: ${JSON.stringify(decoded)}`);
          if (decoded.kind !== "observation") continue;
          ids.add(o.observationId);
          assert.equal(decoded.chargerId, "EH000001");
          assert.equal(decoded.observationId, o.observationId);
          assert.equal(decoded.known, true, `observation ${o.observationId} is in the catalogue`);
          const expected = o.observationId === OBS.UserIDTokenReversed ? Array.from(String(o.value)).reverse().join("") : o.value;
          assert.deepEqual(decoded.value, expected, `${decoded.name}`);
          assert.equal(decoded.timestamp, new Date(timestampMs).toISOString());
          assert.equal(decoded.arrivalTime, new Date(timestampMs + 50).toISOString());
          assert.equal(decoded.latencyMs, 30);
        }
        for (const id of [80, 21, 107, 250, 109, 110, 96, 100, 103, 108, 120, 121, 122, 124, 130, 132, 150, 151, 182, 190, 196]) {
          assert.ok(ids.has(id), `the day covers observation ${id}`);
        }
      });
    }
  }

  it("a command response decodes as one, correlated by serial, command id and ticks", () => {
    const command = encodeCommand("EH000002", 48, [{ id: 1, value: 13 }, { id: 2, value: 5 }], { nowMs: Date.UTC(2026, 0, 1) });
    assert.match(command.routingKey, /^EH000002\.C\.48\.\d{18}$/);
    assert.deepEqual(JSON.parse(command.body.toString()).Arguments, [
      { Id: 1, Value: "13" },
      { Id: 2, Value: "5" },
    ]);
    const response = encodeCommandResponse({
      chargerId: "EH000002",
      commandId: 48,
      ticks: command.ticks,
      wasAccepted: true,
      resultCode: 0,
      comment: "ok",
      deliveredAtMs: Date.UTC(2026, 0, 1, 0, 0, 1),
    });
    assert.equal(response.routingKey, `EH000002.CR.48.${command.ticks}`);
    const decoded = decodeDelivery(raw(response));
    assert.equal(decoded.kind, "commandResponse", JSON.stringify(decoded));
    if (decoded.kind !== "commandResponse") return;
    assert.equal(decoded.chargerId, "EH000002");
    assert.equal(decoded.commandId, 48);
    assert.equal(decoded.ticks, String(command.ticks));
    assert.equal(decoded.wasAccepted, true);
    assert.equal(decoded.resultCode, 0);
    assert.equal(decoded.comment, "ok");
    assert.equal(decoded.timestamp, "2026-01-01T00:00:00.000Z");
    assert.equal(decoded.deliveredAt, "2026-01-01T00:00:01.000Z");
  });
});
