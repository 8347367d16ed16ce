/** The Dockerfile templates shipped in the action's dockerfiles/, chosen by name. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const TEMPLATES = ['static', 'cc'] as const
export type TemplateName = (typeof TEMPLATES)[number]

export function isTemplate(value: string): value is TemplateName {
  return (TEMPLATES as readonly string[]).includes(value)
}

/**
 * The nearest directory above this module that holds action.yml: dist/index.js sits one level
 * below it, this file (under test) two; one level up if none is found.
 */
export function actionRoot(moduleUrl: string = import.meta.url): string {
  const start = path.dirname(fileURLToPath(moduleUrl))
  for (let dir = start; path.dirname(dir) !== dir; dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'action.yml'))) return dir
  return path.resolve(start, '..')
}

export function templatePath(name: TemplateName, root = actionRoot()): string {
  return path.join(root, 'dockerfiles', `Dockerfile.${name}`)
}
