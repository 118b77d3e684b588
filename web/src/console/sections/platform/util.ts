/** Loading and submitting on the platform pages: the API's reason on failure, the form kept. */
import { ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/errors'
import { useConsole } from '../../services'
import { platformApi } from './api'

export function usePlatformApi() {
  return platformApi(useConsole().api)
}

export function useErrorText() {
  const { t } = useI18n()
  return (cause: unknown): string => {
    if (cause instanceof ApiError) return cause.isNetwork ? t('common.networkError') : cause.reason
    return cause instanceof Error ? cause.message : String(cause)
  }
}

/** Loads now and on `reload()`; `error` holds the reason when it fails. */
export function useLoad<T>(load: () => Promise<T>) {
  const data = shallowRef<T | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  const errorText = useErrorText()
  let latest = 0

  async function reload(): Promise<void> {
    const mine = ++latest
    loading.value = true
    error.value = null
    try {
      const value = await load()
      if (mine === latest) data.value = value
    } catch (cause) {
      if (mine === latest) error.value = errorText(cause)
    } finally {
      if (mine === latest) loading.value = false
    }
  }

  void reload()
  return { data, error, loading, reload }
}

/** A form's submit: on failure nothing typed is reset, and `reason` says why (the API's words). */
export function useSubmit<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const pending = ref(false)
  const reason = ref<string | null>(null)
  const errorText = useErrorText()

  async function submit(...args: A): Promise<R | undefined> {
    if (pending.value) return undefined
    pending.value = true
    reason.value = null
    try {
      return await action(...args)
    } catch (cause) {
      reason.value = errorText(cause)
      return undefined
    } finally {
      pending.value = false
    }
  }

  return { submit, pending, reason }
}

/** Saves a Blob as a file (the archive). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
