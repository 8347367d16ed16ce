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
  'no-cache-filters': 'source',
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

  // Issue 34 part 4: a kubebuilder layout as `kubebuilder init` + `create api` leave it (cmd/main.go,
  // api/v1, internal/controller, config/manager/manager.yaml running /manager), importing the
  // private module, built with the static template for two platforms. Only its build args change:
  // GO_PACKAGE, BINARY, GO_TAGS; the version comes from `version` without being repeated.
  test('a kubebuilder layout releases through the template for amd64 and arm64, its binary where its manifest runs it, with the release version and the build tags', async () => {
    const layout = {
      'go.mod': `module example.com/memcached-operator\n\ngo 1.24\n\nrequire ${HOST}/vmafx/private v0.1.0\n`,
      'PROJECT': 'domain: example.com\nlayout:\n- go.kubebuilder.io/v4\nprojectName: memcached-operator\nrepo: example.com/memcached-operator\n',
      'api/v1/memcached_types.go': 'package v1\n\n// MemcachedSpec is the desired state.\ntype MemcachedSpec struct {\n\tSize int32 `json:"size,omitempty"`\n}\n\n// Memcached is the Schema for the memcacheds API.\ntype Memcached struct {\n\tSpec MemcachedSpec `json:"spec,omitempty"`\n}\n',
      'internal/controller/memcached_controller.go': `package controller\n\nimport (\n\t"fmt"\n\n\t"${HOST}/vmafx/private"\n\tv1 "example.com/memcached-operator/api/v1"\n)\n\n// Reconcile says what it would do for one object.\nfunc Reconcile(m v1.Memcached) string {\n\treturn fmt.Sprintf("reconcile size=%d tags=%s private=%q", m.Spec.Size, tag, private.Greeting())\n}\n`,
      'internal/controller/tag_default.go': '//go:build !e2etag\n\npackage controller\n\nconst tag = "none"\n',
      'internal/controller/tag_e2e.go': '//go:build e2etag\n\npackage controller\n\nconst tag = "e2etag"\n',
      'cmd/main.go': 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n\n\tv1 "example.com/memcached-operator/api/v1"\n\t"example.com/memcached-operator/internal/controller"\n)\n\nvar version = "unset"\n\nfunc main() {\n\texe, _ := os.Executable()\n\tfmt.Printf("manager %s %s/%s uid=%d exe=%s %s\\n", version, runtime.GOOS, runtime.GOARCH, os.Getuid(), exe, controller.Reconcile(v1.Memcached{Spec: v1.MemcachedSpec{Size: 3}}))\n}\n',
      'config/manager/manager.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: controller-manager\n  namespace: system\nspec:\n  template:\n    spec:\n      securityContext:\n        runAsNonRoot: true\n      containers:\n      - command:\n        - /manager\n        args:\n        - --leader-elect\n        image: controller:latest\n        name: manager\n'
    }
    const image = uniqueImage('kubebuilder')
    const base = inputs(image, { 'github-token': token })
    const r = await runAction(
      { ...base, platforms: 'linux/amd64,linux/arm64', tags: '', version: 'v0.3.0', 'build-args': `${base['build-args']}\nGO_PACKAGE=./cmd\nBINARY=/manager\nGO_TAGS=e2etag` },
      { workspace: workspace(layout) }
    )
    expect(r.exitCode, r.log).toBe(0)
    // The version reached the build once, from `version`.
    expect(r.log).toContain('--build-arg VERSION=0.3.0')
    expect(r.log).toContain('QEMU skipped: no RUN executes on the target platform')
    // Where the manifest runs the manager: the command it names, in each platform's image.
    const command = /command:\n\s+- (\S+)/.exec(layout['config/manager/manager.yaml'])?.[1] ?? ''
    expect(command).toBe('/manager')
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const out = docker(['run', '--rm', '--platform', platform, '--entrypoint', command, `${image}@${r.outputs.digest}`, '--leader-elect']).out.trim()
      expect(out).toBe(`manager 0.3.0 ${platform} uid=65532 exe=/manager reconcile size=3 tags=e2etag private="hello from the private module"`)
      // ENTRYPOINT /app still starts it (a link to /manager), as `docker run` and the smoke run do.
      expect(docker(['run', '--rm', '--platform', platform, `${image}@${r.outputs.digest}`]).out.trim()).toContain(`manager 0.3.0 ${platform}`)
    }
    expect(secretLeaks(r.log + r.summary + (r.outputs.metadata ?? ''), [token])).toEqual([])
  })
})
