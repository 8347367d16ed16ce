import { describe, expect, test, vi } from 'vitest'
import { authHint, classifyFailure, withRetry } from '../../../src/lib/retry.js'

vi.mock('@actions/core', () => ({ warning: vi.fn(), info: vi.fn() }))

describe('classifyFailure', () => {
  test.each([
    ['failed to push ghcr.io/o/a:1: unexpected status from PUT request: 503 Service Unavailable', 'transient'],
    ['failed to do request: Head "https://r/v2/a/blobs/sha256:1": read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer', 'transient'],
    ['net/http: TLS handshake timeout', 'transient'],
    ['failed to copy: httpReadSeeker: failed open: unexpected status code 502 Bad Gateway', 'transient'],
    ['error: failed to solve: failed to push: Put "https://r/v2/x/manifests/1": EOF', 'transient'],
    ['unexpected status from HEAD request to https://ghcr.io/v2/o/a/blobs/sha256:1: 429 Too Many Requests', 'transient'],
    ['failed to push ghcr.io/o/a:1: denied: installation not allowed to Create organization package', 'auth'],
    ['failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized', 'auth'],
    ['Error response from daemon: Get "https://ghcr.io/v2/": denied: denied', 'auth'],
    ['failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory', 'other'],
    ['process "/bin/sh -c go build" did not complete successfully: exit code: 1', 'other']
  ])('%s -> %s', (text, kind) => {
    expect(classifyFailure(text)).toBe(kind)
  })
})

test('authHint names packages: write for ghcr.io organisation packages', () => {
  expect(authHint('denied: installation not allowed to Create organization package', 'ghcr.io')).toMatch(/packages: write/)
  expect(authHint('unauthorized', 'registry.example')).toMatch(/registry-username and registry-password/)
})

describe('withRetry', () => {
  const sleep = vi.fn(() => Promise.resolve())
  test('retries transient failures with doubling backoff, then succeeds', async () => {
    let calls = 0
    const result = await withRetry(
      () => {
        calls++
        if (calls < 3) return Promise.reject(new Error('503 Service Unavailable'))
        return Promise.resolve('ok')
      },
      { what: 'push', attempts: 4, baseDelayMs: 100, sleep }
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
    expect(sleep.mock.calls).toEqual([[100], [200]])
  })
  test('gives up after the attempts, with the last error', async () => {
    await expect(withRetry(() => Promise.reject(new Error('connection reset by peer')), { what: 'x', attempts: 2, baseDelayMs: 1, sleep })).rejects.toThrow('connection reset')
  })
  test('alsoRetry retries what the caller knows is transient, e.g. not found right after a push', async () => {
    let calls = 0
    const fn = () => (++calls < 2 ? Promise.reject(new Error('ERROR: r/a@sha256:1: not found')) : Promise.resolve('ok'))
    await expect(withRetry(fn, { what: 'x', attempts: 3, baseDelayMs: 1, sleep, alsoRetry: /not found/ })).resolves.toBe('ok')
    await expect(withRetry(() => Promise.reject(new Error('not found')), { what: 'x', attempts: 3, baseDelayMs: 1, sleep })).rejects.toThrow('not found')
  })

  test('auth failures are not retried', async () => {
    const fn = vi.fn(() => Promise.reject(new Error('401 Unauthorized')))
    await expect(withRetry(fn, { what: 'x', attempts: 5, baseDelayMs: 1, sleep })).rejects.toThrow('401')
    expect(fn).toHaveBeenCalledTimes(1)
  })
})
