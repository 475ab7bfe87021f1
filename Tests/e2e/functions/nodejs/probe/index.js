// A multi-purpose Node.js probe (CommonJS): the event's "action" picks what the handler
// does, and every answer reports what the handler saw, so a run under AWS's Runtime
// Interface Emulator and a run on Lambent can be compared field by field.

const ENV_ID = `${process.pid}-${Date.now()}`;

const ENV_NAMES = [
  '_HANDLER', 'LAMBDA_TASK_ROOT', 'AWS_EXECUTION_ENV', '_X_AMZN_TRACE_ID',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_LOG_FORMAT',
  'AWS_LAMBDA_LOG_LEVEL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'NODE_PATH', 'TZ', 'LANG',
];

function seen(event, context) {
  return {
    event,
    context: {
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      invokedFunctionArn: context.invokedFunctionArn,
      awsRequestId: context.awsRequestId,
      clientContext: context.clientContext ?? null,
      identity: context.identity ?? null,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      remainingTimeInMillis: context.getRemainingTimeInMillis(),
      keys: Object.keys(context),
      json: JSON.parse(JSON.stringify(context)),
    },
    env: Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name] ?? null])),
    cwd: process.cwd(),
    module: typeof require === 'function' ? 'commonjs' : 'module',
    awslambda: typeof globalThis.awslambda?.streamifyResponse,
    envId: ENV_ID,
  };
}

class CustomError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CustomError';
    this.detail = { retryable: false };
  }
}

const actions = {
  echo: (event, context) => seen(event, context),
  throw: (event) => {
    throw new Error(event.message ?? 'boom');
  },
  throwCustom: (event) => {
    throw new CustomError(event.message ?? 'custom boom');
  },
  throwString: (event) => {
    throw event.message ?? 'a thrown string';
  },
  throwObject: () => {
    throw { code: 42 };
  },
  rejectUndefined: () => Promise.reject(undefined),
  log: (event, context) => {
    console.trace('trace line');
    console.debug('debug line');
    console.info('info line', 42);
    console.log('log line %s', 'formatted', { nested: { a: 1 } });
    console.warn('warn line');
    console.error('error line', new Error('logged error'));
    console.fatal('fatal line');
    console.log({ structured: true, n: 1 });
    console.log('multi\nline');
    return seen(event, context);
  },
  unserializable: () => {
    const loop = {};
    loop.self = loop;
    return loop;
  },
  // The handler resolves, but an exception escapes later on a timer: fatal for the environment.
  uncaught: async () => {
    setTimeout(() => {
      throw new Error('escaped');
    }, 10);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return 'unreachable';
  },
  unhandledRejection: async () => {
    Promise.reject(new Error('nobody listens'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    return 'unreachable';
  },
  // A promise that can never settle: the loop drains and the runtime reports Runtime.NodeJsExit.
  neverSettles: () => new Promise(() => {}),
};

exports.handler = async (event, context) => (actions[event?.action ?? 'echo'] ?? actions.echo)(event, context);

// A non-async handler returning a promise (no "async" keyword).
exports.promise = (event, context) => Promise.resolve(seen(event, context));

// A non-async handler that returns nothing and never calls back: Lambda answers null.
exports.sync = () => {
  setTimeout(() => {}, 20);
};

// A callback-style handler; "mode" picks which completion path it takes.
exports.callback = function (event, context, callback) {
  const result = seen(event, context);
  switch (event?.mode) {
    case 'error':
      return callback(new Error('callback error'));
    case 'errorString':
      return callback('callback string error');
    case 'noWait':
      context.callbackWaitsForEmptyEventLoop = false;
      setTimeout(() => (result.late = true), 300);
      return callback(null, result);
    case 'succeed':
      return context.succeed(result);
    case 'fail':
      return context.fail(new Error('context fail'));
    case 'done':
      return context.done(null, result);
    case 'twice':
      callback(null, { first: true });
      return callback(null, { second: true });
    default:
      // The result goes out only once the event loop is empty: the timer's change is seen.
      setTimeout(() => (result.late = true), 100);
      return callback(null, result);
  }
};

exports.notAFunction = { handler: 'nope' };
