import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { extract } from 'tar-stream'
import { expect, test } from 'vitest'
import { checkPlatform } from '../../../src/gates/architecture-rules.js'
import { OciLayout } from '../../../src/registry/oci-layout.js'
import type { RawManifest } from '../../../src/registry/manifest.js'
import { ELF, writeLayout } from './oci-layout-fixture.js'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'oci-layout-'))

test('images: the index, each platform manifest (attestation manifests left out) and config, read from files', async () => {
  const dir = tmp()
  const written = await writeLayout(dir, { 'linux/amd64': { content: ELF.amd64 }, 'linux/arm64': { content: ELF.arm64 } })
  const images = new OciLayout(dir).images(['linux/amd64', 'linux/arm64'])
  expect(images.digest).toBe(written.digest)
  expect(images.platforms).toEqual(written.platforms)
  expect(images.configs['linux/arm64']?.config?.Entrypoint).toEqual(['/app'])
})

test('images: a platform the build was asked for and the layout lacks is an error naming it', async () => {
  const dir = tmp()
  await writeLayout(dir, { 'linux/amd64': { content: ELF.amd64 } })
  expect(() => new OciLayout(dir).images(['linux/amd64', 'linux/arm64'])).toThrow('the OCI layout lacks linux/arm64 (it has linux/amd64)')
})

test.each([
  ['the right binary passes', 'linux/arm64', ELF.arm64, undefined],
  ['an x86-64 binary in the arm64 image is refused', 'linux/arm64', ELF.amd64, 'is x86-64 (ELF64, little-endian), but linux/arm64 needs AArch64']
])('the architecture check reads blobs from the layout: %s', async (_name, platform, content, refused) => {
  const dir = tmp()
  await writeLayout(dir, { [platform]: { content } })
  const layout = new OciLayout(dir)
  const images = layout.images([platform])
  const check = await checkPlatform(platform, images.configs[platform], layout.json<RawManifest>(images.platforms[platform] ?? ''), (d) => layout.open(d))
  if (refused) expect(check.finding?.message).toContain(refused)
  else expect(check.finding).toBeUndefined()
})

test('splitOff: one platform as its own layout, named for docker load; packTo: the tar docker load reads', async () => {
  const dir = tmp()
  const written = await writeLayout(dir, { 'linux/amd64': { content: ELF.amd64 }, 'linux/arm64': { content: ELF.arm64 } })
  const layout = new OciLayout(dir)
  const amd = written.platforms['linux/amd64'] ?? ''
  const single = layout.splitOff('linux/amd64', amd, path.join(dir, '..', path.basename(dir) + '-amd64'), 'build-distroless-image.local/op:7-amd64')
  const index = JSON.parse(fs.readFileSync(path.join(single.dir, 'index.json'), 'utf8')) as { manifests: Array<Record<string, unknown>> }
  expect(index.manifests).toHaveLength(1)
  expect(index.manifests[0]).toMatchObject({ digest: amd, platform: { os: 'linux', architecture: 'amd64' }, annotations: { 'io.containerd.image.name': 'build-distroless-image.local/op:7-amd64', 'org.opencontainers.image.ref.name': '7-amd64' } })
  // The manifest, its config and its one layer; nothing of arm64.
  expect(fs.readdirSync(path.join(single.dir, 'blobs', 'sha256'))).toHaveLength(3)
  expect(single.images(['linux/amd64']).platforms).toEqual({ 'linux/amd64': amd })

  const tar = `${single.dir}.tar`
  await single.packTo(tar)
  const names: string[] = []
  const x = extract()
  x.on('entry', (h, stream, next) => (names.push(h.name), stream.resume(), stream.on('end', next)))
  fs.createReadStream(tar).pipe(x)
  await new Promise<void>((r) => x.on('finish', () => r()))
  expect(names.slice(0, 2)).toEqual(['oci-layout', 'index.json'])
  expect(names.filter((n) => n.startsWith('blobs/sha256/'))).toHaveLength(3)
})
