// Deliberately broken: loading it must fail with Runtime.UserCodeSyntaxError.
exports.handler = async (event) => {
  return { event ;
};
