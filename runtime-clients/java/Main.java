package lambent.runtime;

import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.LambdaRuntimeInternal;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FilterOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.Security;
import java.util.Properties;

/**
 * Lambent's Java runtime: loads the function's handler and serves invocations from the Lambda
 * Runtime API, one at a time, as AWS's aws-lambda-java-runtime-interface-client does for the
 * java17/java21/java25 runtimes.
 *
 * <pre>
 *   cd /var/task && java -cp /var/runtime/classes:jackson-{databind,core,annotations}.jar \
 *       lambent.runtime.Main [handler]        # handler defaults to $_HANDLER
 * </pre>
 */
public final class Main {
    private static final String TRACE_HEADER_PROPERTY = "com.amazonaws.xray.traceHeader";

    private Main() {
    }

    public static void main(String[] args) throws Throwable {
        configureJvm();
        FunctionEnvironment environment = new FunctionEnvironment();
        RuntimeLogger logger = new RuntimeLogger(LogSink.fromEnvironment(),
                LogLevel.fromString(environment.logLevel), LogFormat.fromString(environment.logFormat));
        RuntimeApiClient api = new RuntimeApiClient(environment.runtimeApi);

        // UTF-8 whatever the locale, written through at once (AWS's LambdaOutputStream wrapping).
        System.setOut(new PrintStream(new PassThrough(System.out), false, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new PassThrough(System.err), false, StandardCharsets.UTF_8));
        installLogger(logger);

        // The parent is the system class loader, so the function sees the runtime's interfaces.
        ClassLoader customer = new CustomerClassLoader(System.getProperty("user.dir"), "/opt/java",
                ClassLoader.getSystemClassLoader());
        Thread.currentThread().setContextClassLoader(customer);

        String handlerName = args.length > 0 ? args[0] : System.getenv("_HANDLER");
        RequestStreamHandler handler;
        try {
            handler = HandlerLoader.load(handlerName == null ? "" : handlerName, customer);
        } catch (UserFault fault) {
            logger.logRuntimeError(fault.reportableError());
            api.failInit(ErrorReport.of(fault));
            System.exit(1);
            return;
        }
        serve(handler, environment, logger, api);
    }

    /** The invocation loop; it ends (and so does the process) on a fatal fault or a VM error. */
    private static void serve(RequestStreamHandler handler, FunctionEnvironment environment,
                              RuntimeLogger logger, RuntimeApiClient api) throws IOException {
        ByteArrayOutputStream output = new ByteArrayOutputStream(1024);
        boolean exit = false;
        while (!exit) {
            Invocation invocation = api.next();
            if (invocation.traceId != null) {
                System.setProperty(TRACE_HEADER_PROPERTY, invocation.traceId);
            } else {
                System.clearProperty(TRACE_HEADER_PROPERTY);
            }
            UserFault fault = null;
            try {
                output.reset();
                LambentContext context = new LambentContext(invocation, environment,
                        CallerIdentity.cognitoIdentity(invocation.cognitoIdentity),
                        CallerIdentity.clientContext(invocation.clientContext), LambdaRuntime.getLogger());
                logger.setContext(context);
                if (LambdaRuntimeInternal.getUseLog4jAppender()) {
                    Log4jContext.putRequestId(invocation.requestId);
                }
                handler.handleRequest(new ByteArrayInputStream(invocation.event), output, context);
                api.respond(invocation.requestId, output.toByteArray());
                // The function may have interrupted this thread; the next GET must not see it.
                Thread.interrupted();
            } catch (Throwable t) {
                UserFault.filterStackTrace(t);
                fault = UserFault.of(t);
                exit = t instanceof VirtualMachineError || t instanceof IOError || fault.fatal;
                api.fail(invocation.requestId, ErrorReport.of(t));
            } finally {
                if (fault != null) {
                    logger.logRuntimeError(fault.reportableError());
                }
            }
        }
    }

    /** Makes LambdaRuntime.getLogger() (and so Context.getLogger()) this runtime's logger. */
    private static void installLogger(RuntimeLogger logger) throws ReflectiveOperationException {
        Field field = LambdaRuntime.class.getDeclaredField("logger");
        field.setAccessible(true);
        field.set(null, logger);
    }

    /**
     * The JVM-wide settings AWS's runtime makes before any function code runs: TLS algorithms as
     * OpenJDK 8u181 disabled them, the system's CA bundle when one is at AWS's path, and a 1 s
     * negative DNS cache (or $AWS_LAMBDA_JAVA_NETWORKADDRESS_CACHE_NEGATIVE_TTL) unless a
     * java.security.properties file sets one.
     */
    private static void configureJvm() {
        Security.setProperty("jdk.tls.disabledAlgorithms",
                "SSLv3, RC4, MD5withRSA, DH keySize < 1024, EC keySize < 224, DES40_CBC, RC4_40, 3DES_EDE_CBC");
        if (System.getProperty("javax.net.ssl.trustStore") == null) {
            File cacerts = new File("/etc/pki/java/cacerts");
            if (cacerts.isFile()) {
                System.setProperty("javax.net.ssl.trustStore", cacerts.getPath());
            }
        }
        if (negativeCacheOverridable()) {
            String ttl = System.getenv("AWS_LAMBDA_JAVA_NETWORKADDRESS_CACHE_NEGATIVE_TTL");
            Security.setProperty("networkaddress.cache.negative.ttl", ttl == null ? "1" : ttl);
        }
    }

    private static boolean negativeCacheOverridable() {
        String path = System.getProperty("java.security.properties");
        if (path == null) {
            return true;
        }
        try (FileInputStream in = new FileInputStream(path)) {
            Properties properties = new Properties();
            properties.load(in);
            return !properties.containsKey("networkaddress.cache.negative.ttl");
        } catch (IOException e) {
            return true;
        }
    }

    /** Forwards whole buffers (FilterOutputStream alone would write byte by byte). */
    private static final class PassThrough extends FilterOutputStream {
        PassThrough(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
        }
    }
}
