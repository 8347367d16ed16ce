/**
 * An OCI image layout on disk (what `buildx build --output type=oci,tar=false` writes under
 * push: false): the same manifests, configs and layers the registry would hold, read from files.
 * One platform can be split off into a layout of its own (trivy's `--input` takes a layout with
 * one image) and packed as a tar (`docker load` takes one).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pack } from 'tar-stream'
import { isDigest } from '../tags/refs.js'
import type { ImageConfig, Pushed, RawManifest } from './manifest.js'
import { isIndex, platformDigests } from './manifest.js'

interface IndexFile {
  manifests?: Array<{ mediaType?: string; digest?: string; size?: number }>
}

export class OciLayout {
  constructor(readonly dir: string) {}

  blobPath(digest: string): string {
    if (!isDigest(digest)) throw new Error(`${digest} is not a sha256 digest`)
    return path.join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length))
  }

  open(digest: string): Promise<Readable> {
    return Promise.resolve(fs.createReadStream(this.blobPath(digest)))
  }

  json<T>(digest: string): T {
    return JSON.parse(fs.readFileSync(this.blobPath(digest), 'utf8')) as T
  }

  /** The image the build wrote: its index (or lone manifest) digest, each platform's manifest and config. */
  images(built: string[]): Required<Pushed> {
    const top = (JSON.parse(fs.readFileSync(path.join(this.dir, 'index.json'), 'utf8')) as IndexFile).manifests?.[0]
    if (!top?.digest) throw new Error(`${this.dir}/index.json names no image: the build wrote no OCI layout`)
    const manifest = this.json<RawManifest>(top.digest)
    let platforms: Record<string, string>
    if (isIndex(manifest)) platforms = platformDigests(manifest)
    else if (built.length === 1) platforms = { [built[0] as string]: top.digest }
    else throw new Error(`the OCI layout holds a single manifest, but ${built.length} platforms were built`)
    const missing = built.filter((p) => !platforms[p])
    if (missing.length) throw new Error(`the OCI layout lacks ${missing.join(', ')} (it has ${Object.keys(platforms).join(', ') || 'none'})`)
    const configs: Record<string, ImageConfig> = {}
    for (const [platform, digest] of Object.entries(platforms)) {
      const config = this.json<RawManifest>(digest).config?.digest
      if (config) configs[platform] = this.json<ImageConfig>(config)
    }
    return { digest: top.digest, platforms, configs }
  }

  /**
   * One platform as a layout of its own (blobs hard-linked, copied across devices), its index
   * naming it `name` as containerd and docker load read it.
   */
  splitOff(platform: string, digest: string, dest: string, name: string): OciLayout {
    const manifest = this.json<RawManifest>(digest)
    const blobs = [digest, manifest.config?.digest ?? '', ...(manifest.layers ?? []).map((l) => l.digest ?? '')]
    fs.mkdirSync(path.join(dest, 'blobs', 'sha256'), { recursive: true })
    const out = new OciLayout(dest)
    for (const b of blobs) {
      if (fs.existsSync(out.blobPath(b))) continue
      try {
        fs.linkSync(this.blobPath(b), out.blobPath(b))
      } catch {
        fs.copyFileSync(this.blobPath(b), out.blobPath(b))
      }
    }
    const [os = '', architecture = '', variant] = platform.split('/')
    const descriptor = {
      mediaType: manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: fs.statSync(this.blobPath(digest)).size,
      platform: { os, architecture, ...(variant ? { variant } : {}) },
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) }
    }
    fs.writeFileSync(path.join(dest, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    fs.writeFileSync(path.join(dest, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [descriptor] }))
    return out
  }

  /** The layout as one tar archive (what `docker load` reads). */
  async packTo(file: string): Promise<void> {
    const tar = pack()
    const done = pipeline(tar, fs.createWriteStream(file, { mode: 0o600 }))
    const files = ['oci-layout', 'index.json', ...fs.readdirSync(path.join(this.dir, 'blobs', 'sha256')).map((h) => `blobs/sha256/${h}`)]
    for (const name of files) {
      const full = path.join(this.dir, name)
      const size = fs.statSync(full).size
      await new Promise<void>((resolve, reject) => {
        const entry = tar.entry({ name, size, mode: 0o644 }, (err) => (err ? reject(err) : resolve()))
        fs.createReadStream(full).on('error', reject).pipe(entry)
      })
    }
    tar.finalize()
    await done
  }
}
