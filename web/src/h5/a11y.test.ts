import { afterEach, describe, expect, it, vi } from 'vitest'
import { activateOnKeyboard, installKeyboardActivation } from './a11y'

function press(target: HTMLElement, key: string): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
  target.dispatchEvent(event)
  return event
}

describe('keyboard use of clickable elements', () => {
  let remove = () => {}
  afterEach(() => {
    remove()
    document.body.innerHTML = ''
  })

  it.each(['Enter', ' '])('activates a role="button" element with %j', (key) => {
    remove = installKeyboardActivation()
    document.body.innerHTML = '<div role="button" tabindex="0">cell</div>'
    const cell = document.querySelector<HTMLElement>('[role=button]')!
    const onClick = vi.fn()
    cell.addEventListener('click', onClick)
    expect(press(cell, key).defaultPrevented).toBe(true)
    expect(onClick).toHaveBeenCalledOnce()
  })

  it('activates a tabbar item (role="tab")', () => {
    remove = installKeyboardActivation()
    document.body.innerHTML = '<div role="tablist"><div role="tab" tabindex="0">账本</div></div>'
    const tab = document.querySelector<HTMLElement>('[role=tab]')!
    const onClick = vi.fn()
    tab.addEventListener('click', onClick)
    press(tab, 'Enter')
    expect(onClick).toHaveBeenCalledOnce()
  })

  it('leaves native buttons, other keys and disabled elements alone', () => {
    const onClick = vi.fn()
    document.body.innerHTML = '<button>b</button><div role="button" aria-disabled="true">d</div><div role="button">x</div>'
    const [button, disabled, other] = [...document.body.children] as HTMLElement[]
    for (const el of [button!, disabled!, other!]) el.addEventListener('click', onClick)
    for (const [el, key] of [[button!, 'Enter'], [disabled!, 'Enter'], [other!, 'a']] as const) {
      activateOnKeyboard(new KeyboardEvent('keydown', { key }) as KeyboardEvent)
      el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
    }
    expect(onClick).not.toHaveBeenCalled()
  })
})
