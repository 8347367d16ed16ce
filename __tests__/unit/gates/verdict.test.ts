import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { GateFinding } from '../../../src/gates/verdict.js'

vi.mock('@actions/core', () => ({ notice: vi.fn(), warning: vi.fn() }))
const core = await import('@actions/core')
const { applyVerdict, combine, judgeFindings } = await import('../../../src/gates/verdict.js')

beforeEach(() => vi.clearAllMocks())

const error: GateFinding = { rule: 'non-root', level: 'error', message: 'runs as root' }
const warning: GateFinding = { rule: 'base-end-of-life', level: 'warning', message: 'Debian 12' }
const notice: GateFinding = { rule: 'base-digest', level: 'notice', message: 'pin it' }

describe('verdict', () => {
  test.each([
    ['enforce refuses on an error; warnings and notices are notes', 'enforce' as const, [error, warning, notice], ['Debian 12', 'pin it'], ['Debian 12'], { rule: 'non-root', message: 'Refused:\n- runs as root' }],
    ['warn turns the error into a warning and a note', 'warn' as const, [error, warning], ['runs as root', 'Debian 12'], ['runs as root', 'Debian 12'], undefined],
    ['nothing found, nothing said', 'enforce' as const, [], [], [], undefined]
  ])('%s', (_name, mode, findings, notes, warnings, refusal) => {
    expect(judgeFindings(findings, mode, 'Refused')).toEqual({ notes, warnings, refusal })
  })

  test('notices and warnings reach the log as such', () => {
    const notes: string[] = []
    applyVerdict(judgeFindings([error, warning, notice], 'warn', 'Refused'), notes, () => {
      throw new Error('warn never refuses')
    })
    expect(notes).toEqual(['runs as root', 'Debian 12', 'pin it'])
    expect(core.notice).toHaveBeenCalledWith('pin it')
    expect(core.warning).toHaveBeenCalledWith('runs as root')
    expect(core.warning).toHaveBeenCalledWith('Debian 12')
  })
})

describe('combine and applyVerdict', () => {
  test('one gate of two verdicts: notes and warnings in order, refusals joined, the first rule kept', () => {
    const v = combine({ notes: ['a'], warnings: ['w'], refusal: { rule: 'non-root', message: 'Root' } }, { notes: ['b'], warnings: [], refusal: { rule: 'max-image-size', message: 'Size' } })
    expect(v).toEqual({ notes: ['a', 'b'], warnings: ['w'], refusal: { rule: 'non-root', message: 'Root\nSize' } })
  })

  test('a refusal reaches refuse after the notes and warnings are out', () => {
    const notes: string[] = []
    expect(() =>
      applyVerdict({ notes: ['n'], warnings: ['w'], refusal: { rule: 'smoke', message: 'refused' } }, notes, (r) => {
        throw new Error(`${r.rule}: ${r.message}`)
      })
    ).toThrow('smoke: refused')
    expect(notes).toEqual(['n'])
    expect(core.warning).toHaveBeenCalledWith('w')
  })
})
