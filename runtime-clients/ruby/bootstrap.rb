# frozen_string_literal: true

# Lambent's Ruby runtime interface client. Started as `ruby /var/runtime/bootstrap.rb` with
# the task directory as working directory, it loads the handler named by _HANDLER and serves
# invocations from the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API until the sandbox ends.
#
# It reimplements, with Ruby's standard library only (Ruby >= 3.1), the behaviour of AWS's
# aws_lambda_ric 3.x gem that AWS's managed ruby3.2, ruby3.3 and ruby3.4 runtimes run
# (aws/aws-lambda-ruby-runtime-interface-client, lib/aws_lambda_ric.rb for this file).
# Nothing in that client depends on the runtime id: what differs between ruby3.2/3.3/3.4 on
# AWS is the interpreter (message wording, backtrace quoting), and here the interpreter is
# whatever Ruby the host has.
#
# Exit statuses are AWS's: 0 without a handler, 254 (-2) without a Runtime API address or
# when a result cannot be delivered, 252 (-4) after an init error, 255 (-1) after a critical
# handler error (NoMethodError, NameError, or an Exception that is not a StandardError).

require 'json'
require_relative 'lambda_errors'
require_relative 'lambda_context'
require_relative 'lambda_handler'
require_relative 'lambda_logging'
require_relative 'runtime_api'

$stdout.sync = true # a function's output must reach its logs before the invocation ends

module AwsLambdaRIC
  CLIENT_VERSION = 'lambent-1'

  # AWS's format is "aws-lambda-ruby/<ruby version>-<client version>".
  def self.user_agent
    "aws-lambda-ruby/#{RUBY_VERSION}-#{CLIENT_VERSION}"
  end

  # Loads the handler, then runs the next/response loop until an error ends the process.
  class LambdaRunner
    Invocation = Struct.new(:request_id, :raw_request, :event)

    def initialize(runtime_api:)
      @runtime_api = runtime_api
      @loop_active = true
      @exit_code = 0
    end

    # Never returns: exits the process with the status the outcome calls for.
    def run(app_root:, env_handler:)
      $LOAD_PATH.unshift(app_root) unless $LOAD_PATH.include?(app_root)
      begin
        @handler = LambdaHandler.new(env_handler: env_handler)
        require @handler.handler_file_name
        serve_invocations
      # Like AWS, everything that escapes the loop — a failed `require` (LoadError,
      # SyntaxError, any exception in the file's top-level code), but also a malformed event
      # or a failed /next — ends up reported as an init error.
      rescue Exception => e # rubocop:disable Lint/RescueException
        @exit_code = -4
        report_init_error(e)
      ensure
        @runtime_api.close
        @telemetry_io&.close
      end
      exit(@exit_code)
    end

    attr_writer :telemetry_io

    private

    def serve_invocations
      invoke(next_invocation) while @loop_active
    end

    def next_invocation
      request_id, raw_request = @runtime_api.next_invocation
      # Read by the Lambda log formatters; a global because it is AWS's (users can read it).
      $_global_aws_request_id = request_id
      trace_id = raw_request['Lambda-Runtime-Trace-Id']
      ENV['_X_AMZN_TRACE_ID'] = trace_id if trace_id
      Invocation.new(request_id, raw_request, AwsLambda::Marshaller.marshall_request(raw_request))
    end

    def invoke(invocation)
      context = LambdaContext.new(invocation.raw_request)
      body, content_type = @handler.call_handler(request: invocation.event, context: context)
      @runtime_api.send_response(request_id: invocation.request_id, response_object: body,
                                 content_type: content_type)
    rescue LambdaErrors::LambdaHandlerError => e
      LambdaLogger.log_error(exception: e, message: 'Error raised from handler method')
      report_invocation_error(invocation, e)
    rescue LambdaErrors::LambdaHandlerCriticalException => e
      LambdaLogger.log_error(exception: e, message: 'Critical exception from handler')
      report_invocation_error(invocation, e, exit_code: -1)
    rescue LambdaErrors::LambdaRuntimeError => e
      report_invocation_error(invocation, e, exit_code: -2)
    end

    def report_invocation_error(invocation, error, exit_code: nil)
      @runtime_api.send_error_response(request_id: invocation.request_id, error: error)
      return unless exit_code

      @exit_code = exit_code
      @loop_active = false
    end

    def report_init_error(original)
      error = LambdaErrors::LambdaRuntimeInitError.new(original)
      # AWS's message interpolates a variable that is never set, hence the bare trailing space.
      LambdaLogger.log_error(exception: error, message: 'Init error when loading handler ')
      @runtime_api.send_init_error(error: error)
    end
  end

  def self.start
    telemetry_io = Logging.install
    env_handler = ENV['_HANDLER']
    if env_handler.nil?
      puts 'No handler specified, exiting Runtime Interface Client.'
      exit
    end
    address = ENV.fetch('AWS_LAMBDA_RUNTIME_API') do
      puts 'Failed to get runtime server address from AWS_LAMBDA_RUNTIME_API env variable'
      exit(-2)
    end
    runner = LambdaRunner.new(runtime_api: RuntimeApiClient.new(address, user_agent))
    runner.telemetry_io = telemetry_io
    # AWS loads from the working directory, which Lambda makes LAMBDA_TASK_ROOT (/var/task).
    runner.run(app_root: ENV['LAMBDA_TASK_ROOT'] || Dir.pwd, env_handler: env_handler)
  end
end

AwsLambdaRIC.start if $PROGRAM_NAME == __FILE__
