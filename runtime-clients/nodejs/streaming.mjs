// Response streaming: the `awslambda` global that handlers use to opt in, and the writable
// response stream handed to a streaming handler.
//
// Semantics follow AWS's aws-lambda-nodejs-runtime-interface-client (src/ResponseStream.js,
// src/HttpResponseStream.js, src/UserFunction.js): the stream is a chunked POST to
// /response with `Lambda-Runtime-Function-Response-Mode: streaming`, and an error raised
// midway ends it with the Lambda-Runtime-Function-Error-Type / -Error-Body trailers.

import http from 'node:http';
import { InvalidStreamingOperation, toRapidResponse } from './errors.mjs';

export const STREAM_RESPONSE = 'response';
// Registered symbols, so handlers wrapped by another copy of a runtime library still match.
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const TRAILER_ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
const TRAILER_ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';

/** Implements application/vnd.awslambda.http-integration-response for Function URLs. */
export class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    // The prelude is JSON so it cannot contain the NUL bytes that end it.
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}

/** Installs globalThis.awslambda unless AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA opts out. */
export function installAwsLambdaGlobal() {
  const optOut = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (optOut === '1' || optOut === 'true') return;
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HANDLER_HIGHWATERMARK] = parseInt(options.highWaterMark);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

// The handler only sees a Writable-shaped facade: the underlying ClientRequest's headers,
// socket and response must stay out of its reach.
const FACADE_METHODS = [
  'cork', 'destroy', 'end', 'uncork', 'write',
  'addListener', 'emit', 'eventNames', 'getMaxListeners', 'listenerCount', 'listeners', 'off',
  'on', 'once', 'prependListener', 'prependOnceListener', 'rawListeners', 'removeAllListeners',
  'removeListener', 'setMaxListeners',
  'setContentType',
];
const FACADE_READ_WRITE = ['destroyed', 'writable', '_onBeforeFirstWrite'];
const FACADE_READ_ONLY = [
  'writableFinished', 'writableObjectMode', 'writableBuffer', 'writableEnded',
  'writableNeedDrain', 'writableHighWaterMark', 'writableCorked', 'writableLength',
];

// Reaches the fail() of a facade without exposing it to the handler.
const failers = new WeakMap();

/** Ends `stream` with the error trailers; false if `stream` is not a response stream. */
export function failResponseStream(stream, error, callback) {
  const fail = failers.get(stream);
  if (typeof fail !== 'function') return false;
  fail(error, callback);
  return true;
}

/**
 * Opens the streamed POST described by `requestOptions` (http.request options).
 * Returns {request: the handler-facing stream, responseDone: resolves when the Runtime API answers}.
 */
export function createResponseStream(requestOptions) {
  let firstWriteDone = false;
  let resolveDone;
  let rejectDone;
  const responseDone = new Promise((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const req = http.request(
    {
      ...requestOptions,
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: [TRAILER_ERROR_TYPE, TRAILER_ERROR_BODY],
        'Content-Type': DEFAULT_CONTENT_TYPE,
      },
    },
    (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('aborted', (error) => {
        rejectDone(error);
        req.destroy(error);
      });
      res.on('end', () => resolveDone(Buffer.concat(chunks)));
    },
  );
  req.on('error', (error) => {
    rejectDone(error);
    req.destroy(error);
  });

  req.setContentType = (contentType) => {
    if (firstWriteDone) {
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    req.setHeader('Content-Type', contentType);
  };

  const rawWrite = req.write.bind(req);
  req.write = function write(chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array) {
      chunk = JSON.stringify(chunk);
    }
    if (!firstWriteDone && typeof req._onBeforeFirstWrite === 'function') {
      req._onBeforeFirstWrite((prefix) => rawWrite(prefix));
    }
    firstWriteDone = true;
    return rawWrite(chunk, encoding, callback);
  };
  // As in AWS's client, end(chunk) sends its chunk through the raw request, not through
  // write() above: no prelude and no JSON conversion for it.

  const facade = {};
  for (const name of FACADE_METHODS) facade[name] = req[name].bind(req);
  for (const name of FACADE_READ_WRITE) {
    Object.defineProperty(facade, name, {
      get: () => req[name],
      set: (value) => {
        req[name] = value;
      },
      enumerable: true,
    });
  }
  for (const name of FACADE_READ_ONLY) {
    Object.defineProperty(facade, name, { get: () => req[name], enumerable: true });
  }

  failers.set(facade, (error, callback) => {
    const response = toRapidResponse(error);
    req.addTrailers({
      [TRAILER_ERROR_TYPE]: response.errorType,
      [TRAILER_ERROR_BODY]: Buffer.from(JSON.stringify(response)).toString('base64'),
    });
    req.end(callback);
  });

  return { request: facade, responseDone };
}
