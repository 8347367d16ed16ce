/** Which architecture an executable is for, from its first bytes (the ELF header). */

/** The ELF identity of each Go/OCI architecture: class (32/64 bit), byte order and e_machine. */
const ELF_OF: Record<string, { bits: 32 | 64; little: boolean; machine: number; name: string }> = {
  amd64: { bits: 64, little: true, machine: 62, name: 'x86-64' },
  arm64: { bits: 64, little: true, machine: 183, name: 'AArch64' },
  arm: { bits: 32, little: true, machine: 40, name: 'ARM' },
  ppc64le: { bits: 64, little: true, machine: 21, name: 'PowerPC64 little-endian' },
  s390x: { bits: 64, little: false, machine: 22, name: 'IBM S/390' },
  riscv64: { bits: 64, little: true, machine: 243, name: 'RISC-V 64' },
  '386': { bits: 32, little: true, machine: 3, name: 'Intel 80386' }
}

const MACHINE_NAMES: Record<number, string> = { 3: 'Intel 80386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'IBM S/390', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' }

/** Bytes the check needs from the file: the ELF identification and e_machine. */
export const ELF_HEADER_BYTES = 20

/** Bytes the kernel reads of a `#!` line (BINPRM_BUF_SIZE): enough for the interpreter and its argument. */
export const SCRIPT_HEADER_BYTES = 256

/**
 * Bytes read of each candidate file: the `#!` line, or the ELF header, its program headers and
 * the PT_INTERP path, which linkers place right after them (within the first page).
 */
export const EXECUTABLE_HEAD_BYTES = 4096

/**
 * An ELF's `loader` is its PT_INTERP (the dynamic loader the kernel maps first, e.g.
 * /lib64/ld-linux-x86-64.so.2); absent for a static binary. `loaderUnread` when the program
 * headers lie past the bytes read, so whether it has one is not known.
 */
export type Executable =
  | { kind: 'elf'; bits: 32 | 64; little: boolean; machine: number; description: string; loader?: string; loaderUnread?: true }
  | { kind: 'script'; interpreter: string; arg?: string }
  | { kind: 'other' }

export function readExecutable(head: Buffer): Executable {
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    // As binfmt_script splits it: the interpreter up to a blank, then at most one argument, the rest of the line.
    const line = (head.subarray(2, SCRIPT_HEADER_BYTES).toString('latin1').split('\n')[0] ?? '').trim()
    const [interpreter = '', ...rest] = line.split(/[ \t]+/)
    const arg = rest.join(' ').trim()
    return arg ? { kind: 'script', interpreter, arg } : { kind: 'script', interpreter }
  }
  if (head.length < ELF_HEADER_BYTES || head.readUInt32BE(0) !== 0x7f454c46) return { kind: 'other' }
  const bits: 32 | 64 = head[4] === 2 ? 64 : 32
  const little = head[5] !== 2
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18)
  const base = MACHINE_NAMES[machine] ?? `e_machine ${machine}`
  const elf = { kind: 'elf' as const, bits, little, machine, description: `${base} (ELF${bits}, ${little ? 'little' : 'big'}-endian)` }
  const loader = programInterpreter(head, bits, little)
  return loader === undefined ? elf : loader === null ? { ...elf, loaderUnread: true } : { ...elf, loader }
}

/** PT_INTERP's path from the program headers; undefined when there is none, null when they are not all in `head`. */
function programInterpreter(head: Buffer, bits: 32 | 64, little: boolean): string | undefined | null {
  const u16 = (o: number) => (little ? head.readUInt16LE(o) : head.readUInt16BE(o))
  const u32 = (o: number) => (little ? head.readUInt32LE(o) : head.readUInt32BE(o))
  const addr = (o: number) => (bits === 64 ? Number(little ? head.readBigUInt64LE(o) : head.readBigUInt64BE(o)) : u32(o))
  const headerSize = bits === 64 ? 64 : 52
  if (head.length < headerSize) return null
  const [phoff, phentsize, phnum] = bits === 64 ? [addr(32), u16(54), u16(56)] : [u32(28), u16(42), u16(44)]
  if (phnum === 0) return undefined
  if (phoff + phentsize * phnum > head.length) return null
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize
    if (u32(ph) !== 3) continue // PT_INTERP
    const [offset, size] = bits === 64 ? [addr(ph + 8), addr(ph + 32)] : [u32(ph + 4), u32(ph + 16)]
    if (offset + size > head.length) return null
    return head.subarray(offset, offset + size).toString('latin1').replace(/\0.*$/s, '')
  }
  return undefined
}

/** The expected ELF identity of an OCI platform (`linux/arm64`, `linux/arm/v7`); undefined when unknown. */
export function expectedElf(platform: string): { bits: 32 | 64; little: boolean; machine: number; name: string } | undefined {
  return ELF_OF[platform.split('/')[1] ?? '']
}

/** undefined when the executable fits the platform (or cannot be judged); else what is wrong. */
export function elfMismatch(platform: string, exe: Executable): { found: string; expected: string } | undefined {
  const want = expectedElf(platform)
  if (exe.kind !== 'elf' || !want) return undefined
  if (exe.machine === want.machine && exe.bits === want.bits && exe.little === want.little) return undefined
  return { found: exe.description, expected: `${want.name} (ELF${want.bits}, ${want.little ? 'little' : 'big'}-endian)` }
}
