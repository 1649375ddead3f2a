/**
 * The decoder on good input: every delivery shape, value coercion by data type, the special
 * observations (108, JSON strings, Position, Statistics), timestamps and the ArrivalTime header.
 */
import assert from "node:assert/strict";
import { decodeDelivery } from "../../core/decode";
import type { DecodedCommandResponse, DecodedDelivery, DecodedObservation, DecodeError } from "../../core/types";
import {
  ARRIVAL_ISO,
  ARRIVAL_MS,
  commandResponse,
  delivery,
  masterloop,
  SERIAL,
  signalR,
} from "./fixtures/deliveries";
import { englishDecodeError } from "../helpers/english";

const RECEIVED_MS = ARRIVAL_MS + 35;

function observation(result: DecodedDelivery): DecodedObservation {
  assert.equal(result.kind, "observation", `expected an observation, got ${JSON.stringify(result)}`);
  return result as DecodedObservation;
}

function error(result: DecodedDelivery): DecodeError {
  assert.equal(result.kind, "error", `expected an error, got ${JSON.stringify(result)}`);
  return { ...(result as DecodeError), reason: englishDecodeError(result as DecodeError) };
}

function valueOf(result: DecodedDelivery): unknown {
  return observation(result).value;
}

describe("decodeDelivery: shapes", () => {
  it("1. Masterloop: ids from the routing key, typed value, catalogue fields (the contract's example msg)", () => {
    const result = decodeDelivery(masterloop(120, 7.2, "2026-11-25T10:00:00.000Z"), RECEIVED_MS);
    assert.deepEqual(result, {
      kind: "observation",
      chargerId: SERIAL,
      observationId: 120,
      name: "TotalPower",
      known: true,
      description: "Total power",
      dataType: "Double",
      unit: "kW",
      category: "telemetry",
      value: 7.2,
      timestamp: "2026-11-25T10:00:00.000Z",
      arrivalTime: ARRIVAL_ISO,
      latencyMs: 35,
      routingKey: "EH123456.O.120",
      device: "charger",
    });
  });

  it("1. Masterloop: an enum observation carries its label", () => {
    const result = observation(decodeDelivery(masterloop(109, 3), RECEIVED_MS));
    assert.equal(result.value, 3);
    assert.equal(result.label, "Charging");
    assert.equal(result.name, "ChargerOpMode");
  });

  it("2. SignalR style: everything from the body, value parsed from text, any routing key", () => {
    const result = decodeDelivery(signalR(109, 4, "6", "some.other.key"), RECEIVED_MS);
    assert.deepEqual(result, {
      kind: "observation",
      chargerId: SERIAL,
      observationId: 109,
      name: "ChargerOpMode",
      known: true,
      description: "Charger operation mode according to charger mode table",
      dataType: "Integer",
      unit: null,
      category: "event",
      value: 6,
      label: "Ready to Charge",
      timestamp: "2024-01-02T16:25:33.000Z",
      arrivalTime: ARRIVAL_ISO,
      latencyMs: 35,
      routingKey: "some.other.key",
      device: "charger",
    });
  });

  it("2. SignalR style under an observation routing key: body fields win", () => {
    const result = observation(decodeDelivery(signalR(121, 3, "12.5", "EH999999.O.120", undefined, "EH123456")));
    assert.equal(result.chargerId, "EH123456");
    assert.equal(result.observationId, 121);
    assert.equal(result.name, "SessionEnergy");
    assert.equal(result.value, 12.5);
  });

  it("2. the body's data type wins over the catalogue's", () => {
    const result = observation(decodeDelivery(signalR(120, 4, "7")));
    assert.equal(result.dataType, "Integer");
    assert.equal(result.value, 7);
  });

  it("3. PascalCase body with ChargerId/ObservationId and a data type name", () => {
    const result = observation(
      decodeDelivery(
        delivery("x", { ChargerId: "EHVZ2792", ObservationId: 102, DataType: "Boolean", Value: "True", Timestamp: "2026-11-25T10:00:00Z" }),
      ),
    );
    assert.equal(result.chargerId, "EHVZ2792");
    assert.equal(result.observationId, 102);
    assert.equal(result.name, "SmartCharging");
    assert.equal(result.dataType, "Boolean");
    assert.equal(result.value, true);
  });

  it("3. PascalCase body with Mid/Id and a numeric data type code as text", () => {
    const result = observation(decodeDelivery(delivery("", { Mid: "EHVZ2792", Id: 130, DataType: "4", Value: "-71" })));
    assert.equal(result.chargerId, "EHVZ2792");
    assert.equal(result.name, "CellRSSI");
    assert.equal(result.unit, "dBm");
    assert.equal(result.value, -71);
    assert.equal(result.timestamp, undefined);
  });

  it("3. a data type name in any case, and an unreadable one falls back to the catalogue", () => {
    assert.equal(observation(decodeDelivery(delivery("x", { mid: SERIAL, id: 120, dataType: "double", value: "1.5" }))).value, 1.5);
    const fallback = observation(decodeDelivery(delivery("x", { mid: SERIAL, id: 120, dataType: 99, value: "1.5" })));
    assert.equal(fallback.dataType, "Double");
    assert.equal(fallback.value, 1.5);
  });

  it("4. command response: serial, command id and ticks (as text) from the routing key", () => {
    const result = decodeDelivery(
      commandResponse(48, "638400000000000001", {
        Id: 48,
        Timestamp: "2026-11-25T10:00:00.1234567Z",
        DeliveredAt: "2026-11-25T10:00:01Z",
        WasAccepted: true,
        ResultCode: 0,
        Comment: "ok",
      }),
      RECEIVED_MS,
    );
    assert.deepEqual(result, {
      kind: "commandResponse",
      chargerId: SERIAL,
      commandId: 48,
      ticks: "638400000000000001",
      timestamp: "2026-11-25T10:00:00.123Z",
      deliveredAt: "2026-11-25T10:00:01.000Z",
      wasAccepted: true,
      resultCode: 0,
      comment: "ok",
      arrivalTime: ARRIVAL_ISO,
      routingKey: "EH123456.CR.48.638400000000000001",
    });
  });

  it("4. command response in camelCase, refused, with null fields left out", () => {
    const result = decodeDelivery(
      commandResponse(22, "1", { id: 22, timestamp: "2026-11-25T10:00:00Z", deliveredAt: null, wasAccepted: false, resultCode: null, comment: null }),
    ) as DecodedCommandResponse;
    assert.equal(result.kind, "commandResponse");
    assert.equal(result.commandId, 22);
    assert.equal(result.wasAccepted, false);
    assert.ok(!("deliveredAt" in result));
    assert.ok(!("resultCode" in result));
    assert.ok(!("comment" in result));
  });

  it("4. command response with WasAccepted as 1/\"True\" and an empty body id falls back to the routing key", () => {
    const a = decodeDelivery(commandResponse(1, "5", { WasAccepted: 1 })) as DecodedCommandResponse;
    assert.equal(a.kind, "commandResponse");
    assert.equal(a.commandId, 1);
    assert.equal(a.wasAccepted, true);
    const b = decodeDelivery(commandResponse(1, "5", { WasAccepted: "True" })) as DecodedCommandResponse;
    assert.equal(b.wasAccepted, true);
  });

  it("4. a command response that says so in its body (SignalR CommandResponse) under another routing key", () => {
    const result = decodeDelivery(
      delivery("responses", { SerialNumber: "EHVZ2792", ID: 48, Ticks: 638400000000000000, WasAccepted: true, ResultCode: 0, Comment: "" }),
    ) as DecodedCommandResponse;
    assert.equal(result.kind, "commandResponse");
    assert.equal(result.chargerId, "EHVZ2792");
    assert.equal(result.commandId, 48);
    assert.equal(result.ticks, "638400000000000000");
    assert.equal(result.comment, "");
  });

  it("4. a command response without WasAccepted is an error, not a guess", () => {
    assert.match(error(decodeDelivery(commandResponse(48, "1", { Id: 48 }))).reason, /WasAccepted/);
  });

  it("unknown ids decode as Observation<id>, known: false, with the type of the JSON value", () => {
    const result = decodeDelivery(masterloop(253, 17, "2026-11-25T10:00:00Z", "EH530097"), RECEIVED_MS);
    assert.deepEqual(result, {
      kind: "observation",
      chargerId: "EH530097",
      observationId: 253,
      name: "Observation253",
      known: false,
      description: "",
      dataType: "Integer",
      unit: null,
      category: null,
      value: 17,
      timestamp: "2026-11-25T10:00:00.000Z",
      arrivalTime: ARRIVAL_ISO,
      latencyMs: 35,
      routingKey: "EH530097.O.253",
      device: "charger",
    });
    assert.equal(observation(decodeDelivery(masterloop(900, 1.5))).dataType, "Double");
    assert.equal(observation(decodeDelivery(masterloop(900, false))).dataType, "Boolean");
    assert.equal(observation(decodeDelivery(masterloop(900, "x"))).dataType, "String");
    assert.equal(observation(decodeDelivery(signalR(900, 3, "2.5"))).value, 2.5);
  });

  it("results are plain JSON data (Node-RED can clone them)", () => {
    for (const raw of [masterloop(120, 7.2), signalR(129, 6, '{"id":1}'), masterloop(25, "59.9,10.7"), commandResponse(48, "1", { WasAccepted: true })]) {
      const result = decodeDelivery(raw, RECEIVED_MS);
      assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
    }
  });
});

describe("decodeDelivery: values by data type", () => {
  const booleans: readonly [unknown, boolean][] = [
    [true, true], [false, false], [1, true], [0, false], ["1", true], ["0", false],
    ["true", true], ["false", false], ["True", true], ["False", false], ["TRUE", true],
  ];
  for (const [input, expected] of booleans) {
    it(`Boolean ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(valueOf(decodeDelivery(masterloop(103, input))), expected);
    });
  }

  it("Boolean from the SignalR text forms", () => {
    assert.equal(valueOf(decodeDelivery(signalR(250, 2, "1"))), true);
    assert.equal(valueOf(decodeDelivery(signalR(250, 2, "False"))), false);
  });

  const numbers: readonly [number, unknown, number][] = [
    [120, "12.5", 12.5],
    [120, " 7.25 ", 7.25],
    [120, "1e3", 1000],
    [120, "-0.5", -0.5],
    [120, ".5", 0.5],
    [120, 11, 11],
    [109, "3", 3],
    [109, 3, 3],
    [130, "-71", -71],
    [104, "32.0", 32],
  ];
  for (const [id, input, expected] of numbers) {
    it(`number ${id} ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(valueOf(decodeDelivery(masterloop(id, input))), expected);
    });
  }

  it("String stays a string; numbers sent for a String observation become text", () => {
    assert.equal(valueOf(decodeDelivery(masterloop(118, "Overheating"))), "Overheating");
    assert.equal(valueOf(decodeDelivery(masterloop(82, 123))), "123");
    assert.equal(valueOf(decodeDelivery(masterloop(251, null))), null);
  });

  it("UserIDTokenReversed (108) is turned the right way round", () => {
    assert.equal(valueOf(decodeDelivery(masterloop(108, "DCBA4321"))), "1234ABCD");
    assert.equal(valueOf(decodeDelivery(signalR(108, 6, "90E8F7A6"))), "6A7F8E09");
    // UserIDToken (128) is sent the right way round already.
    assert.equal(valueOf(decodeDelivery(masterloop(128, "DCBA4321"))), "DCBA4321");
  });

  it("JSON carried as text becomes an object (62, 129, 223, 2, 65 and any other String)", () => {
    const schedule = { id: 1, chargeStartTime: "22:00", chargeStopTime: "06:00", repeat: true };
    assert.deepEqual(valueOf(decodeDelivery(masterloop(62, JSON.stringify(schedule)))), schedule);
    const session = { id: 51, sessionEnergy: 12.3, sessionStart: "2026-11-25T09:00:00Z" };
    assert.deepEqual(valueOf(decodeDelivery(signalR(129, 6, JSON.stringify(session)))), session);
    assert.deepEqual(valueOf(decodeDelivery(masterloop(223, ' {"auth":"abc"}'))), { auth: "abc" });
    assert.deepEqual(valueOf(decodeDelivery(masterloop(2, '{"tests":[{"name":"rcd","ok":true}]}'))), { tests: [{ name: "rcd", ok: true }] });
    assert.deepEqual(valueOf(decodeDelivery(masterloop(65, '{"serial":"QP123"}'))), { serial: "QP123" });
    assert.deepEqual(valueOf(decodeDelivery(masterloop(140, '[["home",-60]]'))), [["home", -60]]);
    assert.deepEqual(valueOf(decodeDelivery(signalR(901, 6, '{"x":1}'))), { x: 1 });
  });

  it("text that only looks like JSON stays text", () => {
    assert.equal(valueOf(decodeDelivery(masterloop(129, "{not json"))), "{not json");
    assert.equal(valueOf(decodeDelivery(masterloop(118, "[E12] relay"))), "[E12] relay");
    assert.equal(valueOf(decodeDelivery(masterloop(118, "null"))), "null");
    const deep = "[".repeat(40) + "]".repeat(40);
    assert.equal(valueOf(decodeDelivery(masterloop(129, deep))), deep);
  });

  it("Position text becomes {lat, lon} (plus alt/dop when sent)", () => {
    assert.deepEqual(valueOf(decodeDelivery(masterloop(25, "59.9139,10.7522"))), { lat: 59.9139, lon: 10.7522 });
    assert.deepEqual(valueOf(decodeDelivery(signalR(25, 5, "59.9139,10.7522,23.5"))), { lat: 59.9139, lon: 10.7522, alt: 23.5 });
    assert.deepEqual(valueOf(decodeDelivery(masterloop(25, "-33.9,18.4,10,1.2"))), { lat: -33.9, lon: 18.4, alt: 10, dop: 1.2 });
  });

  it("Position objects with Latitude/Longitude are read too", () => {
    assert.deepEqual(valueOf(decodeDelivery(masterloop(25, { Latitude: 59.9, Longitude: 10.7, Altitude: 5, DOP: 0.9 }))), {
      lat: 59.9,
      lon: 10.7,
      alt: 5,
      dop: 0.9,
    });
    assert.deepEqual(valueOf(decodeDelivery(masterloop(25, { latitude: "59.9", longitude: "10.7" }))), { lat: 59.9, lon: 10.7 });
    // An unknown id whose value is a position object is typed Position.
    const unknown = observation(decodeDelivery(masterloop(902, { Latitude: 1, Longitude: 2 })));
    assert.equal(unknown.dataType, "Position");
    assert.deepEqual(unknown.value, { lat: 1, lon: 2 });
  });

  it("Statistics text and objects become {count, mean, min, max, from, to, stddev, median}", () => {
    assert.deepEqual(valueOf(decodeDelivery(signalR(903, 7, "10,2.5,1,4,2026-11-25T09:00:00Z,2026-11-25T10:00:00Z,0.7,2.4"))), {
      count: 10,
      mean: 2.5,
      min: 1,
      max: 4,
      from: "2026-11-25T09:00:00.000Z",
      to: "2026-11-25T10:00:00.000Z",
      stddev: 0.7,
      median: 2.4,
    });
    assert.deepEqual(valueOf(decodeDelivery(signalR(903, 7, "3,1,1,1,,,,"))), {
      count: 3, mean: 1, min: 1, max: 1, from: null, to: null, stddev: null, median: null,
    });
    assert.deepEqual(
      valueOf(decodeDelivery(delivery("x", { mid: SERIAL, id: 903, dataType: 7, value: { Count: 2, Mean: 1.5, Minimum: 1, Maximum: 2 } }))),
      { count: 2, mean: 1.5, min: 1, max: 2, from: null, to: null, stddev: null, median: null },
    );
  });

  it("Binary (base64) stays a string", () => {
    assert.equal(valueOf(decodeDelivery(signalR(904, 1, "AAEC/w=="))), "AAEC/w==");
  });

  it("label only where there is a table entry", () => {
    assert.equal(observation(decodeDelivery(masterloop(109, 42))).label, undefined);
    assert.ok(!("label" in observation(decodeDelivery(masterloop(109, 42)))));
    assert.ok(!("label" in observation(decodeDelivery(masterloop(120, 3)))));
    assert.equal(observation(decodeDelivery(masterloop(89, 24))).label, "BOR, SoftwareReset");
    assert.equal(observation(decodeDelivery(signalR(100, 6, "C"))).label, "Charging");
    assert.equal(observation(decodeDelivery(masterloop(110, 30))).label, "3-phase (N+L1, N+L2, N+L3)");
  });
});

describe("decodeDelivery: times", () => {
  const timestamps: readonly [unknown, string | undefined][] = [
    ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T10:00:00.5Z", "2026-11-25T10:00:00.500Z"],
    ["2023-05-04T17:00:23.6305199Z", "2023-05-04T17:00:23.630Z"],
    ["2026-11-25T12:00:00+02:00", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T04:30:00-0530", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T10:00:00", "2026-11-25T10:00:00.000Z"], // no offset: UTC, as Masterloop means it
    ["2026-11-25 10:00:00Z", "2026-11-25T10:00:00.000Z"],
    ["/Date(1795600800000)/", "2026-11-25T10:00:00.000Z"],
    ["/Date(1795600800000+0100)/", "2026-11-25T10:00:00.000Z"],
    ["Wed, 25 Nov 2026 10:00:00 GMT", "2026-11-25T10:00:00.000Z"],
    [1795600800000, "2026-11-25T10:00:00.000Z"],
    [1795600800, "2026-11-25T10:00:00.000Z"],
    ["1795600800000", "2026-11-25T10:00:00.000Z"],
    ["2026-02-30T10:00:00Z", undefined],
    ["yesterday", undefined],
    ["", undefined],
    [null, undefined],
    [{}, undefined],
  ];
  for (const [input, expected] of timestamps) {
    it(`timestamp ${JSON.stringify(input)} → ${expected ?? "absent"}`, () => {
      const result = observation(decodeDelivery(delivery("EH1.O.120", { Timestamp: input, Value: 1 })));
      assert.equal(result.timestamp, expected);
      if (expected === undefined) assert.ok(!("timestamp" in result));
    });
  }

  const arrivals: readonly [string, unknown, string | undefined][] = [
    ["an ISO string", ARRIVAL_ISO, ARRIVAL_ISO],
    ["an ISO string with an offset", "2026-11-25T11:00:00.120+01:00", ARRIVAL_ISO],
    ["epoch milliseconds", ARRIVAL_MS, ARRIVAL_ISO],
    ["epoch seconds (as an AMQP timestamp decodes)", ARRIVAL_MS / 1000, ARRIVAL_ISO],
    ["whole epoch seconds", Math.floor(ARRIVAL_MS / 1000), "2026-11-25T10:00:00.000Z"],
    ["a Date", new Date(ARRIVAL_MS), ARRIVAL_ISO],
    ["an amqplib typed timestamp", { "!": "timestamp", value: Math.floor(ARRIVAL_MS / 1000) }, "2026-11-25T10:00:00.000Z"],
    ["a bigint of milliseconds", BigInt(ARRIVAL_MS), ARRIVAL_ISO],
    ["digits as text", String(ARRIVAL_MS), ARRIVAL_ISO],
    ["garbage", "soon", undefined],
    ["NaN", Number.NaN, undefined],
    ["null", null, undefined],
  ];
  for (const [what, header, expected] of arrivals) {
    it(`ArrivalTime as ${what}`, () => {
      const result = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }, { ArrivalTime: header }), ARRIVAL_MS + 1000));
      assert.equal(result.arrivalTime, expected);
      if (expected === undefined) {
        assert.ok(!("arrivalTime" in result) && !("latencyMs" in result));
      } else {
        assert.equal(result.latencyMs, ARRIVAL_MS + 1000 - Date.parse(expected));
      }
    });
  }

  it("finds the ArrivalTime header whatever its case", () => {
    for (const name of ["arrivaltime", "ARRIVALTIME", "arrivalTime"]) {
      const result = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }, { other: 1, [name]: ARRIVAL_ISO }), RECEIVED_MS));
      assert.equal(result.arrivalTime, ARRIVAL_ISO, name);
      assert.equal(result.latencyMs, 35);
    }
  });

  it("no headers, or no ArrivalTime: no arrivalTime and no latencyMs", () => {
    for (const headers of [null, {}, { x: "y" }]) {
      const result = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }, headers)));
      assert.ok(!("arrivalTime" in result) && !("latencyMs" in result));
    }
  });

  it("latencyMs is a rounded integer and stays negative when the clocks disagree", () => {
    const early = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }), ARRIVAL_MS - 250.6));
    assert.equal(early.latencyMs, -251);
    const late = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }), ARRIVAL_MS + 10.4));
    assert.equal(late.latencyMs, 10);
  });

  it("the receive time defaults to now", () => {
    const arrival = Date.now() - 500;
    const result = observation(decodeDelivery(delivery("EH1.O.120", { Value: 1 }, { ArrivalTime: arrival })));
    assert.ok(result.latencyMs !== undefined && result.latencyMs >= 500 && result.latencyMs < 5000, String(result.latencyMs));
  });
});
