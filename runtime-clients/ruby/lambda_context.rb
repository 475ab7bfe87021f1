# frozen_string_literal: true

# The `context:` object handed to Ruby handlers.
#
# Same class name, readers and value types as AWS's aws_lambda_ric 3.x
# (lib/aws_lambda_ric/lambda_context.rb), because handlers and their tests depend on them:
# memory_limit_in_mb is the String from AWS_LAMBDA_FUNCTION_MEMORY_SIZE (not an Integer),
# deadline_ms an Integer, client_context and identity the parsed JSON Hashes or nil, and
# tenant_id is present only for tenant-isolated invocations.

require 'json'

class LambdaContext
  attr_reader :aws_request_id, :invoked_function_arn, :log_group_name,
              :log_stream_name, :function_name, :memory_limit_in_mb, :function_version,
              :identity, :tenant_id, :client_context, :deadline_ms

  # `headers` answers `[]` with a header name (a Net::HTTPResponse, or a Hash in tests).
  def initialize(headers)
    # The deadline is wall-clock epoch milliseconds, but the remaining time must not jump when
    # the wall clock is stepped mid-invocation: take the wall/monotonic offset once and count
    # on the monotonic clock afterwards.
    @wall_minus_monotonic_ms = Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond) -
                               Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond)
    @deadline_ms = headers['Lambda-Runtime-Deadline-Ms'].to_i
    @aws_request_id = headers['Lambda-Runtime-Aws-Request-Id']
    @invoked_function_arn = headers['Lambda-Runtime-Invoked-Function-Arn']
    @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
    @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
    @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
    @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
    @identity = parsed_header(headers, 'Lambda-Runtime-Cognito-Identity')
    tenant = headers['Lambda-Runtime-Aws-Tenant-Id']
    @tenant_id = tenant unless tenant.to_s.empty?
    @client_context = parsed_header(headers, 'Lambda-Runtime-Client-Context')
  end

  def get_remaining_time_in_millis
    now_ms = Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond) + @wall_minus_monotonic_ms
    [@deadline_ms - now_ms, 0].max
  end

  private

  # An empty or absent header leaves the reader nil; malformed JSON raises, as on AWS.
  def parsed_header(headers, name)
    value = headers[name]
    JSON.parse(value) unless value.to_s.empty?
  end
end
