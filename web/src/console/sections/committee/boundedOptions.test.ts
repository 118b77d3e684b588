import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { pageOf, useBoundedOptions } from './boundedOptions'

const estates = Array.from({ length: 2000 }, (_, i) => ({ code: `estate-${i}`, name: `小区${i}` }))

describe('a select over thousands of estates', () => {
  it('draws only the first matches, the chosen one always, and says how many more match', () => {
    const chosen = ref('estate-1999')
    const bounded = useBoundedOptions(ref(estates), chosen, (e) => e.code, (e) => `${e.name} (${e.code})`, 50)
    expect(bounded.options.value).toHaveLength(51)
    expect(bounded.options.value[0]!.code).toBe('estate-1999')
    expect(bounded.hidden.value).toBe(1950)

    bounded.filter('estate-19')
    const codes = bounded.options.value.map((e) => e.code)
    expect(codes).toContain('estate-1900')
    expect(codes.every((c) => c.includes('estate-19'))).toBe(true)
    expect(bounded.hidden.value).toBe(111 - 50) // estate-19 and estate-190…1999

    bounded.filter('小区7')
    expect(bounded.options.value.slice(1).every((e) => e.name.startsWith('小区7'))).toBe(true)

    bounded.reset(false)
    expect(bounded.hidden.value).toBe(1950)
  })

  it('pages a ranking', () => {
    expect(pageOf([1, 2, 3, 4, 5], 2, 2)).toEqual([3, 4])
    expect(pageOf([1, 2, 3, 4, 5], 3, 2)).toEqual([5])
  })
})
