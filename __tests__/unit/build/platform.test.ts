import { describe, expect, test } from 'vitest'
import { binfmtName, nativeArches, parsePlatforms } from '../../../src/build/platform.js'

describe('parsePlatforms', () => {
  test.each([
    [['linux/amd64', 'linux/arm64'], ['linux/amd64', 'linux/arm64']],
    [['linux/arm64/v8'], ['linux/arm64']],
    [['linux/arm/v7', 'linux/arm/v6'], ['linux/arm/v7', 'linux/arm/v6']],
    [['linux/amd64/v3', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64'], ['linux/amd64/v3', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64']]
  ])('%j', (input, ids) => {
    expect(parsePlatforms(input).map((p) => p.id)).toEqual(ids)
  })

  test.each([
    [[], /is empty/],
    [['amd64'], /not os\/arch\[\/variant\]/],
    [['linux/arm64/v8/x'], /not os\/arch/],
    [['windows/amd64'], /only linux/],
    [['linux/arm65'], /unknown architecture "arm65"/],
    [['linux/arm/v9'], /unknown variant "v9" for arm/],
    [['linux/arm64', 'linux/arm64/v8'], /"linux\/arm64" is listed twice/]
  ])('refuses %j', (input, message) => {
    expect(() => parsePlatforms(input)).toThrow(message)
  })
})

test.each([
  ['x64', ['amd64', '386']],
  ['arm64', ['arm64']]
])('native arches of %s', (arch, native) => {
  expect(nativeArches(arch)).toEqual(native)
})

test.each([
  ['arm64', 'qemu-aarch64'],
  ['amd64', 'qemu-x86_64'],
  ['arm', 'qemu-arm'],
  ['ppc64le', 'qemu-ppc64le'],
  ['386', 'qemu-i386']
])('binfmt entry of %s is %s', (arch, name) => {
  expect(binfmtName(arch)).toBe(name)
})
