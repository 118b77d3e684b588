/** Every section of the console, in menu order. */
import type { ConsoleSection } from '../section'
import { section as firm } from './firm'
import { section as service } from './service'
import { section as supervisor } from './supervisor'
import { section as community } from './community'
import { section as platform } from './platform'
import { section as committee } from './committee'

export const SECTIONS: readonly ConsoleSection[] = [firm, service, supervisor, community, platform, committee]
