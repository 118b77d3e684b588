/** Loading and submitting with the API, the same way on every page. */
import { ref, shallowRef, watch, type Ref, type ShallowRef, type WatchSource } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/errors'

export interface Loader<T> {
  data: ShallowRef<T | null>
  error: ShallowRef<unknown>
  loading: Ref<boolean>
  reload: () => Promise<void>
}

/** Loads now and again whenever `sources` change; a late answer to an old request is dropped. */
export function useLoader<T>(load: () => Promise<T>, sources: WatchSource[] = []): Loader<T> {
  const data = shallowRef<T | null>(null)
  const error = shallowRef<unknown>(null)
  const loading = ref(true)
  let latest = 0

  async function reload(): Promise<void> {
    const mine = ++latest
    loading.value = true
    error.value = null
    try {
      const value = await load()
      if (mine === latest) data.value = value
    } catch (cause) {
      if (mine === latest) {
        data.value = null
        error.value = cause
      }
    } finally {
      if (mine === latest) loading.value = false
    }
  }

  watch(sources, () => void reload(), { immediate: true })
  return { data, error, loading, reload }
}

/** The text to show for a failure: the API's reason, or a plain network message. */
export function useErrorText() {
  const { t } = useI18n()
  return (cause: unknown): string => {
    if (cause instanceof ApiError) return cause.isNetwork ? t('common.networkError') : cause.reason
    return cause instanceof Error ? cause.message : String(cause)
  }
}

/**
 * A form's submit: runs `action`, and on failure keeps the form as typed (nothing is reset here)
 * and exposes the API's reason to show next to it.
 */
export function useSubmit<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const pending = ref(false)
  const failure = shallowRef<unknown>(null)
  const errorText = useErrorText()
  const reason = ref<string | null>(null)

  async function submit(...args: A): Promise<R | undefined> {
    if (pending.value) return undefined
    pending.value = true
    failure.value = null
    reason.value = null
    try {
      return await action(...args)
    } catch (cause) {
      failure.value = cause
      reason.value = errorText(cause)
      return undefined
    } finally {
      pending.value = false
    }
  }

  return { submit, pending, reason, failure }
}
