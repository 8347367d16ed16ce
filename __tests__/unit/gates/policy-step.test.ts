import { beforeEach, describe, expect, test, vi } from 'vitest'

vi.mock('@actions/core', () => ({ info: vi.fn(), notice: vi.fn(), warning: vi.fn(), startGroup: vi.fn(), endGroup: vi.fn() }))
const { pushedImagesGate } = await import('../../../src/gates/policy-step.js')

beforeEach(() => vi.clearAllMocks())

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
    expect(v.refusal).toEqual({ rule: 'max-image-size', message: 'Image too large:\n- linux/amd64: the image is 1.1MB compressed (1100000 bytes), over max-image-size 1.0MB\n- linux/arm64: the image is 1.1MB compressed (1100000 bytes), over max-image-size 1.0MB' })
    // One manifest read per platform, for the sizes and the architecture check alike.
    expect(r.manifest.mock.calls).toEqual([[`${N}@${AMD}`], [`${N}@${ARM}`]])
    expect(r.blob).not.toHaveBeenCalled()
  })

  test('warn mode: root is a note, not a refusal', async () => {
    const v = await pushedImagesGate(N, pushed('0'), { policy: 'warn', allowRoot: false, allowedBases: [] }, reads())
    const root = ['linux/amd64: the pushed image runs as root (config User "0"). Set USER 65532:65532 in the final stage, or `allow-root: true`.', 'linux/arm64: the pushed image runs as root (config User "0"). Set USER 65532:65532 in the final stage, or `allow-root: true`.']
    expect(v).toEqual({ notes: root, warnings: root, refusal: undefined })
  })

  test('enforce mode: root and size refused together, each under its heading', async () => {
    const v = await pushedImagesGate(N, pushed('root'), { policy: 'enforce', allowRoot: false, allowedBases: [], maxImageSize: 1_000_000 }, reads())
    expect(v.refusal?.rule).toBe('non-root')
    expect(v.refusal?.message.split('\n').filter((l) => !l.startsWith('- '))).toEqual(['Policy refuses the pushed image:', 'Image too large:'])
  })

  test('policy off without a size limit reads nothing', async () => {
    const r = reads()
    expect(await pushedImagesGate(N, pushed('0'), { policy: 'off', allowRoot: false, allowedBases: [] }, r)).toEqual({ notes: [], warnings: [] })
    expect(r.manifest).not.toHaveBeenCalled()
  })
})
