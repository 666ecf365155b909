package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Shell;
import org.apache.spark.sql.execution.streaming.CheckpointFileManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {

    @TempDir
    java.nio.file.Path dir;

    private static Configuration conf() {
        Configuration conf = new Configuration();
        conf.set("fs.file.impl", NioLocalFileSystem.class.getName());
        conf.set("fs.AbstractFileSystem.file.impl", NioLocalFs.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        return conf;
    }

    @Test
    void sparkWritesACheckpointFileWithoutStartingAProcess() throws Exception {
        Path offsets = new Path(dir.toUri().toString(), "checkpoint/offsets");
        List<String> commands = new ArrayList<>();
        java.nio.file.Path recorded = dir.resolve("processes.jfr");
        // Hadoop asks once, as its Shell class loads, whether setsid exists.
        Class.forName(Shell.class.getName(), true, Shell.class.getClassLoader());
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ProcessStart");
            recording.start();
            // As Spark writes an offset log entry: the folder, then a file renamed into place.
            CheckpointFileManager manager = CheckpointFileManager.create(offsets, conf());
            manager.mkdirs(offsets);
            for (int batch = 0; batch < 2; batch++) {
                try (OutputStream out = manager.createAtomic(new Path(offsets, Integer.toString(batch)), false)) {
                    out.write(("v1\n{\"batch\":" + batch + "}").getBytes(StandardCharsets.UTF_8));
                }
            }
            recording.stop();
            recording.dump(recorded);
        }
        for (RecordedEvent event : RecordingFile.readAllEvents(recorded)) {
            commands.add(event.getString("command"));
        }

        assertThat(commands).isEmpty();
        java.nio.file.Path folder = dir.resolve("checkpoint/offsets");
        assertThat(Files.readString(folder.resolve("1"))).isEqualTo("v1\n{\"batch\":1}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)))
                .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve("0"))))
                .isEqualTo("rw-r--r--");
        try (var names = Files.list(folder)) {
            assertThat(names.map(name -> name.getFileName().toString()))
                    .containsExactlyInAnyOrder("0", "1", ".0.crc", ".1.crc");
        }
    }

    @Test
    void permissionsAreSetAsAsked() throws Exception {
        FileSystem fs = new Path(dir.toUri()).getFileSystem(conf());
        assertThat(fs).isInstanceOf(NioLocalFileSystem.class);
        Path file = new Path(dir.toUri().toString(), "data.parquet");
        fs.create(file).close();

        fs.setPermission(file, new FsPermission((short) 0640));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data.parquet"))))
                .isEqualTo("rw-r-----");
        assertThat(fs.getFileStatus(file).getPermission().toShort()).isEqualTo((short) 0640);
    }

    @Test
    void aLinkOrAFileHasTheStatusHadoopsOwnGivesIt() throws Exception {
        Files.writeString(dir.resolve("target.txt"), "abc");
        Files.createSymbolicLink(dir.resolve("link.txt"), dir.resolve("target.txt"));
        Configuration hadoops = new Configuration();
        hadoops.setBoolean("fs.file.impl.disable.cache", true);
        FileContext ours = FileContext.getFileContext(dir.toUri(), conf());
        FileContext own = FileContext.getFileContext(dir.toUri(), hadoops);

        for (String name : List.of("link.txt", "target.txt", "missing.txt")) {
            Path path = new Path(dir.toUri().toString(), name);
            assertThat(status(ours, path)).as(name).isEqualTo(status(own, path));
            Path plain = new Path(dir.resolve(name).toString());
            assertThat(status(ours, plain)).as(name).isEqualTo(status(own, plain));
        }
        assertThat(status(ours, new Path(dir.resolve("link.txt").toString()))).startsWith("link");
    }

    private static String status(FileContext files, Path path) throws Exception {
        try {
            FileStatus status = files.getFileLinkStatus(path);
            return (status.isSymlink() ? "link to " + status.getSymlink() : status.isFile() ? "file" : "folder")
                    + " of " + status.getLen() + " bytes";
        } catch (java.io.FileNotFoundException e) {
            return "missing";
        }
    }
}
