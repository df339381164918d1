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
}

export function Chart({ title, series, data, yLabel, points, height = 240 }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
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
      axes: [{}, { label: yLabel }],
      scales: { x: { time: true } },
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
