// Type-level tests of the device-type table, checked by `npm run typecheck` (tsconfig includes
// test/): each @ts-expect-error below must stay an error, so if the table's completeness check
// ever stops biting, the unused directive fails the typecheck. Nothing here runs.
import {
  DEVICE_TYPE_TABLE,
  type DeviceType,
  type DeviceTypeNameOf,
  type DeviceTypeSpec,
  type KnownDeviceType,
  type WireDeviceTypeKey,
} from '../../core/telemetry/device-types.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Expect<T extends true> = T

/** The names are derived from the generated enum, not typed by hand (and are not just `string`). */
export type DerivedFromTheEnum = [
  Expect<Equal<DeviceTypeNameOf<'DEVICE_TYPE_BLOOD_GLUCOSE_METER'>, 'blood-glucose-meter'>>,
  Expect<Equal<string extends DeviceType ? true : false, false>>,
  Expect<'unspecified' | 'bedside-monitor' | 'vibration-sensor' extends DeviceType ? true : false>,
  Expect<Equal<KnownDeviceType, Exclude<DeviceType, 'unspecified'>>>,
]

/** What `npm run gen` produces after a new enum value: one more member name. */
type FutureKnownDeviceType = Exclude<
  DeviceTypeNameOf<WireDeviceTypeKey | 'DEVICE_TYPE_BLOOD_GLUCOSE_METER'>,
  'unspecified'
>

// A new enum value without a table row fails the typecheck.
// @ts-expect-error -- 'blood-glucose-meter' has no row
export const missingRow = DEVICE_TYPE_TABLE satisfies Record<FutureKnownDeviceType, DeviceTypeSpec>

const withoutWearable: Omit<typeof DEVICE_TYPE_TABLE, 'wearable'> = DEVICE_TYPE_TABLE
// @ts-expect-error -- a table that lost a row is incomplete
export const lostRow = withoutWearable satisfies Record<KnownDeviceType, DeviceTypeSpec>

export const extraRow = {
  ...DEVICE_TYPE_TABLE,
  // @ts-expect-error -- a row for a type the enum does not have
  toaster: { label: 'toaster', medical: false, channel: 'environment', idPrefix: 't-', reportIntervalMs: 1 },
} satisfies Record<KnownDeviceType, DeviceTypeSpec>

// @ts-expect-error -- a medical type cannot go to the environment channel
export const medicalOnEnvironment: DeviceTypeSpec = {
  label: 'x',
  medical: true,
  channel: 'environment',
  idPrefix: 'x-',
  reportIntervalMs: 1,
}

/** The real table is complete. */
export const complete = DEVICE_TYPE_TABLE satisfies Record<KnownDeviceType, DeviceTypeSpec>
