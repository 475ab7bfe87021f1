// Lambent's Node.js runtime interface client: started as `node /var/runtime/index.mjs` in
// the task directory, it loads the handler named by _HANDLER and serves invocations from the
// Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API until the sandbox is torn down.
//
// It reimplements, without dependencies, the behaviour of AWS's
// aws-lambda-nodejs-runtime-interface-client 3.x (src/index.mjs) as used by the managed
// nodejs18.x–22.x runtimes, plus the one observable change of the nodejs24.x runtime (see
// rejectsCallbackHandlers below).

import { RuntimeApiClient } from './runtime-api.mjs';
import { loadHandler, handlerMetadata } from './handler.mjs';
import { InvokeLoop, beforeExit } from './invoke-loop.mjs';
import { patchConsole, structuredConsole } from './logging.mjs';
import { installAwsLambdaGlobal } from './streaming.mjs';
import {
  CALLBACK_HANDLER_REMOVED_MESSAGE,
  CALLBACK_HANDLER_WARNING,
  CallbackHandlerDeprecated,
  UnhandledPromiseRejection,
} from './errors.mjs';

// The runtime id, not the interpreter version, decides: Lambent sets AWS_EXECUTION_ENV to
// AWS_Lambda_<runtime id> whatever node binary runs the function.
const runtimeMajor = Number(/^AWS_Lambda_nodejs(\d+)\.x$/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1]);

// AWS's nodejs24.x runtime refuses callback-style handlers at init: any non-streaming
// handler declaring three or more parameters (async or not) fails with
// Runtime.CallbackHandlerDeprecated, posted to /runtime/init/error and logged as "Init Error".
// Sources: AWS's Node.js 24 client rewrite in aws/aws-lambda-nodejs-runtime-interface-client
// (src/function/callback-deprecation.ts: `argsNum >= 3 && !streaming`; message in
// src/context/constants.ts); the AWS Lambda Node.js handler guide ("Lambda supports
// callback-based function handlers for Node.js 22 and earlier runtimes only"); the error as
// reported from nodejs24.x, e.g. CodeGenieApp/serverless-express#707.
const rejectsCallbackHandlers = runtimeMajor >= 24;

function checkCallbackHandler(metadata) {
  if (rejectsCallbackHandlers) {
    if (metadata.argsNum >= 3 && !metadata.streaming) {
      throw new CallbackHandlerDeprecated(CALLBACK_HANDLER_REMOVED_MESSAGE);
    }
    return;
  }
  // Older runtimes keep callbacks and only warn (WarningForCallbackHandlers.js).
  if (
    process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined &&
    metadata.argsNum == 3 &&
    metadata.isAsync == false &&
    metadata.streaming == false
  ) {
    console.warn(CALLBACK_HANDLER_WARNING);
  }
}

patchConsole();
const client = new RuntimeApiClient(process.env.AWS_LAMBDA_RUNTIME_API);

// Until the first invocation starts, a stray exception is an init failure; InvokeLoop
// repoints these at the invocation in progress.
const errorCallbacks = {
  uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
  unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
};

process.on('uncaughtException', (error) => {
  structuredConsole.logError('Uncaught Exception', error);
  errorCallbacks.uncaughtException(error);
});
process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  structuredConsole.logError('Unhandled Promise Rejection', error);
  errorCallbacks.unhandledRejection(error);
});

beforeExit.reset();
process.on('beforeExit', beforeExit.invoke);

let loop;
try {
  installAwsLambdaGlobal();
  const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || '/var/task', process.env._HANDLER ?? '');
  const metadata = handlerMetadata(handler);
  checkCallbackHandler(metadata);
  loop = new InvokeLoop(client, handler, metadata, errorCallbacks);
} catch (error) {
  // AWS's 3.x client lets a failed load reject its top-level await, which node reports as
  // an uncaught exception; its nodejs24.x client logs the same failure as "Init Error".
  structuredConsole.logError(rejectsCallbackHandlers ? 'Init Error' : 'Uncaught Exception', error);
  client.postInitError(error, () => process.exit(129));
}
loop?.scheduleIteration();
