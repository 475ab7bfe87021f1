// The invoke loop: fetch an event, build the handler's context, run the handler in whichever
// style it uses (promise, callback, context.succeed/fail/done, or streaming), report the
// outcome, repeat.
//
// Completion rules follow AWS's aws-lambda-nodejs-runtime-interface-client (src/Runtime.js,
// src/CallbackContext.js, src/StreamingContext.js, src/InvokeContext.js,
// src/BeforeExitListener.js). The subtle one: with callbackWaitsForEmptyEventLoop (the
// default) a callback's result is only sent once the event loop has drained, which node
// signals with "beforeExit"; the next event is fetched only after that.

import { strict as assert } from 'node:assert';
import { NodeJsExit, InvalidStreamingOperation } from './errors.mjs';
import { setCurrentRequestId, setCurrentTenantId, structuredConsole } from './logging.mjs';
import { STREAM_RESPONSE, failResponseStream } from './streaming.mjs';

// One process-wide "beforeExit" action, replaced as an invocation progresses. It lives on
// globalThis under a registered symbol, as in AWS's runtime, where libraries look for it.
const BEFORE_EXIT = Symbol.for('aws.lambda.beforeExit');
const noop = () => {};

export const beforeExit = {
  invoke: () => globalThis[BEFORE_EXIT](),
  reset: () => {
    globalThis[BEFORE_EXIT] = noop;
  },
  set: (listener) => {
    globalThis[BEFORE_EXIT] = listener;
  },
};

const HEADER = {
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  functionArn: 'lambda-runtime-invoked-function-arn',
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  traceId: 'lambda-runtime-trace-id',
  tenantId: 'lambda-runtime-aws-tenant-id',
};

// AWS's native client drops empty optional headers; an empty client context is "none", not
// a JSON parse error.
function parseJsonHeader(value, name) {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

/** The invocation's identity, taken from the /next response headers. */
class InvokeContext {
  constructor(headers) {
    this.headers = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
  }

  get requestId() {
    const id = this.headers[HEADER.requestId];
    assert.ok(id, 'invocation id is missing or invalid');
    return id;
  }

  updateLoggingContext() {
    setCurrentRequestId(this.requestId);
    setCurrentTenantId(this.headers[HEADER.tenantId]);
  }

  /** Adds the environment- and header-derived fields to the handler's context object. */
  attachTo(context) {
    // The X-Ray SDK reads the trace header from the environment, per invocation.
    const traceId = this.headers[HEADER.traceId];
    if (traceId) {
      process.env._X_AMZN_TRACE_ID = traceId;
    } else {
      delete process.env._X_AMZN_TRACE_ID;
    }

    const deadline = this.headers[HEADER.deadlineMs];
    return Object.assign(
      context,
      {
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      },
      {
        clientContext: parseJsonHeader(this.headers[HEADER.clientContext], 'ClientContext'),
        identity: parseJsonHeader(this.headers[HEADER.cognitoIdentity], 'CognitoIdentity'),
        invokedFunctionArn: this.headers[HEADER.functionArn],
        awsRequestId: this.headers[HEADER.requestId],
        tenantId: this.headers[HEADER.tenantId],
        getRemainingTimeInMillis: () => deadline - Date.now(),
      },
    );
  }
}

/**
 * The callback and the succeed/fail/done part of a buffered handler's context. Only the
 * first of callback/succeed/fail/done counts; `markCompleted` stops a late callback from
 * posting after the runtime already answered on the handler's behalf.
 */
function callbackContext(client, requestId, scheduleNext) {
  let completed = false;
  let waitForEmptyEventLoop = true;

  const postError = (error, then) => {
    structuredConsole.logError('Invoke Error', error);
    client.postInvocationError(error, requestId, then);
  };
  const complete = (result, then) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    client.postInvocationResponse(result, requestId, then);
  };

  const callback = (error, result) => {
    beforeExit.reset();
    if (error !== undefined && error !== null) {
      postError(error, scheduleNext);
    } else if (!waitForEmptyEventLoop) {
      complete(result, scheduleNext);
    } else {
      beforeExit.set(() => setImmediate(() => complete(result, scheduleNext)));
    }
  };
  const done = (error, result) => {
    beforeExit.reset();
    if (error !== undefined && error !== null) {
      postError(error, scheduleNext);
    } else {
      complete(result, scheduleNext);
    }
  };

  // The flag is set only after the wrapped call returns: if posting throws (an
  // unserialisable result), a following fail() can still report that error.
  let finished = false;
  const firstCallOnly =
    (fn) =>
    (...args) => {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: firstCallOnly((result) => done(null, result)),
    fail: firstCallOnly((error) =>
      error === undefined || error === null ? done('handled') : done(error, null),
    ),
    done: firstCallOnly(done),
  };
  const markCompleted = () => {
    completed = true;
  };
  return { callback: firstCallOnly(callback), context, markCompleted };
}

/** A streaming handler's context: the flag, plus the one-shot response stream factory. */
function streamingContext(client, requestId, scheduleNext, options) {
  let waitForEmptyEventLoop = true;
  let streamCreated = false;

  const scheduleNextAfterLoop = () => {
    if (!waitForEmptyEventLoop) {
      scheduleNext();
    } else {
      beforeExit.set(() => setImmediate(scheduleNext));
    }
  };

  return {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    createStream: (callback) => {
      if (streamCreated) {
        throw new InvalidStreamingOperation(
          'Cannot create stream for the same StreamingContext more than once.',
        );
      }
      const { request, responseDone } = client.streamInvocationResponse(requestId, callback, options);
      streamCreated = true;
      return {
        responseStream: request,
        rapidResponse: responseDone,
        fail: (error, then) => {
          structuredConsole.logError('Invoke Error', error);
          failResponseStream(request, error, then);
        },
        scheduleNext: () => {
          beforeExit.reset();
          scheduleNextAfterLoop();
        },
      };
    },
  };
}

const isPromise = (value) => value && value.then && typeof value.then === 'function';

export class InvokeLoop {
  /**
   * errorCallbacks holds the uncaughtException/unhandledRejection reactions installed by
   * index.mjs; the loop repoints them at the current invocation.
   */
  constructor(client, handler, metadata, errorCallbacks) {
    this.client = client;
    this.handler = handler;
    this.metadata = metadata;
    this.errorCallbacks = errorCallbacks;
    this.handleOnce = metadata.streaming === STREAM_RESPONSE ? this.#handleStreaming : this.#handleBuffered;
  }

  /** Starts the next invocation on a fresh turn of the event loop. */
  scheduleIteration() {
    setImmediate(() => {
      this.handleOnce().then(
        // Completion schedules the next iteration itself (callbacks, beforeExit).
        () => {},
        // Only a runtime or Runtime API failure gets here.
        (error) => {
          console.log(`Unexpected Top Level Error: ${error.toString()}`);
          this.errorCallbacks.uncaughtException(error);
        },
      );
    });
  }

  async #handleBuffered() {
    const { bodyJson, headers } = await this.client.nextInvocation();
    const invoke = new InvokeContext(headers);
    invoke.updateLoggingContext();

    const { callback, context, markCompleted } = callbackContext(
      this.client,
      invoke.requestId,
      () => this.scheduleIteration(),
    );

    try {
      this.#pointErrorCallbacksAt(invoke.requestId);
      this.#setDefaultExitAction(invoke.requestId, markCompleted);
      const result = this.handler(JSON.parse(bodyJson), invoke.attachTo(context), callback);
      if (isPromise(result)) {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      callback(error);
    }
  }

  async #handleStreaming() {
    const { bodyJson, headers } = await this.client.nextInvocation();
    const invoke = new InvokeContext(headers);
    invoke.updateLoggingContext();

    const context = streamingContext(
      this.client,
      invoke.requestId,
      () => this.scheduleIteration(),
      this.metadata.highWaterMark ? { highWaterMark: this.metadata.highWaterMark } : undefined,
    );
    const { responseStream, rapidResponse, scheduleNext, fail } = context.createStream();
    delete context.createStream;

    try {
      this.#pointErrorCallbacksAt(invoke.requestId);
      // Reached only if the loop drains before the handler settles.
      beforeExit.set(() => this.scheduleIteration());

      const pending = this.handler(JSON.parse(bodyJson), responseStream, invoke.attachTo(context));
      if (!isPromise(pending)) {
        fail('Streaming does not support non-async handlers.', scheduleNext);
        return;
      }
      const result = await pending;
      if (typeof result !== 'undefined') {
        console.warn('Streaming handlers ignore return values.');
      }
      if (rapidResponse) await rapidResponse;
      if (!responseStream.writableFinished) {
        fail('Response stream is not finished.', scheduleNext);
        return;
      }
      scheduleNext();
    } catch (error) {
      fail(error, scheduleNext);
    }
  }

  // An exception escaping the handler asynchronously fails this invocation and ends the
  // process: its state can no longer be trusted.
  #pointErrorCallbacksAt(requestId) {
    this.errorCallbacks.uncaughtException = (error) => {
      this.client.postInvocationError(error, requestId, () => process.exit(129));
    };
    this.errorCallbacks.unhandledRejection = (error) => {
      this.client.postInvocationError(error, requestId, () => process.exit(128));
    };
  }

  // The loop drained without the handler reporting: an async handler's promise can no
  // longer settle, which is an error; a callback handler that never called back succeeds
  // with null.
  #setDefaultExitAction(requestId, markCompleted) {
    beforeExit.set(() => {
      markCompleted();
      if (this.metadata.isAsync) {
        const error = new NodeJsExit();
        structuredConsole.logError('Invoke Error', error);
        this.client.postInvocationError(error, requestId, () => this.scheduleIteration());
      } else {
        this.client.postInvocationResponse(null, requestId, () => this.scheduleIteration());
      }
    });
  }
}
