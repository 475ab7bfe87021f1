// Console patching: every console call becomes one log record carrying the timestamp, the
// current request id and a level, in AWS Lambda's Text or JSON format.
//
// Formats, level names, the level filter and the telemetry-FD framing follow AWS's
// aws-lambda-nodejs-runtime-interface-client (src/LogPatch.js).

import fs from 'node:fs';
import util from 'node:util';
import { intoError, toFormatted } from './errors.mjs';

// Kept on globalThis under registered symbols, as AWS does, so that a second copy of a
// runtime library loaded by the function sees the same request id.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');

export function setCurrentRequestId(id) {
  globalThis[REQUEST_ID] = id;
}

export function setCurrentTenantId(id) {
  globalThis[TENANT_ID] = id;
}

// tlvMask is OR-ed into the telemetry frame type so the platform can read the level without
// parsing the message.
const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, tlvMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, tlvMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, tlvMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, tlvMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, tlvMask: 0b11000 },
});

const TEXT_FRAME = 0xa55a0003;
const JSON_FRAME = 0xa55a0002;

function textRecord(time, level, message, params) {
  return `${time}\t${globalThis[REQUEST_ID]}\t${level.name}\t${util.format(message, ...params)}`;
}

// Errors inside a logged object serialise with their name, message and stack.
function jsonErrorReplacer(_key, value) {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    {
      errorType: value?.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    },
    value,
  );
}

function jsonRecord(time, level, message, params) {
  const record = { timestamp: time, level: level.name, requestId: globalThis[REQUEST_ID] };
  const tenantId = globalThis[TENANT_ID];
  if (tenantId !== undefined && tenantId !== null) record.tenantId = tenantId;

  // A single argument keeps its structure (objects stay objects in `message`); several are
  // formatted into one string, with the first Error's details lifted to the top level.
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  const all = [message, ...params];
  record.message = util.format(...all);
  const error = all.find((param) => param instanceof Error);
  if (error) {
    record.errorType = error?.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

// On stdout a record must stay on one line, so newlines become carriage returns; the
// telemetry FD frames records by length and keeps them verbatim.
function stdoutWriter(render) {
  return (level, message, params) => {
    const line = render(new Date().toISOString(), level, message, params);
    process.stdout.write(line.replace(/\n/g, '\r') + '\n');
  };
}

// Frame: type (4 bytes) | length (4) | timestamp in microseconds (8) | message, big-endian.
function telemetryWriter(fd, frameType, render, trailingNewline) {
  const header = Buffer.alloc(16);
  return (level, message, params) => {
    const date = new Date();
    const text = render(date.toISOString(), level, message, params) + (trailingNewline ? '\n' : '');
    const body = Buffer.from(text, 'utf8');
    header.writeUInt32BE((frameType | level.tlvMask) >>> 0, 0);
    header.writeInt32BE(body.length, 4);
    header.writeBigInt64BE(BigInt(date.valueOf()) * 1000n, 8);
    fs.writeSync(fd, header);
    fs.writeSync(fd, body);
  };
}

/** Logs the runtime's own error reports ("Invoke Error", "Uncaught Exception", ...). */
export const structuredConsole = {
  logError: (label, error) => console.error(label, toFormatted(intoError(error))),
};

/**
 * Replaces console.{trace,debug,info,log,warn,error,fatal} according to
 * AWS_LAMBDA_LOG_FORMAT (TEXT by default) and AWS_LAMBDA_LOG_LEVEL (TRACE by default).
 */
export function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const render = json ? jsonRecord : textRecord;

  let write;
  const telemetryFd = process.env._LAMBDA_TELEMETRY_LOG_FD;
  if (telemetryFd !== undefined && telemetryFd !== null) {
    // Removed so that child processes the function spawns do not write into the frame stream.
    delete process.env._LAMBDA_TELEMETRY_LOG_FD;
    const fd = parseInt(telemetryFd);
    write = json
      ? telemetryWriter(fd, JSON_FRAME, render, false)
      : telemetryWriter(fd, TEXT_FRAME, render, true);
  } else {
    write = stdoutWriter(render);
  }

  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const logger = (level) =>
    level.priority >= threshold.priority
      ? (message, ...params) => write(level, message, params)
      : () => {};

  console.trace = logger(LEVELS.TRACE);
  console.debug = logger(LEVELS.DEBUG);
  console.info = logger(LEVELS.INFO);
  console.log = console.info;
  console.warn = logger(LEVELS.WARN);
  console.error = logger(LEVELS.ERROR);
  // FATAL ignores the threshold: nothing ranks above it.
  console.fatal = (message, ...params) => write(LEVELS.FATAL, message, params);

  structuredConsole.logError = json
    ? (_label, error) => console.error(intoError(error))
    : (label, error) => console.error(label, toFormatted(intoError(error)));
}
