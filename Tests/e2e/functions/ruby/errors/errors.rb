# frozen_string_literal: true

# Handlers that fail in the ways whose reporting differs on AWS's Ruby runtime:
# a custom StandardError (namespaced), an ArgumentError (a class AWS names in the error-type
# header), a NoMethodError raised inside user code and a non-StandardError Exception (both fatal
# to the environment), `exit`, and a result that cannot become JSON. errors.ok succeeds, to
# check whether the environment survived the error before it.

module Errors
  class CustomError < StandardError; end
end

def custom(event:, context:)
  raise Errors::CustomError, 'custom failure'
end

def argument(event:, context:)
  raise ArgumentError, 'bad argument'
end

def no_method(event:, context:)
  nil.frobnicate
end

def not_standard(event:, context:)
  raise NotImplementedError, 'not implemented here'
end

def calls_exit(event:, context:)
  exit 3
end

def unserializable(event:, context:)
  { 'value' => Float::NAN }
end

def ok(event:, context:)
  { 'pid' => Process.pid }
end
