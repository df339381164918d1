/** A uPlot chart as a Preact component; the data is replaced in place on every update. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const PALETTE = ['#0b57d0', '#b3261e', '#146c2e', '#8e24aa', '#e8710a', '#00796b', '#5f6368', '#c2185b'];

export interface ChartProps {
  title: string;
  /** Series names, one per y array. */
  series: string[];
  /** x (seconds since the epoch) first, then one array per series. */
  data: (number | null)[][];
  yLabel: string;
  /** Points instead of lines (e.g. a timeline). */
  points?: boolean;
  height?: number;
  /** The x range shown, seconds since the epoch (e.g. the last hour); default: the data's. */
  xRange?: [number, number];
  /** Names for y = 1, 2, ... (a timeline's rows) instead of numbers. */
  yNames?: string[];
}

export function Chart({ title, series, data, yLabel, points, height = 240, xRange, yNames }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Read by uPlot's range callbacks on every setData, so they follow the latest props.
  const xRangeRef = useRef(xRange);
  xRangeRef.current = xRange;
  const shape = series.join('|');
  useEffect(() => {
    if (!el.current) return;
    const opts: uPlot.Options = {
      title,
      width: Math.max(320, el.current.clientWidth - 16),
      height,
      series: [
        {},
        ...series.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: points ? 6 : 2,
          spanGaps: false,
          ...(points ? { paths: () => null, points: { show: true, size: 8 } } : {}),
        })),
      ],
      axes: [
        {},
        yNames
          ? { label: yLabel, size: 200, incrs: [1], values: (_u: uPlot, splits: number[]) => splits.map((v) => yNames[v - 1] ?? '') }
          : { label: yLabel },
      ],
      scales: {
        x: { time: true, range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => xRangeRef.current ?? [min, max] },
        y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => (yNames ? [0.5, yNames.length + 0.5] : [0, Math.max(1, max * 1.1)]) },
      },
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, title]);
  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  return <div class="chart" ref={el} role="img" aria-label={`${title}: ${series.join(', ')}`} />;
}
