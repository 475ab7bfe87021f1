// An ES module by the nearest package.json's "type": "module"; returns what it saw.
export const handler = async (event, context) => ({
  event,
  module: typeof require === 'function' ? 'commonjs' : 'module',
  url: import.meta.url,
  functionName: context.functionName,
  awsRequestId: context.awsRequestId,
});
