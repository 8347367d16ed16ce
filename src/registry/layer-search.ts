/**
 * An image's filesystem as a container sees it, read from its layers (top first) only as far as a
 * question needs: tar-stream over zlib's gunzip or zstd, never a whole pull. The layers are merged
 * as the OCI image spec's "Applying Changesets" says: an upper layer's entry wins, `.wh.NAME`
 * deletes NAME below it, `.wh..wh..opq` hides everything below in its directory, and a
 * non-directory hides whatever lower layers have under its path.
 */
import { createWriteStream } from 'node:fs'
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
  /** The file's permission bits, as its tar entry gives them. */
  mode: number
}

export interface SearchResult {
  found?: Found
  /** Compressed bytes received, over all layers opened. */
  bytesRead: number
  layersOpened: number
}

/** A path looked up in the merged view: a regular file, or why there is none. */
export type Resolution = { found: Found } | { missing: string; why: 'absent' | 'not a directory' | 'a directory' | 'not a regular file' }

type Node = { kind: 'file'; mode: number; head: Buffer } | { kind: 'dir' } | { kind: 'symlink'; target: string } | { kind: 'hardlink'; target: string } | { kind: 'other' }

/** What one layer was seen to hold, for the paths asked about so far (archive paths, no leading slash). */
interface LayerView {
  entries: Map<string, Node>
  whiteouts: Set<string>
  opaque: Set<string>
  /** Paths the layer was read to its end for: what is not in `entries` is not in the layer. */
  complete: Set<string>
}

const strip = (name: string) => path.normalize(`/${name}`).slice(1).replace(/\/$/, '')

/** `a/b/c` -> `a`, `a/b`, `a/b/c`. */
function prefixes(p: string): string[] {
  const parts = p.split('/').filter(Boolean)
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'))
}

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

/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS), past which it answers ELOOP. */
const MAX_SYMLINKS = 40

export class ImageFs {
  bytesRead = 0
  /** Distinct layers opened (a layer read again for a later question counts once; its bytes count again). */
  get layersOpened(): number {
    return this.opened.size
  }
  private readonly opened = new Set<number>()
  private readonly views: LayerView[]
  private readonly interest = new Set<string>()

  /** `layers` top first. */
  constructor(
    private readonly layers: Layer[],
    private readonly headBytes: number
  ) {
    this.views = layers.map(() => ({ entries: new Map(), whiteouts: new Set(), opaque: new Set(), complete: new Set() }))
  }

  /** Asks for these paths (and their directories) whenever a layer is read, so one read answers many. */
  expect(paths: string[]): void {
    for (const p of paths) for (const q of prefixes(strip(p))) this.interest.add(q)
  }

  /**
   * An absolute path resolved as the kernel resolves it in the container: every component in the
   * merged view, symlinks followed (relative to their directory, absolute ones from the image's root),
   * `..` taken after the symlinks before it.
   */
  async resolve(abs: string): Promise<Resolution> {
    let parts = abs.split('/').filter(Boolean)
    let done: string[] = []
    let hops = 0
    this.expect([abs])
    while (parts.length) {
      const name = parts.shift() as string
      if (name === '.') continue
      if (name === '..') {
        done.pop()
        continue
      }
      const p = [...done, name].join('/')
      const top = await this.top(p)
      if (!top) return { missing: `/${p}`, why: 'absent' }
      const node = top.node
      if (node.kind === 'symlink') {
        if (++hops > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${abs}`)
        if (node.target.startsWith('/')) done = []
        parts = [...node.target.split('/').filter(Boolean), ...parts]
        this.expect([`/${[...done, ...parts].join('/')}`])
        continue
      }
      if (node.kind === 'dir') {
        done.push(name)
        continue
      }
      if (parts.length) return { missing: `/${p}`, why: 'not a directory' }
      if (node.kind === 'hardlink') {
        // A hard link names a file of the same layer, by its path in that layer's archive.
        const target = await this.inLayer(top.layer, node.target)
        if (target?.kind !== 'file') return { missing: `/${p}`, why: 'not a regular file' }
        return { found: { path: `/${node.target}`, head: target.head, mode: target.mode, layer: this.layers[top.layer]?.digest ?? '' } }
      }
      if (node.kind === 'other') return { missing: `/${p}`, why: 'not a regular file' }
      return { found: { path: `/${p}`, head: node.head, mode: node.mode, layer: this.layers[top.layer]?.digest ?? '' } }
    }
    return { missing: `/${done.join('/')}`, why: 'a directory' }
  }

  /** The entry at exactly `p` in the merged view (not followed), and the layer it comes from. */
  private async top(p: string): Promise<{ node: Node; layer: number } | undefined> {
    for (let i = 0; i < this.layers.length; i++) {
      const fact = await this.fact(i, p)
      if (fact === 'deleted') return undefined
      if (fact !== 'absent') return { node: fact, layer: i }
    }
    return undefined
  }

  /** What layer `i` says about `p`: its entry, that it deletes it (or hides it) for the layers below, or nothing. */
  private async fact(i: number, p: string): Promise<Node | 'deleted' | 'absent'> {
    const view = this.views[i] as LayerView
    for (let pass = 0; ; pass++) {
      const node = view.entries.get(p)
      if (node) return node
      if (view.whiteouts.has(p)) return 'deleted'
      const above = prefixes(p).slice(0, -1)
      // A non-directory at a directory above `p`: this layer cannot hold `p`, and lower layers' `p` is gone.
      if (above.some((a) => view.entries.has(a) && view.entries.get(a)?.kind !== 'dir')) return 'deleted'
      if (view.complete.has(p)) {
        // Not in this layer; a whiteout or an opaque marker of a directory above it hides the layers below.
        return view.opaque.has('') || above.some((a) => view.whiteouts.has(a) || view.opaque.has(a)) ? 'deleted' : 'absent'
      }
      if (pass > 0) throw new Error(`reading layer ${this.layers[i]?.digest ?? i} did not answer for /${p}`)
      await this.scan(i, [p])
    }
  }

  /** The entry at `p` in layer `i` alone (for a hard link's target). */
  private async inLayer(i: number, p: string): Promise<Node | undefined> {
    const view = this.views[i] as LayerView
    if (!view.entries.has(p) && !view.complete.has(p)) {
      this.expect([p])
      await this.scan(i, [p])
    }
    const node = view.entries.get(p)
    // A hard link to a symlink or to another hard link is not followed further: tar writers do not make them.
    return node
  }

  /**
   * Reads layer `i` for every path of interest, until each of `want` has shown (an entry, or its
   * whiteout), or to the end, when everything not seen is known to be absent from the layer.
   */
  private async scan(i: number, want: string[]): Promise<void> {
    const layer = this.layers[i] as Layer
    const view = this.views[i] as LayerView
    const interest = new Set([...this.interest, ...want.flatMap(prefixes)])
    const raw = await layer.open()
    this.opened.add(i)
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const tar = extract()
      const unzip = decompressor(layer.mediaType)
      const done = (err?: Error) => {
        if (settled) return
        settled = true
        raw.destroy()
        unzip?.destroy()
        tar.destroy()
        if (err) reject(err)
        else resolve()
      }
      const answered = () => want.every((w) => view.entries.has(w) || view.whiteouts.has(w))
      raw.on('data', (c: Buffer) => (this.bytesRead += c.length))
      // Keep the code (ECONNRESET...) so that a reset mid-layer is retried as the transient it is.
      const fail = (e: NodeJS.ErrnoException) => done(new Error(`reading layer ${layer.digest}: ${e.message}${e.code ? ` (${e.code})` : ''}`, { cause: e }))
      raw.on('error', fail)
      unzip?.on('error', fail)
      tar.on('error', fail)
      tar.on('entry', (header, stream, next) => {
        const name = strip(header.name)
        const dir = path.dirname(name) === '.' ? '' : path.dirname(name)
        const base = path.basename(name)
        // An entry implies its directories in this layer, whether or not the archive lists them.
        for (const a of prefixes(name).slice(0, -1)) if (interest.has(a) && !view.entries.has(a)) view.entries.set(a, { kind: 'dir' })
        const settle = () => (answered() ? done() : undefined)
        if (base === '.wh..wh..opq') {
          if (!dir || interest.has(dir)) view.opaque.add(dir)
        } else if (base.startsWith('.wh.')) {
          const gone = strip(path.join(dir, base.slice(4)))
          if (interest.has(gone)) view.whiteouts.add(gone)
        } else if (interest.has(name)) {
          if (header.type === 'directory') view.entries.set(name, { kind: 'dir' })
          else if (header.type === 'symlink') view.entries.set(name, { kind: 'symlink', target: header.linkname ?? '' })
          else if (header.type === 'link') view.entries.set(name, { kind: 'hardlink', target: strip(header.linkname ?? '') })
          else if (header.type === 'file' || header.type === 'contiguous-file') {
            const chunks: Buffer[] = []
            let have = 0
            let recorded = false
            const record = () => {
              if (recorded) return
              recorded = true
              view.entries.set(name, { kind: 'file', mode: header.mode ?? 0, head: Buffer.concat(chunks).subarray(0, this.headBytes) })
            }
            stream.on('data', (data: unknown) => {
              const c = data as Buffer
              chunks.push(c)
              have += c.length
              if (have >= this.headBytes && !recorded) {
                record()
                settle()
              }
            })
            stream.on('end', () => {
              record()
              if (settled) return
              if (answered()) done()
              else next()
            })
            return
          } else view.entries.set(name, { kind: 'other' })
        }
        if (answered()) return done()
        stream.on('end', next)
        stream.resume()
      })
      tar.on('finish', () => {
        for (const p of interest) view.complete.add(p)
        done()
      })
      if (unzip) raw.pipe(unzip).pipe(tar)
      else raw.pipe(tar)
    })
  }
}

/**
 * The first `headBytes` of the first of `candidates` (absolute paths) that is a regular file in
 * the image whose layers are given top first; symlinks within the image are followed.
 */
export async function findFileHead(layers: Layer[], candidates: string[], headBytes: number): Promise<SearchResult> {
  const fs = new ImageFs(layers, headBytes)
  fs.expect(candidates)
  for (const c of candidates) {
    const r = await fs.resolve(c)
    if ('found' in r) return { found: r.found, bytesRead: fs.bytesRead, layersOpened: fs.layersOpened }
  }
  return { bytesRead: fs.bytesRead, layersOpened: fs.layersOpened }
}

/**
 * Streams the regular file at `archivePath` (as `Found.path` names it, symlinks already followed)
 * out of one layer into `dest`, created 0700 for the action alone; throws when the layer holds no
 * such file.
 */
export async function extractFile(layer: Layer, archivePath: string, dest: string): Promise<number> {
  const want = strip(archivePath)
  const raw = await layer.open()
  return new Promise<number>((resolve, reject) => {
    let settled = false
    const tar = extract()
    const unzip = decompressor(layer.mediaType)
    const done = (err?: Error, bytes?: number) => {
      if (settled) return
      settled = true
      raw.destroy()
      unzip?.destroy()
      tar.destroy()
      if (err) reject(err)
      else resolve(bytes ?? 0)
    }
    const fail = (e: NodeJS.ErrnoException) => done(new Error(`reading layer ${layer.digest}: ${e.message}${e.code ? ` (${e.code})` : ''}`, { cause: e }))
    raw.on('error', fail)
    unzip?.on('error', fail)
    tar.on('error', fail)
    tar.on('entry', (header, stream, next) => {
      if (strip(header.name) !== want || (header.type !== 'file' && header.type !== 'contiguous-file')) {
        stream.on('end', next)
        stream.resume()
        return
      }
      const out = createWriteStream(dest, { mode: 0o700 })
      let bytes = 0
      stream.on('data', (c: unknown) => (bytes += (c as Buffer).length))
      out.on('error', fail)
      out.on('finish', () => done(undefined, bytes))
      stream.pipe(out)
    })
    tar.on('finish', () => done(new Error(`layer ${layer.digest} holds no regular file /${want}`)))
    if (unzip) raw.pipe(unzip).pipe(tar)
    else raw.pipe(tar)
  })
}
