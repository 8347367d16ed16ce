// validate-action fails when a README section is missing from its Contents.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, test } from 'vitest'
import { anchor, tocProblems } from '../../../scripts/readme-check.mjs'

const readme = fs.readFileSync(path.join(import.meta.dirname, '../../..', 'README.md'), 'utf8')

describe('tocProblems', () => {
  test('the README lists every section and input group', () => {
    expect(tocProblems(readme)).toEqual([])
  })

  test.each([
    ['Smoke run under OpenShift\'s restricted-v2', 'smoke-run-under-openshifts-restricted-v2'],
    ['What it does, and what it skips', 'what-it-does-and-what-it-skips'],
    ['Split-mode inputs', 'split-mode-inputs']
  ])('anchor(%j) is %s, as GitHub makes it', (heading, expected) => {
    expect(anchor(heading)).toBe(expected)
  })

  test('a section added without a Contents line is caught; a heading inside a code block is not a section', () => {
    const added = readme.replace('## Development\n', '## A new section\n\ntext\n\n```md\n## not a heading\n```\n\n## Development\n')
    expect(tocProblems(added)).toEqual(['README.md\'s Contents does not link the section "A new section" (#a-new-section)'])
  })

  test('no Contents at all is caught', () => {
    expect(tocProblems(readme.replace('## Contents\n', '## Index\n'))).toContain('README.md has no "## Contents" section')
  })
})
