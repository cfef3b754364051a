import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/*
 * Why salted SHA-256 and not scrypt/argon2: these secrets are 32 random bytes issued by the
 * device store, never chosen by a person, so there is no dictionary to grind through: 256 bits of
 * entropy cannot be brute-forced whatever the hash costs. A slow KDF only protects low-entropy
 * passwords, and its cost lands on the gateway at CONNECT: at ~50 ms per verify, a reconnect
 * storm of 10,000 devices (a gateway restart) would burn over 8 minutes of CPU. SHA-256 costs
 * about a microsecond. The salt keeps two devices' hashes distinct even if a secret repeated.
 */

export const SECRET_BYTES = 32
const SALT_BYTES = 16
const DIGEST_BYTES = 32
const SHA256_PREFIX = 'sha256'
const B64URL = /^[A-Za-z0-9_-]+$/

/** A new device secret: 32 random bytes, base64url (43 characters, safe in YAML, JSON and MQTT). */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url')
}

/** `sha256$<salt b64url>$<hash b64url>`, where hash = SHA-256(salt ‖ secret as UTF-8). */
export function hashSecret(secret: string | Buffer, salt: Buffer = randomBytes(SALT_BYTES)): string {
  return [SHA256_PREFIX, salt.toString('base64url'), digest(salt, secret).toString('base64url')].join('$')
}

/** True when `stored` is a hash this module can verify (used to validate device-store files). */
export function isSupportedSecretHash(stored: string): boolean {
  return parseSha256(stored) !== undefined
}

/**
 * Whether `presented` is the secret behind `stored`. Never throws: a malformed or unknown
 * stored format, or a missing password, is simply "no". The comparison is constant-time,
 * so response timing does not reveal how many leading bytes of the hash matched.
 */
export function verifySecret(stored: string, presented: string | Buffer | undefined): boolean {
  if (presented === undefined) return false
  const parsed = parseSha256(stored)
  if (!parsed) return false
  return timingSafeEqual(digest(parsed.salt, presented), parsed.hash)
}

function digest(salt: Buffer, secret: string | Buffer): Buffer {
  return createHash('sha256').update(salt).update(secret).digest()
}

function parseSha256(stored: unknown): { salt: Buffer; hash: Buffer } | undefined {
  if (typeof stored !== 'string') return undefined
  const parts = stored.split('$')
  if (parts.length !== 3 || parts[0] !== SHA256_PREFIX) return undefined
  const [, saltText = '', hashText = ''] = parts
  if (!B64URL.test(saltText) || !B64URL.test(hashText)) return undefined
  const salt = Buffer.from(saltText, 'base64url')
  const hash = Buffer.from(hashText, 'base64url')
  // timingSafeEqual throws on a length mismatch: a truncated hash is malformed, not a "no".
  if (salt.length === 0 || hash.length !== DIGEST_BYTES) return undefined
  return { salt, hash }
}
