// Error types the runtime raises and the wire shapes Lambda expects for them.
//
// The class names, their `Runtime.*` names and every message here are copied from AWS's
// aws-lambda-nodejs-runtime-interface-client (src/Errors.js, src/XRayError.js, and for
// CallbackHandlerDeprecated src/utils/errors.ts + src/context/constants.ts of its Node.js 24
// rewrite): function authors and tools match on these strings.

import util from 'node:util';

// The `name` lives on the prototype, not the instance, so that JSON.stringify of an error
// does not grow a `name` key and so that JSON logs report the bare class name
// (constructor.name, e.g. "ImportModuleError") exactly as AWS's logs do.
export class ImportModuleError extends Error {}
export class HandlerNotFound extends Error {}
export class MalformedHandlerName extends Error {}
export class UserCodeSyntaxError extends Error {}
export class MalformedStreamingHandler extends Error {}
export class InvalidStreamingOperation extends Error {}
export class CallbackHandlerDeprecated extends Error {}

export class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

export class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}

for (const type of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  CallbackHandlerDeprecated,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  type.prototype.name = `Runtime.${type.name}`;
}

export const CALLBACK_HANDLER_REMOVED_MESSAGE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

export const CALLBACK_HANDLER_WARNING =
  'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. You will need to update this function to use an async handler to use Node.js 24 or later. For more information and to provide feedback on this change, see https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.';

// Duck typing as well as isNativeError: errors from another realm (vm contexts) or
// hand-built error-likes still report their own name, message and stack.
function isErrorLike(value) {
  return (
    value &&
    typeof value.name === 'string' && value.name &&
    typeof value.message === 'string' && value.message &&
    typeof value.stack === 'string' && value.stack
  );
}

// DEL is escaped because the Runtime API rejects it in the error headers built from these
// fields.
const escapeDel = (text) => text?.replaceAll('\x7F', '%7F');

/** The {errorType, errorMessage, trace} body of an error post; anything may be thrown. */
export function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: escapeDel(error.name),
        errorMessage: escapeDel(error.message),
        trace: escapeDel(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

// Error's own name, message and stack are not enumerable, so JSON.stringify would drop them.
function withEnumerableProperties(value) {
  if (!(value instanceof Error)) return value;
  const copy = Object.assign(
    { errorType: value.name, errorMessage: value.message, code: value.code },
    value,
  );
  if (typeof value.stack === 'string') copy.stack = value.stack.split('\n');
  return copy;
}

/** The text-format log rendering of an error; the leading tab is part of AWS's format. */
export function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

/** The Lambda-Runtime-Function-XRay-Error-Cause header value; empty when it cannot be built. */
export function toXRayCause(error) {
  try {
    const frames = [];
    if (error.stack) {
      const lines = error.stack.replace(/\x7F/g, '%7F').split('\n');
      lines.shift(); // the "Type: message" line
      for (const raw of lines) {
        let line = raw.trim().replace(/\(|\)/g, '');
        line = line.substring(line.indexOf(' ') + 1); // drop "at"
        const space = line.lastIndexOf(' ');
        const label = space >= 0 ? line.slice(0, space) : null;
        const location = (label ? line.slice(space + 1) : line).split(':');
        frames.push({ path: location[0], line: parseInt(location[1]), label: label || 'anonymous' });
      }
    }
    return JSON.stringify({
      working_directory: process.cwd(),
      exceptions: [
        {
          type: error.name?.replace(/\x7F/g, '%7F'),
          message: error.message?.replace(/\x7F/g, '%7F'),
          stack: frames,
        },
      ],
      paths: [...new Set(frames.map((frame) => frame.path))],
    });
  } catch {
    return '';
  }
}
