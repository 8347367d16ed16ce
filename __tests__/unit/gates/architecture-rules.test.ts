import { Readable } from 'node:stream'
import * as zlib from 'node:zlib'
import { pack } from 'tar-stream'
import { expect, test } from 'vitest'
import { checkPlatform, judgeExecutable, programCandidates } from '../../../src/gates/architecture-rules.js'

test.each<[string, object, string[]]>([
  ['an absolute ENTRYPOINT', { Entrypoint: ['/usr/local/bin/server', '--flag'], Cmd: ['x'] }, ['/usr/local/bin/server']],
  ['CMD when there is no ENTRYPOINT', { Cmd: ['/manager'] }, ['/manager']],
  ['a relative path, from WorkingDir', { Entrypoint: ['./manager'], WorkingDir: '/workspace' }, ['/workspace/manager']],
  ['a bare name, looked up in the image PATH', { Entrypoint: ['server'], Env: ['PATH=/app/bin:/usr/bin'] }, ['/app/bin/server', '/usr/bin/server']],
  ['no ENTRYPOINT or CMD', { Entrypoint: null, Cmd: null }, []]
])('programCandidates: %s', (_name, config, candidates) => {
  expect(programCandidates({ config }).candidates).toEqual(candidates)
})

const X86_64 = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 62, 0])])

async function gzLayer(files: Record<string, Buffer>): Promise<Buffer> {
  const p = pack()
  for (const [name, content] of Object.entries(files)) p.entry({ name }, content)
  p.finalize()
  const chunks: Buffer[] = []
  for await (const c of p) chunks.push(c as Buffer)
  return zlib.gzipSync(Buffer.concat(chunks))
}

test('an x86-64 entrypoint in the arm64 image is refused, naming platform, file, found and expected', async () => {
  const blobs: Record<string, Buffer> = { 'sha256:l1': await gzLayer({ 'etc/passwd': Buffer.from('nonroot:x:65532') }), 'sha256:l2': await gzLayer({ hello: X86_64 }) }
  const manifest = { layers: [{ digest: 'sha256:l1', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1 }, { digest: 'sha256:l2', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1 }] }
  const opened: string[] = []
  const open = (d: string) => (opened.push(d), Promise.resolve(Readable.from([blobs[d] ?? Buffer.alloc(0)])))
  const arm = await checkPlatform('linux/arm64', { config: { Entrypoint: ['/hello'] } }, manifest, open)
  expect(arm.finding?.message).toMatch(/^linux\/arm64: the image's main binary \/hello is x86-64 \(ELF64, little-endian\), but linux\/arm64 needs AArch64 \(ELF64, little-endian\); on a linux\/arm64 node it fails with "exec format error"/)
  expect(arm.line).toMatch(/^linux\/arm64: \/hello is x86-64 \(ELF64, little-endian\) \(read \d+ B of 1 layer in \d+ ms\)$/)
  expect(opened).toEqual(['sha256:l2']) // top layer first, and it had the file
  const amd = await checkPlatform('linux/amd64', { config: { Entrypoint: ['/hello'] } }, manifest, open)
  expect(amd.finding).toBeUndefined()
  expect(amd.line).toMatch(/^linux\/amd64: \/hello is x86-64 \(ELF64, little-endian\), as the platform needs/)
})

test.each<[string, Parameters<typeof judgeExecutable>, RegExp]>([
  ['no entrypoint', ['linux/arm64', undefined, undefined, undefined, 0], /^linux\/arm64: no ENTRYPOINT or CMD: the architecture check has nothing to read$/],
  ['a script', ['linux/arm64', '/run.sh', { found: { path: '/run.sh', head: Buffer.from('#!/bin/sh'), layer: 'l' }, bytesRead: 100, layersOpened: 1 }, { kind: 'script', interpreter: '/bin/sh' }, 3], /^linux\/arm64: \/run\.sh is a script \(#!\/bin\/sh\); not checked/],
  ['not found', ['linux/arm64', '/app', { bytesRead: 100, layersOpened: 2 }, undefined, 3], /^linux\/arm64: \/app is not in the image's layers; not checked/]
])('skipped with an info line, not an error: %s', (_name, args, line) => {
  const r = judgeExecutable(...args)
  expect(r.finding).toBeUndefined()
  expect(r.line).toMatch(line)
})
