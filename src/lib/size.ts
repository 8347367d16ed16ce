/** Sizes as inputs give them (`50MB`, `1.5GiB`) and as messages show them. */
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 }

/** `50MB`, `1.5GiB`, `800KB`, `1048576` -> bytes; undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  if (!m) return undefined
  const unit = (m[2] || 'B').toUpperCase()
  const factor = UNITS[unit]
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor)
}

export function formatSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)}MB` : `${(bytes / 1e3).toFixed(1)}KB`
}
