// Client for the Lambda Runtime API (2018-06-01) served at $AWS_LAMBDA_RUNTIME_API.
//
// AWS's client does this through a native curl addon; this one uses node's http module with
// one keep-alive connection, which is all a single-concurrency runtime ever needs. Paths,
// headers and bodies follow AWS's aws-lambda-nodejs-runtime-interface-client
// (src/RAPIDClient.js, src/rapid-client.cc, aws-lambda-cpp's runtime.cpp).

import http from 'node:http';
import net from 'node:net';
import { toRapidResponse, toXRayCause } from './errors.mjs';
import { createResponseStream } from './streaming.mjs';

const BASE = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const XRAY_CAUSE_HEADER = 'Lambda-Runtime-Function-XRay-Error-Cause';

// A response that cannot be serialised becomes an invocation error with this message
// instead of crashing the loop.
function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

// Header values must be latin1 without control characters; anything else would make
// node throw before the error report leaves the process.
function headerSafe(value) {
  return String(value ?? '').replace(/[^\x20-\x7E\x80-\xFF\t]/g, '');
}

export class RuntimeApiClient {
  constructor(hostPort) {
    const separator = hostPort.lastIndexOf(':');
    this.hostname = hostPort.slice(0, separator);
    this.port = parseInt(hostPort.slice(separator + 1), 10);
    // keepAlive agents unref idle sockets, so the open connection never keeps the event
    // loop alive: "beforeExit" still fires when the function's own work is done.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Waits for the next event: {bodyJson, headers} with lower-cased header names. */
  nextInvocation() {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { ...this.#target(`${BASE}/invocation/next`), method: 'GET' },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            if (response.statusCode !== 200) {
              reject(new Error(`Failed to get next invocation, status ${response.statusCode}`));
              return;
            }
            resolve({ bodyJson: Buffer.concat(chunks).toString('utf8'), headers: response.headers });
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  postInvocationResponse(result, requestId, callback) {
    const body = serialize(result);
    this.#post(`${BASE}/invocation/${encodeURIComponent(requestId)}/response`, body, {}, callback);
  }

  postInvocationError(error, requestId, callback) {
    const response = toRapidResponse(error);
    this.#post(
      `${BASE}/invocation/${encodeURIComponent(requestId)}/error`,
      serialize(response),
      {
        [ERROR_TYPE_HEADER]: headerSafe(response.errorType),
        [XRAY_CAUSE_HEADER]: headerSafe(toXRayCause(error)),
      },
      callback,
    );
  }

  postInitError(error, callback) {
    const response = toRapidResponse(error);
    this.#post(
      `${BASE}/init/error`,
      serialize(response),
      { [ERROR_TYPE_HEADER]: headerSafe(response.errorType) },
      callback,
    );
  }

  /** Opens a streamed /response POST: {request, responseDone}. */
  streamInvocationResponse(requestId, callback, options) {
    if (options?.highWaterMark !== undefined) {
      // A larger socket buffer lets a streaming handler with a big highWaterMark write
      // without waiting for drain on every chunk.
      this.agent.createConnection = (connectOptions, listener) =>
        net.createConnection({ ...connectOptions, highWaterMark: options.highWaterMark }, listener);
    }
    const { request, responseDone } = createResponseStream({
      ...this.#target(`${BASE}/invocation/${encodeURIComponent(requestId)}/response`),
      method: 'POST',
    });
    return { request, responseDone: responseDone.then(() => callback?.()) };
  }

  #target(path) {
    return { hostname: this.hostname, port: this.port, path, agent: this.agent };
  }

  // A failing Runtime API leaves nothing sensible to do: the error surfaces as an uncaught
  // exception, which ends the process, and the platform restarts the environment.
  #post(path, body, headers, callback) {
    const request = http.request(
      {
        ...this.#target(path),
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => callback?.());
        response.on('error', (error) => {
          throw error;
        });
      },
    );
    request.on('error', (error) => {
      throw error;
    });
    request.end(body, 'utf8');
  }
}
