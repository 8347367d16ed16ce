import { describe, expect, test } from 'vitest'
import { verifyAttestations, verifySignatures } from '../../../src/supply-chain/verify.js'
import { AMD, ARM, IDX, N, fakeCosign } from './fake-cosign.js'

const subjects = [
  { subject: 'index', digest: IDX },
  { subject: 'linux/amd64', digest: AMD }
]

describe('verifySignatures', () => {
  test('every subject checked as a consumer would, by digest and with the signing identity', async () => {
    const cosign = fakeCosign()
    const outcomes = await verifySignatures(cosign, subjects)
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: `signature of index ${IDX}` },
      { status: 'fulfilled', value: `signature of linux/amd64 ${AMD}` }
    ])
    expect(cosign.checked).toEqual(subjects.map((s) => ['verify', '--key', '/k/cosign.pub', '--output', 'json', `${N}@${s.digest}`]))
  })

  test('one failure is that subject\'s alone', async () => {
    const outcomes = await verifySignatures(fakeCosign({ fails: (args) => args.includes(`${N}@${AMD}`) }), subjects)
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected'])
  })
})

describe('verifyAttestations', () => {
  test('CycloneDX by default, named for the summary', async () => {
    const cosign = fakeCosign()
    const outcomes = await verifyAttestations(cosign, subjects)
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : ''))).toEqual([`CycloneDX attestation of index ${IDX}`, `CycloneDX attestation of linux/amd64 ${AMD}`])
    expect(cosign.checked.every((a) => a[0] === 'verify-attestation' && a[a.indexOf('--type') + 1] === 'cyclonedx')).toBe(true)
  })

  test('each subject may carry its own predicate type (provenance v0.2 or v1)', async () => {
    const cosign = fakeCosign()
    const outcomes = await verifyAttestations(cosign, [
      { subject: 'linux/amd64', digest: AMD, type: 'slsaprovenance02' },
      { subject: 'linux/arm64', digest: ARM, type: 'slsaprovenance1' }
    ])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : ''))).toEqual([`SLSA provenance attestation (slsaprovenance02) of linux/amd64 ${AMD}`, `SLSA provenance attestation (slsaprovenance1) of linux/arm64 ${ARM}`])
  })

  test('the vulnerability scan attestation', async () => {
    const outcomes = await verifyAttestations(fakeCosign(), [{ subject: 'linux/amd64', digest: AMD }], 'vuln')
    expect(outcomes).toEqual([{ status: 'fulfilled', value: `vulnerability scan attestation (vuln) of linux/amd64 ${AMD}` }])
  })
})
