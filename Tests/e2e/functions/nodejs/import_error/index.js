// Requires a package the deployment does not contain: Runtime.ImportModuleError.
const missing = require('a-package-that-is-not-there');

exports.handler = async () => missing;
