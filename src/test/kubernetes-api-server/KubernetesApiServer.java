import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import okhttp3.mockwebserver.MockWebServer;

/**
 * A Kubernetes API server stand-in for tests: fabric8's mock server in CRUD mode (it keeps the
 * objects it is sent and serves lists, watches, patches and deletes), on 127.0.0.1 and the port
 * given. Run as a source file on its own classpath (see KubernetesApiServerProcess), so its fabric8
 * version is independent of the one Spark brings.
 */
public class KubernetesApiServer {
    public static void main(String[] args) throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        server.init(InetAddress.getByName("127.0.0.1"), Integer.parseInt(args[0]));
        System.out.println("Kubernetes API server stand-in on http://127.0.0.1:" + args[0]);
        Thread.currentThread().join();
    }
}
