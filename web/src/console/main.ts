/**
 * The desk console, served at /console/ — TODO(issue 14): Element Plus + ECharts pages for the
 * firm, the supervisor, the community officer, the platform team and the committee, on the same
 * log-in (src/auth), API client (src/api) and catalogues (src/locales, add a `console` section)
 * as the resident pages. Until then this page only says where the resident pages are.
 */
const app = document.querySelector('#app')
if (app) {
  app.innerHTML = `
    <main style="font-family: sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em; line-height: 1.6">
      <h1>信义 · 管理台</h1>
      <p>管理台正在建设中。居民页面：<a href="/h5/">/h5/</a></p>
      <p lang="en">The desk console is being built. The residents' pages: <a href="/h5/">/h5/</a></p>
    </main>`
}
