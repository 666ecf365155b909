import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * A launcher's claim on a cache entry, in a process of its own (LaunchCacheTest runs this source
 * file with the test class path): claims the entry of args[1] under args[0] through the launcher's
 * own LaunchCache, says "held", and holds it until its input closes. A source file, not a class
 * with a main method, so the build's main-class search does not find it.
 */
public class ClaimProbe {

    public static void main(String[] args) throws Exception {
        Class<?> cache = Class.forName("dev.sluice.launch.LaunchCache");
        Method of = cache.getDeclaredMethod("of", Path.class, Path.class);
        Method claim = cache.getDeclaredMethod("claim");
        of.setAccessible(true);
        claim.setAccessible(true);
        Object lock = claim.invoke(of.invoke(null, Path.of(args[0]), Path.of(args[1])));
        System.out.println("held");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the test closes this process's input
        }
        System.out.println(lock); // referenced until here
    }
}
