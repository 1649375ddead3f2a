/**
 * Commands to Easee chargers: the table (data), argument checking, wire encoding, response matching and the
 * rate guard. Pure: no Node-RED, no I/O (the config node's connection publishes, see core/amqp).
 */
export * from "./table";
export * from "./arguments";
export * from "./encode";
export * from "./pending";
export * from "./rate-guard";
export * from "./send-error";
