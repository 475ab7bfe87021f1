package lambent.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;

/**
 * The ObjectMapper of POJO handlers, set up feature by feature as AWS's
 * aws-lambda-java-serialization JacksonFactory sets up its (shaded) Jackson, so that the same
 * events decode to the same objects and the same results encode to the same bytes: lenient
 * reading (single quotes, unquoted names, NaN, leading zeros), unknown properties ignored, empty
 * strings and arrays accepted as null, single values as arrays, nulls left out of the output,
 * creators not auto-detected, standard bean naming.
 */
final class JacksonMapper {
    private static final ObjectMapper MAPPER = create(false);
    // aws-lambda-java-events classes name members "Records", "eventSourceARN"…: AWS maps them
    // with per-class mixins; a case-insensitive mapper covers the common ones.
    private static final ObjectMapper EVENTS_MAPPER = create(true);
    private static final String EVENTS_PACKAGE = "com.amazonaws.services.lambda.runtime.events.";

    private JacksonMapper() {
    }

    static PojoSerializer serializerFor(Type type) {
        ObjectMapper mapper = type.getTypeName().startsWith(EVENTS_PACKAGE) ? EVENTS_MAPPER : MAPPER;
        JavaType javaType = mapper.constructType(type);
        ObjectReader reader = mapper.readerFor(javaType);
        ObjectWriter writer = mapper.writerFor(javaType);
        return new PojoSerializer() {
            @Override
            public Object fromJson(InputStream input) {
                try {
                    return reader.readValue(input);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void toJson(Object value, OutputStream output) {
                try {
                    writer.writeValue(output, value);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @SuppressWarnings("deprecation")
    private static ObjectMapper create(boolean caseInsensitive) {
        JsonMapper.Builder builder = JsonMapper.builder(factory())
                .enable(MapperFeature.ALLOW_FINAL_FIELDS_AS_MUTATORS, MapperFeature.AUTO_DETECT_FIELDS,
                        MapperFeature.AUTO_DETECT_GETTERS, MapperFeature.AUTO_DETECT_IS_GETTERS,
                        MapperFeature.AUTO_DETECT_SETTERS, MapperFeature.CAN_OVERRIDE_ACCESS_MODIFIERS,
                        MapperFeature.USE_STD_BEAN_NAMING, MapperFeature.USE_ANNOTATIONS)
                .disable(MapperFeature.AUTO_DETECT_CREATORS, MapperFeature.INFER_PROPERTY_MUTATORS,
                        MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, MapperFeature.USE_GETTERS_AS_SETTERS,
                        MapperFeature.USE_WRAPPER_NAME_AS_PROPERTY_NAME, MapperFeature.USE_STATIC_TYPING,
                        MapperFeature.REQUIRE_SETTERS_FOR_GETTERS)
                .configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES, caseInsensitive)
                .enable(SerializationFeature.FAIL_ON_SELF_REFERENCES,
                        SerializationFeature.FAIL_ON_UNWRAPPED_TYPE_IDENTIFIERS, SerializationFeature.WRAP_EXCEPTIONS)
                .disable(SerializationFeature.CLOSE_CLOSEABLE, SerializationFeature.EAGER_SERIALIZER_FETCH,
                        SerializationFeature.FAIL_ON_EMPTY_BEANS, SerializationFeature.FLUSH_AFTER_WRITE_VALUE,
                        SerializationFeature.INDENT_OUTPUT, SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS,
                        SerializationFeature.USE_EQUALITY_FOR_OBJECT_ID,
                        SerializationFeature.WRITE_CHAR_ARRAYS_AS_JSON_ARRAYS, SerializationFeature.WRAP_ROOT_VALUE)
                .enable(DeserializationFeature.ACCEPT_EMPTY_ARRAY_AS_NULL_OBJECT,
                        DeserializationFeature.ACCEPT_EMPTY_STRING_AS_NULL_OBJECT,
                        DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
                        DeserializationFeature.FAIL_ON_INVALID_SUBTYPE,
                        DeserializationFeature.FAIL_ON_UNRESOLVED_OBJECT_IDS,
                        DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL,
                        DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS, DeserializationFeature.WRAP_EXCEPTIONS)
                .disable(DeserializationFeature.FAIL_ON_IGNORED_PROPERTIES,
                        DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
                        DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS,
                        DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY,
                        DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        ObjectMapper mapper = builder.build();
        mapper.setSerializationInclusion(JsonInclude.Include.NON_NULL);
        // AWS registers jackson-datatype-jsr310 and -jdk8; Debian packages neither, so they are
        // used when present on the runtime's class path and skipped otherwise.
        register(mapper, "com.fasterxml.jackson.datatype.jsr310.JavaTimeModule");
        register(mapper, "com.fasterxml.jackson.datatype.jdk8.Jdk8Module");
        return mapper;
    }

    private static JsonFactory factory() {
        JsonFactory factory = JsonFactory.builder()
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS, JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS,
                        JsonReadFeature.ALLOW_SINGLE_QUOTES, JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
                        JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS, JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
                .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_YAML_COMMENTS)
                .enable(JsonWriteFeature.QUOTE_FIELD_NAMES, JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                .disable(JsonWriteFeature.ESCAPE_NON_ASCII, JsonWriteFeature.WRITE_NUMBERS_AS_STRINGS)
                .build();
        factory.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
        factory.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        factory.enable(JsonGenerator.Feature.IGNORE_UNKNOWN);
        factory.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
        factory.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        factory.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
        factory.disable(JsonGenerator.Feature.STRICT_DUPLICATE_DETECTION);
        factory.disable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
        return factory;
    }

    private static void register(ObjectMapper mapper, String moduleClass) {
        try {
            mapper.registerModule((Module) Class.forName(moduleClass).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            // Not installed.
        }
    }
}
