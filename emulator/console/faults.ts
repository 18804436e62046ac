/** The Faults panel: WeChat's injected faults, set and cleared. */
import { api, h, showReply, type Json, type Panel } from './dom'


export const faults: Panel = {
  title: '故障 Faults',
  mount(root) {
    const current = h('pre', { id: 'faults-current' })
    const errcode = h('input', { id: 'faults-errcode', value: '45009', size: 8 }) as HTMLInputElement
    const rate = h('input', { id: 'faults-rate', value: '1', size: 4 }) as HTMLInputElement
    const latency = h('input', { id: 'faults-latency', value: '0', size: 6 }) as HTMLInputElement
    const hang = h('input', { id: 'faults-hang', type: 'checkbox' }) as HTMLInputElement
    const limit = h('input', { id: 'faults-limit', placeholder: '—', size: 6 }) as HTMLInputElement
    const apply = (work: () => Promise<Json>) => showReply(current, work)
    const settings = () => ({
      errcode: Number(errcode.value),
      rate: Number(rate.value),
      latencyMs: Number(latency.value),
      hang: hang.checked,
      ...(limit.value.trim() ? { dailyLimit: Number(limit.value) } : {}),
    })
    root.append(
      h(
        'section',
        {},
        h('h2', {}, '微信故障注入 WeChat faults'),
        h('label', {}, 'errcode ', errcode, ' rate ', rate),
        h('label', {}, 'latencyMs ', latency, ' hang ', hang),
        h('label', {}, 'dailyLimit ', limit),
        h('button', { class: 'action', id: 'faults-set', onclick: () => apply(() => api('PUT', '/_emulator/wechat/faults', settings())) }, '注入 Set'),
        ' ',
        h('button', { class: 'quiet', id: 'faults-clear', onclick: () => apply(() => api('DELETE', '/_emulator/wechat/faults')) }, '清除 Clear'),
        current,
      ),
    )
    return async () => {
      // A refused setting stays in view until the next one.
      if (!current.classList.contains('error')) current.textContent = JSON.stringify(await api('GET', '/_emulator/wechat/faults'), null, 2)
    }
  },
}
