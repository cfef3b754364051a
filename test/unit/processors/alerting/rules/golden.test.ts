import { describe, expect, it } from 'vitest'
import { loadRuleFixtures, project, runFixture } from '../fixture-runner.js'

describe('processors > alerting > rules > golden fixtures', () => {
  const fixtures = loadRuleFixtures()

  it('finds the fixture cases', () => {
    expect(fixtures.length).toBeGreaterThan(0)
  })

  for (const fixture of fixtures) {
    it(fixture.name, () => {
      const events = runFixture(fixture)
      expect(project(events, fixture.expected)).toEqual(fixture.expected)
    })
  }
})
