import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs; anything that looks like a credential is redacted wherever it appears. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'latchkey' },
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'clientSecret',
          '*.clientSecret',
          'client_secret',
          '*.client_secret',
          'token',
          '*.token',
          'code',
          '*.code',
          'authorization',
          '*.authorization',
          'cookie',
          '*.cookie',
          'headers.authorization',
          'headers.cookie',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
