package lambent.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * Where LambdaLogger records go. By default the process's stdout, bytes as given. When
 * $_LAMBDA_TELEMETRY_LOG_FD names a descriptor, each record is one frame on it, so a multi-line
 * record stays one log event:
 *
 * <pre>
 *   u32 type   0xa55a0000 | level.ordinal() << 2 | 1 << 1 (timestamp present) | format.ordinal()
 *   u32 length of the message
 *   u64 timestamp, microseconds since the epoch
 *   message bytes
 * </pre>
 * (big-endian; AWS's FramedTelemetryLogSink and FrameType).
 */
abstract class LogSink {

    abstract void write(LogLevel level, LogFormat format, byte[] message);

    /** The framed descriptor when $_LAMBDA_TELEMETRY_LOG_FD is usable, else stdout. */
    static LogSink fromEnvironment() {
        String fd = System.getenv("_LAMBDA_TELEMETRY_LOG_FD");
        if (fd != null) {
            try {
                // /proc/self/fd spares the reflection into FileDescriptor that AWS's client needs
                // (and that needs --add-opens java.base/java.io).
                return new Framed(new FileOutputStream("/proc/self/fd/" + Integer.parseInt(fd.trim()), true));
            } catch (IOException | NumberFormatException e) {
                // Fall back to stdout, as AWS's client does.
            }
        }
        return new Stdout();
    }

    static final class Stdout extends LogSink {
        @Override
        synchronized void write(LogLevel level, LogFormat format, byte[] message) {
            try {
                System.out.write(message);
            } catch (IOException e) {
                e.printStackTrace();
            }
        }
    }

    static final class Framed extends LogSink {
        private static final int MAGIC = 0xa55a0000;
        private final OutputStream out;
        private final ByteBuffer header = ByteBuffer.allocate(16);

        Framed(OutputStream out) {
            this.out = out;
        }

        @Override
        synchronized void write(LogLevel level, LogFormat format, byte[] message) {
            Instant now = Instant.now();
            header.clear();
            header.putInt(MAGIC | level.ordinal() << 2 | 1 << 1 | format.ordinal());
            header.putInt(message.length);
            header.putLong(now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
            try {
                out.write(header.array());
                out.write(message);
            } catch (IOException e) {
                e.printStackTrace();
            }
        }
    }
}
