package lambent.runtime;

import com.amazonaws.services.lambda.runtime.CustomPojoSerializer;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * Converts a POJO handler's input from the event's JSON and its output to the response's JSON:
 * through the function's own CustomPojoSerializer when it registers one (one only, as on AWS),
 * else through Jackson configured as AWS's serialization library configures it (JacksonMapper).
 */
interface PojoSerializer {

    Object fromJson(InputStream input);

    void toJson(Object value, OutputStream output);

    /** The serializer for `type`: the function's CustomPojoSerializer, else Jackson. */
    static PojoSerializer forType(Type type, ClassLoader customerLoader) {
        CustomPojoSerializer custom = Custom.load(customerLoader);
        if (custom != null) {
            return new PojoSerializer() {
                @Override
                public Object fromJson(InputStream input) {
                    return custom.fromJson(input, type);
                }

                @Override
                public void toJson(Object value, OutputStream output) {
                    custom.toJson(value, output, type);
                }
            };
        }
        return JacksonMapper.serializerFor(type);
    }

    /** The function's CustomPojoSerializer from META-INF/services, looked up once. */
    final class Custom {
        private static boolean loaded;
        private static CustomPojoSerializer serializer;

        private Custom() {
        }

        static synchronized CustomPojoSerializer load(ClassLoader loader) {
            if (loaded) {
                return serializer;
            }
            Iterator<CustomPojoSerializer> found = ServiceLoader.load(CustomPojoSerializer.class, loader).iterator();
            CustomPojoSerializer first = found.hasNext() ? found.next() : null;
            if (first != null && found.hasNext()) {
                // AWS's message (PojoSerializerLoader); its exception type is AWS's own
                // TooManyServiceProvidersFoundException, which this client does not have.
                throw new IllegalStateException(
                        "Too many serializers provided inside the META-INF/services folder, only one is allowed");
            }
            serializer = first;
            loaded = true;
            return serializer;
        }
    }
}
