/**
 * The console's charts, drawn by uPlot (bundled, nothing fetched): counts as
 * bars over an x axis of minutes or days, a count axis from 0 in whole
 * numbers, both axes labelled, and a legend that reads the values under the
 * pointer. A chart is built once, on its first data, and then only given new
 * data (setData), so the pointer and the legend survive the panel's refresh.
 *
 * Each point sits in the middle of its own slot (one step wide), so the x
 * range is the points' slots and a bar at either end is drawn whole. The
 * container carries what it shows as data-x (the points), data-series
 * ({ key: counts }), its axes' labels and the ticks drawn, for a reader or a test.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './chart.css'

export interface ChartSeries {
  key: string
  label: string
  color: string
}

export interface ChartSpec {
  id: string
  x: {
    label: string
    /** The distance between two points: 60000 for minutes (epoch ms, a time axis in the browser's zone), 1 for positions. */
    step: number
    time: boolean
    /** How a point reads on the axis, and under the pointer in the legend. */
    tick(value: number): string
    legend(value: number): string
  }
  y: { label: string }
  series: ChartSeries[]
  height?: number
  /** Writes each bar's count above it (for a few wide bars; the legend reads any bar under the pointer). */
  counts?: boolean
}

export interface Chart {
  /** The chart's container, sized by its section. */
  element: HTMLElement
  show(xs: number[], counts: number[][]): void
}

const FONT = '12px "Noto Sans SC", sans-serif'
const LABEL_FONT = 'bold 12px "Noto Sans SC", sans-serif'
/** Ticks on the count axis are whole numbers. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]
const INK = '#1b1b1f'
const GRID = '#e4e4ea'

/** Where series `slot` of `slots` puts its bars, side by side within each point's slot: left edges and width, in x units. */
function placing(slot: number, slots: number, step: number) {
  const group = step * 0.8
  const width = group / slots
  return { left: (x: number) => x - group / 2 + slot * width, width: width * 0.88 }
}

function bars(slot: number, slots: number, step: number): uPlot.Series.PathBuilder {
  const { left, width } = placing(slot, slots, step)
  return uPlot.paths.bars!({
    disp: {
      x0: { unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, values: (u) => (u.data[0] as number[]).map(left) },
      size: { unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, values: (u) => (u.data[0] as number[]).map(() => width) },
    },
  })
}

/** Each bar's count above it, drawn on the canvas after the series. */
function countsAbove(u: uPlot, spec: ChartSpec): void {
  const { ctx } = u
  const ratio = window.devicePixelRatio || 1
  ctx.save()
  ctx.font = `${10 * ratio}px "Noto Sans SC", sans-serif`
  ctx.fillStyle = INK
  ctx.textAlign = 'center'
  ctx.textBaseline = 'bottom'
  spec.series.forEach((_s, slot) => {
    const { left, width } = placing(slot, spec.series.length, spec.x.step)
    ;(u.data[0] as number[]).forEach((x, i) => {
      const count = u.data[slot + 1]![i]
      if (count) ctx.fillText(String(count), u.valToPos(left(x) + width / 2, 'x', true), u.valToPos(count, 'y', true) - 3 * ratio)
    })
  })
  ctx.restore()
}

/** The count axis' top: at least 4, with room above the tallest bar. */
const top = (max: number) => Math.max(4, Math.ceil(max * 1.1))

/** uPlot's options for a chart in `element`: the ticks it draws are noted on the element too (data-x-ticks, data-y-ticks), as the canvas holds no text. */
function options(spec: ChartSpec, size: { width: number; height: number }, element: HTMLElement): uPlot.Options {
  const { x, y, series } = spec
  const noted = (axis: 'xTicks' | 'yTicks', ticks: string[]) => ((element.dataset[axis] = ticks.join('|')), ticks)
  const axis = { font: FONT, labelFont: LABEL_FONT, stroke: INK, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } }
  return {
    ...size,
    ms: 1,
    cursor: { drag: { x: false, y: false, setScale: false } },
    legend: { live: true },
    hooks: spec.counts ? { draw: [(u) => countsAbove(u, spec)] } : {},
    scales: {
      x: { time: x.time, range: (_u, min, max) => [min - x.step / 2, max + x.step / 2] },
      y: { range: (_u, _min, max) => [0, top(max ?? 0)] },
    },
    axes: [
      {
        ...axis,
        label: x.label,
        space: 48,
        // Positions are ticked one a point; minutes where the time scale puts them.
        ...(x.time ? {} : { splits: (u: uPlot) => [...(u.data[0] as number[])] }),
        values: (_u, splits) => noted('xTicks', splits.map((value) => x.tick(value))),
      },
      { ...axis, label: y.label, incrs: WHOLE, values: (_u, splits) => noted('yTicks', splits.map((value) => String(value))) },
    ],
    series: [
      { label: x.label, value: (_u, value) => (value === null || value === undefined ? '—' : x.legend(value)) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color,
        fill: s.color,
        width: 0,
        points: { show: false },
        paths: bars(i, series.length, x.step),
        value: (_u: uPlot, value: number | null) => (value === null || value === undefined ? '—' : String(value)),
      })),
    ],
  }
}

/** What the shown panel's charts hold on to (a plot's window listeners, a resize observer), let go when it is left. */
const live: Array<() => void> = []

/** Lets go of every chart drawn so far: the console calls it before it shows another panel. */
export function releaseCharts(): void {
  for (const release of live.splice(0)) release()
}

export function chart(spec: ChartSpec): Chart {
  const element = document.createElement('div')
  element.id = spec.id
  element.className = 'chart'
  element.dataset.xLabel = spec.x.label
  element.dataset.yLabel = spec.y.label
  element.setAttribute('role', 'figure')
  element.setAttribute('aria-label', `${spec.series.map((s) => s.label).join(', ')}: ${spec.y.label} / ${spec.x.label}`)
  let plot: uPlot | undefined
  const size = () => ({ width: Math.max(240, element.clientWidth), height: spec.height ?? 240 })
  // Sized by its section: a wider or narrower window redraws it to fit.
  const resized = new ResizeObserver(() => {
    if (plot && Math.abs(plot.width - size().width) > 1) plot.setSize(size())
  })
  resized.observe(element)
  live.push(() => {
    resized.disconnect()
    plot?.destroy()
    plot = undefined
  })
  return {
    element,
    show(xs, counts) {
      element.dataset.x = JSON.stringify(xs)
      element.dataset.series = JSON.stringify(Object.fromEntries(spec.series.map((s, i) => [s.key, counts[i]])))
      const data: uPlot.AlignedData = [xs, ...counts]
      if (plot) plot.setData(data)
      else plot = new uPlot(options(spec, size(), element), data, element)
    },
  }
}
