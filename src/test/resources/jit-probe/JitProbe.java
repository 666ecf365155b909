import dev.sluice.config.StartJitDirectives;
import org.springframework.util.StringUtils;

/**
 * JitDirectivesTest's probe, run as a source file (a main class among the test classes would be a
 * second candidate for spring-boot:test-run): adds the directives as the service does, then calls
 * a Spring method and one of its own often enough for both to be compiled.
 */
public class JitProbe {

    public static void main(String[] args) {
        if (!StartJitDirectives.apply()) {
            throw new IllegalStateException("The JVM did not take the directives");
        }
        long sum = 0;
        for (int i = 0; i < 200_000; i++) {
            sum += StringUtils.hasText(i % 2 == 0 ? " x" : " ") ? 1 : 0;
            sum += work(i);
        }
        System.out.println(sum);
    }

    static int work(int value) {
        return (value * 31) ^ (value >>> 3);
    }
}
