// Registry login into the action's own docker config; post's cleanup; the state between them.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type * as Exec from '../../../src/lib/exec.js'
import type { RunOptions } from '../../../src/lib/exec.js'

const calls: Array<{ file: string; args: string[]; opts: RunOptions }> = []
let fail: string | undefined
vi.mock('../../../src/lib/exec.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Exec>()
  return {
    ...actual,
    run: vi.fn((file: string, args: string[], opts: RunOptions = {}) => {
      calls.push({ file, args, opts })
      if (fail && !opts.allowFailure) return Promise.reject(new actual.CommandError('docker login', 1, fail, ''))
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' })
    })
  }
})
const state: Record<string, string> = {}
vi.mock('@actions/core', () => ({
  info: vi.fn(),
  notice: vi.fn(),
  warning: vi.fn(),
  group: vi.fn((_n: string, fn: () => Promise<unknown>) => fn()),
  saveState: vi.fn((k: string, v: string) => (state[k] = v)),
  getState: vi.fn((k: string) => state[k] ?? '')
}))

const { createDockerConfig, login, logout } = await import('../../../src/registry/login.js')
const { post } = await import('../../../src/post.js')
const stateModule = await import('../../../src/lib/post-state.js')

beforeEach(() => {
  calls.length = 0
  fail = undefined
  for (const k of Object.keys(state)) delete state[k]
})

describe('createDockerConfig', () => {
  test('a private 0700 dir without the credential store or the registry\'s credentials; other registries and builders stay', () => {
    const user = fs.mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
    fs.mkdirSync(path.join(user, 'buildx'))
    fs.writeFileSync(path.join(user, 'config.json'), JSON.stringify({ credsStore: 'desktop', credHelpers: { 'ghcr.io': 'gh', 'quay.io': 'quay' }, auths: { 'ghcr.io': { auth: 'old' }, 'quay.io': { auth: 'keep' } } }))
    const dir = createDockerConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-')), 'ghcr.io', user)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.join(dir, 'config.json')).mode & 0o777).toBe(0o600)
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ credHelpers: { 'quay.io': 'quay' }, auths: { 'quay.io': { auth: 'keep' } } })
    expect(fs.readlinkSync(path.join(dir, 'buildx'))).toBe(path.join(user, 'buildx'))
    // the user's own config is not touched
    expect(JSON.parse(fs.readFileSync(path.join(user, 'config.json'), 'utf8'))).toMatchObject({ credsStore: 'desktop' })
  })
})

describe('login', () => {
  test('the password goes on stdin, never argv, into the action\'s config', async () => {
    await login('/cfg', 'registry.example:5443', 'bot', 's3cret')
    expect(calls).toEqual([{ file: 'docker', args: ['login', '--username', 'bot', '--password-stdin', 'registry.example:5443'], opts: { input: 's3cret', env: { DOCKER_CONFIG: '/cfg' }, silent: true } }])
  })

  test('no password: anonymous, no login', async () => {
    await login('/cfg', 'ghcr.io', '', '')
    expect(calls).toEqual([])
  })

  test('no password while an earlier step (docker/login-action) logged in to that registry: a warning says that login is not used and what to give (issue 34)', async () => {
    const core = await import('@actions/core')
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
    fs.writeFileSync(path.join(userDir, 'config.json'), JSON.stringify({ auths: { 'harbor.example': { auth: Buffer.from('u:p').toString('base64') } } }))
    const saved = process.env.DOCKER_CONFIG
    process.env.DOCKER_CONFIG = userDir
    try {
      vi.mocked(core.warning).mockClear()
      vi.mocked(core.notice).mockClear()
      await login('/cfg', 'harbor.example', '', '')
      expect(calls).toEqual([])
      expect(core.warning).toHaveBeenCalledWith(`No registry-password given: not logging in to harbor.example, and the push will be anonymous. An earlier step logged in to harbor.example (${path.join(userDir, 'config.json')}), but the action does not use that login for the registry of \`image\`: give its user and token as registry-username and registry-password.`)
      // another registry: the plain notice
      await login('/cfg', 'quay.example', '', '')
      expect(core.notice).toHaveBeenCalledWith('No registry-password given: not logging in to quay.example; the push will be anonymous.')
      expect(core.warning).toHaveBeenCalledTimes(1)
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG
      else process.env.DOCKER_CONFIG = saved
    }
  })

  test.each([
    ['a password without a user', '', '', /^Input `registry-username` is empty while `registry-password` is set/],
    ['ghcr.io refusing the token', 'bot', 'Error response from daemon: Get "https://ghcr.io/v2/": denied: denied', /^Login to ghcr.io failed: ghcr.io refused the credentials\. With the default registry-password \(github\.token\) the job needs `permissions: \{ packages: write \}`/],
    ['a loopback registry answering 400 after the HTTP fallback', 'bot', 'Error response from daemon: login attempt to http://ghcr.io/v2/ failed with status: 400 Bad Request', /^Login to ghcr.io failed: check registry-username and registry-password \(docker said: Error response from daemon: login attempt to http:\/\/ghcr.io\/v2\/ failed with status: 400 Bad Request\)/]
  ])('%s names the fix', async (_name, user, stderr, message) => {
    fail = stderr || undefined
    await expect(login('/cfg', 'ghcr.io', user, 'pw')).rejects.toThrow(message)
  })
})

describe('post', () => {
  test('removes the builder it created, logs out, and deletes the docker config and the temp dir', async () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'))
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'work-'))
    fs.writeFileSync(path.join(workDir, 'cosign.key'), 'secret', { mode: 0o600 })
    stateModule.markMain()
    stateModule.save({ builder: 'b1', dockerConfig: configDir, registry: 'ghcr.io', workDir })
    expect(stateModule.isPost()).toBe(true)
    await post(stateModule.load())
    expect(calls.map((c) => c.args)).toEqual([['buildx', 'rm', '--force', 'b1'], ['logout', 'ghcr.io']])
    expect(calls[0]?.opts.env).toEqual({ DOCKER_CONFIG: configDir })
    expect(fs.existsSync(configDir)).toBe(false)
    expect(fs.existsSync(workDir)).toBe(false)
  })

  test('after a main that failed early, there is nothing to undo', async () => {
    await post(stateModule.load())
    expect(calls).toEqual([])
  })

  test('logout leaves a config dir that is already gone alone', async () => {
    await logout('/nonexistent/cfg', 'ghcr.io')
    expect(calls).toEqual([])
  })
})

describe('credentialsFor: one choice for every registry the action reads or writes itself', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'creds-'))
  fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { 'docker.io': { auth: Buffer.from('hub-bot:hub:pw').toString('base64') }, 'ghcr.io': { auth: Buffer.from('left:over').toString('base64') } } }))
  const inputs = (password: string) => ({
    image: { name: 'ghcr.io/o/a', registry: 'ghcr.io', path: 'o/a' },
    registryUsername: 'gh-bot',
    registryPassword: password,
    registryAuth: [{ host: 'quay.io', username: 'quay-bot', password: 'QUAY' }]
  })
  test.each<[string, string, string, { username: string; password: string } | undefined]>([
    ['the first registry: its inputs', 'ghcr.io', 'GHCR', { username: 'gh-bot', password: 'GHCR' }],
    ['the first registry without a password: what the docker config holds', 'ghcr.io', '', { username: 'left', password: 'over' }],
    ['a copy with a registry-auth line: that line', 'quay.io', 'GHCR', { username: 'quay-bot', password: 'QUAY' }],
    ["a copy without one: an earlier login step's, split at the first colon", 'docker.io', 'GHCR', { username: 'hub-bot', password: 'hub:pw' }],
    ['a registry nothing names: none (anonymous)', 'registry.example', 'GHCR', undefined]
  ])('%s', async (_name, host, password, expected) => {
    const { credentialsFor } = await import('../../../src/registry/login.js')
    expect(credentialsFor(inputs(password), configDir, host)).toEqual(expected)
  })
})
