// Resolves the function's handler from _HANDLER ("dir/module.export.nested") under the task
// root, loading the module as CommonJS or as an ES module the way Node itself would.
//
// The search order, the package.json "type" walk and every error message follow AWS's
// aws-lambda-nodejs-runtime-interface-client (src/UserFunction.js), so a deployment package
// loads here exactly as it does on Lambda, including its failure modes.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.mjs';
import { HANDLER_HIGHWATERMARK, HANDLER_STREAMING, STREAM_RESPONSE } from './streaming.mjs';

// AWS's runtime is one bundled /var/runtime/index.mjs, so "Require stack" lines in
// ImportModuleError messages name that file; requiring from index.mjs keeps them identical.
const require = createRequire(new URL('./index.mjs', import.meta.url));

// "dir/sub/module.a.b" → moduleRoot "dir/sub/", "module.a.b".
function splitModuleRoot(fullHandler) {
  const handler = path.basename(fullHandler);
  return [fullHandler.substring(0, fullHandler.indexOf(handler)), handler];
}

// "module.a.b" → ["module", "a.b"]; the module name is everything before the first dot.
function splitHandler(handler) {
  const match = handler.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  return [match[1], match[2]];
}

function requireIfExists(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function importIfExists(file) {
  return fs.existsSync(file) ? await import(file) : undefined;
}

// Node's rule: the nearest package.json decides whether .js is an ES module. The walk stops
// at node_modules and at the root.
function isModuleTypeFolder(folder) {
  if (folder.endsWith('/node_modules')) return false;

  const manifest = path.join(folder, '/package.json');
  if (fs.existsSync(manifest)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(manifest));
      if (pkg) return pkg.type === 'module';
    } catch (error) {
      console.warn(
        `${manifest} cannot be read, it will be ignored for ES module detection purposes.`,
        error,
      );
      return false;
    }
  }

  if (folder === '/') return false;
  return isModuleTypeFolder(path.resolve(folder, '..'));
}

function jsIsModule(file) {
  const js = file + '.js';
  return fs.existsSync(js) ? isModuleTypeFolder(path.resolve(path.dirname(js))) : false;
}

// Order: the exact path, file.js as CommonJS (unless "type": "module"), file.js as ESM,
// file.mjs, file.cjs, and finally Node's own resolution from the task root (node_modules).
async function loadModule(appRoot, moduleRoot, moduleName) {
  const file = path.resolve(appRoot, moduleRoot, moduleName);

  const exact = requireIfExists(file);
  if (exact) return exact;

  const esm = jsIsModule(file);
  if (!esm) {
    const commonJs = requireIfExists(file + '.js');
    if (commonJs) return commonJs;
  }

  const loaded =
    (esm && (await importIfExists(file + '.js'))) ||
    (await importIfExists(file + '.mjs')) ||
    requireIfExists(file + '.cjs');
  if (loaded) return loaded;

  // require() alone would resolve relative to this file in /var/runtime, not the task.
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

async function loadUserApp(appRoot, moduleRoot, moduleName) {
  try {
    return await loadModule(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(error);
    if (error.code !== undefined && error.code === 'MODULE_NOT_FOUND') {
      throw new ImportModuleError(error);
    }
    throw error;
  }
}

/** Loads the handler function named by `fullHandler` from the task root `appRoot`. */
export async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }

  const [moduleRoot, moduleAndHandler] = splitModuleRoot(fullHandler);
  const [moduleName, handlerPath] = splitHandler(moduleAndHandler);
  const userApp = await loadUserApp(appRoot, moduleRoot, moduleName);
  const handler = handlerPath.split('.').reduce((nested, key) => nested && nested[key], userApp);

  if (!handler) {
    throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${fullHandler} is not a function`);
  }
  return handler;
}

function streamingMode(handler) {
  const mode = handler[HANDLER_STREAMING];
  if (mode === undefined || mode === null || mode === false) return false;
  if (mode === STREAM_RESPONSE) return STREAM_RESPONSE;
  throw new MalformedStreamingHandler('Only response streaming is supported.');
}

function highWaterMark(handler) {
  const value = handler[HANDLER_HIGHWATERMARK];
  if (value === undefined || value === null || value === false) return undefined;
  const parsed = parseInt(value);
  return isNaN(parsed) ? undefined : parsed;
}

/** What the invoke loop needs to know about a handler: {streaming, highWaterMark, isAsync, argsNum}. */
export function handlerMetadata(handler) {
  let isAsync = false;
  try {
    isAsync = handler.constructor?.name === 'AsyncFunction';
  } catch {
    // A hostile constructor getter only costs the async hint.
  }
  return {
    streaming: streamingMode(handler),
    highWaterMark: highWaterMark(handler),
    isAsync,
    argsNum: handler.length,
  };
}
