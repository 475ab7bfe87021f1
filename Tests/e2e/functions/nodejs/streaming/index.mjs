// Response-streaming handlers, wrapped with the `awslambda` global the runtime provides.

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Writes several chunks with pauses in between; the body is their concatenation.
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType('text/plain');
  for (let i = 0; i < (event.chunks ?? 3); i++) {
    responseStream.write(`chunk ${i} of ${context.awsRequestId.length}\n`);
    await pause(20);
  }
  responseStream.end();
});

// A Function URL style response: JSON prelude, 8 NUL bytes, then the body.
export const http = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'x-probe': 'yes' },
  });
  stream.write('hello ');
  await pause(10);
  stream.write('world');
  stream.end();
});

// Fails after writing part of the body: the error travels as trailers.
export const failing = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial ');
  await pause(10);
  throw new Error('stream broke');
});

// Objects written to the stream are JSON-encoded.
export const objects = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write({ event });
  responseStream.end();
});

// Streaming requires an async handler: one that returns no promise fails the invocation.
export const notAsync = awslambda.streamifyResponse((event, responseStream) => {
  responseStream.write('sync ');
});
