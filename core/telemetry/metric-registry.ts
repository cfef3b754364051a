/**
 * Every metric Pulsewire knows: its wire enum, canonical UCUM unit, IEEE 11073-10101 (MDC)
 * code and LOINC code where one exists (domain.md §3), the channel family it travels on, and
 * the plausible measurement range (outside it a value is a sensor fault, not a reading).
 * One definition site for units and codes (conventions §3).
 */
export const METRIC_NAMES = [
  'heart_rate',
  'spo2',
  'pulse_rate',
  'respiration_rate',
  'nibp_systolic',
  'nibp_diastolic',
  'nibp_mean',
  'body_temperature',
  'infusion_rate',
  'infusion_state',
  'infusion_volume_infused',
  'infusion_pressure',
  'ambient_temperature',
  'relative_humidity',
  'barometric_pressure',
  'vibration_rms',
  'battery_level',
] as const
export type MetricName = (typeof METRIC_NAMES)[number]

export type MetricFamily = 'vitals' | 'environment' | 'device'

export interface MetricDefinition {
  name: MetricName
  /** Value of pulsewire.telemetry.v1.Metric on the wire. */
  wire: number
  family: MetricFamily
  ucum: string
  /** IEEE 11073-10101 context-free code; undefined where none is established. */
  mdc: number | undefined
  loinc: string | undefined
  /** Inclusive measurement range of real devices; outside it the gateway rejects the sample. */
  range: readonly [number, number]
  /** Device resolution: values are quantised to this step by simulated devices. */
  resolution: number
  label: string
}

const def = (d: MetricDefinition): MetricDefinition => d

export const METRICS: Readonly<Record<MetricName, MetricDefinition>> = {
  heart_rate: def({
    name: 'heart_rate',
    wire: 1,
    family: 'vitals',
    ucum: '/min',
    mdc: 147842,
    loinc: '8867-4',
    range: [0, 350],
    resolution: 1,
    label: 'Heart rate',
  }),
  spo2: def({
    name: 'spo2',
    wire: 2,
    family: 'vitals',
    ucum: '%',
    mdc: 150456,
    loinc: '59408-5',
    range: [0, 100],
    resolution: 1,
    label: 'SpO2',
  }),
  pulse_rate: def({
    name: 'pulse_rate',
    wire: 3,
    family: 'vitals',
    ucum: '/min',
    mdc: 149530,
    loinc: '8889-8',
    range: [0, 350],
    resolution: 1,
    label: 'Pulse rate (oximeter)',
  }),
  respiration_rate: def({
    name: 'respiration_rate',
    wire: 4,
    family: 'vitals',
    ucum: '/min',
    mdc: 151562,
    loinc: '9279-1',
    range: [0, 150],
    resolution: 1,
    label: 'Respiration rate',
  }),
  nibp_systolic: def({
    name: 'nibp_systolic',
    wire: 5,
    family: 'vitals',
    ucum: 'mm[Hg]',
    mdc: 150021,
    loinc: '8480-6',
    range: [0, 300],
    resolution: 1,
    label: 'NIBP systolic',
  }),
  nibp_diastolic: def({
    name: 'nibp_diastolic',
    wire: 6,
    family: 'vitals',
    ucum: 'mm[Hg]',
    mdc: 150022,
    loinc: '8462-4',
    range: [0, 300],
    resolution: 1,
    label: 'NIBP diastolic',
  }),
  nibp_mean: def({
    name: 'nibp_mean',
    wire: 7,
    family: 'vitals',
    ucum: 'mm[Hg]',
    mdc: 150023,
    loinc: '8478-0',
    range: [0, 300],
    resolution: 1,
    label: 'NIBP mean',
  }),
  body_temperature: def({
    name: 'body_temperature',
    wire: 8,
    family: 'vitals',
    ucum: 'Cel',
    mdc: 150364,
    loinc: '8310-5',
    range: [25, 45],
    resolution: 0.1,
    label: 'Body temperature',
  }),
  // MDC_FLOW_FLUID_PUMP 157784 is marked [verify] in domain.md; kept because no other code is established.
  infusion_rate: def({
    name: 'infusion_rate',
    wire: 20,
    family: 'vitals',
    ucum: 'mL/h',
    mdc: 157784,
    loinc: undefined,
    range: [0, 1200],
    resolution: 0.1,
    label: 'Infusion rate',
  }),
  infusion_state: def({
    name: 'infusion_state',
    wire: 21,
    family: 'vitals',
    ucum: '{state}',
    mdc: undefined,
    loinc: undefined,
    range: [0, 6],
    resolution: 1,
    label: 'Infusion pump state',
  }),
  infusion_volume_infused: def({
    name: 'infusion_volume_infused',
    wire: 22,
    family: 'vitals',
    ucum: 'mL',
    mdc: undefined,
    loinc: undefined,
    range: [0, 10_000],
    resolution: 0.1,
    label: 'Volume infused',
  }),
  infusion_pressure: def({
    name: 'infusion_pressure',
    wire: 23,
    family: 'vitals',
    ucum: 'mm[Hg]',
    mdc: undefined,
    loinc: undefined,
    range: [0, 1500],
    resolution: 1,
    label: 'Downstream pressure',
  }),
  // Plausibility limits from the Bosch BME280 reference part (domain.md §4).
  ambient_temperature: def({
    name: 'ambient_temperature',
    wire: 40,
    family: 'environment',
    ucum: 'Cel',
    mdc: undefined,
    loinc: undefined,
    range: [-40, 85],
    resolution: 0.01,
    label: 'Ambient temperature',
  }),
  relative_humidity: def({
    name: 'relative_humidity',
    wire: 41,
    family: 'environment',
    ucum: '%',
    mdc: undefined,
    loinc: undefined,
    range: [0, 100],
    resolution: 0.01,
    label: 'Relative humidity',
  }),
  barometric_pressure: def({
    name: 'barometric_pressure',
    wire: 42,
    family: 'environment',
    ucum: 'hPa',
    mdc: undefined,
    loinc: undefined,
    range: [300, 1100],
    resolution: 0.01,
    label: 'Barometric pressure',
  }),
  vibration_rms: def({
    name: 'vibration_rms',
    wire: 43,
    family: 'environment',
    ucum: 'mm/s',
    mdc: undefined,
    loinc: undefined,
    range: [0, 100],
    resolution: 0.01,
    label: 'Vibration velocity RMS',
  }),
  battery_level: def({
    name: 'battery_level',
    wire: 60,
    family: 'device',
    ucum: '%',
    mdc: undefined,
    loinc: undefined,
    range: [0, 100],
    resolution: 1,
    label: 'Battery level',
  }),
}

const BY_WIRE = new Map<number, MetricDefinition>(Object.values(METRICS).map((m) => [m.wire, m]))

export function metricByWire(wire: number): MetricDefinition | undefined {
  return BY_WIRE.get(wire)
}

/** Infusion pump states carried as the value of `infusion_state` (pulsewire.telemetry.v1.InfusionState). */
export const INFUSION_STATES = [
  'unspecified',
  'infusing',
  'paused',
  'stopped',
  'kvo',
  'bolus',
  'alarm',
] as const
export type InfusionState = (typeof INFUSION_STATES)[number]
