/**
 * A line splitter over a byte stream: calls `onLine` with each line of a UTF-8 stream as it
 * arrives, so a large trace.ndjson is read chunk by chunk and never held whole (neither as
 * bytes nor as one string). A line split between two chunks is joined; "\r\n" endings work;
 * a last line without "\n" is delivered at the end; empty lines are skipped.
 *
 * `onChunk` is told the bytes read so far after each chunk (a progress bar's input); awaiting
 * between chunks is what keeps the page responsive while a long trace streams in.
 */

export interface LineProgress {
  readonly bytes: number;
  readonly lines: number;
}

export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  onChunk?: (progress: LineProgress) => void | Promise<void>,
): Promise<LineProgress> {
  const reader = stream.getReader();
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let bytes = 0;
  let lines = 0;
  const emit = (line: string): void => {
    const end = line.endsWith('\r') ? line.length - 1 : line.length;
    if (end === 0) return;
    lines++;
    onLine(end === line.length ? line : line.slice(0, end));
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      const text = rest + decoder.decode(value, { stream: true });
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        emit(text.slice(start, nl));
        start = nl + 1;
      }
      rest = start === 0 ? text : text.slice(start);
      if (onChunk) await onChunk({ bytes, lines });
    }
  } finally {
    reader.releaseLock();
  }
  rest += decoder.decode();
  if (rest.length > 0) emit(rest);
  return { bytes, lines };
}
