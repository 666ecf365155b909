import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * A Kubernetes API server stand-in for tests: fabric8's mock server in CRUD mode (it keeps the
 * objects it is sent and serves lists, watches, patches and deletes), on 127.0.0.1 and the port
 * given. Each request's method, path and user agent are appended to the audit file given. Run as a
 * source file on its own classpath (see KubernetesApiServerProcess), so its fabric8 version is
 * independent of the one Spark brings.
 */
public class KubernetesApiServer {
    public static void main(String[] args) throws Exception {
        Path audit = Path.of(args[1]);
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher(List.of());
        Dispatcher audited = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                String line =
                        request.getMethod() + " " + request.getPath() + " " + request.getHeader("User-Agent") + "\n";
                synchronized (this) {
                    try {
                        Files.writeString(audit, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return crud.dispatch(request);
            }
        };
        KubernetesMockServer server =
                new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), audited, false);
        server.init(InetAddress.getByName("127.0.0.1"), Integer.parseInt(args[0]));
        System.out.println("Kubernetes API server stand-in on http://127.0.0.1:" + args[0]);
        Thread.currentThread().join();
    }
}
