/**
 * Finds one file in an image's layers, top layer first, reading each layer only until the file
 * (or its whiteout) shows: tar-stream over zlib's gunzip or zstd, never a whole pull.
 */
import * as path from 'node:path/posix'
import type { Readable, Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { extract } from 'tar-stream'

export interface Layer {
  digest: string
  mediaType: string
  open: () => Promise<Readable>
}

export interface Found {
  /** The path read, after following symlinks. */
  path: string
  head: Buffer
  layer: string
}

export interface SearchResult {
  found?: Found
  /** Compressed bytes received, over all layers opened. */
  bytesRead: number
  layersOpened: number
}

type LayerHit = { kind: 'file'; name: string; head: Buffer } | { kind: 'link'; to: string } | { kind: 'deleted' }

const strip = (name: string) => path.normalize(`/${name}`).slice(1).replace(/\/$/, '')

function decompressor(mediaType: string): Transform | undefined {
  if (/gzip$/.test(mediaType)) return zlib.createGunzip()
  if (/zstd$/.test(mediaType)) {
    const zstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress
    if (!zstd) throw new Error(`layer media type ${mediaType} needs a Node.js with zstd (22.15 or later)`)
    return zstd()
  }
  if (/tar$/.test(mediaType)) return undefined
  throw new Error(`layer media type ${mediaType} is not a tar layer`)
}

/** Reads one layer until a target shows; resolves undefined when the layer does not have it. */
function scanLayer(layer: Layer, raw: Readable, targets: string[], headBytes: number, counted: { bytes: number }): Promise<LayerHit | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false
    const tar = extract()
    const unzip = decompressor(layer.mediaType)
    const done = (hit: LayerHit | undefined, err?: Error) => {
      if (settled) return
      settled = true
      raw.destroy()
      unzip?.destroy()
      tar.destroy()
      if (err) reject(err)
      else resolve(hit)
    }
    raw.on('data', (c: Buffer) => (counted.bytes += c.length))
    // Keep the code (ECONNRESET...) so that a reset mid-layer is retried as the transient it is.
    const fail = (e: NodeJS.ErrnoException) => done(undefined, new Error(`reading layer ${layer.digest}: ${e.message}${e.code ? ` (${e.code})` : ''}`, { cause: e }))
    raw.on('error', fail)
    unzip?.on('error', fail)
    tar.on('error', fail)
    let opaqueHit = false
    tar.on('entry', (header, stream, next) => {
      const name = strip(header.name)
      const dir = path.dirname(name)
      const base = path.basename(name)
      if (base === '.wh..wh..opq' && targets.some((t) => t.startsWith(`${dir}/`))) opaqueHit = true
      if (base.startsWith('.wh.') && targets.includes(strip(path.join(dir, base.slice(4))))) {
        stream.resume()
        return done({ kind: 'deleted' })
      }
      if (targets.includes(name)) {
        if (header.type === 'symlink') {
          stream.resume()
          return done({ kind: 'link', to: strip(path.resolve(`/${dir}`, header.linkname ?? '')) })
        }
        if (header.type === 'link') {
          stream.resume()
          return done({ kind: 'link', to: strip(header.linkname ?? '') })
        }
        if (header.type === 'file' || header.type === 'contiguous-file') {
          const chunks: Buffer[] = []
          let have = 0
          stream.on('data', (data: unknown) => {
            const c = data as Buffer
            chunks.push(c)
            have += c.length
            if (have >= headBytes) done({ kind: 'file', name, head: Buffer.concat(chunks).subarray(0, headBytes) })
          })
          stream.on('end', () => done({ kind: 'file', name, head: Buffer.concat(chunks) }))
          return
        }
      }
      // A directory on the way is a symlink: follow it (e.g. /bin -> usr/bin).
      if (header.type === 'symlink') {
        const under = targets.find((t) => t.startsWith(`${name}/`))
        if (under) {
          stream.resume()
          return done({ kind: 'link', to: strip(path.join(path.resolve(`/${dir}`, header.linkname ?? ''), under.slice(name.length + 1))) })
        }
      }
      stream.on('end', next)
      stream.resume()
    })
    tar.on('finish', () => done(opaqueHit ? { kind: 'deleted' } : undefined))
    if (unzip) raw.pipe(unzip).pipe(tar)
    else raw.pipe(tar)
  })
}

/**
 * The first `headBytes` of the first of `candidates` (absolute paths) in the image whose layers
 * are given top first; symlinks within the image are followed (at most 16 hops).
 */
export async function findFileHead(layers: Layer[], candidates: string[], headBytes: number): Promise<SearchResult> {
  const counted = { bytes: 0 }
  let opened = 0
  let targets = candidates.map(strip)
  for (let hop = 0; hop < 16; hop++) {
    let next: string[] | undefined
    for (const layer of layers) {
      opened++
      const hit = await scanLayer(layer, await layer.open(), targets, headBytes, counted)
      if (!hit) continue
      if (hit.kind === 'file') return { found: { path: `/${hit.name}`, head: hit.head, layer: layer.digest }, bytesRead: counted.bytes, layersOpened: opened }
      if (hit.kind === 'deleted') return { bytesRead: counted.bytes, layersOpened: opened }
      next = [hit.to]
      break
    }
    if (!next) return { bytesRead: counted.bytes, layersOpened: opened }
    targets = next
  }
  throw new Error(`too many symlinks following ${candidates.join(', ')}`)
}
