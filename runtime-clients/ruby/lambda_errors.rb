# frozen_string_literal: true

# Errors the Ruby runtime reports to Lambda, and the JSON shape it reports them in.
#
# Reimplements the behaviour of AWS's aws_lambda_ric 3.x (lib/aws_lambda_ric/lambda_errors.rb),
# which the managed ruby3.2–ruby3.4 runtimes run. Function authors and tools match on what
# this file produces, so these are copied exactly from AWS:
# - the module and class names (`LambdaErrors::…`), which user code can rescue or inspect;
# - errorType strings of the form "<Classification><RubyClass>": `Init<LoadError>`,
#   `Init<SyntaxError>`, `Function<NoMethodError>`, `Function<MyModule::MyError>`…;
# - the header rule: the Lambda-Runtime-Function-Error-Type header carries the errorType only
#   for the classes in HEADER_TYPED_CLASSES and `Function<UserException>` for every other
#   class — even for init errors (a syntax error's body says Init<SyntaxError> while its header
#   says Function<UserException>);
# - stackTrace: at most the first 100 frames, cut at the first frame of the runtime itself.

module LambdaErrors
  # The Runtime API could not be asked for the next invocation; ends the process.
  class InvocationError < StandardError; end

  class LambdaError < StandardError
    # AWS's allow-list (`_standard_error?`): only these class names reach the error-type header.
    HEADER_TYPED_CLASSES = %w[
      ArgumentError NoMethodError Exception StandardError NameError LoadError SystemExit SystemStackError
    ].freeze
    GENERIC_HEADER_TYPE = 'Function<UserException>'
    MAX_FRAMES = 100

    # AWS cuts traces at the first frame under /var/runtime/lib, where its client lives in the
    # managed runtimes. Lambent's client lives flat in this file's directory (/var/runtime in a
    # sandbox), so the cut is at the first frame from this directory: user frames above the
    # runtime survive, the runtime's own frames never show.
    RUNTIME_FRAME_PREFIX = "#{File.dirname(File.expand_path(__FILE__))}/"
    LEGACY_MESSAGE_DECORATIONS = !Exception.method_defined?(:detailed_message)

    attr_reader :error_type, :error_message, :stack_locations

    def initialize(original_error, classification = 'Function')
      @error_class_name = original_error.class.to_s
      @error_type = "#{classification}<#{original_error.class}>"
      @error_message = message_of(original_error)
      @stack_locations = user_frames(original_error.backtrace_locations)
      super(@error_message)
    end

    def runtime_error_type
      HEADER_TYPED_CLASSES.include?(@error_class_name) ? @error_type : GENERIC_HEADER_TYPE
    end

    # The error document posted to the Runtime API and logged; key order as AWS's.
    def to_lambda_response
      {
        errorMessage: @error_message,
        errorType: @error_type,
        stackTrace: @stack_locations.map(&:to_s)
      }
    end

    private

    # On Ruby 3.2 and later, which all of AWS's Ruby runtimes run, did_you_mean suggestions and
    # error_highlight code snippets live in #detailed_message and stay out of #message. Ruby
    # 3.1 appends them to #message itself; they are cut off here so that errorMessage reads as
    # on AWS and never quotes the runtime's own source lines.
    def message_of(error)
      message = error.message
      return message unless LEGACY_MESSAGE_DECORATIONS && decorated?(error)

      plain = Exception.instance_method(:to_s).bind_call(error)
      message.start_with?(plain) ? plain : message
    end

    def decorated?(error)
      (defined?(DidYouMean::Correctable) && error.is_a?(DidYouMean::Correctable)) ||
        (defined?(ErrorHighlight::CoreExt) && error.is_a?(ErrorHighlight::CoreExt))
    end

    def user_frames(locations)
      return [] unless locations

      locations.first(MAX_FRAMES).take_while { |frame| !frame.to_s.start_with?(RUNTIME_FRAME_PREFIX) }
    end
  end

  # A StandardError from the handler: reported, and the environment keeps serving.
  class LambdaHandlerError < LambdaError; end

  # NoMethodError, NameError or a non-StandardError Exception (SystemExit, ScriptError, signals…)
  # from the handler: reported, then the process exits, as AWS's client does.
  class LambdaHandlerCriticalException < LambdaError; end

  # The runtime could not deliver a result to the Runtime API.
  class LambdaRuntimeError < LambdaError
    def initialize(original_error)
      super(original_error, 'Runtime')
    end
  end

  # Anything raised while loading the handler (or escaping the invocation loop).
  class LambdaRuntimeInitError < LambdaError
    def initialize(original_error)
      super(original_error, 'Init')
    end
  end
end

# The X-Ray error cause sent next to an invocation error, in AWS's shape
# (lib/aws_lambda_ric/xray_cause.rb): working directory, gem paths, one exception with at most
# 15 frames.
class XRayCause
  MAX_DEPTH = 15

  def initialize(lambda_error)
    @cause = {
      working_directory: Dir.pwd,
      paths: Gem.paths.path,
      exceptions: [
        {
          message: lambda_error.error_message,
          type: lambda_error.error_type,
          stack: lambda_error.stack_locations.first(MAX_DEPTH).map do |frame|
            { path: frame.path, line: frame.lineno, label: frame.label }
          end
        }
      ]
    }
  end

  def as_json
    @as_json ||= JSON.dump(@cause)
  end
end
