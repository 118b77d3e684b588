/** Placeholder until the section is built: no page, no menu entry. */
import type { ConsoleSection } from '../../section'

export const section: ConsoleSection = {
  name: 'platform',
  scope: 'district',
  roles: [],
  nav: [],
  routes: [],
  messages: { 'zh-CN': {}, en: {} },
}
