/**
 * A readable message for anything an effect may throw: Errors, plain objects with a
 * message (as some libraries throw), strings.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const { message, error: inner } = error as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (typeof inner === 'string') return inner;
    return JSON.stringify(error);
  }
  return String(error);
}
