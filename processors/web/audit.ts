import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export interface AuditEntry {
  atMs: number
  user: string
  action: 'login' | 'logout' | 'login-failed' | 'login-locked' | 'acknowledge' | 'silence' | 'reset'
  alertId?: string
  commandId?: string
  reason?: string
  outcome: 'ok' | 'refused' | 'failed'
}

/** The audit trail: appended (synchronously, so an answered request is on disk) and the latest kept. */
export function createAuditLog(file: string, keep: number) {
  mkdirSync(dirname(file), { recursive: true })
  const recent: AuditEntry[] = []
  return {
    append(entry: AuditEntry): void {
      appendFileSync(file, JSON.stringify(entry) + '\n', { mode: 0o600 })
      recent.push(entry)
      if (recent.length > keep) recent.shift()
    },
    recent: (): readonly AuditEntry[] => recent,
  }
}
export type AuditLog = ReturnType<typeof createAuditLog>
