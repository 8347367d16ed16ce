import * as fs from 'node:fs'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import * as zlib from 'node:zlib'
import { pack } from 'tar-stream'
import type { RawManifest } from '../../../src/registry/manifest.js'
import { expect, test } from 'vitest'
import { checkPlatform, judgeChain, programCandidates } from '../../../src/gates/architecture-rules.js'

test.each<[string, object, string[]]>([
  ['an absolute ENTRYPOINT', { Entrypoint: ['/usr/local/bin/server', '--flag'], Cmd: ['x'] }, ['/usr/local/bin/server']],
  ['CMD when there is no ENTRYPOINT', { Cmd: ['/manager'] }, ['/manager']],
  ['a relative path, from WorkingDir', { Entrypoint: ['./manager'], WorkingDir: '/workspace' }, ['/workspace/manager']],
  ['a bare name, looked up in the image PATH', { Entrypoint: ['server'], Env: ['PATH=/app/bin:/usr/bin'] }, ['/app/bin/server', '/usr/bin/server']],
  ['a bare name without a PATH: the runtime default, in its order', { Entrypoint: ['server'] }, ['/usr/local/sbin/server', '/usr/local/bin/server', '/usr/sbin/server', '/usr/bin/server', '/sbin/server', '/bin/server']],
  ['an empty or relative PATH entry is taken from WorkingDir', { Cmd: ['server'], WorkingDir: '/app', Env: ['PATH=:bin:/usr/bin'] }, ['/app/server', '/app/bin/server', '/usr/bin/server']],
  ['the first PATH= of Env, as getenv reads it', { Cmd: ['server'], Env: ['PATH=/a', 'PATH=/b'] }, ['/a/server']],
  ['no ENTRYPOINT or CMD', { Entrypoint: null, Cmd: null }, []]
])('programCandidates: %s', (_name, config, candidates) => {
  expect(programCandidates({ config }).candidates).toEqual(candidates)
})

const X86_64 = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 62, 0])])

async function gzLayer(files: Record<string, Buffer>): Promise<Buffer> {
  const p = pack()
  // Executable, as a built binary is (the check follows the runtime, which will not run a 0644 file).
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o755 }, content)
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

test('no ENTRYPOINT or CMD: an info line, not an error (a pod spec may give the command)', () => {
  const r = judgeChain('linux/arm64', undefined, undefined, '')
  expect(r.finding).toBeUndefined()
  expect(r.line).toBe('linux/arm64: no ENTRYPOINT or CMD: the architecture check has nothing to read')
})

test('a config that could not be read is an error, not "nothing to read"', async () => {
  const open = () => Promise.reject(new Error('no layer should be opened'))
  await expect(checkPlatform('linux/arm64', undefined, { layers: [] }, open)).rejects.toThrow("linux/arm64: the pushed image's config could not be read, so the architecture check cannot tell what it runs")
  await expect(checkPlatform('linux/arm64', {}, { layers: [] }, open)).rejects.toThrow(/config could not be read/)
})

const AARCH64 = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from([2, 0, 183, 0])])
type E = { name: string; content?: Buffer | string; mode?: number; type?: 'symlink' | 'link' | 'directory'; linkname?: string }

/** Layers as tars (bottom first, as a manifest lists them), opened top first by the check. */
async function image(...layers: E[][]): Promise<{ manifest: RawManifest; open: (d: string) => Promise<Readable> }> {
  const blobs: Record<string, Buffer> = {}
  const manifest: RawManifest = { layers: [] }
  for (const [i, entries] of layers.entries()) {
    const p = pack()
    for (const e of entries) {
      if (e.type) p.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: e.mode })
      else p.entry({ name: e.name, mode: e.mode ?? 0o755 }, e.content ?? '')
    }
    p.finalize()
    const chunks: Buffer[] = []
    for await (const c of p) chunks.push(c as Buffer)
    const digest = `sha256:layer${i}`
    blobs[digest] = zlib.gzipSync(Buffer.concat(chunks))
    manifest.layers?.push({ digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1 })
  }
  return { manifest, open: (d) => Promise.resolve(Readable.from([blobs[d] ?? Buffer.alloc(0)])) }
}

const PATHS = ['PATH=/usr/local/bin:/usr/bin']
// Each row: config, layers bottom first, then the file the verdict names and whether linux/arm64 refuses.
test.each<[string, object, E[][], RegExp, boolean]>([
  ['PATH order: the first PATH directory that holds the file wins, not the upper layer', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', content: X86_64 }], [{ name: 'usr/bin/server', content: AARCH64 }]], /\/usr\/local\/bin\/server is x86-64/, true],
  ['PATH order, the native one first: passes', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/bin/server', content: X86_64 }], [{ name: 'usr/local/bin/server', content: AARCH64 }]], /\/usr\/local\/bin\/server is AArch64 .*, as the platform needs/, false],
  ['a whiteout of one PATH candidate goes on to the next', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', content: AARCH64 }, { name: 'usr/bin/server', content: X86_64 }], [{ name: 'usr/local/bin/.wh.server' }]], /\/usr\/bin\/server is x86-64/, true],
  ['an opaque directory hides the candidate below it', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', content: AARCH64 }, { name: 'usr/bin/server', content: X86_64 }], [{ name: 'usr/local/bin/.wh..wh..opq' }, { name: 'usr/local/bin/other', content: 'x' }]], /\/usr\/bin\/server is x86-64/, true],
  ['a whiteout of a directory on the way hides the candidate', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', content: AARCH64 }, { name: 'usr/bin/server', content: X86_64 }], [{ name: 'usr/.wh.local' }]], /\/usr\/bin\/server is x86-64/, true],
  ['deleted, then put back by a higher layer: the higher one runs', { Entrypoint: ['/app'] }, [[{ name: 'app', content: AARCH64 }], [{ name: '.wh.app' }], [{ name: 'app', content: X86_64 }]], /\/app is x86-64/, true],
  ['a file that is not executable is skipped by the PATH lookup', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', content: AARCH64, mode: 0o644 }, { name: 'usr/bin/server', content: X86_64 }]], /\/usr\/bin\/server is x86-64/, true],
  ['a directory of the program\'s name is skipped too', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'usr/local/bin/server', type: 'directory' }, { name: 'usr/bin/server', content: X86_64 }]], /\/usr\/bin\/server is x86-64/, true],
  ['a symlink is followed to the file it names', { Entrypoint: ['/usr/bin/server'] }, [[{ name: 'opt/server/bin/server', content: X86_64 }, { name: 'usr/bin/server', type: 'symlink', linkname: '../../opt/server/bin/server' }]], /\/opt\/server\/bin\/server is x86-64/, true],
  ['a symlinked directory in PATH is followed (/bin -> usr/bin)', { Entrypoint: ['server'], Env: ['PATH=/bin'] }, [[{ name: 'usr/bin/server', content: X86_64 }, { name: 'bin', type: 'symlink', linkname: 'usr/bin' }]], /\/usr\/bin\/server is x86-64/, true],
  ['a relative ENTRYPOINT from WorkingDir', { Entrypoint: ['./manager'], WorkingDir: '/workspace' }, [[{ name: 'workspace/manager', content: AARCH64 }]], /\/workspace\/manager is AArch64/, false],
  ['a script is checked through its interpreter', { Entrypoint: ['/entry.sh'] }, [[{ name: 'bin/sh', content: X86_64 }, { name: 'entry.sh', content: '#!/bin/sh\nexec /app\n' }]], /\/bin\/sh is x86-64/, true],
  ['a script whose interpreter is native passes', { Entrypoint: ['/entry.sh'] }, [[{ name: 'bin/sh', content: AARCH64 }, { name: 'entry.sh', content: '#!/bin/sh\nexec /app\n' }]], /\/entry\.sh is a script \(run through \/bin\/sh\); \/bin\/sh is AArch64 .*, as the platform needs/, false],
  ['#!/usr/bin/env NAME: env, then NAME in PATH', { Entrypoint: ['/entry'], Env: PATHS }, [[{ name: 'usr/bin/env', content: AARCH64 }, { name: 'usr/bin/python3', content: X86_64 }, { name: 'entry', content: '#!/usr/bin/env python3\n' }]], /\/usr\/bin\/python3 is x86-64/, true],
  ['a script run through a script, through a binary', { Entrypoint: ['/a'] }, [[{ name: 'b', content: '#!/c\n' }, { name: 'c', content: X86_64 }, { name: 'a', content: '#!/b\n' }]], /\/c is x86-64/, true],
  ['an entrypoint that is not in the image cannot start', { Entrypoint: ['/manager'] }, [[{ name: 'hello', content: AARCH64 }]], /\/manager is not in the image: "no such file or directory"/, true],
  ['a bare name in no PATH directory cannot start', { Entrypoint: ['server'], Env: PATHS }, [[{ name: 'opt/server', content: AARCH64 }]], /no executable server in the image's PATH \(\/usr\/local\/bin:\/usr\/bin\): "executable file not found in \$PATH"/, true],
  ['a deleted entrypoint cannot start', { Entrypoint: ['/app'] }, [[{ name: 'app', content: AARCH64 }], [{ name: '.wh.app' }]], /\/app is not in the image/, true],
  ['an entrypoint that is not executable cannot start', { Entrypoint: ['/app'] }, [[{ name: 'app', content: AARCH64, mode: 0o644 }]], /\/app is not executable \(mode 0644\): "permission denied"/, true],
  ['a script whose interpreter is missing cannot start', { Entrypoint: ['/entry.sh'] }, [[{ name: 'entry.sh', content: '#!/bin/bash\n' }]], /\/entry\.sh is a script whose interpreter \/bin\/bash is not in the image/, true],
  ['a file the kernel cannot run (neither ELF nor #!) cannot start', { Entrypoint: ['/app'] }, [[{ name: 'app', content: 'MZ\x90\x00 a Windows program' }]], /\/app is neither an ELF executable nor a #! script/, true]
])('resolving as the runtime does: %s', async (_name, config, layers, named, refused) => {
  const { manifest, open } = await image(...layers)
  const r = await checkPlatform('linux/arm64', { config }, manifest, open)
  expect(r.line).toMatch(named)
  if (refused) {
    expect(r.finding?.rule).toBe('architecture')
    expect(r.finding?.level).toBe('error')
  } else expect(r.finding).toBeUndefined()
})

test('the refusal says the image cannot start, and what to change', async () => {
  const { manifest, open } = await image([{ name: 'hello', content: AARCH64 }])
  const r = await checkPlatform('linux/arm64', { config: { Entrypoint: ['/manager'] } }, manifest, open)
  expect(r.finding?.message).toBe('linux/arm64: the image\'s entrypoint /manager cannot start: /manager is not in the image: "no such file or directory". The container fails before it runs; copy the program into the image for this platform (and mark it executable), or fix ENTRYPOINT/CMD.')
})

test('an interpreter of the wrong architecture is named with the script it runs', async () => {
  const { manifest, open } = await image([{ name: 'bin/sh', content: X86_64 }, { name: 'entry.sh', content: '#!/bin/sh\n' }])
  const r = await checkPlatform('linux/arm64', { config: { Entrypoint: ['/entry.sh'] } }, manifest, open)
  expect(r.finding?.message).toMatch(/^linux\/arm64: the image's main program \/entry\.sh is a script run by \/bin\/sh, which is x86-64 \(ELF64, little-endian\), but linux\/arm64 needs AArch64/)
})

// The first 4096 bytes of real binaries (gcc and aarch64-linux-gnu-gcc on Debian, and Go with CGO
// off), as the check reads them from a layer: a dynamically linked ELF runs through its PT_INTERP.
const head = (name: string) => fs.readFileSync(path.join(__dirname, '../../fixtures/elf', `${name}.head`))
const C_AMD64 = head('c-dyn-amd64')
const C_ARM64 = head('c-dyn-arm64')
const GO_ARM64 = head('go-static-arm64')

test.each<[string, string, E[][], RegExp | undefined, RegExp]>([
  [
    'a glibc binary on a base without its loader (the "no such file or directory" of a static base)',
    'linux/arm64',
    [[{ name: 'app', content: C_ARM64 }]],
    /^linux\/arm64: the image's entrypoint \/app cannot start: \/app is dynamically linked, and its loader \/lib\/ld-linux-aarch64\.so\.1 is not in the image \(\/lib is not\): "no such file or directory" \(build it static, e\.g\. CGO_ENABLED=0, or use a base with its C library/,
    /^linux\/arm64: \/app is dynamically linked, and its loader/
  ],
  [
    'its loader there, of the platform (through the symlink Debian ships)',
    'linux/arm64',
    [
      [
        { name: 'usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1', content: AARCH64 },
        { name: 'usr/lib/ld-linux-aarch64.so.1', type: 'symlink', linkname: 'aarch64-linux-gnu/ld-linux-aarch64.so.1' },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' }
      ],
      [{ name: 'app', content: C_ARM64 }]
    ],
    undefined,
    /^linux\/arm64: \/app and its loader \/usr\/lib\/aarch64-linux-gnu\/ld-linux-aarch64\.so\.1 are AArch64/
  ],
  [
    'its loader there but of another architecture',
    'linux/arm64',
    [[{ name: 'lib/ld-linux-aarch64.so.1', content: X86_64 }, { name: 'app', content: C_ARM64 }]],
    /^linux\/arm64: the image's main program \/app is dynamically linked and loaded by \/lib\/ld-linux-aarch64\.so\.1, which is x86-64/,
    /is x86-64/
  ],
  ['x86-64 glibc binary and loader on amd64', 'linux/amd64', [[{ name: 'lib64/ld-linux-x86-64.so.2', content: X86_64 }, { name: 'app', content: C_AMD64 }]], undefined, /as the platform needs/],
  ['a static Go binary needs no loader', 'linux/arm64', [[{ name: 'app', content: GO_ARM64 }]], undefined, /^linux\/arm64: \/app is AArch64 \(ELF64, little-endian\), as the platform needs/]
])('the loader: %s', async (_name, platform, layers, error, line) => {
  const { manifest, open } = await image(...layers)
  const r = await checkPlatform(platform, { config: { Entrypoint: ['/app'] } }, manifest, open)
  if (error) expect(r.finding?.message).toMatch(error)
  else expect(r.finding, r.finding?.message).toBeUndefined()
  expect(r.line).toMatch(line)
})

// What reachability reads: the ELF file the platform runs in the end, and the layer that holds it.
test.each<[string, object, E[][], { path: string; layer: string } | undefined]>([
  ['the entrypoint itself', { Entrypoint: ['/app'] }, [[{ name: 'app', content: AARCH64 }]], { path: '/app', layer: 'sha256:layer0' }],
  ['through a symlink, in an upper layer', { Entrypoint: ['/usr/bin/server'] }, [[{ name: 'etc/x', content: 'x' }], [{ name: 'opt/server', content: AARCH64 }, { name: 'usr/bin/server', type: 'symlink', linkname: '/opt/server' }]], { path: '/opt/server', layer: 'sha256:layer1' }],
  ['a script: the interpreter it runs', { Entrypoint: ['/entry.sh'] }, [[{ name: 'bin/sh', content: AARCH64 }, { name: 'entry.sh', content: '#!/bin/sh\n' }]], { path: '/bin/sh', layer: 'sha256:layer0' }],
  ['a refused one: none', { Entrypoint: ['/app'] }, [[{ name: 'app', content: X86_64 }]], undefined],
  ['no entrypoint: none', {}, [[{ name: 'app', content: AARCH64 }]], undefined]
])('the binary a platform runs: %s', async (_name, config, layers, binary) => {
  const { manifest, open } = await image(...layers)
  expect((await checkPlatform('linux/arm64', { config }, manifest, open)).binary).toEqual(binary)
})
