import { describe, expect, it } from 'vitest'
import { goCanBuildTelegraf } from '../../../../bench/peer/telegraf/install.js'

describe('unit > bench > peer > telegraf install: the Go that can build Telegraf 1.37.2', () => {
  it('takes a Go ≥ 1.21, which fetches the toolchain go.mod names', () => {
    expect(goCanBuildTelegraf('go version go1.26.8 linux/amd64')).toBe(true)
    expect(goCanBuildTelegraf('go version go1.21.0 linux/arm64')).toBe(true)
    expect(goCanBuildTelegraf('go version go1.25.5 linux/amd64')).toBe(true)
  })
  it("refuses Debian bookworm's 1.19 and output without a version", () => {
    expect(goCanBuildTelegraf('go version go1.19.8 linux/amd64')).toBe(false)
    expect(goCanBuildTelegraf('go version go1.9 linux/amd64')).toBe(false)
    expect(goCanBuildTelegraf('')).toBe(false)
  })
})
