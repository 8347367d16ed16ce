import { describe, expect, test, vi } from 'vitest'
import { AMD, ARM, IDX, N, fakeCosign } from './fake-cosign.js'

vi.mock('@actions/core', () => ({ info: vi.fn() }))
const { attestAll, checkRekorLimit, predicatesFor } = await import('../../../src/supply-chain/attest.js')

const sboms = [
  { platform: 'linux/amd64', digest: AMD, file: '/w/sbom-linux-amd64.cdx.json', bytes: 1000, type: 'cyclonedx' as const },
  { platform: 'linux/arm64', digest: ARM, file: '/w/sbom-linux-arm64.cdx.json', bytes: 1000, type: 'cyclonedx' as const }
]
const provenance = [{ platform: 'linux/amd64', digest: AMD, type: 'slsaprovenance1' as const, file: '/w/prov-amd64.json' }]
const scans = [{ platform: 'linux/amd64', digest: AMD, predicateFile: '/w/linux-amd64.vuln.json' }]

describe('predicatesFor', () => {
  test('the index gets every platform SBOM and provenance, and no scan', () => {
    const p = predicatesFor({ subject: 'index', digest: IDX }, sboms, provenance, scans)
    expect(p.map((x) => [x.type, x.file, x.what])).toEqual([
      ['cyclonedx', '/w/sbom-linux-amd64.cdx.json', `cosign attest ${IDX} (linux/amd64 SBOM)`],
      ['cyclonedx', '/w/sbom-linux-arm64.cdx.json', `cosign attest ${IDX} (linux/arm64 SBOM)`],
      ['slsaprovenance1', '/w/prov-amd64.json', `cosign attest --type slsaprovenance1 ${IDX} (linux/amd64 provenance)`]
    ])
  })

  test('a platform gets its own SBOM, then its provenance, then its scan', () => {
    const p = predicatesFor({ subject: 'linux/amd64', digest: AMD }, sboms, provenance, scans)
    expect(p.map((x) => [x.digest, x.type, x.file])).toEqual([
      [AMD, 'cyclonedx', '/w/sbom-linux-amd64.cdx.json'],
      [AMD, 'slsaprovenance1', '/w/prov-amd64.json'],
      [AMD, 'vuln', '/w/linux-amd64.vuln.json']
    ])
  })
})

describe('predicatesFor, reachability', () => {
  test.each([
    ['the scan and the OpenVEX', [{ platform: 'linux/amd64', digest: AMD, predicateFile: '/w/a.vuln.json', vexFile: '/w/a.openvex.json' }], [['vuln', '/w/a.vuln.json', `cosign attest --type vuln ${AMD}`], ['openvex', '/w/a.openvex.json', `cosign attest --type openvex ${AMD}`]]],
    ['the OpenVEX alone (vulnerability-attestation: false)', [{ platform: 'linux/amd64', digest: AMD, vexFile: '/w/a.openvex.json' }], [['openvex', '/w/a.openvex.json', `cosign attest --type openvex ${AMD}`]]],
    ["another platform's: nothing", [{ platform: 'linux/arm64', digest: ARM, vexFile: '/w/b.openvex.json' }], []]
  ])('%s', (_, given, expected) => {
    expect(predicatesFor({ subject: 'linux/amd64', digest: AMD }, [], [], given).map((x) => [x.type, x.file, x.what])).toEqual(expected)
  })
  test('the index gets no OpenVEX', () => {
    expect(predicatesFor({ subject: 'index', digest: IDX }, [], [], [{ platform: 'linux/amd64', digest: AMD, vexFile: '/w/a.openvex.json' }])).toEqual([])
  })
})

describe('checkRekorLimit', () => {
  const huge = [{ ...sboms[0], bytes: 40_000_000 } as (typeof sboms)[number]]
  test('an SBOM over the public Rekor request limit is refused before anything is attested', () => {
    expect(() => checkRekorLimit(huge, true)).toThrow(/The SBOM of linux\/amd64 is 40000000 bytes.*request limit of Rekor's public instance/)
  })

  test('a private instance or no log sets its own limit', () => {
    expect(() => checkRekorLimit(huge, false)).not.toThrow()
    expect(() => checkRekorLimit(sboms, true)).not.toThrow()
  })
})

describe('attestAll', () => {
  const subjects = [
    { subject: 'linux/amd64', digest: AMD },
    { subject: 'linux/arm64', digest: ARM }
  ]
  const predicates = (s: { subject: string; digest: string }) => predicatesFor(s, sboms, provenance)

  test('each subject and predicate type has its own outcome: one failure leaves the others known', async () => {
    const cosign = fakeCosign({ fails: (args) => args.includes('slsaprovenance1') })
    const outcomes = await attestAll(cosign, subjects, predicates, false)
    expect(outcomes.map((m) => Object.fromEntries([...m].map(([t, o]) => [t, o.status])))).toEqual([{ cyclonedx: 'fulfilled', slsaprovenance1: 'rejected' }, { cyclonedx: 'fulfilled' }])
    expect(cosign.written.map((a) => [a[0], a[a.length - 1]])).toEqual(
      expect.arrayContaining([
        ['attest', `${N}@${AMD}`],
        ['attest', `${N}@${ARM}`]
      ])
    )
  })

  test('a re-run skips a type the digest already carries', async () => {
    const cosign = fakeCosign({ passes: (args) => args.includes('cyclonedx') })
    const outcomes = await attestAll(cosign, subjects, predicates, true)
    expect(cosign.written.map((a) => a[a.indexOf('--type') + 1])).toEqual(['slsaprovenance1'])
    expect(outcomes.every((m) => [...m.values()].every((o) => o.status === 'fulfilled'))).toBe(true)
  })
})
