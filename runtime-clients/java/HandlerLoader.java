package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Turns $_HANDLER into a stream handler, resolving it as AWS's Java runtime does:
 *
 * - `package.Class` — the class implements RequestStreamHandler, else RequestHandler<I, O>;
 * - `package.Class::method` — the public method of that name whose signature fits (see
 *   {@link #overload}), preferring non-bridge methods, then longer parameter lists, a trailing
 *   Context counting as one more.
 *
 * Problems come back as a FaultHandler that fails each invocation (AWS's behaviour), except fatal
 * ones — a constructor or static initializer that throws — which are thrown for an init error.
 * Messages are AWS's (EventHandlerLoader, AWSLambda), word for word.
 */
final class HandlerLoader {
    private static final Comparator<Method> PRIORITY = Comparator
            .comparing(Method::isBridge)
            .thenComparing(Comparator.comparingInt(HandlerLoader::weight).reversed());

    private final ClassLoader loader;

    private HandlerLoader(ClassLoader loader) {
        this.loader = loader;
    }

    /** The handler named by `handler`; throws a fatal UserFault when the init must fail. */
    static RequestStreamHandler load(String handler, ClassLoader loader) {
        RequestStreamHandler loaded = new HandlerLoader(loader).resolve(handler);
        if (loaded instanceof FaultHandler && ((FaultHandler) loaded).fault.fatal) {
            throw ((FaultHandler) loaded).fault;
        }
        return loaded;
    }

    private RequestStreamHandler resolve(String handler) {
        int separator = handler.lastIndexOf("::");
        String className = separator < 0 ? handler : handler.substring(0, separator);
        String methodName = separator < 0 ? null : handler.substring(separator + 2);
        if (className.isEmpty() || (methodName != null && methodName.isEmpty())) {
            return new FaultHandler(UserFault.of("Invalid handler: `" + handler + "'"));
        }
        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            return new FaultHandler(UserFault.classNotFound(e, className));
        } catch (NoClassDefFoundError e) {
            // Reported on invoke, and fatal there: the runtime exits after reporting it (as AWS's).
            return new FaultHandler(UserFault.initError(e, className));
        } catch (Throwable t) {
            throw UserFault.initError(t, className);
        }
        return methodName == null ? classHandler(type) : methodHandler(type, methodName);
    }

    // -- package.Class -------------------------------------------------------------------

    private RequestStreamHandler classHandler(Class<?> type) {
        if (RequestStreamHandler.class.isAssignableFrom(type)) {
            try {
                return (RequestStreamHandler) newInstance(constructor(type));
            } catch (UserFault f) {
                return new FaultHandler(f);
            } catch (Throwable t) {
                return new FaultHandler(UserFault.of(t));
            }
        }
        if (RequestHandler.class.isAssignableFrom(type)) {
            return requestHandler(type);
        }
        return new FaultHandler(UserFault.of(
                "Class does not implement an appropriate handler interface: " + type.getName()));
    }

    @SuppressWarnings("rawtypes")
    private RequestStreamHandler requestHandler(Class<?> type) {
        Type[] arguments = RequestHandlerTypes.find(type, RequestHandler.class);
        if (arguments == null) {
            return new FaultHandler(UserFault.of("Class " + type.getName()
                    + " does not implement RequestHandler with concrete type parameters"));
        }
        if (arguments.length != 2) {
            return new FaultHandler(UserFault.of(
                    "Invalid class signature for RequestHandler. Expected two generic types, got " + arguments.length));
        }
        for (Type argument : arguments) {
            if (argument instanceof TypeVariable && !hasUpperBound((TypeVariable<?>) argument)) {
                return new FaultHandler(UserFault.of("Class " + type.getName()
                        + " does not implement RequestHandler with concrete type parameters: parameter "
                        + argument + " has no upper bound."));
            }
        }
        try {
            RequestHandler instance = (RequestHandler) newInstance(constructor(type));
            return new PojoStreamHandler(instance, arguments[0],
                    PojoStreamHandler.isVoid(arguments[1]) ? null : arguments[1], loader);
        } catch (UserFault f) {
            return new FaultHandler(f);
        } catch (Throwable t) {
            return new FaultHandler(UserFault.of(t));
        }
    }

    private static boolean hasUpperBound(TypeVariable<?> variable) {
        for (Type bound : variable.getBounds()) {
            if (!Object.class.equals(bound)) {
                return true;
            }
        }
        return false;
    }

    // -- package.Class::method -----------------------------------------------------------

    private RequestStreamHandler methodHandler(Class<?> type, String methodName) {
        Method[] all;
        try {
            all = type.getMethods();
        } catch (NoClassDefFoundError e) {
            return new FaultHandler(new UserFault("Error loading method " + methodName + " on class " + type.getName(),
                    e.getClass().getName(), UserFault.trace(e), false));
        }
        List<Method> candidates = new ArrayList<>();
        for (Method method : all) {
            if (method.getName().equals(methodName)) {
                candidates.add(method);
            }
        }
        candidates.sort(PRIORITY);
        for (Method method : candidates) {
            Optional<RequestStreamHandler> handler = overload(type, method);
            if (handler.isPresent()) {
                return handler.get();
            }
        }
        return new FaultHandler(UserFault.of("No public method named " + methodName
                + " with appropriate method signature found on class " + type.getName()));
    }

    /**
     * The handler for one overload, or empty (with AWS's note on stderr) when its signature does
     * not fit. Accepted, where X is anything but InputStream, OutputStream and Context:
     * (), (X), (Context), (X, Context), (InputStream), (OutputStream), (InputStream, OutputStream),
     * (InputStream, Context), (OutputStream, Context), (InputStream, OutputStream, Context).
     */
    private Optional<RequestStreamHandler> overload(Class<?> type, Method method) {
        Type[] parameters = method.getGenericParameterTypes();
        Type returns = method.getGenericReturnType();
        switch (parameters.length) {
            case 0:
                return Optional.of(pojo(type, method, null, returns, false));
            case 1: {
                Type only = parameters[0];
                if (InputStream.class.equals(only)) {
                    return Optional.of(stream(type, method, true, false, false));
                } else if (OutputStream.class.equals(only)) {
                    return Optional.of(stream(type, method, false, true, false));
                } else if (Context.class.equals(only)) {
                    return Optional.of(pojo(type, method, null, returns, true));
                }
                return Optional.of(pojo(type, method, only, returns, false));
            }
            case 2: {
                Type first = parameters[0];
                Type second = parameters[1];
                if (OutputStream.class.equals(first)) {
                    if (Context.class.equals(second)) {
                        return Optional.of(stream(type, method, false, true, true));
                    }
                    System.err.println("Ignoring two-argument overload because first argument type is OutputStream"
                            + " and second argument type is not Context");
                    return Optional.empty();
                } else if (Context.class.equals(first)) {
                    System.err.println("Ignoring two-argument overload because first argument type is Context");
                    return Optional.empty();
                } else if (InputStream.class.equals(first)) {
                    if (OutputStream.class.equals(second)) {
                        return Optional.of(stream(type, method, true, true, false));
                    } else if (Context.class.equals(second)) {
                        return Optional.of(stream(type, method, true, false, true));
                    }
                    System.err.println("Ignoring two-argument overload because second parameter type, "
                            + rawClass(second).getName() + ", is not OutputStream.");
                    return Optional.empty();
                } else if (Context.class.equals(second)) {
                    return Optional.of(pojo(type, method, first, returns, true));
                }
                System.err.println("Ignoring two-argument overload because second parameter type is not Context");
                return Optional.empty();
            }
            case 3:
                if (InputStream.class.equals(parameters[0]) && OutputStream.class.equals(parameters[1])
                        && Context.class.equals(parameters[2])) {
                    return Optional.of(stream(type, method, true, true, true));
                }
                System.err.println("Ignoring three-argument overload because argument signature is not"
                        + " (InputStream, OutputStream, Context");
                return Optional.empty();
            default:
                System.err.println("Ignoring an overload of method " + method.getName()
                        + " because it has too many parameters: Expected at most 3, got " + parameters.length);
                return Optional.empty();
        }
    }

    private RequestStreamHandler pojo(Class<?> type, Method method, Type input, Type returns, boolean takesContext) {
        try {
            Object instance = Modifier.isStatic(method.getModifiers()) ? null : newInstance(constructor(type));
            MethodRequestHandler handler = new MethodRequestHandler(method, instance, input != null, takesContext);
            return new PojoStreamHandler(handler, input, PojoStreamHandler.isVoid(returns) ? null : returns, loader);
        } catch (UserFault f) {
            return new FaultHandler(f);
        } catch (Throwable t) {
            return new FaultHandler(UserFault.of(t));
        }
    }

    private RequestStreamHandler stream(Class<?> type, Method method, boolean in, boolean out, boolean context) {
        try {
            if (!PojoStreamHandler.isVoid(method.getReturnType())) {
                System.err.println("Will ignore return type " + method.getReturnType() + " on byte stream handler");
            }
            Object instance = Modifier.isStatic(method.getModifiers()) ? null : newInstance(constructor(type));
            return new MethodStreamHandler(method, instance, in, out, context);
        } catch (UserFault f) {
            return new FaultHandler(f);
        } catch (Throwable t) {
            return new FaultHandler(UserFault.of(t));
        }
    }

    // -- instances -----------------------------------------------------------------------

    private static Constructor<?> constructor(Class<?> type) throws Exception {
        try {
            return type.getConstructor();
        } catch (NoSuchMethodException e) {
            if (type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())) {
                throw new Exception("Class " + type.getName()
                        + " cannot be instantiated because it is a non-static inner class");
            }
            throw new Exception("Class " + type.getName() + " has no public zero-argument constructor", e);
        }
    }

    /** A constructor that throws is fatal: the init fails with what it threw. */
    private static Object newInstance(Constructor<?> constructor) {
        try {
            return constructor.newInstance();
        } catch (UserFault e) {
            throw e;
        } catch (InvocationTargetException e) {
            throw UserFault.of(e.getCause() == null ? e : e.getCause(), true);
        } catch (InstantiationException e) {
            throw Throwables.rethrow(e.getCause() == null ? e : e.getCause());
        } catch (IllegalAccessException e) {
            throw Throwables.rethrow(e);
        }
    }

    private static int weight(Method method) {
        Class<?>[] parameters = method.getParameterTypes();
        boolean endsWithContext = parameters.length > 0 && Context.class.equals(parameters[parameters.length - 1]);
        return parameters.length + (endsWithContext ? 1 : 0);
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class) {
            return (Class<?>) type;
        }
        if (type instanceof java.lang.reflect.ParameterizedType) {
            return (Class<?>) ((java.lang.reflect.ParameterizedType) type).getRawType();
        }
        return Object.class;
    }
}
