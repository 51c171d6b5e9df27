// Server-sent events read through fetch, because EventSource cannot send the bearer token.

/** An answer that retrying will not change (401, 403, 404): the page says it and stops. */
export class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Reads one event stream until it ends; calls onEvent(type, data) for each event. */
async function readStream(path, token, onEvent, signal) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    cache: 'no-store',
    signal,
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).message ?? message;
    } catch {
      // The body was not the dashboard's JSON (a proxy's page); the status says enough.
    }
    if ([401, 403, 404].includes(response.status)) throw new Refused(response.status, message);
    throw new Error(message);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(type, JSON.parse(data));
    }
  }
}

/**
 * Follows a stream and reconnects with backoff (1 s doubling to 15 s) when it breaks;
 * onState('live' | 'retrying' | 'refused', detail) tells the page. Returns a stop function.
 */
export function follow(path, token, onEvent, onState) {
  const abort = new AbortController();
  let delay = 1000;
  (async () => {
    while (!abort.signal.aborted) {
      try {
        await readStream(
          path,
          token,
          (type, data) => {
            delay = 1000;
            onState('live');
            onEvent(type, data);
          },
          abort.signal,
        );
        if (abort.signal.aborted) return;
        onState('retrying', 'the server closed the stream');
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof Refused) {
          onState('refused', error.message, error.status);
          return;
        }
        onState('retrying', error.message);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  })();
  return () => abort.abort();
}
