import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { ApiError } from '@/api/errors'
import { createAppI18n } from '@/i18n'
import { useLoader, useSubmit } from './composables'

/** A form as the pages will write them: labelled input, submit through useSubmit, reason shown. */
function form(action: (title: string) => Promise<unknown>) {
  return defineComponent(() => {
    const title = ref('')
    const { submit, pending, reason } = useSubmit(action)
    return () =>
      h('form', { onSubmit: (e: Event) => (e.preventDefault(), void submit(title.value)) }, [
        h('label', { for: 'title' }, 'Title'),
        h('input', { id: 'title', value: title.value, onInput: (e: Event) => (title.value = (e.target as HTMLInputElement).value) }),
        reason.value ? h('p', { role: 'alert' }, reason.value) : null,
        h('button', { type: 'submit', disabled: pending.value }, 'Send'),
      ])
  })
}

function mountForm(action: (title: string) => Promise<unknown>) {
  return mount(form(action), { global: { plugins: [createAppI18n({ strict: true })] } })
}

describe('a form that the API refuses', () => {
  it("keeps what was typed and shows the API's reason", async () => {
    const action = vi.fn(async () => {
      throw new ApiError(422, 'validation_error', 'the description is too short', 'r-9')
    })
    const wrapper = mountForm(action)
    await wrapper.find('input').setValue('灯坏')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(action).toHaveBeenCalledWith('灯坏')
    expect(wrapper.find('[role=alert]').text()).toBe('the description is too short')
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('灯坏')
    expect(wrapper.find('button').attributes('disabled')).toBeUndefined()
  })

  it('says the network failed in the page language, not the browser message', async () => {
    const wrapper = mountForm(async () => {
      throw new ApiError(0, 'network', 'Failed to fetch')
    })
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role=alert]').text()).toBe('网络连接失败，请稍后重试。')
  })

  it('clears the reason once it goes through', async () => {
    const action = vi.fn().mockRejectedValueOnce(new ApiError(409, 'conflict', 'already voted')).mockResolvedValue({})
    const wrapper = mountForm(action)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role=alert]').exists()).toBe(true)
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[role=alert]').exists()).toBe(false)
  })
})

describe('useLoader', () => {
  it('drops a late answer to an earlier request', async () => {
    const resolvers: ((value: string) => void)[] = []
    const source = ref(1)
    let loader!: ReturnType<typeof useLoader<string>>
    mount(
      defineComponent(() => {
        loader = useLoader(() => new Promise<string>((resolve) => resolvers.push(resolve)), [source])
        return () => null
      }),
    )
    source.value = 2
    await flushPromises()
    resolvers[1]!('second')
    resolvers[0]!('first')
    await flushPromises()
    expect(loader.data.value).toBe('second')
    expect(loader.loading.value).toBe(false)
  })
})
