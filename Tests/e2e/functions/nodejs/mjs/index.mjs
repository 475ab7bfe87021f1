// An ES module by its .mjs extension; returns what it saw.
export async function handler(event, context) {
  return {
    event,
    module: typeof require === 'function' ? 'commonjs' : 'module',
    url: import.meta.url,
    functionName: context.functionName,
    awsRequestId: context.awsRequestId,
  };
}
