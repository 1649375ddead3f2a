export * from "./chargers";
export * from "./max-age";
export * from "./msg";
export * from "./pipeline";
export * from "./presence";
export * from "./rate-meter";
export * from "./snapshot-cache";
export * from "./topic";
