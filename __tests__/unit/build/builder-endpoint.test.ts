// The remote BuildKit probe against real TLS servers on loopback, with certificates from two CAs
// made by openssl: each failure names the input to change, and comes within seconds.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { probeBuilderEndpoint } from '../../../src/build/builder-endpoint.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'endpoint-'))
const f = (name: string) => path.join(dir, name)
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })

function ca(name: string): void {
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`)
}
function issue(caName: string, name: string, ext: string): void {
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`)
  fs.writeFileSync(f(`${name}.ext`), ext)
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`)
}

const servers: net.Server[] = []
async function listen(server: net.Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

let mtls: number
let silent: number
let closed: number
beforeAll(async () => {
  ca('ca')
  ca('other-ca')
  issue('ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  issue('ca', 'client', 'extendedKeyUsage=clientAuth\n')
  issue('other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n')
  // As buildkitd --tlscacert: client certificates from this CA only.
  const server = tls.createServer({ key: fs.readFileSync(f('server.key')), cert: fs.readFileSync(f('server.crt')), ca: fs.readFileSync(f('ca.crt')), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, (s) => s.on('error', () => undefined))
  server.on('tlsClientError', () => undefined)
  mtls = await listen(server)
  silent = await listen(net.createServer(() => undefined))
  // A port that was open a moment ago: nothing listens there now.
  const gone = net.createServer()
  closed = await new Promise<number>((resolve) => gone.listen(0, '127.0.0.1', () => resolve((gone.address() as net.AddressInfo).port)))
  await new Promise((resolve) => gone.close(resolve))
})
afterAll(() => {
  for (const s of servers) s.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('probeBuilderEndpoint', () => {
  test('passes with the CA and a client certificate it signed', async () => {
    await expect(probeBuilderEndpoint(`tcp://127.0.0.1:${mtls}`, { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') })).resolves.toBeUndefined()
  })

  test.each<[string, () => string, () => { ca?: string; cert?: string; key?: string }, RegExp]>([
    ['a client certificate from another CA', () => `tcp://127.0.0.1:${mtls}`, () => ({ ca: f('ca.crt'), cert: f('stranger.crt'), key: f('stranger.key') }), /^Input `builder-tls-cert`: the BuildKit at 127\.0\.0\.1:\d+ (refused the TLS handshake|closed the connection during the TLS handshake)/],
    ['no client certificate', () => `tcp://127.0.0.1:${mtls}`, () => ({ ca: f('ca.crt') }), /^Input `builder-tls-cert`: /],
    ['a CA that did not sign the server', () => `tcp://127.0.0.1:${mtls}`, () => ({ ca: f('other-ca.crt'), cert: f('client.crt'), key: f('client.key') }), /^Input `builder-tls-ca`: the BuildKit at 127\.0\.0\.1:\d+ presented a certificate that builder-tls-ca does not trust/],
    ['nothing listening', () => `tcp://127.0.0.1:${closed}`, () => ({}), /^Input `builder-endpoint`: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED/]
  ])('%s fails naming the input', async (_name, endpoint, files, message) => {
    const started = Date.now()
    await expect(probeBuilderEndpoint(endpoint(), files())).rejects.toThrow(message)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('a server that never answers the handshake times out, naming builder-endpoint', async () => {
    await expect(probeBuilderEndpoint(`tcp://127.0.0.1:${silent}`, { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') }, 300)).rejects.toThrow(/^Input `builder-endpoint`: 127\.0\.0\.1:\d+ did not answer within 0\.3 s/)
  })

  test.each(['unix:///run/buildkit/buildkitd.sock', 'kubernetes', 'ssh://user@host'])('%s is left to buildx', async (endpoint) => {
    await expect(probeBuilderEndpoint(endpoint, {})).resolves.toBeUndefined()
  })
})
