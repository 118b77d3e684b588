/**
 * Keyboard use of Vant's clickable elements. Vant renders clickable cells, tabbar items and the
 * like as <div role="button" tabindex="0"> (or role="tab") that take focus but only react to
 * clicks; here Enter and Space activate them, as they do a native button.
 */
const ACTIVATABLE = '[role="button"], [role="tab"], [role="menuitem"], [role="option"]'

export function activateOnKeyboard(event: KeyboardEvent): void {
  if (event.key !== 'Enter' && event.key !== ' ') return
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return
  const target = event.target
  if (!(target instanceof HTMLElement) || target.isContentEditable) return
  if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement || target instanceof HTMLInputElement) return
  if (!target.matches(ACTIVATABLE) || target.getAttribute('aria-disabled') === 'true') return
  event.preventDefault()
  target.click()
}

/** Installs the handler on the document; returns its removal. */
export function installKeyboardActivation(root: Document = document): () => void {
  root.addEventListener('keydown', activateOnKeyboard)
  return () => root.removeEventListener('keydown', activateOnKeyboard)
}
