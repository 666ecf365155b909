package dev.sluice.config;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

/**
 * Leaves the code that runs only while the service starts to the JVM's fast JIT compiler (C1):
 * the directives of {@code jit-directives.json} keep the optimizing compiler (C2) off it. On a cold
 * start with 2 cores, C2 spent seconds of CPU on Spring's wiring, Spark's SQL parser and
 * expression compiler and class loading while the first records waited; C1 still compiles that
 * code, and the code that runs each record is compiled by C2 as always.
 *
 * <p>Applied as soon as the configuration is read ({@code sluice.jit.start-directives}, default
 * on), in a thread of its own, through HotSpot's diagnostic command ({@code jcmd
 * Compiler.directives_add}), so it takes effect however the JVM was launched ({@code java -jar}
 * or the image). A JVM without that command starts as it would without them. Added by {@link
 * dev.sluice.SluiceApplication#run}.
 */
public final class StartJitDirectives implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

    private static final Logger log = LoggerFactory.getLogger(StartJitDirectives.class);

    /** The directives, a resource of the service. */
    private static final String RESOURCE = "/jit-directives.json";

    private static final Pattern ADDED = Pattern.compile("(\\d+) compiler directives added");

    /** Once per JVM: the directives stay for the JVM's life, whatever starts again in it. */
    private static final AtomicBoolean APPLIED = new AtomicBoolean();

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        SluiceProperties.Jit jit =
                Binder.get(event.getEnvironment()).bindOrCreate("sluice.jit", SluiceProperties.Jit.class);
        if (!jit.startDirectives() || !APPLIED.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(StartJitDirectives::apply, "jit-directives");
        thread.setDaemon(true);
        thread.start();
    }

    /** Adds the directives to this JVM's compilers; true when the JVM took them. */
    public static boolean apply() {
        Path file = null;
        try (InputStream directives = StartJitDirectives.class.getResourceAsStream(RESOURCE)) {
            if (directives == null) {
                log.warn("The JIT directives ({}) are not on the classpath; the JVM compiles as it would", RESOURCE);
                return false;
            }
            // The command reads a file.
            file = Files.createTempFile("sluice-jit-directives", ".json");
            Files.copy(directives, file, StandardCopyOption.REPLACE_EXISTING);
            Object answer = ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "compilerDirectivesAdd",
                            new Object[] {new String[] {file.toString()}},
                            new String[] {String[].class.getName()});
            String text = String.valueOf(answer).strip();
            Matcher added = ADDED.matcher(text);
            if (!added.find() || Integer.parseInt(added.group(1)) == 0) {
                log.warn("The JVM refused the JIT directives: {}", text);
                return false;
            }
            log.debug("JIT directives: {}", text);
            return true;
        } catch (JMException | IOException | RuntimeException e) {
            log.info("The JVM takes no JIT directives ({}); it compiles as it would", e.toString());
            return false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    log.debug("Could not delete {}", file, e);
                }
            }
        }
    }
}
