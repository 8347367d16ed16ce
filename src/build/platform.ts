/** Platform strings as buildx knows them, and which of them this machine runs natively. */
import { InputError } from '../lib/errors.js'

const ARCHES: Record<string, readonly string[]> = {
  amd64: ['v1', 'v2', 'v3', 'v4'],
  arm64: ['v8'],
  arm: ['v5', 'v6', 'v7'],
  '386': [],
  ppc64le: [],
  ppc64: [],
  s390x: [],
  riscv64: [],
  mips64le: [],
  mips64: [],
  loong64: []
}

export interface Platform {
  os: string
  arch: string
  variant: string
  /** Normalised `os/arch[/variant]`, as it appears in outputs. */
  id: string
}

export function parsePlatform(raw: string): Platform {
  const value = raw.trim()
  const parts = value.split('/')
  const [os = '', arch = '', variant = '', ...rest] = parts
  if (parts.length < 2 || rest.length > 0) {
    throw new InputError('platforms', `"${value}" is not os/arch[/variant], e.g. linux/arm64`)
  }
  if (os !== 'linux') throw new InputError('platforms', `"${value}": only linux images can be built here (os must be "linux")`)
  const variants = ARCHES[arch]
  if (!variants) {
    throw new InputError('platforms', `"${value}": unknown architecture "${arch}"; known: ${Object.keys(ARCHES).join(', ')}`)
  }
  if (variant && !variants.includes(variant)) {
    throw new InputError('platforms', `"${value}": unknown variant "${variant}" for ${arch}${variants.length ? ` (known: ${variants.join(', ')})` : ''}`)
  }
  const id = platformId(os, arch, variant)
  return { os, arch, variant: id.split('/')[2] ?? '', id }
}

/**
 * `os/arch[/variant]` as inputs, outputs and the registry's descriptors are compared: buildx treats
 * linux/arm64/v8 as linux/arm64 and linux/amd64/v1 as linux/amd64, so the default variant is left out.
 */
export function platformId(os: string, arch: string, variant = ''): string {
  const v = (arch === 'arm64' && variant === 'v8') || (arch === 'amd64' && variant === 'v1') ? '' : variant
  return [os, arch, v].filter(Boolean).join('/')
}

/** A platform string from the registry or buildx (`linux/arm64/v8`) in the form the inputs use. */
export function normalizePlatform(platform: string): string {
  const [os = '', arch = '', variant = ''] = platform.split('/')
  return platformId(os, arch, variant)
}

export function parsePlatforms(list: readonly string[]): Platform[] {
  if (list.length === 0) throw new InputError('platforms', 'is empty: give at least one, e.g. linux/amd64')
  const seen = new Set<string>()
  return list.map((item) => {
    const p = parsePlatform(item)
    if (seen.has(p.id)) throw new InputError('platforms', `"${p.id}" is listed twice`)
    seen.add(p.id)
    return p
  })
}

/** Node's process.arch to the architectures a Linux kernel on it runs without emulation. */
export function nativeArches(nodeArch: string): string[] {
  switch (nodeArch) {
    case 'x64':
      return ['amd64', '386']
    case 'arm64':
      return ['arm64']
    case 'arm':
      return ['arm']
    case 'ppc64':
      return ['ppc64le']
    case 's390x':
      return ['s390x']
    case 'riscv64':
      return ['riscv64']
    default:
      return [nodeArch]
  }
}

/** binfmt_misc entry name that QEMU registers for an architecture. */
export function binfmtName(arch: string): string {
  const names: Record<string, string> = {
    amd64: 'qemu-x86_64',
    '386': 'qemu-i386',
    arm64: 'qemu-aarch64',
    arm: 'qemu-arm',
    ppc64le: 'qemu-ppc64le',
    ppc64: 'qemu-ppc64',
    s390x: 'qemu-s390x',
    riscv64: 'qemu-riscv64',
    mips64le: 'qemu-mips64el',
    mips64: 'qemu-mips64',
    loong64: 'qemu-loongarch64'
  }
  return names[arch] ?? `qemu-${arch}`
}
