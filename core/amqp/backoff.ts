/**
 * Moved to core/timing/backoff.ts: backoff and clocks belong to neither the AMQP nor the Easee API side, and importing
 * them from here made core/easee-api and core/amqp import each other. This re-export keeps code written against the
 * old path compiling; new code imports core/timing/backoff.
 */
export * from "../timing/backoff";
