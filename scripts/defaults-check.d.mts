/** Types of defaults-check.mjs (validate-action's cross-check of the pinned defaults). */
export const BUILDKIT_PIN: { tag: string; digest: string }
export function expectedAssets(tool: 'cosign' | 'syft' | 'trivy', version: string): string[]
export function defaultsProblems(f: {
  supplyChain: string
  vulnerability: string
  builder: string
  checksums: string
  action: { inputs?: Record<string, { default?: string }> }
  readme: string
  templates: Record<string, string>
  templatesReadme: string
}): string[]
export function readmeDefaultProblems(action: { inputs?: Record<string, { default?: unknown }> }, readme: string): string[]
export function inputsSection(readme: string): string
