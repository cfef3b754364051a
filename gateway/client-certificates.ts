import { readFileSync } from 'node:fs'
import type { TLSSocket, TlsOptions } from 'node:tls'
import type { GatewayConfig } from './config.js'

type TlsConfig = NonNullable<GatewayConfig['mqtt']['tls']>

/**
 * The TLS server's options. With a client CA (`caFile`) a client certificate is asked for; node
 * then only records whether it verified (`rejectUnauthorized: false`) and `checkClientCertificate`
 * decides, so that "optional" can mean "none is fine, a bad one is not", and both refusals are
 * counted. Nothing of MQTT is read before that decision: it runs on `secureConnection`.
 */
export function tlsServerOptions(tls: TlsConfig): TlsOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.caFile ? { ca: readFileSync(tls.caFile), requestCert: true } : { requestCert: false }),
    rejectUnauthorized: false,
  }
}

export type CertificateVerdict =
  /** `deviceId`: the identity a verified certificate names ('' when it names none usable). */
  | { ok: true; deviceId?: string }
  | { ok: false; reason: 'bad_certificate' | 'certificate_required'; detail: string }

/**
 * mTLS identity: the subject CN of a certificate verified against `caFile` is the device id
 * (Azure IoT Hub's convention; one CN, checked by the broker against the client id and the
 * registry). A certificate that did not verify (another CA, expired) closes the connection even
 * when certificates are optional: a client that presents one means to use it.
 */
export function checkClientCertificate(socket: TLSSocket, tls: TlsConfig): CertificateVerdict {
  if (!tls.caFile) return { ok: true }
  const certificate = socket.getPeerCertificate()
  const presented = Object.keys(certificate).length > 0
  if (!presented) {
    return tls.requireClientCertificate
      ? { ok: false, reason: 'certificate_required', detail: 'no client certificate' }
      : { ok: true }
  }
  if (!socket.authorized) {
    const detail =
      socket.authorizationError instanceof Error
        ? socket.authorizationError.message
        : String(socket.authorizationError)
    return { ok: false, reason: 'bad_certificate', detail }
  }
  const cn: unknown = certificate.subject.CN
  // Several CNs (node gives an array) name no one device: '' never equals a client id.
  return { ok: true, deviceId: typeof cn === 'string' ? cn : '' }
}
