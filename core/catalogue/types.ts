import type { DataTypeName, ObservationCategory, ObservationUnit } from "../types";

/** Names of the value tables the catalogue carries (protocol-notes section 4). */
export type ValueTableName =
  | "ChargerOpMode"
  | "OutputPhase"
  | "PowerGridType"
  | "ReasonForNoCurrent"
  | "LEDMode"
  | "RebootReason"
  | "PhaseMode"
  | "OfflineChargingMode"
  | "PilotMode"
  | "ChargerRAT"
  | "LocalNodeType"
  | "LocalConnection"
  | "LegacyEvStatus"
  | "TemperatureMonitorState";

export interface ValueTable {
  readonly name: ValueTableName;
  /** Label by raw value, keyed by the value as a string (`"3"`, or `"A"` for PilotMode). */
  readonly labels: Readonly<Record<string, string>>;
  /** OutputPhase only: number of phases by raw value. */
  readonly phaseCount?: Readonly<Record<string, number>>;
  /** RebootReason only: labels of bit positions, used when the value is not an exact entry of `labels`. */
  readonly bitFlags?: Readonly<Record<string, string>>;
}

export interface ObservationDefinition {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly dataType: DataTypeName;
  readonly unit: ObservationUnit | null;
  readonly category: ObservationCategory | null;
  readonly valueTable?: ValueTableName;
}
