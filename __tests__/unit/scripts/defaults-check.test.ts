// The pinned defaults cross-check that `npm run validate-action` (and so CI) runs: the real files
// pass, and each kind of disagreement is caught.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parse } from 'yaml'
import { describe, expect, test } from 'vitest'
import { defaultsProblems } from '../../../scripts/defaults-check.mjs'

const root = path.join(import.meta.dirname, '../../..')
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8')
interface Files {
  supplyChain: string
  vulnerability: string
  builder: string
  checksums: string
  action: { inputs: Record<string, { default?: string }> }
  readme: string
  templates: Record<string, string>
  templatesReadme: string
}
const real = (): Files => ({
  supplyChain: read('src/inputs/supply-chain.ts'),
  vulnerability: read('src/inputs/vulnerability.ts'),
  builder: read('src/inputs/builder.ts'),
  checksums: read('src/tools/checksums.ts'),
  action: parse(read('action.yml')) as Files['action'],
  readme: read('README.md'),
  templates: { 'Dockerfile.static': read('dockerfiles/Dockerfile.static'), 'Dockerfile.cc': read('dockerfiles/Dockerfile.cc') },
  templatesReadme: read('dockerfiles/README.md')
})
const check = (f: Files) => defaultsProblems(f)

describe('defaults-check', () => {
  test('the repository agrees with itself: cosign v3.1.3 and the Go 1.27 builder', () => {
    const f = real()
    expect(check(f)).toEqual([])
    expect(f.action.inputs['cosign-version']?.default).toBe('v3.1.3')
    expect(f.action.inputs['buildkit-image']?.default).toBe('docker.io/moby/buildkit:v0.26.2@sha256:de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa')
    expect(f.templates['Dockerfile.static']).toContain('ARG BUILDER_IMAGE=golang:1.27.2-trixie@sha256:e58d6f83b3416618d8bcac2b3dde1b7f7e3c4a77d25e88637f8bbae81536c48d')
  })

  test.each<[string, (f: Files) => void, RegExp]>([
    ['action.yml moves to another cosign', (f) => { f.action.inputs['cosign-version'] = { default: 'v3.1.4' } }, /action\.yml's default for cosign-version is v3\.1\.4, the code's DEFAULT_COSIGN_VERSION is v3\.1\.3/],
    ['the code moves, the table stays', (f) => { f.supplyChain = f.supplyChain.replace("DEFAULT_COSIGN_VERSION = 'v3.1.3'", "DEFAULT_COSIGN_VERSION = 'v3.2.0'") }, /src\/tools\/checksums\.ts has no sha256 for cosign\/3\.2\.0\/cosign-linux-amd64/],
    ['trivy moves in the code, not in the table', (f) => { f.vulnerability = f.vulnerability.replace("DEFAULT_TRIVY_VERSION = 'v0.74.0'", "DEFAULT_TRIVY_VERSION = 'v0.75.0'") }, /src\/tools\/checksums\.ts has no sha256 for trivy\/0\.75\.0\/trivy_0\.75\.0_Linux-64bit\.tar\.gz/],
    ['the README row is stale', (f) => { f.readme = f.readme.replace('| `syft-version` | `v1.52.0` |', '| `syft-version` | `v1.50.0` |') }, /README\.md gives v1\.50\.0 for syft-version/],
    ['a table row for a version nobody defaults to', (f) => { f.checksums = f.checksums.replace('export const KNOWN_SHA256: Record<string, string> = {', "export const KNOWN_SHA256: Record<string, string> = {\n  'cosign/3.1.2/cosign-linux-amd64': '" + 'a'.repeat(64) + "',") }, /pins cosign\/3\.1\.2\/cosign-linux-amd64, which is not a default version's asset/],
    ['a sha256 that is not one', (f) => { f.checksums = f.checksums.replace('4629c757b7618056f8ddd7e2625ae9fdd94c0372a65049520bc7d9df9efc7f71', 'abc') }, /the sha256 of cosign\/3\.1\.3\/cosign-linux-amd64 is not 64 hex digits/],
    ['the templates disagree on the builder', (f) => { f.templates['Dockerfile.cc'] = (f.templates['Dockerfile.cc'] ?? '').replace('golang:1.27.2-trixie', 'golang:1.27.1-trixie') }, /the templates' BUILDER_IMAGE defaults differ/],
    ['a builder by tag only', (f) => { f.templates['Dockerfile.cc'] = (f.templates['Dockerfile.cc'] ?? '').replace(/^ARG BUILDER_IMAGE=.*$/m, 'ARG BUILDER_IMAGE=golang:1.27-trixie') }, /Dockerfile\.cc: BUILDER_IMAGE golang:1\.27-trixie is not pinned as NAME:TAG@sha256:DIGEST/],
    ['BuildKit back on a floating tag', (f) => { f.builder = f.builder.replace(/DEFAULT_BUILDKIT_IMAGE = '[^']+'/, "DEFAULT_BUILDKIT_IMAGE = 'moby/buildkit:buildx-stable-1'") }, /DEFAULT_BUILDKIT_IMAGE moby\/buildkit:buildx-stable-1 is not pinned as moby\/buildkit:TAG@sha256:DIGEST/],
    ['BuildKit pinned to a digest nobody confirmed', (f) => { f.builder = f.builder.replace('de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa', 'b'.repeat(64)) }, /is not the confirmed pin moby\/buildkit:v0\.26\.2@sha256:de10faf9/],
    ['action.yml keeps the old BuildKit default', (f) => { f.action.inputs['buildkit-image'] = { default: 'moby/buildkit:buildx-stable-1' } }, /action\.yml's default for buildkit-image is moby\/buildkit:buildx-stable-1/],
    ['the README row names another BuildKit', (f) => { f.readme = f.readme.replace('`docker.io/moby/buildkit:v0.26.2@sha256:de10…09aa`', '`moby/buildkit:buildx-stable-1`') }, /README\.md gives moby\/buildkit:buildx-stable-1 for buildkit-image/],
    ['the README row does not spell out the digest', (f) => { f.readme = f.readme.replace('pinned by its image index digest `sha256:de10faf919fc71ba4eb1dd7bd6449566d012b0c9436b1c61bfee21d621b009aa`', 'pinned by digest') }, /README\.md's buildkit-image row does not name the whole digest/],
    ['the templates README names another builder', (f) => { f.templatesReadme = f.templatesReadme.replace('golang:1.27.2-trixie', 'golang:1.25-trixie') }, /dockerfiles\/README\.md does not name the templates' builder golang:1\.27\.2-trixie@sha256:e58d6f83/]
  ])('%s', (_name, change, problem) => {
    const f = real()
    change(f)
    expect(check(f).join('\n')).toMatch(problem)
  })
})
