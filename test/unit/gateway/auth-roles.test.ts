import { describe, expect, it } from 'vitest'
import { maySubscribe, routePublish } from '../../../gateway/auth.js'
import { createDeviceStore } from '../../../gateway/device-store/device-store.js'
import { parseDeviceStore } from '../../../gateway/device-store/device-store-file.js'
import { hashSecret } from '../../../gateway/device-store/secrets.js'

describe('gateway > auth > roles', () => {
  it('keeps a device (the default role) to its own topics', () => {
    expect(routePublish('bm-1', 'devices/bm-1/telemetry', 'device')).toBe('telemetry')
    expect(routePublish('bm-1', 'alerts/bm-1', 'device')).toBe('denied')
    expect(maySubscribe('bm-1', 'alerts/bm-1', 'device')).toBe(true)
    expect(maySubscribe('bm-1', 'alerts/+', 'device')).toBe(false)
  })

  it('lets an alert publisher publish alerts/{any device id} and nothing else', () => {
    expect(routePublish('sink', 'alerts/bm-1', 'alert-publisher')).toBe('alert')
    expect(routePublish('sink', 'alerts/ward3_pump.07', 'alert-publisher')).toBe('alert')
    for (const topic of [
      'alerts/+',
      'alerts/#',
      'alerts/bm-1/x',
      'alerts/',
      'alerts',
      'devices/sink/telemetry',
    ]) {
      expect(routePublish('sink', topic, 'alert-publisher'), topic).toBe('denied')
    }
  })

  it('refuses every subscription of an alert publisher', () => {
    for (const filter of ['alerts/+', 'alerts/bm-1', 'devices/sink/commands', 'alerts/sink']) {
      expect(maySubscribe('sink', filter, 'alert-publisher'), filter).toBe(false)
    }
  })

  it('lets an alert viewer subscribe to alerts/+ or one device, and publish nothing', () => {
    expect(maySubscribe('app', 'alerts/+', 'alert-viewer')).toBe(true)
    expect(maySubscribe('app', 'alerts/bm-7', 'alert-viewer')).toBe(true)
    for (const filter of ['alerts/#', '#', 'alerts/+/x', 'devices/+/telemetry', 'devices/app/commands']) {
      expect(maySubscribe('app', filter, 'alert-viewer'), filter).toBe(false)
    }
    for (const topic of ['alerts/bm-7', 'devices/app/telemetry', 'devices/app/status']) {
      expect(routePublish('app', topic, 'alert-viewer'), topic).toBe('denied')
    }
  })

  it('lets an alert operator subscribe as a viewer does and publish only alarm commands', () => {
    expect(routePublish('op', 'commands/alerts', 'alert-operator')).toBe('alert-command')
    expect(maySubscribe('op', 'alerts/+', 'alert-operator')).toBe(true)
    expect(maySubscribe('op', 'alerts/bm-7', 'alert-operator')).toBe(true)
    for (const topic of [
      'alerts/bm-7',
      'alerts/commands',
      'commands/alerts/x',
      'commands/+',
      'devices/op/telemetry',
    ])
      expect(routePublish('op', topic, 'alert-operator'), topic).toBe('denied')
    // Nobody may subscribe to the command topic: the broker delivers commands to no one.
    for (const role of ['device', 'alert-publisher', 'alert-viewer', 'alert-operator'] as const) {
      for (const filter of ['commands/alerts', 'commands/+', '#'])
        expect(maySubscribe('op', filter, role), `${role} ${filter}`).toBe(false)
    }
    // A viewer stays read-only: the command topic is not its to publish.
    expect(routePublish('app', 'commands/alerts', 'alert-viewer')).toBe('denied')
    expect(routePublish('bm-1', 'commands/alerts', 'device')).toBe('denied')
  })

  it('stores roles in the device store, reads files without roles as devices, and rotates without losing the role', () => {
    const store = createDeviceStore()
    store.add('bm-1', { type: 'bedside-monitor' })
    store.add('app', { role: 'alert-viewer' })
    store.add('sink', { role: 'device' })
    expect(store.lookup('bm-1')).toEqual({ type: 'bedside-monitor' })
    expect(store.lookup('app')).toEqual({ role: 'alert-viewer' })
    expect(store.toData().devices.sink?.role).toBeUndefined() // the default is not written
    store.add('app', { rotate: true })
    expect(store.lookup('app')).toEqual({ role: 'alert-viewer' })
    store.add('app', { rotate: true, role: 'device' })
    expect(store.lookup('app')).toEqual({})

    const old = parseDeviceStore(
      {
        version: 1,
        devices: { 'bm-9': { secretHash: hashSecret('s'), createdAt: '2025-01-01T00:00:00Z' } },
      },
      'test',
    )
    expect(createDeviceStore({ data: old }).lookup('bm-9')).toEqual({})
    expect(() =>
      parseDeviceStore({ version: 1, devices: { x: { ...old.devices['bm-9'], role: 'admin' } } }, 'test'),
    ).toThrow(/role/)
  })
})
