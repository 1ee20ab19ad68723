/**
 * The one error type of Latchkey. `code` is a stable, message-catalogue style key;
 * `expose` says whether `message` may be shown to the caller (else a generic one is).
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details?: Record<string, unknown>;

  constructor(status: number, code: string, message: string, options: { expose?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    if (options.details) this.details = options.details;
  }
}

export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
