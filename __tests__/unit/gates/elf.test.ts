import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ELF_HEADER_BYTES, elfMismatch, readExecutable } from '../../../src/gates/elf.js'

/**
 * An ELF header built by hand from the layout (System V ABI, "ELF Header"): e_ident[0..3] magic,
 * [4] EI_CLASS (1 = 32-bit, 2 = 64-bit), [5] EI_DATA (1 = little, 2 = big endian), [6] version;
 * e_type at 16 and e_machine at 18, both in the file's byte order.
 */
function elf(bits: 32 | 64, little: boolean, machine: number): Buffer {
  const b = Buffer.alloc(64)
  b.write('\x7fELF', 0, 'latin1')
  b[4] = bits === 64 ? 2 : 1
  b[5] = little ? 1 : 2
  b[6] = 1
  if (little) {
    b.writeUInt16LE(2, 16) // ET_EXEC
    b.writeUInt16LE(machine, 18)
  } else {
    b.writeUInt16BE(2, 16)
    b.writeUInt16BE(machine, 18)
  }
  return b.subarray(0, ELF_HEADER_BYTES)
}

const X86_64 = elf(64, true, 62)
const AARCH64 = elf(64, true, 183)
const ARM = elf(32, true, 40)
const PPC64LE = elf(64, true, 21)
const PPC64BE = elf(64, false, 21)
const S390X = elf(64, false, 22)
const RISCV64 = elf(64, true, 243)
const I386 = elf(32, true, 3)

describe('each platform accepts its own binary', () => {
  test.each([
    ['linux/amd64', X86_64],
    ['linux/arm64', AARCH64],
    ['linux/arm64/v8', AARCH64],
    ['linux/arm/v7', ARM],
    ['linux/arm/v6', ARM],
    ['linux/ppc64le', PPC64LE],
    ['linux/s390x', S390X],
    ['linux/riscv64', RISCV64],
    ['linux/386', I386]
  ])('%s', (platform, head) => {
    expect(readExecutable(head).kind).toBe('elf')
    expect(elfMismatch(platform, readExecutable(head))).toBeUndefined()
  })
})

describe('and refuses another', () => {
  test.each<[string, Buffer, string, string]>([
    ['linux/arm64', X86_64, 'x86-64 (ELF64, little-endian)', 'AArch64 (ELF64, little-endian)'],
    ['linux/amd64', AARCH64, 'AArch64 (ELF64, little-endian)', 'x86-64 (ELF64, little-endian)'],
    ['linux/arm/v7', AARCH64, 'AArch64 (ELF64, little-endian)', 'ARM (ELF32, little-endian)'],
    ['linux/ppc64le', PPC64BE, 'PowerPC64 (ELF64, big-endian)', 'PowerPC64 little-endian (ELF64, little-endian)'],
    ['linux/amd64', I386, 'Intel 80386 (ELF32, little-endian)', 'x86-64 (ELF64, little-endian)'],
    ['linux/riscv64', elf(64, true, 8), 'MIPS (ELF64, little-endian)', 'RISC-V 64 (ELF64, little-endian)']
  ])('%s with %#', (platform, head, found, expected) => {
    expect(elfMismatch(platform, readExecutable(head))).toEqual({ found, expected })
  })
})

test.each<[string, Buffer, string]>([
  ['a script', Buffer.from('#!/bin/sh\nexec /app "$@"\n'), 'script'],
  ['a text file', Buffer.from('hello, this is not a program'), 'other'],
  ['a truncated ELF', X86_64.subarray(0, 10), 'other']
])('%s is not judged', (_name, head, kind) => {
  const exe = readExecutable(head)
  expect(exe.kind).toBe(kind)
  expect(elfMismatch('linux/arm64', exe)).toBeUndefined()
})

test.each<[string, string, object]>([
  ['an interpreter and its argument', '#!/usr/bin/env python3\nprint(1)\n', { kind: 'script', interpreter: '/usr/bin/env', arg: 'python3' }],
  ['blanks after #!, no argument', '#! \t/bin/sh\nexec /app\n', { kind: 'script', interpreter: '/bin/sh' }],
  ['the argument is the rest of the line, one word for the kernel', '#!/bin/busybox sh -e\n', { kind: 'script', interpreter: '/bin/busybox', arg: 'sh -e' }],
  ['a relative interpreter is kept as written', '#!bin/sh\n', { kind: 'script', interpreter: 'bin/sh' }]
])('the script names its interpreter: %s', (_name, text, exe) => {
  expect(readExecutable(Buffer.from(text))).toEqual(exe)
})

test('an unknown platform is not judged', () => {
  expect(elfMismatch('linux/mips64le', readExecutable(X86_64))).toBeUndefined()
})

// PT_INTERP from the first 4096 bytes of real binaries (gcc, aarch64-linux-gnu-gcc, Go with CGO off).
test.each([
  ['c-dyn-amd64', '/lib64/ld-linux-x86-64.so.2'],
  ['c-dyn-arm64', '/lib/ld-linux-aarch64.so.1'],
  ['go-static-amd64', undefined],
  ['go-static-arm64', undefined]
])('the loader of %s: %s', (name, loader) => {
  const exe = readExecutable(fs.readFileSync(path.join(__dirname, '../../fixtures/elf', `${name}.head`)))
  expect(exe.kind).toBe('elf')
  expect(exe.kind === 'elf' ? exe.loader : 'not an elf').toBe(loader)
  expect(exe.kind === 'elf' ? exe.loaderUnread : 'not an elf').toBeUndefined()
})

test('program headers past the bytes read: the loader is not known, said so', () => {
  const exe = readExecutable(fs.readFileSync(path.join(__dirname, '../../fixtures/elf', 'c-dyn-amd64.head')).subarray(0, 100))
  expect(exe).toMatchObject({ kind: 'elf', loaderUnread: true })
})
