/**
 * Names Home Assistant sees: object ids and unique ids (stable, derived only from the serial and the catalogue
 * name, so they survive restarts and redeploys), friendly entity names, and safe MQTT topic levels.
 */

/** Splits a catalogue name into words, keeping acronyms whole: `WiFiRSSI` → [WiFi, RSSI], `InCurrent_T2` → [In, Current, T2]. */
function words(name: string): string[] {
  return (
    name
      // "WiFi" is one word to a reader; without this it would split into "Wi" + "Fi".
      .replace(/WiFi/g, "Wifi ")
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(/[^A-Za-z0-9]+/)
      .filter((word) => word.length > 0)
  );
}

/** `TotalPower` → `total_power`; `InVolt_T1_T2` → `in_volt_t1_t2`; `WiFiRSSI` → `wifi_rssi`. */
export function snakeCase(name: string): string {
  return words(name)
    .map((word) => word.toLowerCase())
    .join("_");
}

/** `TotalPower` → `Total power`; `CellRSSI` → `Cell RSSI`; `LEDMode` → `LED mode`. */
export function friendlyName(name: string): string {
  return words(name)
    .map((word, index) => {
      if (word === "Wifi") return "WiFi";
      if (index === 0) return word.charAt(0).toUpperCase() + word.slice(1);
      // Acronyms and labels with digits (RSSI, T2, P1) keep their case; ordinary words go lower case.
      return /^[A-Z0-9]+$/.test(word) || /\d/.test(word) ? word : word.toLowerCase();
    })
    .join(" ");
}

/**
 * Home Assistant accepts only `[a-zA-Z0-9_-]` in the node id and object id levels of a discovery topic;
 * MQTT forbids `+`, `#` and `/` inside a level. Serials are plain (`EH123456`), so this only guards odd input.
 */
export function topicLevel(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, "_");
  return cleaned.length > 0 ? cleaned : "_";
}

/** `easee_eh123456_total_power`: the entity's unique id (and, prefixed with the component, its default entity id). */
export function uniqueId(chargerId: string, observationName: string): string {
  return `easee_${topicLevel(chargerId).toLowerCase()}_${snakeCase(observationName)}`;
}
