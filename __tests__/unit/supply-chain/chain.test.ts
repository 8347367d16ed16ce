import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { RunOptions } from '../../../src/lib/exec.js'

const calls: Array<{ file: string; args: string[]; env?: Record<string, string> }> = []
let failOn: RegExp | undefined
vi.mock('../../../src/lib/exec.js', () => ({
  run: vi.fn((file: string, args: string[], opts: RunOptions = {}) => {
    calls.push({ file, args, env: opts.env })
    const line = [file, ...args].join(' ')
    if (failOn?.test(line)) return Promise.reject(new Error(`${line} exited with code 1:\nboom`))
    if (file === '/tc/syft') {
      const o = args[args.indexOf('-o') + 1] ?? ''
      const out = o.replace(/^(cyclonedx|spdx)-json=/, '')
      fs.writeFileSync(out, JSON.stringify(o.startsWith('spdx-json=') ? { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' } : { bomFormat: 'CycloneDX', specVersion: '1.6' }))
    }
    if (args[0] === 'public-key') fs.writeFileSync(args[args.indexOf('--outfile') + 1] ?? '', 'PUB')
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' })
  })
}))
vi.mock('@actions/core', () => ({
  info: vi.fn(),
  warning: vi.fn(),
  group: vi.fn((_n: string, fn: () => Promise<unknown>) => fn()),
  getIDToken: vi.fn()
}))

const { supplyChain } = await import('../../../src/supply-chain/chain.js')
const upload = vi.fn((files: string[]) => Promise.resolve(`uploaded ${files.length}`))
const { readSigstoreTrust } = await import('../../../src/sigstore/trust-roots.js')

const IDX = 'sha256:' + '1'.repeat(64)
const AMD = 'sha256:' + '2'.repeat(64)
const ARM = 'sha256:' + '3'.repeat(64)
const N = 'r.example/o/app'
let workDir: string

beforeEach(() => {
  calls.length = 0
  failOn = undefined
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-'))
})

function spec(over: Record<string, unknown> = {}) {
  return {
    name: N,
    subjects: [
      { subject: 'index', digest: IDX },
      { subject: 'linux/amd64', digest: AMD },
      { subject: 'linux/arm64', digest: ARM }
    ],
    sbom: true,
    sbomArtifact: false,
    sbomFormat: 'cyclonedx' as const,
    sign: true,
    verify: true,
    cosignVersion: '3.1.2',
    cosignMajor: 3,
    cosignKey: { kind: 'pem' as const, content: '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nk\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n' },
    cosignPassword: 'pw',
    transparencyLog: false,
    serverUrl: 'https://github.com',
    workflowRef: 'o/app/.github/workflows/release.yml@refs/heads/main',
    rerun: false,
    provenanceAttestation: false,
    ...over
  }
}

const tools = Promise.resolve({ cosign: '/tc/cosign', syft: '/tc/syft' })

test('sbom-format spdx: syft writes SPDX JSON, attested and verified as spdxjson on every digest, and the verify commands say so', async () => {
  const result = await supplyChain(spec({ sbomFormat: 'spdx' }), tools, {}, workDir, upload)
  expect(result.failure).toBeUndefined()
  const sbom = (p: string) => path.join(workDir, 'sbom', `sbom-${p}.spdx.json`)
  const lines = calls.map((c) => [c.file, ...c.args].join(' '))
  expect(lines).toContain(`/tc/syft scan --from registry ${N}@${AMD} --platform linux/amd64 -o spdx-json=${sbom('linux-amd64')} -q`)
  const attests = lines.filter((l) => l.includes(' attest '))
  expect(attests).toHaveLength(4)
  for (const l of attests) expect(l).toMatch(/--type spdxjson --predicate \S+\.spdx\.json /)
  expect(lines.filter((l) => l.includes('verify-attestation')).map((l) => l.split(' --type ')[1]?.split(' ')[0])).toEqual(['spdxjson', 'spdxjson', 'spdxjson'])
  expect(result.verifyCommands.filter((c) => c.includes('verify-attestation'))).toEqual([IDX, AMD, ARM].map((d) => `cosign verify-attestation --type spdxjson --key cosign.pub --insecure-ignore-tlog=true ${N}@${d}`))
  expect(result.subjects.map((d) => d.attestation)).toEqual(['verified', 'verified', 'verified'])
})

test('SBOM per platform, one recursive sign of the index, attest each digest, verify everything: exact argv', async () => {
  const s = spec()
  const result = await supplyChain(s, tools, { DOCKER_CONFIG: '/cfg' }, workDir, upload)
  const key = path.join(workDir, 'cosign.key')
  const pub = path.join(workDir, 'cosign.pub')
  const sbom = (p: string) => path.join(workDir, 'sbom', `sbom-${p}.cdx.json`)
  const lines = calls.map((c) => [c.file, ...c.args].join(' '))
  const noTlog = '--use-signing-config=false --tlog-upload=false'
  expect(lines).toEqual([
    // the scans and the public key are started first and run while the index is signed
    `/tc/syft scan --from registry ${N}@${AMD} --platform linux/amd64 -o cyclonedx-json=${sbom('linux-amd64')} -q`,
    `/tc/syft scan --from registry ${N}@${ARM} --platform linux/arm64 -o cyclonedx-json=${sbom('linux-arm64')} -q`,
    `/tc/cosign public-key --key ${key} --outfile ${pub}`,
    `/tc/cosign sign --yes --key ${key} ${noTlog} --recursive ${N}@${IDX}`,
    // the signatures are verified while the attestations are written
    `/tc/cosign verify --key ${pub} --insecure-ignore-tlog=true --output json ${N}@${IDX}`,
    `/tc/cosign verify --key ${pub} --insecure-ignore-tlog=true --output json ${N}@${AMD}`,
    `/tc/cosign verify --key ${pub} --insecure-ignore-tlog=true --output json ${N}@${ARM}`,
    // each digest's attestations in parallel with the others'; the index's one SBOM at a time
    `/tc/cosign attest --yes --key ${key} ${noTlog} --type cyclonedx --predicate ${sbom('linux-amd64')} ${N}@${IDX}`,
    `/tc/cosign attest --yes --key ${key} ${noTlog} --type cyclonedx --predicate ${sbom('linux-amd64')} ${N}@${AMD}`,
    `/tc/cosign attest --yes --key ${key} ${noTlog} --type cyclonedx --predicate ${sbom('linux-arm64')} ${N}@${ARM}`,
    `/tc/cosign attest --yes --key ${key} ${noTlog} --type cyclonedx --predicate ${sbom('linux-arm64')} ${N}@${IDX}`,
    `/tc/cosign verify-attestation --key ${pub} --insecure-ignore-tlog=true --type cyclonedx --output json ${N}@${IDX}`,
    `/tc/cosign verify-attestation --key ${pub} --insecure-ignore-tlog=true --type cyclonedx --output json ${N}@${AMD}`,
    `/tc/cosign verify-attestation --key ${pub} --insecure-ignore-tlog=true --type cyclonedx --output json ${N}@${ARM}`
  ])
  // only the attestation verifications wait for the attestations
  const last = (prefix: string) => lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith(prefix)).pop()?.[1] ?? -1
  expect(last('/tc/cosign attest')).toBeLessThan(lines.findIndex((l) => l.startsWith('/tc/cosign verify-attestation')))
  expect(result).toMatchObject({ signed: true, sboms: { 'linux/amd64': sbom('linux-amd64'), 'linux/arm64': sbom('linux-arm64') }, notes: [] })
  expect(result.failure).toBeUndefined()
  expect(result.subjects.map((d) => [d.subject, d.signature, d.attestation, d.sbom])).toEqual([
    ['index', 'verified', 'verified', undefined],
    ['linux/amd64', 'verified', 'verified', sbom('linux-amd64')],
    ['linux/arm64', 'verified', 'verified', sbom('linux-arm64')]
  ])
  expect(result.verifyCommands).toEqual([IDX, AMD, ARM].flatMap((d) => [`cosign verify --key cosign.pub --insecure-ignore-tlog=true ${N}@${d}`, `cosign verify-attestation --type cyclonedx --key cosign.pub --insecure-ignore-tlog=true ${N}@${d}`]))
  // the spec given is not changed: the result says what happened
  expect(s.subjects[0]).toEqual({ subject: 'index', digest: IDX })
  // syft reads the registry with the action's docker config and never phones home.
  expect(calls.find((c) => c.file === '/tc/syft')?.env).toEqual({ DOCKER_CONFIG: '/cfg', SYFT_CHECK_FOR_APP_UPDATE: 'false' })
  // the password reaches cosign through the environment, never argv.
  expect(calls.find((c) => c.args[0] === 'sign')?.env).toEqual({ DOCKER_CONFIG: '/cfg', COSIGN_PASSWORD: 'pw' })
  expect(lines.join('\n')).not.toContain('pw ')
  // the key written from input is 0600.
  expect(fs.statSync(key).mode & 0o777).toBe(0o600)
})

describe('SLSA provenance: buildx records it, cosign attests and verifies it per platform and on the index', () => {
  /** Real records buildx pushed (two platforms, mode=min), as recordedProvenance returns them. */
  const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/buildx-attestation-manifests.json'), 'utf8')) as { images: { min2: { blobs: Record<string, string> } } }
  const statements = Object.values(fixture.images.min2.blobs).map((b) => JSON.parse(b) as { predicate: { materials: Array<{ uri: string }> } })
  const recordFor = (arch: string) => statements.find((st) => st.predicate.materials.some((m) => m.uri.includes(`linux%2F${arch}`)))?.predicate
  const inspected = { twoPlatformsMin: { 'linux/amd64': { type: 'slsaprovenance02' as const, predicate: recordFor('amd64') }, 'linux/arm64': { type: 'slsaprovenance02' as const, predicate: recordFor('arm64') } }, twoPlatformsNone: {} }
  const prov = (p: string) => path.join(workDir, 'provenance', `provenance-${p}.json`)

  test('each platform digest gets its own provenance, after its SBOM, the index gets every platform\'s, and all are verified: exact argv', async () => {
    const result = await supplyChain(spec({ provenanceAttestation: true, provenance: Promise.resolve(inspected.twoPlatformsMin) }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    const pub = path.join(workDir, 'cosign.pub')
    const lines = calls.filter((c) => c.args[0] === 'attest' || c.args[0] === 'verify-attestation').map((c) => c.args.filter((a) => !a.startsWith('--use-signing') && !a.startsWith('--tlog') && a !== '--yes').join(' '))
    const key = path.join(workDir, 'cosign.key')
    expect(lines.filter((l) => l.includes('slsaprovenance')).sort()).toEqual([
      `attest --key ${key} --type slsaprovenance02 --predicate ${prov('linux-amd64')} ${N}@${AMD}`,
      `attest --key ${key} --type slsaprovenance02 --predicate ${prov('linux-amd64')} ${N}@${IDX}`,
      `attest --key ${key} --type slsaprovenance02 --predicate ${prov('linux-arm64')} ${N}@${ARM}`,
      `attest --key ${key} --type slsaprovenance02 --predicate ${prov('linux-arm64')} ${N}@${IDX}`,
      `verify-attestation --key ${pub} --insecure-ignore-tlog=true --type slsaprovenance02 --output json ${N}@${AMD}`,
      `verify-attestation --key ${pub} --insecure-ignore-tlog=true --type slsaprovenance02 --output json ${N}@${ARM}`,
      `verify-attestation --key ${pub} --insecure-ignore-tlog=true --type slsaprovenance02 --output json ${N}@${IDX}`
    ].sort())
    // one digest's attestations one at a time: the SBOM, then the provenance
    expect(lines.indexOf(`attest --key ${key} --type cyclonedx --predicate ${path.join(workDir, 'sbom', 'sbom-linux-amd64.cdx.json')} ${N}@${AMD}`)).toBeLessThan(lines.indexOf(`attest --key ${key} --type slsaprovenance02 --predicate ${prov('linux-amd64')} ${N}@${AMD}`))
    // the predicate is buildx's for that platform: its materials are the arm64 bases
    const materials = (JSON.parse(fs.readFileSync(prov('linux-arm64'), 'utf8')) as { materials: Array<{ uri: string }> }).materials.map((m) => m.uri)
    expect(materials.filter((u) => u.startsWith('pkg:docker/')).every((u) => u.endsWith('platform=linux%2Farm64'))).toBe(true)
    // no attestation manifest is a subject: only the index and the two platforms are
    expect(new Set(calls.filter((c) => c.args.includes('slsaprovenance02')).map((c) => c.args[c.args.length - 1]))).toEqual(new Set([`${N}@${IDX}`, `${N}@${AMD}`, `${N}@${ARM}`]))
    expect(result.subjects.map((d) => [d.subject, d.provenance])).toEqual([['index', 'verified'], ['linux/amd64', 'verified'], ['linux/arm64', 'verified']])
    for (const d of [IDX, ARM]) expect(result.verifyCommands).toContain(`cosign verify-attestation --type slsaprovenance02 --key cosign.pub --insecure-ignore-tlog=true ${N}@${d}`)
    expect(result.notes).toEqual([])
    // What the attestation store step expects among the referrers: each statement, by subject.
    expect(result.predicates?.map((p) => `${p.subject} ${p.type}`)).toEqual([
      'index cyclonedx', 'index cyclonedx', 'index slsaprovenance02', 'index slsaprovenance02',
      'linux/amd64 cyclonedx', 'linux/amd64 slsaprovenance02', 'linux/arm64 cyclonedx', 'linux/arm64 slsaprovenance02'
    ])
  })

  // Issue 30: under provenance-attestation: true a missing provenance was a note and the release was signed without it.
  test('provenance-attestation: true and no provenance recorded: fails before anything is signed, naming why and the builder', async () => {
    const result = await supplyChain(spec({ provenanceAttestation: true, provenance: Promise.resolve(inspected.twoPlatformsNone), builder: 'builder default (driver docker)' }), tools, {}, workDir, upload)
    expect(result.failure?.message).toMatch(/^No SLSA provenance recorded by buildx for linux\/amd64, linux\/arm64, and provenance-attestation is true \(the default\): refusing to sign/)
    expect(result.failure?.message).toContain('Built with builder default (driver docker).')
    expect(result.failure?.message).toMatch(/provenance: false.*BUILDX_NO_DEFAULT_ATTESTATIONS.*docker driver on the classic image store.*merge-digests/)
    expect(result.failure?.message).toContain('set provenance-attestation: false to release without provenance')
    expect(result.signed).toBe(false)
    expect(calls.some((c) => c.args[0] === 'sign' || c.args[0] === 'attest')).toBe(false)
    expect(result.subjects.map((d) => d.signature)).toEqual(['pending', 'pending', 'pending'])
  })

  test('provenance-attestation: false and no provenance: signed without one, nothing read', async () => {
    const result = await supplyChain(spec({ provenanceAttestation: false, provenance: Promise.resolve(inspected.twoPlatformsNone) }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    expect(result.signed).toBe(true)
    expect(calls.some((c) => c.args.includes('slsaprovenance02'))).toBe(false)
  })

  test('a re-run checks each type and adds nothing a digest already carries', async () => {
    const result = await supplyChain(spec({ rerun: true, provenanceAttestation: true, provenance: Promise.resolve(inspected.twoPlatformsMin) }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    expect(calls.some((c) => c.args[0] === 'attest' || c.args[0] === 'sign')).toBe(false)
    // Nothing attested now, yet every statement is listed: the store step uploads what an earlier attempt made.
    expect(result.predicates).toHaveLength(8)
    const checks = calls.filter((c) => c.args[0] === 'verify-attestation').map((c) => `${c.args[c.args.indexOf('--type') + 1] ?? ''} ${c.args[c.args.length - 1] ?? ''}`)
    expect(checks).toEqual(expect.arrayContaining([`slsaprovenance02 ${N}@${AMD}`, `slsaprovenance02 ${N}@${ARM}`, `cyclonedx ${N}@${IDX}`]))
  })

  test('a failed provenance attestation fails the step and leaves its status failed', async () => {
    failOn = new RegExp(`attest .*slsaprovenance02.*${ARM}`)
    const result = await supplyChain(spec({ verify: false, provenanceAttestation: true, provenance: Promise.resolve(inspected.twoPlatformsMin) }), tools, {}, workDir, upload)
    expect(result.failure?.message).toMatch(/boom/)
    expect(result.subjects.map((d) => [d.subject, d.attestation, d.provenance])).toEqual([['index', 'done', 'done'], ['linux/amd64', 'done', 'done'], ['linux/arm64', 'done', 'failed']])
  })
})

test('a failure while attesting leaves the statuses that say what is not done', async () => {
  failOn = new RegExp(`attest .*${ARM}`)
  const result = await supplyChain(spec({ verify: false }), tools, {}, workDir, upload)
  expect(result.failure?.message).toMatch(/boom/)
  // the index's attestations run beside the platforms' and finished
  expect(result.subjects.map((d) => [d.subject, d.signature, d.attestation])).toEqual([
    ['index', 'done', 'done'],
    ['linux/amd64', 'done', 'done'],
    ['linux/arm64', 'done', 'failed']
  ])
})

test('a scan failing while the digests are signed: the signatures stand, the attestations are left pending', async () => {
  failOn = new RegExp(`syft scan .*${ARM}`)
  const result = await supplyChain(spec(), tools, {}, workDir, upload)
  expect(result.failure?.message).toMatch(/syft scan/)
  expect(result.subjects.map((d) => [d.subject, d.signature, d.attestation])).toEqual([
    ['index', 'done', 'pending'],
    ['linux/amd64', 'done', 'pending'],
    ['linux/arm64', 'done', 'pending']
  ])
  expect(calls.some((c) => c.args[0] === 'attest')).toBe(false)
})

test('an SBOM too large for Rekor is refused before anything is attested, naming the platform and the way out', async () => {
  const { run } = await import('../../../src/lib/exec.js')
  vi.mocked(run).mockImplementationOnce((_f, args) => {
    fs.writeFileSync(args[args.indexOf('-o') + 1]?.replace('cyclonedx-json=', '') ?? '', JSON.stringify({ bomFormat: 'CycloneDX', pad: 'x'.repeat(19_000_000) }))
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' })
  })
  const result = await supplyChain(spec({ transparencyLog: true, cosignKey: { kind: 'ref', ref: 'awskms:///alias/k' } }), tools, {}, workDir, upload)
  expect(result.failure?.message).toMatch(/The SBOM of linux\/amd64 is \d+ bytes; .*exceed the 32000000-byte request limit of Rekor's public instance/)
  // signing ran beside the scans (signatures are small); no attestation was tried
  expect(calls.some((c) => c.args[0] === 'attest')).toBe(false)
  expect(result.subjects.map((d) => [d.signature, d.attestation])).toEqual([['done', 'pending'], ['done', 'pending'], ['done', 'pending']])
})

test('sign: false makes SBOMs only', async () => {
  const sbomFile = (p: string) => path.join(workDir, 'sbom', `sbom-${p.replace('/', '-')}.cdx.json`)
  const result = await supplyChain(spec({ sign: false, sbomArtifact: true }), tools, {}, workDir, upload)
  expect(result.signed).toBe(false)
  expect(calls.every((c) => c.file === '/tc/syft')).toBe(true)
  expect(result.notes).toEqual(['sign: false: nothing was signed or attested', 'uploaded 2'])
  expect(upload).toHaveBeenLastCalledWith([sbomFile('linux/amd64'), sbomFile('linux/arm64')], { image: N, digest: IDX, tagSuffix: undefined, attested: false })
  expect(result.subjects.map((d) => [d.signature, d.attestation])).toEqual([['skipped', 'skipped'], ['skipped', 'skipped'], ['skipped', 'skipped']])
})

describe('the SBOM artifact (issue 34): uploaded last, so an upload that fails cannot leave a digest signed but not attested', () => {
  const sbomFile = (p: string) => path.join(workDir, 'sbom', `sbom-${p.replace('/', '-')}.cdx.json`)

  test('uploaded once every attestation is written and verified, named by the variant and the index digest', async () => {
    const order: string[] = []
    const { run } = await import('../../../src/lib/exec.js')
    const seen = vi.mocked(run).getMockImplementation()
    vi.mocked(run).mockImplementation((file, args, opts) => {
      order.push(args[0] ?? '')
      return seen ? seen(file, args, opts) : Promise.reject(new Error('no exec mock'))
    })
    const uploadLast = vi.fn((_files: string[]) => {
      order.push('upload')
      return Promise.resolve('uploaded')
    })
    try {
      const result = await supplyChain(spec({ sbomArtifact: true, tagSuffix: '-debug' }), tools, {}, workDir, uploadLast)
      expect(result.failure).toBeUndefined()
      expect(order.at(-1)).toBe('upload')
      expect(order.filter((c) => c === 'upload')).toHaveLength(1)
      // every attest and verify-attestation ran before it
      expect(order.lastIndexOf('attest')).toBeLessThan(order.indexOf('upload'))
      expect(order.lastIndexOf('verify-attestation')).toBeLessThan(order.indexOf('upload'))
      expect(uploadLast).toHaveBeenCalledWith([sbomFile('linux/amd64'), sbomFile('linux/arm64')], { image: N, digest: IDX, tagSuffix: '-debug', attested: true })
      expect(result.subjects.map((d) => [d.subject, d.signature, d.attestation])).toEqual([
        ['index', 'verified', 'verified'],
        ['linux/amd64', 'verified', 'verified'],
        ['linux/arm64', 'verified', 'verified']
      ])
      expect(result.notes.at(-1)).toBe('uploaded')
    } finally {
      if (seen) vi.mocked(run).mockImplementation(seen)
    }
  })

  test('a chain that failed uploads nothing (the job fails, and a re-run uploads with the finished release)', async () => {
    failOn = new RegExp(`attest .*${ARM}`)
    upload.mockClear()
    const result = await supplyChain(spec({ sbomArtifact: true }), tools, {}, workDir, upload)
    expect(result.failure?.message).toMatch(/boom/)
    expect(upload).not.toHaveBeenCalled()
  })

  test('sbom-artifact: false uploads nothing', async () => {
    upload.mockClear()
    const result = await supplyChain(spec({ sbomArtifact: false }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    expect(upload).not.toHaveBeenCalled()
  })
})

test('a KMS key is used for verifying as it is, with the transparency log on', async () => {
  await supplyChain(spec({ sbom: false, transparencyLog: true, cosignKey: { kind: 'ref', ref: 'gcpkms://projects/p/k' } }), tools, {}, workDir, upload)
  const lines = calls.map((c) => c.args.join(' '))
  expect(lines).toEqual([
    `sign --yes --key gcpkms://projects/p/k --recursive ${N}@${IDX}`,
    `verify --key gcpkms://projects/p/k --output json ${N}@${IDX}`,
    `verify --key gcpkms://projects/p/k --output json ${N}@${AMD}`,
    `verify --key gcpkms://projects/p/k --output json ${N}@${ARM}`
  ])
})

describe('keyless through a private Sigstore instance', () => {
  const FIX = path.join(import.meta.dirname, '../../fixtures/sigstore')
  const jwt = (claims: Record<string, string>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const reusable = 'o/shared/.github/workflows/image.yml@refs/heads/main'

  test.each([3, 2])('cosign %i: the instance in every sign and verify, the token identity, the caller named', async (major) => {
    const core = await import('@actions/core')
    vi.mocked(core.getIDToken).mockResolvedValue(jwt({ job_workflow_ref: reusable }))
    const trust = readSigstoreTrust(path.join(FIX, 'trusted_root.json'), path.join(FIX, 'signing_config.json'), '/', major)
    const report = await supplyChain(spec({ cosignKey: undefined, cosignPassword: '', transparencyLog: true, cosignVersion: `${major}.0.0`, cosignMajor: major, sigstoreTrust: trust }), tools, { DOCKER_CONFIG: '/cfg' }, workDir, upload)
    const cosign = calls.filter((c) => c.file === '/tc/cosign')
    const sign = cosign.find((c) => c.args[0] === 'sign')?.args ?? []
    const verify = cosign.find((c) => c.args[0] === 'verify')?.args ?? []
    const identity = ['--certificate-identity', `https://github.com/${reusable}`, '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com']
    if (major === 3) {
      expect(sign).toEqual(['sign', '--yes', '--signing-config', path.join(FIX, 'signing_config.json'), '--trusted-root', path.join(FIX, 'trusted_root.json'), '--recursive', `${N}@${IDX}`])
      expect(verify).toEqual(['verify', ...identity, '--trusted-root', path.join(FIX, 'trusted_root.json'), '--output', 'json', `${N}@${IDX}`])
      for (const c of cosign) expect(c.env?.SIGSTORE_ROOT_FILE).toBeUndefined()
    } else {
      expect(sign).toEqual(['sign', '--yes', '--fulcio-url', 'https://fulcio.corp.example', '--rekor-url', 'https://rekor.corp.example', '--recursive', `${N}@${IDX}`])
      expect(verify).toEqual(['verify', ...identity, '--rekor-url', 'https://rekor.corp.example', '--output', 'json', `${N}@${IDX}`])
      for (const c of cosign) {
        expect(c.env).toMatchObject({ DOCKER_CONFIG: '/cfg', SIGSTORE_ROOT_FILE: path.join(workDir, 'sigstore-fulcio-roots.pem'), SIGSTORE_REKOR_PUBLIC_KEY: path.join(workDir, 'sigstore-rekor.pub'), SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: path.join(workDir, 'sigstore-ctlog.pub') })
      }
      expect(fs.readFileSync(path.join(workDir, 'sigstore-fulcio-roots.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/)
    }
    expect(report.signer).toBe(`https://github.com/${reusable}, issuer https://token.actions.githubusercontent.com (the reusable workflow this job ran, called from https://github.com/o/app/.github/workflows/release.yml@refs/heads/main)`)
    expect(report.verifyCommands[0]).toBe(`cosign verify ${identity.join(' ')} --trusted-root ${path.join(FIX, 'trusted_root.json')} ${N}@${IDX}`)
  })
})

describe('gh attestation verify commands beside the cosign ones (keyless)', () => {
  const FIX = path.join(import.meta.dirname, '../../fixtures/sigstore')
  const jwt = (claims: Record<string, string>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const reusable = 'o/shared/.github/workflows/image.yml@refs/heads/main'
  const provenance = { 'linux/amd64': { type: 'slsaprovenance1' as const, predicate: {} }, 'linux/arm64': { type: 'slsaprovenance1' as const, predicate: {} } }

  test('cosign 3 through a private instance: the root as JSON lines, then each subject\'s provenance and SBOM, the index by its tag', async () => {
    const core = await import('@actions/core')
    vi.mocked(core.getIDToken).mockResolvedValue(jwt({ job_workflow_ref: reusable, repository_owner: 'o' }))
    const trust = readSigstoreTrust(path.join(FIX, 'trusted_root.json'), path.join(FIX, 'signing_config.json'), '/', 3)
    const result = await supplyChain(spec({ cosignKey: undefined, cosignPassword: '', transparencyLog: true, sigstoreTrust: { ...trust, trustedRootInput: '.sigstore/trusted_root.json' }, tag: '1.4.2', provenanceAttestation: true, provenance: Promise.resolve(provenance) }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    const gh = (ref: string, extra = '') => `gh attestation verify oci://${ref} --bundle-from-oci --owner o --signer-workflow github.com/o/shared/.github/workflows/image.yml${extra} --custom-trusted-root trusted_root.jsonl`
    const cdx = ' --predicate-type https://cyclonedx.org/bom'
    expect(result.verifyCommands.filter((c) => !c.startsWith('cosign '))).toEqual([
      'jq -c . .sigstore/trusted_root.json > trusted_root.jsonl',
      gh(`${N}:1.4.2`),
      gh(`${N}:1.4.2`, cdx),
      gh(`${N}@${AMD}`),
      gh(`${N}@${AMD}`, cdx),
      gh(`${N}@${ARM}`),
      gh(`${N}@${ARM}`, cdx)
    ])
    expect(result.notes).toEqual([])
  })

  test('cosign 2 keyless: no gh command, a note saying why and what to change', async () => {
    const core = await import('@actions/core')
    vi.mocked(core.getIDToken).mockResolvedValue(jwt({ job_workflow_ref: reusable, repository_owner: 'o' }))
    const trust = readSigstoreTrust(path.join(FIX, 'trusted_root.json'), path.join(FIX, 'signing_config.json'), '/', 2)
    const result = await supplyChain(spec({ cosignKey: undefined, cosignPassword: '', transparencyLog: true, cosignVersion: '2.5.0', cosignMajor: 2, sigstoreTrust: trust }), tools, {}, workDir, upload)
    expect(result.verifyCommands.some((c) => c.startsWith('gh '))).toBe(false)
    expect(result.notes).toEqual([expect.stringMatching(/^gh attestation verify --bundle-from-oci cannot verify this release: cosign 2/)])
  })
})

test('a copy in another registry: the SBOMs made for the same digests are attested there, syft is not run, nothing uploaded', async () => {
  const made = [
    { platform: 'linux/amd64', digest: AMD, file: '/first/sbom-linux-amd64.cdx.json', bytes: 10, type: 'cyclonedx' as const },
    { platform: 'linux/arm64', digest: ARM, file: '/first/sbom-linux-arm64.cdx.json', bytes: 10, type: 'cyclonedx' as const }
  ]
  const Q = 'quay.io/o/app'
  upload.mockClear()
  const result = await supplyChain(spec({ name: Q, sboms: made, heading: 'in quay.io', sbomArtifact: true }), Promise.resolve({ cosign: '/tc/cosign' }), {}, workDir, upload)
  const lines = calls.map((c) => [c.file, ...c.args].join(' '))
  expect(lines.filter((l) => l.startsWith('/tc/syft'))).toEqual([])
  expect(lines.filter((l) => l.includes(' attest ')).sort()).toEqual(
    [`${Q}@${IDX}`, `${Q}@${AMD}`, `${Q}@${ARM}`, `${Q}@${IDX}`].map((ref, i) => `/tc/cosign attest --yes --key ${path.join(workDir, 'cosign.key')} --use-signing-config=false --tlog-upload=false --type cyclonedx --predicate ${i === 3 ? made[1]?.file : i === 0 ? made[0]?.file : made[i - 1]?.file} ${ref}`).sort()
  )
  expect(lines).toContain(`/tc/cosign sign --yes --key ${path.join(workDir, 'cosign.key')} --use-signing-config=false --tlog-upload=false --recursive ${Q}@${IDX}`)
  expect(upload).not.toHaveBeenCalled()
  expect(result.failure).toBeUndefined()
  expect(result.subjects.every((s) => s.signature === 'verified' && s.attestation === 'verified')).toBe(true)
})

describe('the vulnerability gate\'s scans: attested per platform digest (--type vuln) and verified', () => {
  const scans = () => ['linux-amd64', 'linux-arm64'].map((p, i) => {
    const file = path.join(workDir, `${p}.vuln.json`)
    fs.writeFileSync(file, '{"scanner":{}}')
    return { platform: p.replace('-', '/'), digest: i ? ARM : AMD, predicateFile: file }
  })

  test('each platform, after its SBOM; never the index; verified; in the verify commands and the statuses', async () => {
    const vulnScans = scans()
    const result = await supplyChain(spec({ vulnScans }), tools, {}, workDir, upload)
    expect(result.failure).toBeUndefined()
    const key = path.join(workDir, 'cosign.key')
    const pub = path.join(workDir, 'cosign.pub')
    const lines = calls.filter((c) => c.args[0] === 'attest' || c.args[0] === 'verify-attestation').map((c) => c.args.filter((a) => !a.startsWith('--use-signing') && !a.startsWith('--tlog') && a !== '--yes').join(' '))
    expect(lines.filter((l) => l.includes('--type vuln'))).toEqual([
      `attest --key ${key} --type vuln --predicate ${vulnScans[0]?.predicateFile ?? ''} ${N}@${AMD}`,
      `attest --key ${key} --type vuln --predicate ${vulnScans[1]?.predicateFile ?? ''} ${N}@${ARM}`,
      `verify-attestation --key ${pub} --insecure-ignore-tlog=true --type vuln --output json ${N}@${AMD}`,
      `verify-attestation --key ${pub} --insecure-ignore-tlog=true --type vuln --output json ${N}@${ARM}`
    ])
    expect(lines.indexOf(`attest --key ${key} --type cyclonedx --predicate ${path.join(workDir, 'sbom', 'sbom-linux-amd64.cdx.json')} ${N}@${AMD}`)).toBeLessThan(lines.indexOf(`attest --key ${key} --type vuln --predicate ${vulnScans[0]?.predicateFile ?? ''} ${N}@${AMD}`))
    expect(result.subjects.map((d) => [d.subject, d.vulnerability])).toEqual([['index', 'skipped'], ['linux/amd64', 'verified'], ['linux/arm64', 'verified']])
    expect(result.verifyCommands).toContain(`cosign verify-attestation --type vuln --key cosign.pub --insecure-ignore-tlog=true ${N}@${AMD}`)
    // For the deploy policies: the scan is on the platform digests only, not on the index a tag names.
    expect(result.attested?.sort()).toEqual(['cyclonedx', 'vuln'])
    expect(result.attestedToAll).toEqual(['cyclonedx'])
  })

  test('a failed vuln attestation fails the step and leaves that platform unfinished', async () => {
    failOn = new RegExp(`attest .*--type vuln.*${ARM}`)
    const result = await supplyChain(spec({ verify: false, vulnScans: scans() }), tools, {}, workDir, upload)
    expect(result.failure?.message).toMatch(/boom/)
    expect(result.subjects.map((d) => [d.subject, d.vulnerability])).toEqual([['index', 'skipped'], ['linux/amd64', 'done'], ['linux/arm64', 'failed']])
  })

  test('no gate: no vulnerability status at all', async () => {
    const result = await supplyChain(spec({}), tools, {}, workDir, upload)
    expect(result.subjects.every((d) => d.vulnerability === undefined)).toBe(true)
  })
})

test('the identity is derived once per run: a copy sharing the map runs no second cosign public-key, and is verified with the same key', async () => {
  const identities = new Map()
  await supplyChain(spec({ identities }), tools, {}, workDir, upload)
  await supplyChain(spec({ identities, name: 'quay.example/o/app', sboms: [], sbom: false }), tools, {}, workDir, upload)
  const lines = calls.map((c) => [c.file, ...c.args].join(' '))
  expect(lines.filter((l) => l.includes(' public-key '))).toHaveLength(1)
  const pub = path.join(workDir, 'cosign.pub')
  expect(lines.filter((l) => l.includes(' verify ') && l.includes('quay.example/o/app@'))).not.toHaveLength(0)
  for (const l of lines.filter((x) => x.includes(' verify '))) expect(l).toContain(`--key ${pub}`)
})

test('without the shared map each chain derives its own (as before)', async () => {
  await supplyChain(spec(), tools, {}, workDir, upload)
  await supplyChain(spec({ name: 'quay.example/o/app', sboms: [], sbom: false }), tools, {}, workDir, upload)
  expect(calls.filter((c) => c.args[0] === 'public-key')).toHaveLength(2)
})
