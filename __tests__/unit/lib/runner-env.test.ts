import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect, test, vi } from 'vitest'
import { readContext, sourceDate, userAgent } from '../../../src/lib/runner-env.js'

vi.mock('@actions/core', () => ({ getIDToken: vi.fn() }))

const event = (payload: unknown) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ev-')), 'event.json')
  fs.writeFileSync(file, JSON.stringify(payload))
  return file
}

test.each([
  ['SOURCE_DATE_EPOCH wins', { SOURCE_DATE_EPOCH: '1795168800', GITHUB_EVENT_PATH: event({ head_commit: { timestamp: '2020-01-01T00:00:00Z' } }) }, '2026-11-20T10:00:00.000Z'],
  ['a push: the head commit time', { GITHUB_EVENT_PATH: event({ head_commit: { timestamp: '2026-11-20T11:00:00+01:00' } }) }, '2026-11-20T10:00:00.000Z'],
  ['a release: its creation time', { GITHUB_EVENT_PATH: event({ release: { created_at: '2026-11-21T00:00:00Z' } }) }, '2026-11-21T00:00:00.000Z'],
  ['no event', {}, ''],
  ['an unreadable event', { GITHUB_EVENT_PATH: '/nonexistent/event.json' }, '']
])('sourceDate: %s', (_name, env, expected) => {
  expect(sourceDate(env)).toBe(expected)
})

test('readContext: owner, run attempt and the id-token permission', () => {
  const ctx = readContext({ GITHUB_REPOSITORY: 'VmafX/op', GITHUB_RUN_ATTEMPT: '2', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' })
  expect([ctx.owner, ctx.runAttempt, ctx.idTokenAvailable]).toEqual(['VmafX', 2, true])
  expect(readContext({}).idTokenAvailable).toBe(false)
})

test('readContext: the runner architecture and BUILDX_NO_DEFAULT_ATTESTATIONS come from the environment, read once', () => {
  expect(readContext({ BUILDX_NO_DEFAULT_ATTESTATIONS: '1' }, 'arm64')).toMatchObject({ nodeArch: 'arm64', noDefaultAttestations: true })
  expect(readContext({}, 'x64')).toMatchObject({ nodeArch: 'x64', noDefaultAttestations: false })
})

test.each([
  ['github.com: the default', {}, 'https://api.github.com'],
  ['GHES: GITHUB_API_URL as the runner sets it', { GITHUB_API_URL: 'https://ghe.example/api/v3' }, 'https://ghe.example/api/v3']
])('readContext: the REST API URL, %s', (_name, env, url) => {
  expect(readContext(env).apiUrl).toBe(url)
})

test.each([
  [{ GITHUB_RUN_ID: '7012345678', GITHUB_RUN_ATTEMPT: '2' }, 'build-distroless-image (run 7012345678, attempt 2)'],
  [{ GITHUB_RUN_ID: '7012345678' }, 'build-distroless-image (run 7012345678, attempt 1)'],
  [{}, 'build-distroless-image (run local, attempt 1)']
])('the registry requests name the action and the run: %j -> %s', (env, expected) => {
  expect(userAgent(env)).toBe(expected)
})
