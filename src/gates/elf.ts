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

export type Executable = { kind: 'elf'; bits: 32 | 64; little: boolean; machine: number; description: string } | { kind: 'script'; interpreter: string; arg?: string } | { kind: 'other' }

export function readExecutable(head: Buffer): Executable {
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    // As binfmt_script splits it: the interpreter up to a blank, then at most one argument, the rest of the line.
    const line = (head.subarray(2, SCRIPT_HEADER_BYTES).toString('latin1').split('\n')[0] ?? '').trim()
    const [interpreter = '', ...rest] = line.split(/[ \t]+/)
    const arg = rest.join(' ').trim()
    return arg ? { kind: 'script', interpreter, arg } : { kind: 'script', interpreter }
  }
  if (head.length < ELF_HEADER_BYTES || head.readUInt32BE(0) !== 0x7f454c46) return { kind: 'other' }
  const bits = head[4] === 2 ? 64 : 32
  const little = head[5] !== 2
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18)
  const base = MACHINE_NAMES[machine] ?? `e_machine ${machine}`
  return { kind: 'elf', bits, little, machine, description: `${base} (ELF${bits}, ${little ? 'little' : 'big'}-endian)` }
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
