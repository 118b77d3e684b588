/** Placeholder until the section is built: no page, no menu entry. */
import type { ConsoleSection } from '../../section'

export const section: ConsoleSection = {
  name: 'firm',
  scope: 'estate',
  roles: [],
  nav: [],
  routes: [],
  messages: { 'zh-CN': {}, en: {} },
}
