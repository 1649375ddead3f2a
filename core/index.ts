/**
 * The package as a library, for projects other than Node-RED flows: the decoder (one AMQP delivery in, one
 * observation, command response or decode error out) and the observation catalogue. Pure: no Node-RED, no I/O.
 * The Easee cloud simulator is `node-red-contrib-easee-amqp/simulator`.
 */
export { decodeDelivery, MAX_BODY_BYTES, MAX_NESTING, PREVIEW_MAX_CHARS, previewOf } from "./decode";
export {
  findObservationById,
  findObservationByName,
  labelFor,
  OBSERVATIONS,
  phaseCountFor,
  VALUE_TABLES,
} from "./catalogue";
export type { ObservationDefinition, ValueTable, ValueTableName } from "./catalogue";
export type {
  DataTypeName,
  DecodedCommandResponse,
  DecodedDelivery,
  DecodedObservation,
  DecodeError,
  ObservationCategory,
  ObservationUnit,
  ObservationValue,
  RawDelivery,
} from "./types";
