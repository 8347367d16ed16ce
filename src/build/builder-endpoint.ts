/**
 * A quick look at a remote BuildKit before `docker buildx create` is asked to reach it. buildx
 * itself waits about 20 s and then says only "context deadline exceeded", naming no input; this
 * says within seconds whether the address is unreachable, silent, or refuses the TLS handshake,
 * and which input to change.
 */
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { InputError } from '../lib/errors.js'

export interface EndpointTls {
  ca?: string
  cert?: string
  key?: string
}

/** How long a refusal of the client certificate may take to arrive after the handshake. */
const ALERT_WAIT_MS = 1500

/** Checks a `tcp://host:port` BuildKit address; other schemes are left to buildx. */
export async function probeBuilderEndpoint(endpoint: string, files: EndpointTls, timeoutMs = 10_000): Promise<void> {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(endpoint)
  if (!m) return
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '')
  const port = Number(m[2])
  const where = `${host}:${port}`
  const useTls = Boolean(files.ca || files.cert || files.key)
  await new Promise<void>((resolve, reject) => {
    let settled = false
    const done = (err?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve()
    }
    const timer = setTimeout(() => done(new InputError('builder-endpoint', `${where} did not answer within ${timeoutMs / 1000} s: check the address and that buildkitd listens there and is reachable from the runner`)), timeoutMs)
    const socket: net.Socket = useTls
      ? tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ca: files.ca ? fs.readFileSync(files.ca) : undefined,
          cert: files.cert ? fs.readFileSync(files.cert) : undefined,
          key: files.key ? fs.readFileSync(files.key) : undefined,
          ALPNProtocols: ['h2']
        })
      : net.connect({ host, port })
    socket.on('error', (err: NodeJS.ErrnoException) => done(classify(err, where, useTls)))
    // A server that refuses the client certificate says so with an alert after the handshake (TLS 1.3).
    // Reading is what surfaces it: the socket must flow.
    if (useTls) {
      socket.once('secureConnect', () => {
        socket.resume()
        socket.once('end', () => done(classify(Object.assign(new Error('the server closed the connection right after the handshake'), { code: 'ECONNRESET' }), where, true)))
        setTimeout(() => done(), ALERT_WAIT_MS)
      })
    }
    else socket.once('connect', () => done())
  })
}

function classify(err: NodeJS.ErrnoException, where: string, useTls: boolean): Error {
  const code = err.code ?? ''
  const said = `${code ? `${code}: ` : ''}${err.message}`
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) {
    return new InputError('builder-endpoint', `cannot reach ${where} (${said}): check the address and that buildkitd listens there`)
  }
  // An alert is the server's word (it refused what we sent); a verification code is ours.
  if (/ALERT/i.test(code) || /alert/i.test(err.message)) {
    return new InputError('builder-tls-cert', `the BuildKit at ${where} refused the TLS handshake, usually the client certificate: give one its CA signed, with builder-tls-key (${said})`)
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/i.test(code)) {
    return new InputError('builder-tls-ca', `the BuildKit at ${where} presented a certificate that builder-tls-ca does not trust, or that is not for this address (${said})`)
  }
  if (code === 'ECONNRESET' && useTls) {
    return new InputError('builder-tls-cert', `the BuildKit at ${where} closed the connection during the TLS handshake: does it expect a client certificate from another CA, or no TLS? (${said})`)
  }
  return new InputError('builder-endpoint', `${where}: ${said}`)
}
