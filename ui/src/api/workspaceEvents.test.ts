import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook } from "@testing-library/react";
import { createElement, type ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FALLBACK_POLL_MS, throttle, useLiveRunLists, useWorkspaceEvents } from "./workspaceEvents";

/** The browser's EventSource as far as the hook uses it: the test opens, fails and sends on it. */
class FakeEventSource {
  static made: FakeEventSource[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((message: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.made.push(this);
  }
  addEventListener(kind: string, listener: (message: MessageEvent<string>) => void) {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }
  fail(state: number) {
    this.readyState = state;
    this.onerror?.();
  }
  send(kind: string, data: unknown) {
    for (const listener of this.listeners.get(kind) ?? []) listener({ data: JSON.stringify(data) } as MessageEvent<string>);
  }
}

describe("useWorkspaceEvents", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.made = [];
    vi.stubGlobal("EventSource", FakeEventSource);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("follows /api/events, hands on each run event, and closes when the page goes", () => {
    const seen: string[] = [];
    const { result, unmount } = renderHook(() => useWorkspaceEvents((event) => seen.push(event.status)));
    const source = FakeEventSource.made[0];
    expect(source?.url).toBe("/api/events");
    expect(result.current).toBe(true); // opening for the first time is not down
    act(() => source?.send("run_status", { run_id: "r", status: "Running", created_at: 1 }));
    expect(seen).toEqual(["Running"]);
    unmount();
    expect(source?.closed).toBe(true);
  });

  it("is down while the browser reconnects, and opens a new stream 30 s after the browser gave up", () => {
    const { result } = renderHook(() => useWorkspaceEvents(() => {}));
    const first = FakeEventSource.made[0];
    act(() => first?.fail(FakeEventSource.CONNECTING));
    expect(result.current).toBe(false);
    act(() => first?.open());
    expect(result.current).toBe(true);
    act(() => first?.fail(FakeEventSource.CLOSED));
    expect(result.current).toBe(false);
    expect(FakeEventSource.made).toHaveLength(1);
    act(() => vi.advanceTimersByTime(30_000));
    expect(FakeEventSource.made).toHaveLength(2);
    act(() => FakeEventSource.made[1]?.open());
    expect(result.current).toBe(true);
  });
});

describe("useLiveRunLists", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.made = [];
    vi.stubGlobal("EventSource", FakeEventSource);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("refreshes run lists on run events, at most once a second, and polls only while the stream is down", () => {
    const client = new QueryClient();
    const refreshed = vi.spyOn(client, "invalidateQueries");
    const wrapper = ({ children }: { children: ReactNode }) => createElement(QueryClientProvider, { client }, children);
    const { result } = renderHook(() => useLiveRunLists(), { wrapper });
    const source = FakeEventSource.made[0];
    expect(result.current).toBe(false);
    const event = { run_id: "r", status: "NotStarted", created_at: 1 };
    act(() => {
      source?.send("run_status", event);
      source?.send("run_status", { ...event, status: "Running" });
      source?.send("run_status", { ...event, status: "Finished" });
    });
    expect(refreshed).toHaveBeenCalledTimes(1);
    expect(refreshed).toHaveBeenLastCalledWith({ queryKey: ["runs"] });
    act(() => vi.advanceTimersByTime(1000));
    expect(refreshed).toHaveBeenCalledTimes(2);
    act(() => source?.fail(FakeEventSource.CONNECTING));
    expect(result.current).toBe(FALLBACK_POLL_MS);
    act(() => vi.advanceTimersByTime(1000));
    act(() => source?.open());
    expect(result.current).toBe(false);
    expect(refreshed).toHaveBeenCalledTimes(3); // back after a break: what changed meanwhile
  });
});

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls at once after a quiet spell, and once more for a burst within the wait", () => {
    const call = vi.fn();
    const throttled = throttle(call, 1000);
    throttled();
    expect(call).toHaveBeenCalledTimes(1);
    throttled();
    throttled();
    throttled();
    expect(call).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(999);
    expect(call).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(call).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5000);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it("calls at once again once the wait has passed", () => {
    const call = vi.fn();
    const throttled = throttle(call, 1000);
    throttled();
    vi.advanceTimersByTime(1500);
    throttled();
    expect(call).toHaveBeenCalledTimes(2);
  });

  it("drops a waiting call when cancelled", () => {
    const call = vi.fn();
    const throttled = throttle(call, 1000);
    throttled();
    throttled();
    throttled.cancel();
    vi.advanceTimersByTime(2000);
    expect(call).toHaveBeenCalledTimes(1);
  });
});
