import { afterEach, describe, expect, it } from 'vitest'
import { ESTATE, resident } from '@/test/fixtures'
import { fakeAuth, mountApp, type MountedApp } from '@/test/mount'

describe('the routes', () => {
  let app: MountedApp | undefined
  afterEach(() => {
    expect(app?.problems).toEqual([])
    app?.wrapper.unmount()
    app = undefined
  })

  it('send a visitor who is not logged in to log-in, remembering where they were going', async () => {
    app = await mountApp(`/estates/${ESTATE}/books`, { user: null })
    expect(app!.router.currentRoute.value.name).toBe('login')
    expect(app!.router.currentRoute.value.query.returnTo).toBe(`/estates/${ESTATE}/books`)
    expect(app!.wrapper.find('[data-testid=login]').text()).toBe('登录')
    await app!.wrapper.find('[data-testid=login]').trigger('click')
    expect(app!.auth.login).toHaveBeenCalledWith(`/estates/${ESTATE}/books`, 'zh-CN')
  })

  it('say why when the session has expired', async () => {
    app = await mountApp('/login?expired=1', { user: null, locale: 'en' })
    expect(app!.wrapper.find('[data-testid=session-expired]').text()).toBe('Your session has expired. Please log in again.')
  })

  it('take a resident of one estate straight to their household', async () => {
    app = await mountApp('/')
    expect(app!.router.currentRoute.value.fullPath).toBe(`/estates/${ESTATE}/household`)
  })

  it("refuse another estate's pages edited into the URL", async () => {
    app = await mountApp('/estates/someone-elses/books')
    expect(app!.router.currentRoute.value.name).toBe('estates')
    expect(app!.wrapper.find('[data-testid=estate-denied]').text()).toContain('someone-elses')
    expect(app!.api.ledger.statement).not.toHaveBeenCalled()
  })

  it('let a member of several estates choose', async () => {
    const user = { ...resident, estates: [ESTATE, 'second-estate'] }
    app = await mountApp('/', { user, auth: fakeAuth(user) })
    expect(app!.router.currentRoute.value.name).toBe('home')
    expect(app!.wrapper.find(`[data-testid=estate-second-estate]`).exists()).toBe(true)
    expect(app!.wrapper.text()).toContain('金河绿洲')
  })

  it('show the not-found page for unknown paths', async () => {
    app = await mountApp('/no/such/page')
    expect(app!.wrapper.text()).toContain('页面不存在')
  })
})
