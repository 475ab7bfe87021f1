package lambent.runtime;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The class loader of the function's code, with AWS's search order: the task root, its lib/*.jar,
 * then the layers' /opt/java/lib/*.jar, jars in lexical order so the order does not depend on the
 * file system. Its parent is the system class loader, so the com.amazonaws.services.lambda.runtime
 * interfaces always come from the runtime, even when the function bundles aws-lambda-java-core.
 *
 * One departure: AWS's Jackson is shaded out of the function's sight, this runtime's (Debian's)
 * is on the class path. So that a function bundling its own Jackson gets that one, classes under
 * com.fasterxml.jackson are looked up in the function's jars first.
 */
final class CustomerClassLoader extends URLClassLoader {
    private static final String JACKSON = "com.fasterxml.jackson.";

    static {
        ClassLoader.registerAsParallelCapable();
    }

    CustomerClassLoader(String taskRoot, String optRoot, ClassLoader parent) throws MalformedURLException {
        // Unnamed, as AWS's is: stack frames print without a class loader prefix.
        super(urls(taskRoot, optRoot), parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(JACKSON)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null) {
                try {
                    loaded = findClass(name);
                } catch (ClassNotFoundException notBundled) {
                    return super.loadClass(name, resolve);
                }
            }
            if (resolve) {
                resolveClass(loaded);
            }
            return loaded;
        }
    }

    private static URL[] urls(String taskRoot, String optRoot) throws MalformedURLException {
        List<URL> urls = new ArrayList<>();
        urls.add(url(new File(taskRoot), ""));
        appendJars(new File(taskRoot, "lib"), urls);
        appendJars(new File(optRoot, "lib"), urls);
        return urls.toArray(new URL[0]);
    }

    private static void appendJars(File directory, List<URL> urls) throws MalformedURLException {
        // AWS's filter: a name of at least "A.jar" that ends with ".jar".
        String[] names = directory.isDirectory()
                ? directory.list((dir, name) -> name.length() > 4 && name.endsWith(".jar")) : null;
        if (names == null) {
            return;
        }
        Arrays.sort(names);
        for (String name : names) {
            urls.add(url(directory, name));
        }
    }

    private static URL url(File parent, String name) throws MalformedURLException {
        return new URL("file", null, -1, parent.getPath() + "/" + name);
    }
}
