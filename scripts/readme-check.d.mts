/** Types of readme-check.mjs (validate-action's check of the README's table of contents). */
export function anchor(heading: string): string
export function tocProblems(readme: string): string[]
