# frozen_string_literal: true

# Writes one line through each logging path a Ruby function has — puts, print, $stderr,
# a Logger on $stdout (debug/info/error and an Exception), a Logger with a progname, a Logger
# with its own formatter, a Logger on a StringIO — and returns what the StringIO Logger wrote.
# The test checks which lines reach the log and in what format (text, or JSON when
# AWS_LAMBDA_LOG_FORMAT=JSON, filtered by AWS_LAMBDA_LOG_LEVEL).

require 'logger'
require 'stringio'

INIT_LOGGER = Logger.new($stdout)
INIT_LOGGER.info('init-phase logger line')

def handler(event:, context:)
  puts 'puts-line'
  puts 'multi-line-1', 'multi-line-2'
  print "print-line\n"
  $stderr.puts 'stderr-line'
  logger = Logger.new($stdout)
  logger.debug('logger-debug-line')
  logger.info('logger-info-line')
  logger.error('logger-error-line')
  logger.error(ArgumentError.new('logged-exception'))
  Logger.new($stdout, progname: 'named').warn('logger-progname-line')
  custom = Logger.new($stdout, formatter: proc { |severity, _time, _prog, msg| "CUSTOM #{severity} #{msg}\n" })
  custom.info('custom-formatter-line')
  buffer = StringIO.new
  Logger.new(buffer).info('stringio-line')
  { 'stringio' => buffer.string }
end
