/**
 * The Vant components the resident pages use, registered once (as <van-…>) with only their own
 * styles, so the bundle carries nothing else of Vant. Add a component here before using it.
 */
import type { App } from 'vue'
import {
  ActionSheet,
  Button,
  Cell,
  CellGroup,
  DatePicker,
  Empty,
  Icon,
  Loading,
  Locale,
  NavBar,
  Popup,
  Tabbar,
  TabbarItem,
  Tag,
} from 'vant'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import vantEnUS from 'vant/es/locale/lang/en-US'
import 'vant/es/style/base.css'
import 'vant/es/action-sheet/style/index'
import 'vant/es/button/style/index'
import 'vant/es/cell/style/index'
import 'vant/es/cell-group/style/index'
import 'vant/es/date-picker/style/index'
import 'vant/es/empty/style/index'
import 'vant/es/icon/style/index'
import 'vant/es/loading/style/index'
import 'vant/es/nav-bar/style/index'
import 'vant/es/popup/style/index'
import 'vant/es/tabbar/style/index'
import 'vant/es/tabbar-item/style/index'
import 'vant/es/tag/style/index'
import type { Locale as AppLocale } from '@/i18n/format'

const COMPONENTS = [
  ActionSheet,
  Button,
  Cell,
  CellGroup,
  DatePicker,
  Empty,
  Icon,
  Loading,
  NavBar,
  Popup,
  Tabbar,
  TabbarItem,
  Tag,
]

export function installVant(app: App): void {
  for (const component of COMPONENTS) app.use(component)
}

/** Vant's own texts (pickers' buttons, …) in the page's language. */
export function useVantLocale(locale: AppLocale): void {
  if (locale === 'en') Locale.use('en-US', vantEnUS)
  else Locale.use('zh-CN', vantZhCN)
}
