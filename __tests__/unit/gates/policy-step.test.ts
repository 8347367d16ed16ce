import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { Finding } from '../../../src/dockerfile/policy-rules.js'

vi.mock('@actions/core', () => ({ info: vi.fn(), notice: vi.fn(), warning: vi.fn(), startGroup: vi.fn(), endGroup: vi.fn() }))
const core = await import('@actions/core')
const { verdict, pushedImagesGate } = await import('../../../src/gates/policy-step.js')

beforeEach(() => vi.clearAllMocks())

const error: Finding = { rule: 'non-root', level: 'error', message: 'runs as root' }
const warning: Finding = { rule: 'base-end-of-life', level: 'warning', message: 'Debian 12' }
const notice: Finding = { rule: 'base-digest', level: 'notice', message: 'pin it' }

describe('verdict', () => {
  test.each([
    ['enforce refuses on an error; warnings and notices are notes', 'enforce' as const, [error, warning, notice], ['Debian 12', 'pin it'], 'Refused:\n- runs as root'],
    ['warn turns the error into a warning and a note', 'warn' as const, [error, warning], ['runs as root', 'Debian 12'], undefined],
    ['nothing found, nothing said', 'enforce' as const, [], [], undefined]
  ])('%s', (_name, mode, findings, notes, refusal) => {
    expect(verdict(findings, mode, 'Refused')).toEqual({ notes, refusal })
  })

  test('notices and warnings reach the log as such', () => {
    verdict([error, warning, notice], 'warn', 'Refused')
    expect(core.notice).toHaveBeenCalledWith('pin it')
    expect(core.warning).toHaveBeenCalledWith('runs as root')
    expect(core.warning).toHaveBeenCalledWith('Debian 12')
  })
})

describe('pushedImagesGate', () => {
  const N = 'r.example/o/app'
  const AMD = 'sha256:' + 'a'.repeat(64)
  const ARM = 'sha256:' + 'b'.repeat(64)
  const pushed = (user: string) => ({
    digest: 'sha256:' + 'f'.repeat(64),
    platforms: { 'linux/amd64': AMD, 'linux/arm64': ARM },
    // No ENTRYPOINT or CMD: the architecture check has nothing to read, so no blob is opened.
    configs: { 'linux/amd64': { config: { User: user } }, 'linux/arm64': { config: { User: user } } }
  })
  const reads = () => ({
    manifest: vi.fn(() => Promise.resolve({ layers: [{ size: 600_000 }, { size: 500_000 }] })),
    config: vi.fn(() => Promise.reject(new Error('configs came with the digests'))),
    blob: vi.fn(() => Promise.reject(new Error('no layer to read')))
  })

  test('max-image-size fails whatever the policy mode, decided by rule', async () => {
    const r = reads()
    const v = await pushedImagesGate(N, pushed('65532'), { policy: 'warn', allowRoot: false, allowedBases: [], maxImageSize: 1_000_000 }, r)
    expect(v.refusal).toBe('Image too large:\n- linux/amd64: the image is 1.1MB compressed (1100000 bytes), over max-image-size 1.0MB\n- linux/arm64: the image is 1.1MB compressed (1100000 bytes), over max-image-size 1.0MB')
    // One manifest read per platform, for the sizes and the architecture check alike.
    expect(r.manifest.mock.calls).toEqual([[`${N}@${AMD}`], [`${N}@${ARM}`]])
    expect(r.blob).not.toHaveBeenCalled()
  })

  test('warn mode: root is a note, not a refusal', async () => {
    const v = await pushedImagesGate(N, pushed('0'), { policy: 'warn', allowRoot: false, allowedBases: [] }, reads())
    expect(v).toEqual({ notes: ['linux/amd64: the pushed image runs as root (config User "0"). Set USER 65532:65532 in the final stage, or `allow-root: true`.', 'linux/arm64: the pushed image runs as root (config User "0"). Set USER 65532:65532 in the final stage, or `allow-root: true`.'], refusal: undefined })
  })

  test('enforce mode: root and size refused together, each under its heading', async () => {
    const v = await pushedImagesGate(N, pushed('root'), { policy: 'enforce', allowRoot: false, allowedBases: [], maxImageSize: 1_000_000 }, reads())
    expect(v.refusal?.split('\n').filter((l) => !l.startsWith('- '))).toEqual(['Policy refuses the pushed image:', 'Image too large:'])
  })

  test('policy off without a size limit reads nothing', async () => {
    const r = reads()
    expect(await pushedImagesGate(N, pushed('0'), { policy: 'off', allowRoot: false, allowedBases: [] }, r)).toEqual({ notes: [] })
    expect(r.manifest).not.toHaveBeenCalled()
  })
})
