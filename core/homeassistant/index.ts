/** Home Assistant MQTT discovery for Easee chargers: entity mapping, topics and payloads, and the stateful bridge. */
export * from "./bridge";
export * from "./controls";
export * from "./discovery";
export * from "./entities";
export * from "./names";
export * from "./selection";
