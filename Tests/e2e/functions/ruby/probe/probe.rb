# frozen_string_literal: true

# Reports what a Ruby handler sees: the event, every context field, selected environment
# variables and runtime facts. Used by Tests/e2e/test_ruby_rie.py (AWS's emulator) and meant
# to be run unchanged on Lambent so the two reports can be compared.
#
# Handlers: probe.handler (top-level method), probe.Probe::Handler.process (class method),
# probe.positional (a one-parameter method, which receives the keywords as one Hash),
# probe.stream (an IO result, sent unformatted), probe.remember (state kept on `self`).

require 'json'
require 'stringio'

REPORTED_ENV = %w[
  AWS_EXECUTION_ENV AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_FUNCTION_VERSION
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME
  AWS_LAMBDA_RUNTIME_API LAMBDA_TASK_ROOT LAMBDA_RUNTIME_DIR _HANDLER _X_AMZN_TRACE_ID
  AWS_REGION TZ LANG GEM_PATH RUBYLIB _LAMBDA_TELEMETRY_LOG_FD
].freeze

def context_report(context)
  remaining = context.get_remaining_time_in_millis
  {
    'class' => context.class.name,
    'function_name' => context.function_name,
    'function_version' => context.function_version,
    'memory_limit_in_mb' => context.memory_limit_in_mb,
    'memory_limit_in_mb_class' => context.memory_limit_in_mb.class.name,
    'log_group_name' => context.log_group_name,
    'log_stream_name' => context.log_stream_name,
    'invoked_function_arn' => context.invoked_function_arn,
    'aws_request_id' => context.aws_request_id,
    'client_context' => context.client_context,
    'identity' => context.identity,
    'deadline_ms' => context.deadline_ms,
    'deadline_ms_class' => context.deadline_ms.class.name,
    'remaining_time_in_millis' => remaining,
    'remaining_time_in_millis_class' => remaining.class.name,
    'responds_to_tenant_id' => context.respond_to?(:tenant_id)
  }
end

def report(form, event, context)
  {
    'form' => form,
    'event' => event,
    'event_class' => event.class.name,
    'context' => context_report(context),
    'env' => REPORTED_ENV.to_h { |name| [name, ENV[name]] },
    'self_class' => self.class.name,
    'global_request_id' => $_global_aws_request_id,
    'stdout_sync' => $stdout.sync,
    'pwd' => Dir.pwd,
    'task_root_on_load_path' => $LOAD_PATH.include?(ENV['LAMBDA_TASK_ROOT'] || Dir.pwd)
  }
end

def handler(event:, context:)
  report('top-level', event, context)
end

def positional(arguments)
  { 'argument_class' => arguments.class.name, 'keys' => arguments.keys.map(&:to_s).sort }
end

def stream(event:, context:)
  StringIO.new("raw:#{event['text']}")
end

def remember(event:, context:)
  @invocations = (@invocations || 0) + 1
  { 'invocations' => @invocations }
end

module Probe
  class Handler
    def self.process(event:, context:)
      # `report` is a private Object method: callable from any receiver.
      report('class-method', event, context)
    end
  end
end
