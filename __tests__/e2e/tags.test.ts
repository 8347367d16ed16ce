// Floating tags never move backwards (issue 14): a maintenance release after a newer one, against
// the real registry, its real tag list, and the bundled action.
import { describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry

const program = (version: string) => ({
  'go.mod': 'module example.com/operator\n\ngo 1.24\n',
  'main.go': `package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("operator ${version}")\n}\n`
})

const release = (image: string, version: string, extra: Record<string, string> = {}) =>
  runAction(
    {
      image,
      dockerfile: 'static',
      version,
      platforms: 'linux/amd64',
      'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot`,
      'allowed-bases': `${R}/e2e/*`,
      'registry-username': e2e.user,
      'registry-password': e2e.password,
      sign: 'false',
      sbom: 'false',
      ...extra
    },
    { workspace: workspace(program(version)) }
  )

/** The digest a tag points at now, read from the registry. */
const digestOf = (ref: string) => (JSON.parse(docker(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}']).out) as { digest: string }).digest

describe.runIf(run)('floating tags (issue 14)', () => {
  test('1.3.5 after 1.4.0: latest, 1 and 1.4 stay on 1.4.0; 1.3 and 1.3.5 move; the log and summary say why', async () => {
    const image = uniqueImage('tags')
    const first = await release(image, 'v1.4.0')
    expect(first.exitCode, first.log).toBe(0)
    expect(first.outputs.tags?.split('\n')).toEqual(['1.4.0', '1.4', '1', 'latest'].map((t) => `${image}:${t}`))

    const second = await release(image, 'v1.3.5')
    expect(second.exitCode, second.log).toBe(0)
    expect(second.outputs.digest).not.toBe(first.outputs.digest)
    expect(second.outputs.tags?.split('\n')).toEqual([`${image}:1.3.5`, `${image}:1.3`])
    for (const tag of ['latest', '1', '1.4', '1.4.0']) expect(digestOf(`${image}:${tag}`), tag).toBe(first.outputs.digest)
    for (const tag of ['1.3', '1.3.5']) expect(digestOf(`${image}:${tag}`), tag).toBe(second.outputs.digest)
    expect(second.log).toContain('::notice::latest stays where it is: 1.4.0 is a higher release than 1.3.5')
    expect(second.log).toContain('::notice::1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5')
    expect(second.summary).toContain('1 stays where it is: 1.4.0 is a higher 1.x release than 1.3.5')
    expect(docker(['run', '--rm', `${image}:latest`]).out.trim()).toBe('operator v1.4.0')

    // latest: true asks for it: latest moves, 1 (a rule, not a choice) still does not.
    const forced = await release(image, 'v1.3.6', { latest: 'true' })
    expect(forced.exitCode, forced.log).toBe(0)
    expect(forced.outputs.tags?.split('\n')).toEqual([`${image}:1.3.6`, `${image}:1.3`, `${image}:latest`])
    expect(digestOf(`${image}:latest`)).toBe(forced.outputs.digest)
    expect(digestOf(`${image}:1`)).toBe(first.outputs.digest)
  })

  test('the debug variant (tag-suffix -debug, target debug) is released beside the main one, signed, and its tags float on their own (issue 19)', async () => {
    const image = uniqueImage('variant')
    const keys = keyPair('e2e-variant-7d1')
    const signed = { 'cosign-key': keys.key, 'cosign-password': 'e2e-variant-7d1', 'transparency-log': 'false', sign: 'true', sbom: 'true', 'sbom-artifact': 'false', 'tools-url': `${e2e.mirror}/good`, 'tools-checksums': e2e.toolsChecksums }
    const debug = () => ({ ...signed, target: 'debug', 'tag-suffix': '-debug', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nDEBUG_IMAGE=${R}/e2e/busybox:1` })
    const main = await release(image, 'v1.4.0', signed)
    expect(main.exitCode, main.log).toBe(0)
    const variant = await release(image, 'v1.4.0', debug())
    expect(variant.exitCode, variant.log).toBe(0)
    expect(variant.outputs.tags?.split('\n')).toEqual(['1.4.0-debug', '1.4-debug', '1-debug', 'latest-debug'].map((t) => `${image}:${t}`))
    // the main tags still name the main image; the variant's name the debug one
    for (const tag of ['latest', '1', '1.4', '1.4.0']) expect(digestOf(`${image}:${tag}`), tag).toBe(main.outputs.digest)
    for (const tag of ['latest-debug', '1-debug', '1.4-debug', '1.4.0-debug']) expect(digestOf(`${image}:${tag}`), tag).toBe(variant.outputs.digest)
    // signed and SBOM-attested like the main image
    for (const digest of [variant.outputs.digest ?? '', ...Object.values(JSON.parse(variant.outputs['platform-digests'] ?? '{}') as Record<string, string>)]) {
      expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`]).code).toBe(0)
    }
    expect(cosign('cosign', ['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', `${image}:1.4.0-debug`]).code).toBe(0)
    expect(docker(['run', '--rm', '--entrypoint', '/bin/sh', `${image}:latest-debug`, '-c', 'ls /bin/busybox >/dev/null && /app']).out.trim()).toBe('operator v1.4.0')

    // A maintenance release of the variant: only its own -debug tags count, and none moves backwards.
    const older = await release(image, 'v1.3.5', debug())
    expect(older.exitCode, older.log).toBe(0)
    expect(older.outputs.tags?.split('\n')).toEqual([`${image}:1.3.5-debug`, `${image}:1.3-debug`])
    expect(older.log).toContain('::notice::latest-debug stays where it is: 1.4.0-debug is a higher release than 1.3.5')
    expect(digestOf(`${image}:latest-debug`)).toBe(variant.outputs.digest)
    expect(digestOf(`${image}:latest`)).toBe(main.outputs.digest)
  })
})
