export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface EventReader {
  status: number;
  /** The next event whose type and data satisfy `accept`; fails after timeoutMs. */
  next(accept: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
}

/** Opens one of the dashboard's event streams as the page does: fetch with a bearer token. */
export async function openEvents(url: string, token: string | undefined): Promise<EventReader> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: abort.signal,
  });
  const queue: StreamEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let end = buffered.indexOf('\n\n');
          while (end >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) queue.push({ type, data: JSON.parse(data) });
          }
          wake?.();
        }
      } catch {
        // Closed by the test or the server.
      }
      ended = true;
      wake?.();
    })();
  }
  return {
    status: response.status,
    async next(accept, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = queue.findIndex(accept);
        if (index >= 0) return queue.splice(0, index + 1).at(-1) as StreamEvent;
        queue.length = 0;
        if (ended) throw new Error('the stream ended before the awaited event');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('timed out waiting for an event of the stream');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 500));
        });
      }
    },
    close: () => abort.abort(),
  };
}
