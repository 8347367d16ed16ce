import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import * as zlib from 'node:zlib'
import { pack } from 'tar-stream'
import { describe, expect, test } from 'vitest'
import type { Layer } from '../../../src/registry/layer-search.js'
import { extractFile, findFileHead } from '../../../src/registry/layer-search.js'

type Entry = { name: string; type?: 'file' | 'symlink' | 'link' | 'directory'; content?: Buffer | string; linkname?: string }

/** A layer as a registry serves it: a tar (here made with tar-stream), gzip-compressed by default. */
async function layer(digest: string, entries: Entry[], gzip = true): Promise<Layer & { size: number }> {
  const p = pack()
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'link' || e.type === 'directory') p.entry({ name: e.name, type: e.type, linkname: e.linkname })
    else p.entry({ name: e.name }, e.content ?? '')
  }
  p.finalize()
  const chunks: Buffer[] = []
  for await (const c of p) chunks.push(c as Buffer)
  const tarball = Buffer.concat(chunks)
  const bytes = gzip ? zlib.gzipSync(tarball) : tarball
  return {
    digest,
    mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
    size: bytes.length,
    // Served in 4 KiB chunks, as a network read would arrive.
    open: () => Promise.resolve(Readable.from((function* () { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096) })()))
  }
}

const ELF = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 183, 0])])
// Incompressible, so the layer is as large compressed as it is in the tar.
const noise = (n: number) => randomBytes(n)

describe('findFileHead (layers given top first)', () => {
  test('a file in the top layer: the first bytes, without reading the rest of a large layer', async () => {
    const top = await layer('sha256:top', [{ name: 'hello', content: Buffer.concat([ELF, noise(4096)]) }, { name: 'big.bin', content: noise(3_000_000) }])
    const r = await findFileHead([top], ['/hello'], 20)
    expect(r.found).toEqual({ path: '/hello', head: ELF, layer: 'sha256:top', mode: 0o644 })
    expect(r.layersOpened).toBe(1)
    expect(r.bytesRead).toBeLessThan(top.size / 4)
  })

  test('a file in a lower layer, an uncompressed tar above it', async () => {
    const top = await layer('sha256:top', [{ name: 'etc/config', content: 'x' }], false)
    const base = await layer('sha256:base', [{ name: './usr/local/bin/server', content: ELF }])
    const r = await findFileHead([top, base], ['/usr/local/bin/server'], 20)
    expect(r.found?.layer).toBe('sha256:base')
    expect(r.layersOpened).toBe(2)
  })

  test('the top layer wins over a lower one', async () => {
    const top = await layer('sha256:top', [{ name: 'app', content: ELF }])
    const base = await layer('sha256:base', [{ name: 'app', content: '#!/bin/sh\n' }])
    expect((await findFileHead([top, base], ['/app'], 20)).found?.head).toEqual(ELF)
  })

  test.each<[string, Entry[], Entry[], string, string]>([
    ['an absolute symlink', [{ name: 'app', type: 'symlink', linkname: '/opt/app/bin/server' }], [{ name: 'opt/app/bin/server', content: ELF }], '/app', '/opt/app/bin/server'],
    ['a relative symlink', [{ name: 'usr/bin/app', type: 'symlink', linkname: '../lib/app/server' }], [{ name: 'usr/lib/app/server', content: ELF }], '/usr/bin/app', '/usr/lib/app/server'],
    ['a symlinked directory on the way', [{ name: 'bin', type: 'symlink', linkname: 'usr/bin' }], [{ name: 'usr/bin/server', content: ELF }], '/bin/server', '/usr/bin/server'],
    ['a hard link', [{ name: 'usr/bin/server', content: ELF }, { name: 'app', type: 'link', linkname: 'usr/bin/server' }], [], '/app', '/usr/bin/server']
  ])('follows %s within the image', async (_name, top, base, ask, path) => {
    const r = await findFileHead([await layer('sha256:top', top), await layer('sha256:base', base)], [ask], 20)
    expect(r.found?.path).toBe(path)
    expect(r.found?.head).toEqual(ELF)
  })

  test('a whiteout in an upper layer hides the file below', async () => {
    const top = await layer('sha256:top', [{ name: 'usr/bin/.wh.server', content: '' }])
    const base = await layer('sha256:base', [{ name: 'usr/bin/server', content: ELF }])
    const r = await findFileHead([top, base], ['/usr/bin/server'], 20)
    expect(r.found).toBeUndefined()
    expect(r.layersOpened).toBe(1)
  })

  test('PATH candidates: the first that exists', async () => {
    const base = await layer('sha256:base', [{ name: 'usr/bin/server', content: ELF }])
    expect((await findFileHead([base], ['/usr/local/bin/server', '/usr/bin/server'], 20)).found?.path).toBe('/usr/bin/server')
  })

  // Layers bottom first here, as a manifest lists them; the search takes them top first.
  test.each<[string, Entry[][], string, string | undefined]>([
    ['an opaque directory hides what lower layers have in it', [[{ name: 'app/bin/server', content: ELF }], [{ name: 'app/.wh..wh..opq', content: '' }]], '/app/bin/server', undefined],
    ['an opaque directory keeps its own layer\'s files', [[{ name: 'app/bin/server', content: 'old' }], [{ name: 'app/.wh..wh..opq', content: '' }, { name: 'app/bin/server', content: ELF }]], '/app/bin/server', '/app/bin/server'],
    ['an opaque root hides every lower layer', [[{ name: 'server', content: ELF }], [{ name: '.wh..wh..opq', content: '' }]], '/server', undefined],
    ['a whiteout of a directory on the way hides the file', [[{ name: 'opt/app/server', content: ELF }], [{ name: 'opt/.wh.app', content: '' }]], '/opt/app/server', undefined],
    ['a file put in place of a directory hides what was under it', [[{ name: 'opt/app/server', content: ELF }], [{ name: 'opt/app', content: 'a file now' }]], '/opt/app/server', undefined],
    ['deleted, then put back by a higher layer', [[{ name: 'server', content: 'old' }], [{ name: '.wh.server', content: '' }], [{ name: 'server', content: ELF }]], '/server', '/server'],
    ['a directory the archive does not list is there because a file is in it', [[{ name: 'deep/er/server', content: ELF }]], '/deep/er/server', '/deep/er/server'],
    ['.. after a symlinked directory is taken from where the link leads', [[{ name: 'opt/real/bin/server', content: ELF }, { name: 'opt/real/lib', type: 'directory' }, { name: 'link', type: 'symlink', linkname: 'opt/real/lib' }]], '/link/../bin/server', '/opt/real/bin/server']
  ])('merging as the OCI spec says: %s', async (_name, bottomFirst, ask, found) => {
    const layers = await Promise.all(bottomFirst.map((entries, i) => layer(`sha256:l${i}`, entries)))
    const r = await findFileHead(layers.reverse(), [ask], 20)
    expect(r.found?.path).toBe(found)
    if (found) expect(r.found?.head).toEqual(ELF)
  })

  test('symlinks that loop fail as the kernel does (ELOOP), not forever', async () => {
    const l = await layer('sha256:loop', [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }])
    await expect(findFileHead([l], ['/a'], 20)).rejects.toThrow('too many levels of symbolic links resolving /a')
  })

  test('a file that is nowhere', async () => {
    const r = await findFileHead([await layer('sha256:a', [{ name: 'x', content: 'x' }])], ['/app'], 20)
    expect(r.found).toBeUndefined()
    expect(r.layersOpened).toBe(1)
  })

  test('a corrupt layer fails naming it', async () => {
    const bad: Layer = { digest: 'sha256:bad', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', open: () => Promise.resolve(Readable.from([Buffer.from('not gzip at all')])) }
    await expect(findFileHead([bad], ['/app'], 20)).rejects.toThrow(/reading layer sha256:bad: /)
  })
})

describe('extractFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-'))
  test.each([
    ['a large binary, whole, gzip', true, 'usr/bin/app', '/usr/bin/app'],
    ['from an uncompressed layer', false, 'app', '/app'],
    ['by the path with or without its leading slash', true, './opt/server', 'opt/server']
  ])('%s', async (_, gzip, name, asked) => {
    const content = Buffer.concat([ELF, noise(700_000)])
    const l = await layer('sha256:l', [{ name: 'etc/passwd', content: 'x' }, { name, content }, { name: 'after', content: noise(10_000) }], gzip)
    const dest = path.join(dir, `out-${Math.random()}`)
    expect(await extractFile(l, asked, dest)).toBe(content.length)
    expect(fs.readFileSync(dest).equals(content)).toBe(true)
    expect(fs.statSync(dest).mode & 0o777).toBe(0o700)
  })
  test('a layer without the file is an error naming the layer and the path', async () => {
    const l = await layer('sha256:l', [{ name: 'app', content: ELF }])
    await expect(extractFile(l, '/usr/bin/app', path.join(dir, 'missing'))).rejects.toThrow('layer sha256:l holds no regular file /usr/bin/app')
  })
  test('a symlink of that name is not the file (the lookup already followed it)', async () => {
    const l = await layer('sha256:l', [{ name: 'app', type: 'symlink', linkname: 'real' }])
    await expect(extractFile(l, '/app', path.join(dir, 'link'))).rejects.toThrow('holds no regular file /app')
  })
})
