/**
 * The shell: log-in, the route guards (roles, estates, URLs edited by hand), the menu filtered by
 * roles and estates, the estate switcher and the language — against test sections, so that the
 * real sections' work in progress does not matter here.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { useRoute } from 'vue-router'
import type { ConsoleSection } from './section'
import { visibleNav } from './router'
import { createConsoleSession } from './session'
import { ESTATE, OTHER_ESTATE, fakeAuth, mountConsole, users, type MountedConsole } from './test/mount'

const Page = (name: string) =>
  defineComponent({
    setup() {
      const route = useRoute()
      return () => h('div', { 'data-testid': `page-${name}` }, `${name} ${String(route.params.estate ?? '')}`)
    },
  })

const firm: ConsoleSection = {
  name: 'firm',
  scope: 'estate',
  roles: ['firm_manager', 'firm_staff'],
  nav: [
    { route: 'firm-households', label: 'firm.nav.households' },
    { route: 'firm-budget', label: 'firm.nav.budget', roles: ['firm_manager'] },
  ],
  routes: [
    { path: '', name: 'firm-households', component: Page('households') },
    { path: 'budget', name: 'firm-budget', component: Page('budget') },
    { path: 'households/:id', name: 'firm-household', component: Page('household') },
  ],
  messages: {
    'zh-CN': { nav: { households: '住户', budget: '预算' } },
    en: { nav: { households: 'Households', budget: 'Budget' } },
  },
}
const platform: ConsoleSection = {
  name: 'platform',
  scope: 'district',
  roles: ['platform_admin'],
  nav: [{ route: 'platform-estates', label: 'platform.nav.estates' }],
  routes: [{ path: 'estates', name: 'platform-estates', component: Page('estates') }],
  messages: { 'zh-CN': { nav: { estates: '小区' } }, en: { nav: { estates: 'Estates' } } },
}
const sections = [firm, platform]

describe('the console shell', () => {
  let app: MountedConsole | undefined
  afterEach(() => {
    expect(app?.problems).toEqual([])
    app?.wrapper.unmount()
    app = undefined
  })

  it('sends a visitor who is not logged in to log-in, remembering where they were going', async () => {
    app = await mountConsole(`/estates/${ESTATE}/firm/budget`, { user: null, sections })
    expect(app.router.currentRoute.value.name).toBe('login')
    expect(app.router.currentRoute.value.query.returnTo).toBe(`/estates/${ESTATE}/firm/budget`)
    await app.wrapper.find('[data-testid=login]').trigger('click')
    expect(app.auth.login).toHaveBeenCalledWith(`/estates/${ESTATE}/firm/budget`, 'zh-CN')
    expect(app.wrapper.find('[data-testid=console-ready]').exists()).toBe(false)
  })

  it('says why when the session has expired', async () => {
    app = await mountConsole('/login?expired=1', { user: null, locale: 'en', sections })
    expect(app.wrapper.find('[data-testid=session-expired]').text()).toContain('Your session has expired')
  })

  it("takes a firm manager of one estate straight to their estate's first page", async () => {
    app = await mountConsole('/', { sections })
    expect(app.router.currentRoute.value.fullPath).toBe(`/estates/${ESTATE}/firm`)
    expect(app.wrapper.find('[data-testid=console-ready]').exists()).toBe(true)
    expect(app.wrapper.find('[data-testid=page-households]').text()).toContain(ESTATE)
    expect(document.title).toBe('住户 · 信义 · 管理台')
  })

  it("refuses another estate's pages edited into the URL", async () => {
    app = await mountConsole(`/estates/${OTHER_ESTATE}/firm/budget`, { sections })
    expect(app.router.currentRoute.value.name).toBe('forbidden')
    expect(app.wrapper.find('[data-testid=forbidden]').text()).toContain(OTHER_ESTATE)
    expect(app.wrapper.find('[data-testid^=page-]').exists()).toBe(false)
    // Also when moving there from a page of one's own estate.
    await app.router.push(`/estates/${ESTATE}/firm/households/h-1`)
    expect(app.router.currentRoute.value.name).toBe('firm-household')
    await app.router.push(`/estates/${OTHER_ESTATE}/firm/households/h-1`)
    expect(app.router.currentRoute.value.name).toBe('forbidden')
  })

  it('refuses a page the role does not allow', async () => {
    app = await mountConsole(`/estates/${ESTATE}/firm/budget`, { user: users.firmStaff, sections })
    expect(app.router.currentRoute.value.name).toBe('forbidden')
    expect(app.wrapper.find('[data-testid=forbidden]').text()).toContain('您的角色无权打开此页面')
    await app.router.push('/platform/estates')
    expect(app.router.currentRoute.value.name).toBe('forbidden')
  })

  it('never opens an estate page to the platform team, who are no estate members', async () => {
    app = await mountConsole(`/estates/${ESTATE}/firm`, { user: { ...users.platformAdmin, roles: ['platform_admin', 'firm_manager'] }, sections })
    expect(app.router.currentRoute.value.name).toBe('forbidden')
  })

  it('takes the platform team to its district pages', async () => {
    app = await mountConsole('/', { user: users.platformAdmin, sections })
    expect(app.router.currentRoute.value.name).toBe('platform-estates')
    const nav = app.wrapper.find('[data-testid=console-nav]')
    expect(nav.find('[data-testid=nav-platform-estates]').exists()).toBe(true)
    expect(nav.find('[data-testid=nav-section-firm]').exists()).toBe(false)
  })

  it('lets a member of several estates pick one, and switch', async () => {
    const user = { ...users.firmManager, estates: [OTHER_ESTATE, ESTATE] }
    app = await mountConsole('/', { user, auth: fakeAuth(user), sections })
    expect(app.router.currentRoute.value.name).toBe('home')
    await app.wrapper.find(`[data-testid=estate-${OTHER_ESTATE}]`).trigger('click')
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(app.router.currentRoute.value.fullPath).toBe(`/estates/${OTHER_ESTATE}/firm`)
  })

  it('switches the language, Element Plus included', async () => {
    app = await mountConsole(`/estates/${ESTATE}/firm`, { sections })
    expect(app.wrapper.find('[data-testid=nav-firm-households]').text()).toBe('住户')
    await app.wrapper.find('[data-testid=language-switch]').trigger('click')
    expect(app.wrapper.find('[data-testid=nav-firm-households]').text()).toBe('Households')
    expect(document.documentElement.lang).toBe('en')
    expect(localStorage.getItem('xinyi.locale')).toBe('en')
    localStorage.removeItem('xinyi.locale')
  })

  it('shows the not-found page for unknown paths', async () => {
    app = await mountConsole('/no/such/page', { sections })
    expect(app.wrapper.find('[data-testid=not-found]').exists()).toBe(true)
  })
})

describe('the menu', () => {
  const of = (user: typeof users.firmManager) => {
    const session = createConsoleSession(user)
    return visibleNav(session, sections).map((g) => [g.section.name, g.entries.map((e) => e.route)])
  }

  it('shows each role only its sections and entries', () => {
    expect(of(users.firmManager)).toEqual([['firm', ['firm-households', 'firm-budget']]])
    expect(of(users.firmStaff)).toEqual([['firm', ['firm-households']]])
    expect(of(users.platformAdmin)).toEqual([['platform', ['platform-estates']]])
    expect(of(users.governanceObserver)).toEqual([])
    expect(of(users.resident)).toEqual([])
  })

  it('hides estate sections from a firm manager of no estate', () => {
    expect(of({ ...users.firmManager, estates: [] })).toEqual([])
  })
})

describe("the console's own sections", () => {
  const sectionsOf = (user: typeof users.firmManager) =>
    visibleNav(createConsoleSession(user)).map((group) => group.section.name)

  it('show the platform team and the committee only their district sections', () => {
    expect(sectionsOf(users.platformAdmin)).toEqual(['platform'])
    expect(sectionsOf(users.governanceObserver)).toEqual(['committee'])
  })

  it('show estate staff no district section, and residents nothing', () => {
    for (const user of [users.firmManager, users.firmStaff, users.supervisor, users.communityOfficer]) {
      const shown = sectionsOf(user)
      expect(shown.length, user.username).toBeGreaterThan(0)
      expect(shown.filter((name) => name === 'platform' || name === 'committee'), user.username).toEqual([])
    }
    expect(sectionsOf(users.resident)).toEqual([])
  })
})
