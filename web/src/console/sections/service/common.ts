/** Small helpers of the service and supervisor pages: money typed in yuan, countdowns, API reasons. */
import { computed, onBeforeUnmount, onMounted, ref } from 'vue'
import { useRoute } from 'vue-router'
import { ApiError } from '@/api/errors'

const YUAN = /^\s*(\d{1,12})(?:\.(\d{1,2}))?\s*$/

/** Integer fen from yuan as typed ("1234.5" → 123450); null when not a non-negative amount with ≤ 2 decimals. */
export function parseYuan(text: string): number | null {
  const match = YUAN.exec(text.replace(/[,，]/g, ''))
  if (!match) return null
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  return Number.isSafeInteger(fen) ? fen : null
}

/** Fen as yuan text for an input ("1234.50"), integer arithmetic only. */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

export interface Countdown {
  overdue: boolean
  /** Whole seconds left (negative: past the deadline by that much). */
  seconds: number
  /** "2d 03:04:05" / "-00:12:30" */
  text: string
}

export function countdown(deadline: string, now: number): Countdown {
  const due = new Date(deadline).getTime()
  const seconds = Math.trunc((due - now) / 1000)
  const abs = Math.abs(seconds)
  const days = Math.floor(abs / 86400)
  const pad = (n: number) => String(n).padStart(2, '0')
  const clock = `${pad(Math.floor((abs % 86400) / 3600))}:${pad(Math.floor((abs % 3600) / 60))}:${pad(abs % 60)}`
  return { overdue: seconds < 0, seconds, text: `${seconds < 0 ? '-' : ''}${days ? `${days}d ` : ''}${clock}` }
}

/** The time now, ticking every second while the component lives. */
export function useNow(intervalMs = 1000) {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    timer = setInterval(() => (now.value = Date.now()), intervalMs)
  })
  onBeforeUnmount(() => clearInterval(timer))
  return now
}

/** The API's reason of a failed call (the text to show), else the error's message. */
export function reasonOf(error: unknown): string {
  if (error instanceof ApiError) return error.reason
  return error instanceof Error ? error.message : String(error)
}

/** The estate of the route (/console/estates/:estate/…). */
export function useEstate() {
  const route = useRoute()
  return computed(() => String(route.params.estate ?? ''))
}

/** The estate's year now (Asia/Shanghai). */
export function currentYear(now: Date = new Date()): number {
  return Number(new Intl.DateTimeFormat('en-CA', { year: 'numeric', timeZone: 'Asia/Shanghai' }).format(now))
}

/** Bytes as "12.3 KB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
