import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { upsertUser } from './users.js'

export const DEMO_USERS = { clinician: 'demo-clinician', viewer: 'demo-viewer' } as const

/**
 * `pulsewire up`: a demo clinician and viewer with fresh random passwords at each start, the
 * passwords written to a 0600 file (never to the log), so a newcomer can sign in at once.
 */
export function enrolDemoUsers(usersFile: string, credentialsFile: string): void {
  const passwords: Record<string, string> = {}
  for (const [role, name] of Object.entries(DEMO_USERS)) {
    const password = randomBytes(12).toString('base64url')
    upsertUser(usersFile, name, role as keyof typeof DEMO_USERS, password)
    passwords[name] = password
  }
  mkdirSync(dirname(credentialsFile), { recursive: true })
  writeFileSync(credentialsFile, JSON.stringify(passwords, null, 2) + '\n', { mode: 0o600 })
}
