// A handler in a subdirectory, exported under nested objects: "lib/handlers/app.api.v1.handler".
exports.api = {
  v1: {
    handler: async (event, context) => ({
      event,
      module: typeof require === 'function' ? 'commonjs' : 'module',
      file: __filename,
      functionName: context.functionName,
      awsRequestId: context.awsRequestId,
    }),
  },
};
