// A C++ function on AWS's own runtime library, aws-lambda-cpp: `run_handler` owns the
// Runtime API loop (libcurl, `User-Agent: AWS_Lambda_Cpp/0.2.6`, bodies posted with an
// explicit Content-Length and neither `Expect` nor chunked encoding); this file is only the
// handler. Its answers tell the e2e tests what the library handed it.
//
// Events are JSON objects; `action` picks the behaviour:
//   echo (default)  the event and what the function saw, as JSON
//   fail            invocation_response::failure (posted to /error, as the library does it)
//   sleep           sleep `seconds`, then echo
//   text            a non-JSON success with its own content type
// With CPP_FAIL_INIT set, the function posts /runtime/init/error instead of serving.

#include <aws/lambda-runtime/runtime.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using aws::lambda_runtime::invocation_request;
using aws::lambda_runtime::invocation_response;

namespace {

int invocations = 0;

std::string json_string(std::string const& text)
{
    std::string out = "\"";
    for (char ch : text) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(ch));
                    out += escaped;
                }
                else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string env_json(char const* name)
{
    char const* value = std::getenv(name);
    return value ? json_string(value) : "null";
}

// Where the value of top-level `"key":` starts in a flat JSON object, or npos. Enough for the
// events the tests send; the function must not need a JSON library to be built.
std::string::size_type value_start(std::string const& json, std::string const& key)
{
    auto position = json.find("\"" + key + "\"");
    if (position == std::string::npos) {
        return position;
    }
    position = json.find(':', position + key.size() + 2);
    if (position == std::string::npos) {
        return position;
    }
    return json.find_first_not_of(" \t\r\n", position + 1);
}

std::string string_field(std::string const& json, std::string const& key)
{
    auto start = value_start(json, key);
    if (start == std::string::npos || json[start] != '"') {
        return "";
    }
    auto end = json.find('"', start + 1);
    return end == std::string::npos ? "" : json.substr(start + 1, end - start - 1);
}

long number_field(std::string const& json, std::string const& key, long fallback)
{
    auto start = value_start(json, key);
    return start == std::string::npos ? fallback : std::strtol(json.c_str() + start, nullptr, 10);
}

invocation_response handler(invocation_request const& request)
{
    ++invocations;
    std::printf("handling %s\n", request.request_id.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "stderr from C++ for %s\n", request.request_id.c_str());

    auto const action = string_field(request.payload, "action");
    if (action == "fail") {
        // Quotes and a newline: the library escapes them into the JSON it posts.
        return invocation_response::failure("the \"fail\" action\nfailed on purpose", "CppHandlerError", "");
    }
    if (action == "text") {
        return invocation_response::success("plain text from C++", "text/plain");
    }
    if (action == "sleep") {
        std::this_thread::sleep_for(std::chrono::seconds(number_field(request.payload, "seconds", 1)));
    }

    std::string body = "{";
    body += "\"event\":" + (request.payload.empty() ? std::string("null") : request.payload);
    body += ",\"request_id\":" + json_string(request.request_id);
    body += ",\"function_arn\":" + json_string(request.function_arn);
    body += ",\"remaining_ms\":" + std::to_string(request.get_time_remaining().count());
    body += ",\"content_type\":" + json_string(request.content_type);
    body += ",\"xray_trace_id\":" + json_string(request.xray_trace_id);
    body += ",\"invocations\":" + std::to_string(invocations);
    body += ",\"pid\":" + std::to_string(getpid());
    body += ",\"env\":{";
    char const* const names[] = {
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_EXECUTION_ENV"};
    bool first = true;
    for (char const* name : names) {
        body += (first ? "" : ",") + json_string(name) + ":" + env_json(name);
        first = false;
    }
    body += "}}";
    return invocation_response::success(body, "application/json");
}

// What a C++ function does when its own initialisation fails: post /runtime/init/error with
// the library's runtime class, then exit.
int fail_init()
{
    std::string endpoint = "http://";
    if (char const* api = std::getenv("AWS_LAMBDA_RUNTIME_API")) {
        endpoint += api;
    }
    aws::lambda_runtime::runtime runtime(endpoint);
    aws::lambda_runtime::runtime_response error(
        R"({"errorMessage":"init failed on purpose","errorType":"CppInitError"})", "application/json", "");
    auto const outcome = runtime.post_init_error(error);
    std::printf("init error posted: %s\n", outcome.is_success() ? "accepted" : "refused");
    std::fflush(stdout);
    return 1;
}

} // namespace

int main()
{
    std::printf("cpp bootstrap initializing\n");
    std::fflush(stdout);
    if (std::getenv("CPP_FAIL_INIT")) {
        return fail_init();
    }
    aws::lambda_runtime::run_handler(handler);
    return 0;
}
