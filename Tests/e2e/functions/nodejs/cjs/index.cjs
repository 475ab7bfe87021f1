// CommonJS by its .cjs extension; returns what it saw.
exports.handler = async (event, context) => ({
  event,
  module: typeof require === 'function' ? 'commonjs' : 'module',
  file: __filename,
  functionName: context.functionName,
  awsRequestId: context.awsRequestId,
});
