import assert from "node:assert/strict";
import { englishRuleError } from "../helpers/english";
import {
  ChangeTracker,
  compileFilter,
  flag,
  observationIdOf,
  chargerIdOf,
  parseIdList,
  passesChargers,
  routeObservation,
  valueSignature,
  type CompiledFilter,
  type ObservationNameLookup,
} from "../../core/routing";
import { catalogueNameLookup, editorCatalogue } from "../../core/routing/catalogue";
import { fillText } from "../../nodes/shared/i18n";
import { lookup as lookupKey, readCatalogue } from "../helpers/flows";

/** A small stand-in for the catalogue, so these tests pin the parser, not the catalogue's contents. */
const NAMES: Record<string, number> = { chargeropmode: 109, totalpower: 120, sessionenergy: 121, reasonfornocurrent: 96 };
const SPELLING: Record<number, string> = { 109: "ChargerOpMode", 120: "TotalPower", 121: "SessionEnergy", 96: "ReasonForNoCurrent" };
const lookup: ObservationNameLookup = (name) => {
  const id = NAMES[name.toLowerCase()];
  return id === undefined ? undefined : { id, name: SPELLING[id] ?? name };
};

function selector(text: string) {
  const result = parseIdList(text, lookup);
  if (!result.ok) throw new Error(englishRuleError(result.error));
  return result.selector;
}

function compiled(options: Parameters<typeof compileFilter>[0]): CompiledFilter {
  const result = compileFilter(options, lookup);
  if (!result.ok) throw new Error(result.problems.map((problem) => `${problem.kind} ${problem.token}`).join("; "));
  return result.filter;
}

describe("routing: rule text", () => {
  it("reads ids", () => {
    const s = selector("120, 121");
    assert.equal(s.matches(120), true);
    assert.equal(s.matches(121), true);
    assert.equal(s.matches(122), false);
    assert.equal(s.text, "120, 121");
  });

  it("reads ranges, inclusive, with or without spaces", () => {
    const s = selector("182-185, 190 - 191");
    for (const id of [182, 183, 185, 190, 191]) assert.equal(s.matches(id), true, String(id));
    for (const id of [181, 186, 189, 192]) assert.equal(s.matches(id), false, String(id));
    assert.equal(s.text, "182-185, 190-191");
  });

  it("reads names case-insensitively and normalises their spelling", () => {
    const s = selector("chargeropmode, 96");
    assert.equal(s.matches(109), true);
    assert.equal(s.matches(96), true);
    assert.equal(s.text, "ChargerOpMode, 96");
    assert.equal(selector("TOTALPOWER").matches(120), true);
  });

  it("reads Observation<id>, the name unknown ids decode to", () => {
    assert.equal(selector("Observation157").matches(157), true);
    assert.equal(selector("observation157").text, "Observation157");
  });

  it("forgives a missing comma between words that each read", () => {
    const s = selector("120 121 TotalPower");
    assert.equal(s.matches(121), true);
    assert.equal(s.text, "120, 121, TotalPower");
  });

  it("ignores empty entries; an empty rule matches nothing", () => {
    assert.equal(selector("120,,").text, "120");
    const empty = selector("");
    assert.equal(empty.empty, true);
    assert.equal(empty.matches(120), false);
    assert.equal(selector(" , ").empty, true);
  });

  it("accepts a bare number as the rule (hand-written flows)", () => {
    const result = parseIdList(120, lookup);
    assert.equal(result.ok && result.selector.matches(120), true);
  });

  const bad: [string, string, string, RegExp][] = [
    ["FooBar", "unknownName", "FooBar", /"FooBar" is not an observation name in the catalogue/],
    ["120, ChargerOpMod", "unknownName", "ChargerOpMod", /ChargerOpMod/],
    ["12a", "badToken", "12a", /not an observation id \(120\), a range \(182-185\) or a name/],
    ["-5", "badToken", "-5", /"-5"/],
    ["1-2-3", "badToken", "1-2-3", /"1-2-3"/],
    ["120; 121", "badToken", "120;", /"120;"/],
    ["185-182", "backwardsRange", "185-182", /runs backwards: write 182-185/],
    ["99999999999", "tooLarge", "99999999999", /too large/],
    ["1-99999999999", "tooLarge", "1-99999999999", /too large/],
    ["TotalPower xyz!", "badToken", "xyz!", /"xyz!"/],
    ["Foo Bar", "unknownName", "Foo Bar", /"Foo Bar"/],
  ];
  for (const [text, kind, token, message] of bad) {
    it(`rejects ${JSON.stringify(text)} as ${kind}`, () => {
      const result = parseIdList(text, lookup);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.kind, kind);
      assert.equal(result.error.token, token);
      assert.match(englishRuleError(result.error), message);
    });
  }
});

describe("routing: rule set", () => {
  it("defaults: one empty rule, checkall, no otherwise", () => {
    const filter = compiled({});
    assert.equal(filter.selectors.length, 1);
    assert.equal(filter.checkall, true);
    assert.equal(filter.otherwise, false);
    assert.equal(filter.outputs, 1);
  });

  it("counts outputs as rules plus one for otherwise", () => {
    assert.equal(compiled({ rules: [{ ids: "1" }, { ids: "2" }], otherwise: true }).outputs, 3);
  });

  it("reports every invalid rule with its index, kind and the placeholders of its text", () => {
    const result = compileFilter({ rules: [{ ids: "120" }, { ids: "Nope" }, { ids: "x!" }, { ids: "185-182" }] }, lookup);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map(({ rule, kind, token, params }) => ({ rule, kind, token, params })),
      [
        { rule: 1, kind: "unknownName", token: "Nope", params: { token: "Nope" } },
        { rule: 2, kind: "badToken", token: "x!", params: { token: "x!" } },
        { rule: 3, kind: "backwardsRange", token: "185-182", params: { token: "185-182", fixed: "182-185" } },
      ],
    );
  });

  it("reports rules in a shape the editor never writes first: not a list, or ids that are not text", () => {
    const notAList = compileFilter({ rules: "120" }, lookup);
    assert.ok(!notAList.ok);
    assert.deepEqual(notAList.problems.map(({ rule, kind }) => ({ rule, kind })), [{ rule: 0, kind: "noRules" }]);
    const objectIds = compileFilter({ rules: [{ ids: "Nope" }, { ids: { a: 1 } }, { ids: ["120"] }, true] }, lookup);
    assert.ok(!objectIds.ok);
    assert.deepEqual(
      objectIds.problems.map(({ rule, kind, token }) => ({ rule, kind, token })),
      [
        { rule: 1, kind: "badToken", token: '{"a":1}' },
        { rule: 2, kind: "badToken", token: '["120"]' },
        { rule: 3, kind: "badToken", token: "true" },
        { rule: 0, kind: "unknownName", token: "Nope" },
      ],
    );
  });

  it("lists every problem of every invalid rule, not only the first", () => {
    const result = compileFilter({ rules: [{ ids: "TotalPowr, 300-200, 120" }, { ids: "121" }, { ids: "x!" }] }, lookup);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.rule, p.kind, p.token]),
      [
        [0, "unknownName", "TotalPowr"],
        [0, "backwardsRange", "300-200"],
        [2, "badToken", "x!"],
      ],
    );
  });

  it("chargers: empty passes every charger; a list passes only its serials (any case), before the rules", () => {
    const all = compiled({ rules: [{ ids: "120" }] });
    assert.equal(passesChargers(all, "EH000001"), true);
    assert.equal(passesChargers(all, undefined), true);
    const one = compiled({ rules: [{ ids: "120" }], otherwise: true, chargers: "eh123456, EH654321" });
    assert.deepEqual(one.chargers.serials, ["EH123456", "EH654321"]);
    assert.equal(passesChargers(one, "EH123456"), true);
    assert.equal(passesChargers(one, "EH654321"), true);
    assert.equal(passesChargers(one, "EH000001"), false);
    assert.equal(passesChargers(one, undefined), false);
    // Not a charger setting the rules know of: the outputs stay rules + otherwise.
    assert.equal(one.outputs, 2);
  });

  it("checkall sends to every matching rule", () => {
    const filter = compiled({ rules: [{ ids: "120" }, { ids: "100-130" }, { ids: "121" }], checkall: true });
    assert.deepEqual(routeObservation(filter, 120), [0, 1]);
    assert.deepEqual(routeObservation(filter, 121), [1, 2]);
  });

  it("checkall false stops at the first match", () => {
    const filter = compiled({ rules: [{ ids: "120" }, { ids: "100-130" }], checkall: "false" });
    assert.deepEqual(routeObservation(filter, 120), [0]);
    assert.deepEqual(routeObservation(filter, 121), [1]);
  });

  it("otherwise takes what no rule matches, and only that", () => {
    const filter = compiled({ rules: [{ ids: "120" }, { ids: "121" }], otherwise: true });
    assert.deepEqual(routeObservation(filter, 120), [0]);
    assert.deepEqual(routeObservation(filter, 109), [2]);
    assert.deepEqual(routeObservation(filter, undefined), [2]);
  });

  it("without otherwise an unmatched msg goes nowhere", () => {
    const filter = compiled({ rules: [{ ids: "120" }] });
    assert.deepEqual(routeObservation(filter, 109), []);
    assert.deepEqual(routeObservation(filter, undefined), []);
  });

  it("flag reads booleans and the strings Node-RED flows use", () => {
    assert.equal(flag("true", false), true);
    assert.equal(flag("false", true), false);
    assert.equal(flag(undefined, true), true);
    assert.equal(flag("yes", false), false);
  });

  it("reads msg.easee.observationId and chargerId defensively", () => {
    assert.equal(observationIdOf({ easee: { observationId: 120 } }), 120);
    assert.equal(observationIdOf({ easee: { observationId: " 121 " } }), 121);
    assert.equal(observationIdOf({ easee: { observationId: 1.5 } }), undefined);
    assert.equal(observationIdOf({ easee: null }), undefined);
    assert.equal(observationIdOf({ payload: 1 }), undefined);
    assert.equal(observationIdOf(null), undefined);
    assert.equal(chargerIdOf({ easee: { chargerId: "EH1" } }), "EH1");
    assert.equal(chargerIdOf({ easee: { chargerId: 5 } }), undefined);
  });
});

describe("routing: only on change", () => {
  it("passes the first value and every change, per (charger, observation)", () => {
    const tracker = new ChangeTracker();
    assert.equal(tracker.changed("EH1", 120, 1), true);
    assert.equal(tracker.changed("EH1", 120, 1), false);
    assert.equal(tracker.changed("EH2", 120, 1), true);
    assert.equal(tracker.changed("EH1", 121, 1), true);
    assert.equal(tracker.changed("EH1", 120, 2), true);
    assert.equal(tracker.changed("EH1", 120, 1), true);
  });

  it("tells 1, \"1\" and true apart, and compares objects by content", () => {
    const tracker = new ChangeTracker();
    assert.equal(tracker.changed("EH1", 1, 1), true);
    assert.equal(tracker.changed("EH1", 1, "1"), true);
    assert.equal(tracker.changed("EH1", 1, true), true);
    assert.equal(tracker.changed("EH1", 2, { lat: 1, lon: 2 }), true);
    assert.equal(tracker.changed("EH1", 2, { lat: 1, lon: 2 }), false);
    assert.equal(tracker.changed("EH1", 2, { lat: 1, lon: 3 }), true);
    assert.notEqual(valueSignature(null), valueSignature("null"));
  });

  it("is bounded: a forgotten pair counts as changed", () => {
    const tracker = new ChangeTracker(2);
    tracker.changed("EH1", 1, 1);
    tracker.changed("EH1", 2, 1);
    tracker.changed("EH1", 3, 1); // forgets pair 1
    assert.equal(tracker.size, 2);
    assert.equal(tracker.changed("EH1", 1, 1), true);
    assert.equal(tracker.changed("EH1", 3, 1), false);
  });

  it("an unserialisable value always passes instead of throwing", () => {
    const tracker = new ChangeTracker();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(tracker.changed("EH1", 1, circular), true);
    assert.equal(tracker.changed("EH1", 1, circular), true);
  });
});

describe("routing: with the real catalogue", () => {
  it("resolves the names users type most", () => {
    const result = parseIdList("ChargerOpMode, totalpower, SESSIONENERGY, LifetimeEnergy, OutputPhase, 182-185", catalogueNameLookup);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    for (const id of [109, 120, 121, 124, 110, 182, 185]) assert.equal(result.selector.matches(id), true, String(id));
    assert.equal(result.selector.text, "ChargerOpMode, TotalPower, SessionEnergy, LifetimeEnergy, OutputPhase, 182-185");
  });

  it("rejects a name that is not in the catalogue", () => {
    const result = parseIdList("ChargerOpModes", catalogueNameLookup);
    assert.equal(result.ok, false);
  });

  it("gives the editor every observation with id, name, unit, data type and description, sorted by id", () => {
    const entries = editorCatalogue();
    assert.ok(entries.length >= 48);
    assert.deepEqual(
      entries.map((e) => e.id),
      [...entries.map((e) => e.id)].sort((a, b) => a - b),
    );
    const totalPower = entries.find((e) => e.id === 120);
    assert.deepEqual({ ...totalPower, description: undefined }, { id: 120, name: "TotalPower", unit: "kW", dataType: "Double", description: undefined });
    assert.equal(JSON.parse(JSON.stringify(entries)).length, entries.length);
  });
});

describe("routing: runtime texts", () => {
  it("the catalogue's rule errors say what the parser says", () => {
    const catalogue = readCatalogue("easee-filter");
    const cases: [string, Record<string, string>][] = [
      ["Nope", { token: "Nope" }],
      ["12a", { token: "12a" }],
      ["99999999999", { token: "99999999999" }],
    ];
    for (const [text, params] of cases) {
      const result = parseIdList(text, lookup);
      assert.equal(result.ok, false);
      if (result.ok) continue;
      assert.equal(englishRuleError(result.error), fillText(String(lookupKey(catalogue, `easee-filter.errors.${result.error.kind}`)), params));
    }
    assert.equal(englishRuleError({ kind: "backwardsRange", token: "185-182" }), 'range "185-182" runs backwards: write 182-185');
  });
});
