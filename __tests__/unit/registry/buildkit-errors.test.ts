// Issue 34 part 6: BuildKit's error read for the registry it was talking to and whether it was
// pulling or pushing. The fixtures are real buildx output from the e2e registries.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { explainPullFailure, registryFailure } from '../../../src/registry/buildkit-errors.js'

const real = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/buildx-registry-errors.json'), 'utf8')) as Record<string, string>

describe('registryFailure', () => {
  test.each<[string, string, Partial<ReturnType<typeof registryFailure>> | undefined]>([
    ['a base registry without a credential (real)', real['pull-401-no-credential'] ?? '', { host: 'quay.bdi.test:5446', op: 'pull', kind: 'auth', ref: 'quay.bdi.test:5446/layouts-probe/static:nonroot' }],
    ['the push registry without a credential: its HEAD of a blob is a push (real)', real['push-401-no-credential'] ?? '', { host: 'quay.bdi.test:5446', op: 'push', kind: 'auth', ref: 'quay.bdi.test:5446/layouts-probe/out:1' }],
    ...Object.entries(real)
      .filter(([k]) => k.startsWith('pull-x509'))
      .map(([k, v]): [string, string, Partial<ReturnType<typeof registryFailure>>] => [`${k} (real)`, v, { host: 'registry.bdi.test:5443', op: 'pull', kind: 'tls', ref: 'registry.bdi.test:5443/e2e/static:nonroot' }]),
    [
      'Docker Hub: pull access denied, the host from the reference',
      'ERROR: failed to solve: acme/private:1: failed to resolve source metadata for docker.io/acme/private:1: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      { host: 'docker.io', op: 'pull', kind: 'auth' }
    ],
    [
      'only a request URL: the method says pull',
      'ERROR: failed to solve: failed to do request: unexpected status from GET request to https://bases.example:5000/v2/m/static/manifests/sha256:abc: 403 Forbidden',
      { host: 'bases.example:5000', op: 'pull', kind: 'auth', ref: undefined }
    ],
    ['a failure that is not the registry\'s', 'ERROR: failed to solve: process "/bin/sh -c go build" did not complete successfully: exit code: 1', undefined]
  ])('%s', (_name, text, expected) => {
    const f = registryFailure(text)
    if (expected === undefined) expect(f).toBeUndefined()
    else expect(f).toMatchObject(expected)
  })
})

test('an untrusted certificate names the host and buildkitd-config-inline with a [registry] section for it', () => {
  const f = registryFailure(real['pull-x509-untrusted-ca'] ?? '')
  if (!f) throw new Error('not read')
  expect(explainPullFailure(f)).toContain('BuildKit could not pull registry.bdi.test:5443/e2e/static:nonroot from registry.bdi.test:5443: the builder does not trust registry.bdi.test:5443\'s certificate (BuildKit said: ERROR: failed to build: ')
  expect(explainPullFailure(f)).toContain('give it registry.bdi.test:5443\'s CA with buildkitd-config-inline, e.g. [registry."registry.bdi.test:5443"] ca = [')
})

test('the pull explanation names the registry, the base, and a credential for that host', () => {
  const f = registryFailure(real['pull-401-no-credential'] ?? '')
  if (!f) throw new Error('not read')
  const text = explainPullFailure(f)
  expect(text).toContain('BuildKit could not pull quay.bdi.test:5446/layouts-probe/static:nonroot from quay.bdi.test:5446: quay.bdi.test:5446 refused')
  expect(text).toContain('a registry-auth line quay.bdi.test:5446=USERNAME:TOKEN (from a secret), or a login to quay.bdi.test:5446 in a step before this one')
  expect(text).not.toContain('registry-password')
})
