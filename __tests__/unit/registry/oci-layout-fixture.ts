/** A small OCI image layout as buildx's oci exporter writes it: an index of platforms, each with an attestation manifest. */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { pack } from 'tar-stream'

const X86_64 = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 62, 0])])
const AARCH64 = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 183, 0])])
export const ELF = { amd64: X86_64, arm64: AARCH64 }

function gzLayer(files: Record<string, { content: Buffer; mode: number }>): Promise<Buffer> {
  const p = pack()
  for (const [name, f] of Object.entries(files)) p.entry({ name, mode: f.mode }, f.content)
  p.finalize()
  return (async () => {
    const chunks: Buffer[] = []
    for await (const c of p) chunks.push(c as Buffer)
    return zlib.gzipSync(Buffer.concat(chunks))
  })()
}

/** Writes the layout; `binary` gives each platform's /app (head and mode). Returns the top digest and each platform's manifest digest. */
export async function writeLayout(dir: string, binary: Record<string, { content: Buffer; mode?: number }>, user = '65532:65532'): Promise<{ digest: string; platforms: Record<string, string> }> {
  const blobs = path.join(dir, 'blobs', 'sha256')
  fs.mkdirSync(blobs, { recursive: true })
  const put = (data: Buffer | string) => {
    const buf = Buffer.from(data)
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`
    fs.writeFileSync(path.join(blobs, digest.slice(7)), buf)
    return { digest, size: buf.length }
  }
  const manifests: object[] = []
  const platforms: Record<string, string> = {}
  for (const [platform, bin] of Object.entries(binary)) {
    const [os, architecture] = platform.split('/') as [string, string]
    const layer = put(await gzLayer({ app: { content: bin.content, mode: bin.mode ?? 0o755 } }))
    const config = put(JSON.stringify({ architecture, os, config: { User: user, Entrypoint: ['/app'] }, rootfs: { type: 'layers', diff_ids: [] } }))
    const m = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }] }))
    platforms[platform] = m.digest
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { architecture, os } })
    const att = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: config, layers: [] }))
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...att, annotations: { 'vnd.docker.reference.digest': m.digest, 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { architecture: 'unknown', os: 'unknown' } })
  }
  const index = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }))
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index }] }))
  return { digest: index.digest, platforms }
}
