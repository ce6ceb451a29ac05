/** Errors with the Prometheus API error types, so the HTTP layer can map them to status codes unchanged. */
export type PromQLErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal';

export class PromQLError extends Error {
  constructor(
    readonly errorType: PromQLErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}

/** A parse or type-check error; `message` is formatted as Prometheus's ParseErr ("1:5: parse error: ..."). */
export class ParseError extends PromQLError {
  constructor(
    readonly query: string,
    readonly pos: number,
    readonly detail: string,
  ) {
    super('bad_data', `${positionString(query, pos)} parse error: ${detail}`);
    this.name = 'ParseError';
  }
}

function positionString(query: string, pos: number): string {
  if (pos < 0 || pos > query.length) return 'invalid position:';
  let line = 1;
  let lastLineBreak = -1;
  // Prometheus counts bytes; the difference only shows for non-ASCII text before the error.
  const bytes = Buffer.from(query.slice(0, pos), 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lastLineBreak = i;
      line++;
    }
  }
  return `${line}:${bytes.length - lastLineBreak}:`;
}
