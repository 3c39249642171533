import { Panel, useReactFlow, useStore } from "@xyflow/react";
import { useEffect, useMemo, useRef, useState, type PointerEvent } from "react";
import { useAppliedTheme } from "../../metrics/useAppliedTheme";
import { STATUSES, statusClass } from "../../status";
import type { Layout } from "./layout";

const WIDTH = 200;
const HEIGHT = 140;
const PAD = 6;

interface Props {
  layout: Layout;
  /** each drawn item's status (a group's worst), for its colour */
  statusOf: (id: string) => string;
  nodeWidth: number;
  nodeHeight: number;
}

/** The whole graph in a corner, drawn on one canvas whatever its size, with the view as a frame; a click or a drag
 * on it moves the view there. The steps are drawn again only when the graph or a status changes, the frame on
 * every move. */
export function OverviewMap({ layout, statusOf, nodeWidth, nodeHeight }: Props) {
  const flow = useReactFlow();
  const theme = useAppliedTheme();
  const canvas = useRef<HTMLCanvasElement>(null);
  const steps = useRef<HTMLCanvasElement | null>(null);
  const [tx, ty, zoom] = useStore((s) => s.transform);
  const viewWidth = useStore((s) => s.width);
  const viewHeight = useStore((s) => s.height);
  // flow coordinates -> map pixels: the graph fitted into the map in proportion, except that an axis it would fill
  // less than 40% of is stretched to that (a fan-out of a thousand is 1,000 times wider than tall: in proportion it
  // would be a line a pixel high)
  const scale = useMemo(() => {
    const w = Math.max(layout.width, nodeWidth);
    const h = Math.max(layout.height, nodeHeight);
    const k = Math.min((WIDTH - 2 * PAD) / w, (HEIGHT - 2 * PAD) / h);
    const kx = Math.max(k, (0.4 * (WIDTH - 2 * PAD)) / w);
    const ky = Math.max(k, (0.4 * (HEIGHT - 2 * PAD)) / h);
    return { kx, ky, dx: (WIDTH - w * kx) / 2, dy: (HEIGHT - h * ky) / 2 };
  }, [layout, nodeWidth, nodeHeight]);
  const ratio = typeof window === "undefined" ? 1 : Math.min(2, window.devicePixelRatio || 1);
  const statuses = useMemo(() => layout.layers.flat().map(statusOf).join(","), [layout, statusOf]);

  // The theme's colours, read once per theme: reading them on every frame would make the browser work out the
  // page's styles again each time.
  const [colours, setColours] = useState<{ status: Map<string, string>; view: string; frame: string } | null>(null);
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const styles = getComputedStyle(element);
    const read = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
    setColours({
      status: new Map(STATUSES.map((s) => [statusClass(s), read(`--status-${statusClass(s)}`, "#888")])),
      view: read("--overview-view", "rgba(0,0,0,0.08)"),
      frame: read("--accent", "#36c"),
    });
  }, [theme]);

  useEffect(() => {
    const element = canvas.current;
    if (!element || !colours) return;
    const colour = (status: string) => colours.status.get(statusClass(status))!;
    const off = document.createElement("canvas");
    off.width = WIDTH * ratio;
    off.height = HEIGHT * ratio;
    const g = off.getContext("2d");
    if (!g) return;
    g.scale(ratio, ratio);
    const { kx, ky, dx, dy } = scale;
    // at least a pixel each, so that a thousand-wide layer still shows as a band
    const w = Math.max(1, nodeWidth * kx);
    const h = Math.max(1, nodeHeight * ky);
    for (const [id, at] of layout.positions) {
      g.fillStyle = colour(statusOf(id));
      g.fillRect(dx + at.x * kx, dy + at.y * ky, w, h);
    }
    steps.current = off;
    // `statuses` stands for statusOf's answers: a new status draws again, a new function giving the same answers not
  }, [layout, scale, statuses, colours, ratio, nodeWidth, nodeHeight]);

  useEffect(() => {
    const element = canvas.current;
    const g = element?.getContext("2d");
    if (!element || !g || !colours) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, WIDTH, HEIGHT);
    if (steps.current) g.drawImage(steps.current, 0, 0, WIDTH, HEIGHT);
    const { kx, ky, dx, dy } = scale;
    const x = dx + (-tx / zoom) * kx;
    const y = dy + (-ty / zoom) * ky;
    const w = Math.max(3, (viewWidth / zoom) * kx);
    const h = Math.max(3, (viewHeight / zoom) * ky);
    g.fillStyle = colours.view;
    g.fillRect(x, y, w, h);
    g.strokeStyle = colours.frame;
    g.lineWidth = 1.5;
    g.strokeRect(x, y, w, h);
  });

  const moveTo = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const { kx, ky, dx, dy } = scale;
    const x = (event.clientX - box.left - dx) / kx;
    const y = (event.clientY - box.top - dy) / ky;
    void flow.setCenter(x, y, { zoom: flow.getZoom() });
  };

  return (
    <Panel position="bottom-right" className="overview-map">
      <canvas
        ref={canvas}
        width={WIDTH * ratio}
        height={HEIGHT * ratio}
        style={{ width: WIDTH, height: HEIGHT }}
        data-testid="graph-overview"
        role="img"
        aria-label="The whole graph; click or drag to move the view"
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          moveTo(event);
        }}
        onPointerMove={(event) => {
          if (event.buttons & 1) moveTo(event);
        }}
      />
    </Panel>
  );
}
