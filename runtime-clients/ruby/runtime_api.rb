# frozen_string_literal: true

# HTTP client for the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API.
#
# Requests, headers and bodies are those of AWS's aws_lambda_ric 3.x
# (lib/aws_lambda_ric/lambda_server.rb). One deliberate difference: AWS opens a new TCP
# connection for every request; this client keeps one connection alive across the
# next/response cycle, since a connect per request is measurable latency on every invocation.
# The wire content of each request is unchanged.

require 'net/http'
require 'json'
require_relative 'lambda_errors'

module AwsLambdaRIC
  class RuntimeApiClient
    API_VERSION = '2018-06-01'
    DEFAULT_ADDRESS = '127.0.0.1:9001'
    # Seconds; /next blocks until an invocation arrives, however long the environment idles.
    # AWS's value (it calls it LONG_TIMEOUT_MS, but Net::HTTP takes seconds).
    NEXT_READ_TIMEOUT = 1_000_000
    # Net::HTTP's defaults, which AWS's one-shot Net::HTTP.post calls get.
    POST_READ_TIMEOUT = 60
    # The Lambda-Runtime-Function-XRay-Error-Cause header is left off at 1 MiB and above.
    MAX_HEADER_SIZE_BYTES = 1024 * 1024
    # Errors meaning the kept-alive connection died before a request reached the server.
    STALE_CONNECTION_ERRORS = [EOFError, Errno::ECONNRESET, Errno::EPIPE, Errno::ECONNABORTED, IOError].freeze

    def initialize(address, user_agent)
      host, port = (address || DEFAULT_ADDRESS).split(':', 2)
      @base_path = "/#{API_VERSION}/runtime"
      @user_agent = user_agent
      @http = Net::HTTP.new(host, Integer(port || 80))
      # Net::HTTP drops a connection idle for more than 2 s by default, which would mean a new
      # connection after every handler slower than that. It notices a connection the server
      # closed on its own before reusing it, so idling longer is safe.
      @http.keep_alive_timeout = NEXT_READ_TIMEOUT
    end

    # Blocks for the next invocation; returns [request_id, Net::HTTPResponse].
    def next_invocation
      response = request(Net::HTTP::Get.new("#{@base_path}/invocation/next", 'User-Agent' => @user_agent),
                         read_timeout: NEXT_READ_TIMEOUT, retry_stale: true)
      unless response.is_a?(Net::HTTPSuccess)
        raise LambdaErrors::InvocationError, "Received #{response.code} when waiting for next invocation."
      end

      [response['Lambda-Runtime-Aws-Request-Id'], response]
    rescue SignalException => e
      raise LambdaErrors::InvocationError,
            "Next invocation HTTP request from the runtime interface client was interrupted with a #{e} SIGNAL, gracefully shutting down."
    rescue LambdaErrors::InvocationError
      raise
    rescue StandardError => e
      raise LambdaErrors::InvocationError, e.message
    end

    # `content_type` is what the marshaller produced: nil for its ordinary JSON String, in which
    # case AWS's client posts no Content-Type of its own and Net::HTTP supplies
    # application/x-www-form-urlencoded. That is what goes over the wire on AWS, so it is
    # what goes over the wire here.
    def send_response(request_id:, response_object:, content_type:)
      body = content_type == 'application/unknown' ? response_object.read : response_object
      post("#{@base_path}/invocation/#{request_id}/response", body,
           'Content-Type' => content_type || 'application/x-www-form-urlencoded')
    rescue StandardError => e
      raise LambdaErrors::LambdaRuntimeError.new(e)
    end

    def send_error_response(request_id:, error:)
      error_object = error.to_lambda_response
      headers = { 'Lambda-Runtime-Function-Error-Type' => error.runtime_error_type }
      xray_cause = XRayCause.new(error).as_json
      headers['Lambda-Runtime-Function-XRay-Error-Cause'] = xray_cause if xray_cause.bytesize < MAX_HEADER_SIZE_BYTES
      post("#{@base_path}/invocation/#{request_id}/error", error_object.to_json, headers)
    rescue StandardError => e
      raise LambdaErrors::LambdaRuntimeError.new(e)
    end

    def send_init_error(error:)
      post("#{@base_path}/init/error", error.to_lambda_response.to_json,
           'Lambda-Runtime-Function-Error-Type' => error.runtime_error_type)
    rescue StandardError => e
      raise LambdaErrors::LambdaRuntimeInitError.new(e)
    end

    def close
      @http.finish if @http.started?
    rescue IOError
      nil
    end

    private

    # Like AWS's Net::HTTP.post: no Content-Type header is added unless given, and any HTTP
    # status counts as delivered (AWS never looks at the status of its POSTs).
    def post(path, body, headers)
      req = Net::HTTP::Post.new(path, headers.merge('User-Agent' => @user_agent))
      req.body = body
      # A POST is resent only when the kept-alive connection turned out dead on first use;
      # the server then never saw it. AWS's fresh-connection-per-request client cannot hit
      # this case at all.
      request(req, read_timeout: POST_READ_TIMEOUT, retry_stale: true)
    end

    def request(req, read_timeout:, retry_stale:)
      attempts = 0
      begin
        attempts += 1
        @http.start unless @http.started?
        @http.read_timeout = read_timeout
        @http.request(req)
      rescue *STALE_CONNECTION_ERRORS
        close
        raise unless retry_stale && attempts == 1

        retry
      end
    end
  end
end
