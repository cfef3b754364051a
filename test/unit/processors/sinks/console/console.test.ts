import { describe, expect, it } from 'vitest'
import { formatAlertLine } from '../../../../../processors/sinks/console/console.js'
import { alertEvent } from '../../../../helpers/alert-events.js'

describe('processors > sinks > console', () => {
  it('writes one readable line per transition', () => {
    expect(formatAlertLine(alertEvent(), false)).toBe(
      '09:30:15  MEDIUM raised       bm-0001            spo2-low             SpO2 86 % < 90 % for 15 s',
    )
  })

  it('marks late transitions and names who acknowledged', () => {
    const line = formatAlertLine(
      alertEvent({ transition: 'acknowledged', actor: 'nurse-17', late: true }),
      false,
    )
    expect(line).toContain('acknowledged')
    expect(line.endsWith('[by nurse-17] (late)')).toBe(true)
  })

  it('colours by priority only when asked (on a terminal)', () => {
    const high = formatAlertLine(alertEvent({ priority: 'high' }), true)
    expect(high.startsWith('\x1b[1;31m') && high.endsWith('\x1b[0m')).toBe(true)
    expect(formatAlertLine(alertEvent({ priority: 'medium' }), true).startsWith('\x1b[33m')).toBe(true)
    expect(formatAlertLine(alertEvent({ priority: 'low' }), true).startsWith('\x1b[36m')).toBe(true)
    expect(formatAlertLine(alertEvent({ priority: 'high' }), false)).not.toContain('\x1b')
  })

  it('marks technical alarms apart from physiological ones (IEC 60601-1-8)', () => {
    const line = formatAlertLine(
      alertEvent({ kind: 'technical', message: 'alert sink pager failing' }),
      false,
    )
    expect(line).toContain(' TECHNICAL alert sink pager failing')
    expect(formatAlertLine(alertEvent(), false)).not.toContain('TECHNICAL')
  })
})
