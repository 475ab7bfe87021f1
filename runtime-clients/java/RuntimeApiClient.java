package lambent.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API, over HttpURLConnection: it
 * starts faster than java.net.http and keeps the connection alive between calls.
 */
final class RuntimeApiClient {
    private static final String USER_AGENT =
            "aws-lambda-java/" + System.getProperty("java.vendor.version", System.getProperty("java.version")) + "-lambent";
    private static final String ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type";
    private static final String XRAY_ERROR_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause";
    // AWS's client leaves out an X-Ray cause of 1 MiB or more.
    private static final int XRAY_ERROR_CAUSE_MAX_HEADER_SIZE = 1024 * 1024;

    private final String base;

    RuntimeApiClient(String hostAndPort) {
        if (hostAndPort == null || hostAndPort.isEmpty()) {
            throw new IllegalStateException("AWS_LAMBDA_RUNTIME_API is not set");
        }
        this.base = "http://" + hostAndPort + "/2018-06-01/runtime/";
    }

    /** Blocks until the next invocation arrives. */
    Invocation next() throws IOException {
        HttpURLConnection connection = open(base + "invocation/next", "GET");
        int status = connection.getResponseCode();
        if (status != HttpURLConnection.HTTP_OK) {
            drain(connection);
            throw new IOException("GET " + base + "invocation/next returned " + status);
        }
        byte[] event;
        try (InputStream body = connection.getInputStream()) {
            event = body.readAllBytes();
        }
        String requestId = connection.getHeaderField("Lambda-Runtime-Aws-Request-Id");
        if (requestId == null) {
            throw new IOException("the next invocation has no Lambda-Runtime-Aws-Request-Id header");
        }
        return new Invocation(
                requestId,
                parseLong(connection.getHeaderField("Lambda-Runtime-Deadline-Ms")),
                connection.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"),
                connection.getHeaderField("Lambda-Runtime-Trace-Id"),
                connection.getHeaderField("Lambda-Runtime-Client-Context"),
                connection.getHeaderField("Lambda-Runtime-Cognito-Identity"),
                connection.getHeaderField("Lambda-Runtime-Aws-Tenant-Id"),
                event);
    }

    /** POST invocation/{id}/response. */
    void respond(String requestId, byte[] response) throws IOException {
        post(base + "invocation/" + requestId + "/response", Map.of(), response, HttpURLConnection.HTTP_ACCEPTED);
    }

    /** POST invocation/{id}/error. */
    void fail(String requestId, ErrorReport error) throws IOException {
        postError(base + "invocation/" + requestId + "/error", error);
    }

    /** POST init/error. */
    void failInit(ErrorReport error) throws IOException {
        postError(base + "init/error", error);
    }

    private void postError(String url, ErrorReport error) throws IOException {
        String cause = error.xrayCause();
        Map<String, String> headers = cause != null && cause.length() < XRAY_ERROR_CAUSE_MAX_HEADER_SIZE
                ? Map.of(ERROR_TYPE_HEADER, error.rapidErrorType(), XRAY_ERROR_CAUSE_HEADER, cause)
                : Map.of(ERROR_TYPE_HEADER, error.rapidErrorType());
        post(url, headers, error.body(), HttpURLConnection.HTTP_ACCEPTED);
    }

    private void post(String url, Map<String, String> headers, byte[] body, int expected) throws IOException {
        HttpURLConnection connection = open(url, "POST");
        connection.setRequestProperty("Content-Type", "application/json");
        headers.forEach(connection::setRequestProperty);
        connection.setDoOutput(true);
        connection.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = connection.getOutputStream()) {
            out.write(body);
        }
        int status = connection.getResponseCode();
        drain(connection);
        if (status != expected) {
            throw new IOException("POST " + url + " returned " + status);
        }
    }

    private static HttpURLConnection open(String url, String method) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        connection.setRequestMethod(method);
        connection.setRequestProperty("User-Agent", USER_AGENT);
        // No read timeout: GET next waits for as long as the environment stays idle.
        connection.setReadTimeout(0);
        return connection;
    }

    // Reading the body to its end is what lets HttpURLConnection reuse the connection.
    private static void drain(HttpURLConnection connection) {
        try {
            InputStream body = connection.getResponseCode() >= 400
                    ? connection.getErrorStream() : connection.getInputStream();
            if (body != null) {
                try (body) {
                    body.transferTo(OutputStream.nullOutputStream());
                }
            }
        } catch (IOException ignored) {
            // Nothing to reuse.
        }
    }

    private static long parseLong(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
