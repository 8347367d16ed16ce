// Private Go modules (issue 14): a module on a git host that demands the token (Debian's git
// http-backend behind scripts/e2e/git-server.mjs, HTTPS with the e2e CA) is fetched by the static
// template's own recipe when the step gives github-token; without it the build fails with git's
// own error. The builder base (e2e/golang:trixie) has git and trusts the e2e CA.
import type { ChildProcess } from 'node:child_process'
import { execFileSync, spawn } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { repoRoot, runAction } from './support/harness.js'
import { docker, e2e, requireEnvironment, secretLeaks, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const HOST = 'git.bdi.test'
const token = `ghs_${crypto.randomBytes(18).toString('hex')}`
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-git-'))
const requests = path.join(dir, 'requests.jsonl')
let server: ChildProcess | undefined

/** A bare repository holding the private module at v0.1.0. */
function privateRepo(): string {
  const work = path.join(dir, 'work')
  fs.mkdirSync(work)
  fs.writeFileSync(path.join(work, 'go.mod'), `module ${HOST}/vmafx/private\n\ngo 1.24\n`)
  fs.writeFileSync(path.join(work, 'private.go'), 'package private\n\n// Greeting proves the private module was fetched.\nfunc Greeting() string { return "hello from the private module" }\n')
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@bdi.test', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@bdi.test' }, stdio: 'ignore' })
  git('init', '-q', '-b', 'main')
  git('add', '.')
  git('commit', '-q', '-m', 'private module')
  git('tag', 'v0.1.0')
  const root = path.join(dir, 'repos')
  fs.mkdirSync(path.join(root, 'vmafx'), { recursive: true })
  execFileSync('git', ['clone', '-q', '--bare', work, path.join(root, 'vmafx', 'private')], { stdio: 'ignore' })
  return root
}

/** A server certificate for git.bdi.test from the e2e CA. */
function certificate(): { cert: string; key: string } {
  const ca = path.dirname(process.env.BDI_REGISTRY_CA ?? '')
  const f = (n: string) => path.join(dir, n)
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${HOST}\nextendedKeyUsage=serverAuth\n`)
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${HOST}`, '-keyout', f('tls.key'), '-out', f('tls.csr')], { stdio: 'ignore' })
  execFileSync('openssl', ['x509', '-req', '-in', f('tls.csr'), '-CA', path.join(ca, 'ca.crt'), '-CAkey', path.join(ca, 'ca.key'), '-CAcreateserial', '-CAserial', f('ca.srl'), '-days', '1', '-extfile', f('ext.cnf'), '-out', f('tls.crt')], { stdio: 'ignore' })
  return { cert: f('tls.crt'), key: f('tls.key') }
}

const program = {
  'go.mod': `module example.com/operator\n\ngo 1.24\n\nrequire ${HOST}/vmafx/private v0.1.0\n`,
  'main.go': `package main\n\nimport (\n\t"fmt"\n\n\t"${HOST}/vmafx/private"\n)\n\nfunc main() { fmt.Println(private.Greeting()) }\n`
}

const inputs = (image: string, extra: Record<string, string>) => ({
  image,
  dockerfile: 'static',
  platforms: 'linux/amd64',
  tags: 'edge',
  'build-args': `BUILDER_IMAGE=${R}/e2e/golang:trixie\nRUNTIME_IMAGE=${R}/e2e/static:nonroot\nGOPRIVATE=${HOST}\nGIT_HOST=${HOST}`,
  'allowed-bases': `${R}/e2e/*`,
  // The git host is on the runner's loopback, as a registry or proxy on the runner is.
  network: 'host',
  allow: 'network.host',
  'add-hosts': `${HOST}=127.0.0.1`,
  'no-cache-filters': 'build',
  'registry-username': e2e.user,
  'registry-password': e2e.password,
  sign: 'false',
  sbom: 'false',
  ...extra
})

describe.runIf(run)('private Go modules (issue 14)', () => {
  beforeAll(async () => {
    const root = privateRepo()
    const { cert, key } = certificate()
    server = spawn(process.execPath, [path.join(repoRoot, 'scripts/e2e/git-server.mjs'), '--listen', '127.0.0.1:443', '--root', root, '--cert', cert, '--key', key, '--token', token, '--log', requests], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      server?.stdout?.once('data', () => resolve())
      server?.once('exit', (code) => reject(new Error(`git server exited with ${code}`)))
    })
  })
  afterAll(() => {
    server?.kill('SIGTERM')
  })

  test('with github-token the template fetches the module from the token-guarded host; the token is nowhere after', async () => {
    const image = uniqueImage('private-mod')
    const r = await runAction(inputs(image, { 'github-token': token }), { workspace: workspace(program) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toContain(`private modules: git authenticates to ${HOST} with the GIT_AUTH_TOKEN secret; GOPRIVATE=${HOST}`)
    expect(docker(['run', '--rm', `${image}@${r.outputs.digest}`]).out.trim()).toBe('hello from the private module')
    // git came with the token; Go's discovery needed none.
    const seen = fs.readFileSync(requests, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; authorized?: boolean; goGet?: boolean })
    expect(seen.some((s) => s.goGet)).toBe(true)
    expect(seen.some((s) => s.path === '/vmafx/private/info/refs' && s.authorized)).toBe(true)
    expect(secretLeaks(r.log + r.summary + (r.outputs.metadata ?? ''), [token])).toEqual([])
  })

  test('without the token the build fails with git\'s own error, naming the host', async () => {
    const r = await runAction(inputs(uniqueImage('private-mod-none'), {}), { workspace: workspace(program) })
    expect(r.exitCode).not.toBe(0)
    // The step's error (what the run's annotation shows), not only somewhere in the log.
    const error = r.log.split('\n').find((l) => l.startsWith('::error::'))?.replace(/%0A/g, '\n') ?? ''
    expect(error, r.log).toContain(`could not read Username for 'https://${HOST}': terminal prompts disabled`)
  })
})
