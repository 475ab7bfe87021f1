# frozen_string_literal: true

# Function logging as AWS's Ruby runtime does it.
#
# What AWS's aws_lambda_ric does, and so this file:
# - `puts`, `print`, `$stdout`/`$stderr` writes go straight to the process's stdout/stderr
#   (stdout unbuffered). Nothing is added to them and AWS_LAMBDA_LOG_FORMAT/LEVEL do not
#   touch them.
# - Ruby's Logger is patched (LoggerPatch, prepended to Logger) so that a Logger created on
#   $stdout, $stderr or nil gets the Lambda formatter, which adds the request id:
#     I, [2026-03-10T22:30:46.745494 #16]  INFO 3244ba10-b213-4742-9cbc-fcc611f42625 -- : msg
#   With AWS_LAMBDA_LOG_FORMAT=JSON it gets JsonLogFormatter instead, one JSON object a line:
#     {"timestamp":"…Z","level":"INFO","message":"msg","requestId":"…"}
#   plus "logger" (the progname) when set, and errorType/errorMessage/stackTrace/location when
#   the message is an Exception. AWS_LAMBDA_LOG_LEVEL (TRACE maps to DEBUG) becomes the
#   Logger's level. A formatter or level passed explicitly to Logger.new wins; Loggers on
#   files or other IOs are left alone.
# - With _LAMBDA_TELEMETRY_LOG_FD set (Lambda's telemetry pipe), `puts` and the patched
#   Logger write length-prefixed frames to that descriptor instead, so that a multi-line
#   message stays one log event; AWS removes the variable from the environment.
#
# Sources: aws/aws-lambda-ruby-runtime-interface-client lib/aws_lambda_ric.rb (TelemetryLogger,
# mutate_kernel_puts), telemetry_log_sink.rb, and the structured-logging change (PR #58,
# March 2026: logger_patch.rb, lambda_log_formatter.rb, test/unit/logger_patch_test.rb),
# which applies the Logger patch with or without the telemetry descriptor.
# Class names (LogFormatter, JsonLogFormatter, LoggerPatch, TelemetryLogSink) and the
# $_global_aws_request_id global are AWS's, since user code can see them.

require 'json'
require 'logger'

class LogFormatter < Logger::Formatter
  FORMAT = '%<sev>s, [%<datetime>s #%<process>d] %<severity>5s %<request_id>s -- %<progname>s: %<msg>s'

  def call(severity, time, progname, msg)
    line = format(FORMAT, sev: severity[0], datetime: format_datetime(time), process: Process.pid,
                          severity: severity, request_id: $_global_aws_request_id, progname: progname,
                          msg: msg2str(msg))
    "#{line.encode('UTF-8', invalid: :replace, undef: :replace, replace: "\uFFFD")}\n"
  end
end

class JsonLogFormatter < Logger::Formatter
  TIMESTAMP_FORMAT = '%Y-%m-%dT%H:%M:%S.%6NZ'
  # "path:line:in `label'" (Ruby < 3.4) or "path:line:in 'label'" (Ruby 3.4).
  FRAME_PATTERN = /\A(.+):(\d+):in [`'](.+)'\z/

  def call(severity, time, progname, msg)
    entry = {
      timestamp: time.utc.strftime(TIMESTAMP_FORMAT),
      level: severity,
      message: msg.is_a?(Exception) ? msg.message : msg2str(msg),
      requestId: $_global_aws_request_id
    }
    entry[:logger] = progname.to_s unless progname.to_s.empty?
    if msg.is_a?(Exception)
      entry[:errorType] = msg.class.to_s
      entry[:errorMessage] = msg.message
      entry[:stackTrace] = msg.backtrace || []
      entry[:location] = location_of(msg.backtrace&.first)
    end
    "#{JSON.generate(entry.compact)}\n"
  end

  private

  # "file:label:line", AWS's order, or the raw frame when it does not parse.
  def location_of(frame)
    return nil if frame.nil?

    matched = FRAME_PATTERN.match(frame)
    matched ? "#{matched[1]}:#{matched[3]}:#{matched[2]}" : frame
  end
end

# Writes Lambda telemetry log frames: 4-byte type 0xa55a0003, 4-byte length, 8-byte
# microsecond timestamp, then the message; all big-endian. Falls back to stdout once closed.
class TelemetryLogSink < Logger::LogDevice
  FRAME_TYPE = [0xa55a0003].pack('L>')

  def initialize(file:) # rubocop:disable Lint/MissingSuper -- a sink, not a file or rotation device
    @file = file
    @lock = Mutex.new
  end

  def write(message)
    return $stdout.write(message) if @file.nil? || @file.closed?

    bytes = message.to_s.b
    @lock.synchronize do
      @file.write(FRAME_TYPE, [bytes.bytesize].pack('L>'), [(Time.now.to_r * 1_000_000).to_i].pack('Q>'), bytes)
    end
  end

  def reopen(_log = nil); end

  def close; end
end

module LoggerPatch
  LOG_LEVELS = {
    'TRACE' => Logger::DEBUG,
    'DEBUG' => Logger::DEBUG,
    'INFO' => Logger::INFO,
    'WARN' => Logger::WARN,
    'ERROR' => Logger::ERROR,
    'FATAL' => Logger::FATAL
  }.freeze

  class << self
    attr_accessor :telemetry_log_sink
    attr_reader :log_level

    # Read once at startup; the environment does not change under a running function.
    def configure_from_env!
      @json_format = ENV.fetch('AWS_LAMBDA_LOG_FORMAT', '').upcase == 'JSON'
      @log_level = LOG_LEVELS[ENV['AWS_LAMBDA_LOG_LEVEL']&.upcase]
    end

    def json_format?
      @json_format
    end
  end

  configure_from_env!

  def initialize(logdev, shift_age = 0, shift_size = 1_048_576, **options)
    level_given = options.key?(:level)
    options = { level: Logger::DEBUG }.merge(options)
    if logdev.nil? || logdev == $stdout || logdev == $stderr
      logdev = LoggerPatch.telemetry_log_sink || logdev
      options[:formatter] ||= LoggerPatch.json_format? ? JsonLogFormatter.new : LogFormatter.new
      options[:level] = LoggerPatch.log_level if !level_given && LoggerPatch.log_level
    end
    super(logdev, shift_age, shift_size, **options)
  end
end

module LambdaLogger
  # How AWS's client reports an error it caught: a plain line, then the error document
  # pretty-printed, both through `puts` (so through the telemetry pipe when there is one).
  def self.log_error(exception:, message: nil)
    puts message if message
    puts JSON.pretty_generate(exception.to_lambda_response)
  end
end

module AwsLambdaRIC
  module Logging
    TELEMETRY_FD_VARIABLE = '_LAMBDA_TELEMETRY_LOG_FD'

    # Installs the Logger patch and, when Lambda passed a telemetry descriptor, routes `puts`
    # through it. Returns the descriptor's IO (to close at exit) or nil.
    def self.install
      telemetry_io = open_telemetry_fd
      if telemetry_io
        LoggerPatch.telemetry_log_sink = TelemetryLogSink.new(file: telemetry_io)
        route_puts_to_telemetry
      end
      Logger.prepend(LoggerPatch)
      telemetry_io
    end

    def self.open_telemetry_fd
      fd = ENV.delete(TELEMETRY_FD_VARIABLE)
      return nil unless fd

      IO.new(Integer(fd), 'wb').tap { |io| io.sync = true }
    rescue ArgumentError, Errno::EBADF, Errno::ENOENT
      nil # no usable descriptor: logs stay on stdout, as on AWS
    end

    # One frame per `puts` call: its arguments joined by newlines, ending in one.
    def self.route_puts_to_telemetry
      Kernel.module_eval do
        def puts(*args)
          message = args.flatten.map { |arg| arg.to_s.encode('UTF-8') }.join("\n")
          message += "\n" unless message.end_with?("\n")
          LoggerPatch.telemetry_log_sink.write(message)
          nil
        end
      end
    end
  end
end
