import { describe, expect, it } from 'vitest'
import { toAlertJson } from '../../../../processors/sinks/alert-json.js'
import { alertEvent } from '../../../helpers/alert-events.js'

describe('processors > sinks > alert json', () => {
  it('carries the audit trail of operator transitions and escalations to every sink', () => {
    const silenced = toAlertJson(
      alertEvent({
        transition: 'silenced',
        actor: 'nurse-17',
        commandId: 'c-1',
        reason: 'turning the patient',
        silencedUntilMs: Date.UTC(2026, 0, 1, 9, 2),
      }),
    )
    expect(silenced).toMatchObject({
      actor: 'nurse-17',
      commandId: 'c-1',
      reason: 'turning the patient',
      silencedUntilTs: '2026-01-01T09:02:00.000Z',
    })
    expect(toAlertJson(alertEvent({ transition: 'escalated', escalation: 1 })).escalation).toBe(1)
    // Transitions without them keep the earlier shape.
    const raised = toAlertJson(alertEvent({}))
    for (const key of ['commandId', 'reason', 'silencedUntilTs', 'silencedUntilMs', 'escalation'])
      expect(raised).not.toHaveProperty(key)
  })
})
