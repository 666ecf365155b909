package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileRootsTest {

    private final FileRoots roots = new FileRoots(
            List.of("./data/files", "hdfs://namenode:8020/data/pipelines"),
            List.of("./data/files/checkpoints", "hdfs://namenode:8020/data/pipelines/car_info"));

    @Test
    void pathsUnderARootAreAllowedInEveryForm() {
        String absolute = Path.of("data/files/weblogs").toAbsolutePath().toString();
        assertThat(roots.refusal("./data/files/weblogs")).isEmpty();
        assertThat(roots.refusal("data/files/a/b")).isEmpty();
        assertThat(roots.refusal(absolute)).isEmpty();
        assertThat(roots.refusal(Path.of(absolute).toUri().toString())).isEmpty();
        assertThat(roots.refusal("hdfs://namenode:8020/data/pipelines/counts")).isEmpty();
        assertThat(roots.refusal("HDFS://NameNode:8020/data/pipelines/x/./y")).isEmpty();
    }

    @Test
    void pathsElsewhereAreRefused() {
        assertThat(roots.refusal("/etc")).get().asString().contains("is outside the folders pipelines may use");
        assertThat(roots.refusal("file:///etc/passwd")).get().asString().contains("is outside");
        assertThat(roots.refusal("./data/files/../../etc")).get().asString().contains("is outside");
        assertThat(roots.refusal("./data/filesystem")).get().asString().contains("is outside");
        assertThat(roots.refusal("hdfs://other:8020/data/pipelines/x"))
                .get()
                .asString()
                .contains("is outside");
        assertThat(roots.refusal("hdfs://namenode:8020/data/../etc"))
                .get()
                .asString()
                .contains("is outside");
        assertThat(roots.refusal("hdfs://namenode:8020/../data/pipelines"))
                .get()
                .asString()
                .contains("climbs out");
        assertThat(roots.refusal("s3a://bucket/data")).get().asString().contains("is outside");
        assertThat(roots.refusal("hdfs://namenode:8020/data/pipelines/a b"))
                .get()
                .asString()
                .contains("is not a path");
    }

    @Test
    void theServicesOwnPlacesAreRefusedEvenUnderARoot() {
        assertThat(roots.refusal("./data/files/checkpoints/car-info-to-postgres"))
                .get()
                .asString()
                .contains("which the service keeps for itself");
        assertThat(roots.refusal("./data/files")).get().asString().contains("which the service keeps for itself");
        assertThat(roots.refusal("hdfs://namenode:8020/data/pipelines/car_info/event_date=2026-11-29"))
                .get()
                .asString()
                .contains("which the service keeps for itself");
    }
}
