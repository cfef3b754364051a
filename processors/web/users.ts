import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'

export const ROLES = ['viewer', 'clinician'] as const
export type Role = (typeof ROLES)[number]

// scrypt N=2^14, r=8, p=1 (node's defaults, OWASP's floor) with a 16-byte salt per user.
const KEY_LENGTH = 32

export const userNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'user names are 1–64 of a-z 0-9 . _ - (no patient names)')

const userSchema = z.strictObject({
  name: userNameSchema,
  role: z.enum(ROLES),
  salt: z.string().min(1),
  hash: z.string().min(1),
})
export type User = z.output<typeof userSchema>
const usersFileSchema = z.strictObject({ v: z.literal(1), users: z.array(userSchema) })

export function hashPassword(
  password: string,
  salt = randomBytes(16).toString('base64'),
): { salt: string; hash: string } {
  return { salt, hash: scryptSync(password, salt, KEY_LENGTH).toString('base64') }
}

/** Constant-time comparison of the derived keys. */
export function verifyPassword(user: Pick<User, 'salt' | 'hash'>, password: string): boolean {
  const expected = Buffer.from(user.hash, 'base64')
  const actual = scryptSync(password, user.salt, KEY_LENGTH)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export function readUsers(file: string): User[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return usersFileSchema.parse(JSON.parse(text)).users
}

/** Adds or replaces a user (a new password gets a new salt); written atomically, mode 0600. */
export function upsertUser(file: string, name: string, role: Role, password: string): void {
  if (password.length < 8) throw new RangeError('password must be at least 8 characters')
  const users = readUsers(file).filter((u) => u.name !== name)
  users.push({ name: userNameSchema.parse(name), role, ...hashPassword(password) })
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  writeFileSync(tmp, JSON.stringify({ v: 1, users }, null, 2) + '\n', { mode: 0o600 })
  renameSync(tmp, file)
}
