# frozen_string_literal: true

# Resolving _HANDLER, calling the handler, and (de)serialising events and results.
#
# Behaviour of AWS's aws_lambda_ric 3.x (lib/aws_lambda_ric/lambda_handler.rb and
# aws_lambda_marshaller.rb), kept observable in the same ways:
# - `FILE.METHOD` calls a top-level method, `FILE.Module::Class.METHOD` a class-level method
#   (looked up with Kernel.const_get); anything else fails init with AWS's ArgumentError text.
# - Only FILE is loaded at init (`require FILE` from the task root). The method or constant is
#   first looked up when the first invocation arrives, so a missing method is a
#   Function<NoMethodError> invocation error, and a missing class a Function<NameError> one.
# - Handlers are called with keyword arguments `event:` and `context:`.
# - Top-level handler methods run with `self` being the one LambdaHandler instance that lives
#   as long as the process: instance variables a handler sets on `self` persist across warm
#   invocations, and a NoMethodError names this class, exactly as on AWS.
# - AwsLambda::Marshaller is the documented extension point ("can be overwritten by users who
#   know what they are doing"): user code may redefine its class methods, so every event and
#   result goes through them.

require 'json'
require 'stringio'
require_relative 'lambda_errors'

module AwsLambda
  class Marshaller
    class << self
      # The event is parsed JSON when the Runtime API says application/json, the raw body
      # otherwise.
      def marshall_request(raw_request)
        if raw_request['Content-Type'] == 'application/json'
          JSON.parse(raw_request.body)
        else
          raw_request.body
        end
      end

      # A String of JSON for ordinary results; an IO (StringIO, File…) is sent unformatted, as
      # `[io, 'application/unknown']`. A user override may return `[body, content_type]`.
      def marshall_response(method_response)
        case method_response
        when StringIO, IO
          [method_response, 'application/unknown']
        else
          method_response.to_json
        end
      end
    end
  end
end

class LambdaHandler
  attr_reader :handler_file_name, :handler_method_name

  def initialize(env_handler:)
    parts = env_handler.split('.')
    case parts.size
    when 2
      @handler_file_name, @handler_method_name = parts
    when 3
      @handler_file_name, @handler_class, @handler_method_name = parts
    else
      raise ArgumentError, "Invalid handler #{parts}, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD where FILENAME corresponds with an existing Ruby source file FILENAME.rb, CLASS is an optional module/class namespace and METHOD is a callable method. If using CLASS, METHOD must be a class-level method."
    end
  end

  # Calls the handler and marshals its result (marshalling counts as user code: a result that
  # cannot become JSON is a function error). Returns what the marshaller returned.
  def call_handler(request:, context:)
    arguments = { event: request, context: context }
    result =
      if @handler_class
        Kernel.const_get(@handler_class).send(@handler_method_name, **arguments)
      else
        __send__(@handler_method_name, **arguments)
      end
    AwsLambda::Marshaller.marshall_response(result)
  # NoMethodError and NameError are StandardErrors, but AWS treats them (a misnamed handler
  # among them) as fatal for the environment, like any non-StandardError Exception.
  rescue NoMethodError, NameError => e
    raise LambdaErrors::LambdaHandlerCriticalException.new(e)
  rescue StandardError => e
    raise LambdaErrors::LambdaHandlerError.new(e)
  rescue Exception => e # rubocop:disable Lint/RescueException -- SystemExit, ScriptError, signals: AWS reports these too
    raise LambdaErrors::LambdaHandlerCriticalException.new(e)
  end
end
