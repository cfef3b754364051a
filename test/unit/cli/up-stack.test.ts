import { describe, expect, it } from 'vitest'
import { localStackComponent } from '../../../cli/commands/up-stack.js'
import type { StackServer } from '../../../deploy/local/stack.js'

function fake(started: StackServer[]): { lines: string[]; downs: Array<readonly StackServer[]> } & {
  component: ReturnType<typeof localStackComponent>
} {
  const lines: string[] = []
  const downs: Array<readonly StackServer[]> = []
  const component = localStackComponent({
    up: () => Promise.resolve({ started }),
    down: (only) => {
      downs.push(only)
      return Promise.resolve()
    },
    say: (line) => lines.push(line),
  })
  return { lines, downs, component }
}

describe('cli > up > local stack', () => {
  it('stops the stack it started itself', async () => {
    const { component, downs, lines } = fake(['kafka', 'influxdb'])
    await component.start()
    await component.stop()
    expect(downs).toEqual([['kafka', 'influxdb']])
    expect(lines).toEqual([])
  })

  it('leaves a stack that was running before it running', async () => {
    const { component, downs, lines } = fake([])
    await component.start()
    await component.stop()
    expect(downs).toEqual([])
    expect(lines).toEqual(['stack     kafka and influxdb left running (running before pulsewire up)'])
  })

  it('stops only the server it had to start', async () => {
    const { component, downs, lines } = fake(['influxdb'])
    await component.start()
    await component.stop()
    await component.stop() // idempotent
    expect(downs).toEqual([['influxdb']])
    expect(lines[0]).toBe('stack     kafka left running (running before pulsewire up)')
  })
})
