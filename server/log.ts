/** pino options: readable lines when attached to a terminal, JSON lines otherwise. */

import pino, { type Logger, type LoggerOptions } from 'pino'

export function loggerOptions (level: string): LoggerOptions {
  const opts: LoggerOptions = { level, base: undefined }
  if (process.stdout.isTTY) {
    opts.transport = { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }
  }
  return opts
}

export function createLogger (level: string): Logger {
  return pino(loggerOptions(level))
}
