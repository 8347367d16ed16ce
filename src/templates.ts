/** The Dockerfile templates shipped in the action's dockerfiles/, chosen by name. */
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const TEMPLATES = ['static', 'cc'] as const
export type TemplateName = (typeof TEMPLATES)[number]

export function isTemplate(value: string): value is TemplateName {
  return (TEMPLATES as readonly string[]).includes(value)
}

/** dist/index.js (or src/*.ts under test) sits one level below the action's root. */
export function actionRoot(moduleUrl: string = import.meta.url): string {
  return path.resolve(path.dirname(fileURLToPath(moduleUrl)), '..')
}

export function templatePath(name: TemplateName, root = actionRoot()): string {
  return path.join(root, 'dockerfiles', `Dockerfile.${name}`)
}
