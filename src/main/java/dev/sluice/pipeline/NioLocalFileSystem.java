package dev.sluice.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * Hadoop's local file system ({@code file:}, {@code fs.file.impl}) without a process per call.
 * Without Hadoop's native library, its own runs {@code chmod} for every file and folder it creates
 * with a permission, and {@code readlink} for every file a rename through a {@code FileContext}
 * touches: a dozen processes for each checkpoint file Spark writes, on the path of every start and
 * every micro-batch. This one sets permissions with {@code java.nio} and asks Hadoop for a link's
 * status only when the path is a link; everything else is Hadoop's own. {@link NioLocalFs} is the
 * same for {@code FileContext} ({@code fs.AbstractFileSystem.file.impl}).
 */
public class NioLocalFileSystem extends LocalFileSystem {

    public NioLocalFileSystem() {
        super(new Raw());
    }

    /** The file system under the checksums. */
    public static class Raw extends RawLocalFileSystem {

        @Override
        public void setPermission(Path path, FsPermission permission) throws IOException {
            Set<PosixFilePermission> posix = posix(permission);
            if (posix == null) {
                super.setPermission(path, permission);
                return;
            }
            try {
                Files.setPosixFilePermissions(pathToFile(path).toPath(), posix);
            } catch (UnsupportedOperationException e) {
                super.setPermission(path, permission);
            }
        }

        /** As Hadoop's: a path that is no link has the status of what it names. */
        @Override
        public FileStatus getFileLinkStatus(Path path) throws IOException {
            if (Files.isSymbolicLink(pathToFile(path).toPath())) {
                return super.getFileLinkStatus(path);
            }
            return getFileStatus(path);
        }
    }

    /**
     * The permission as {@code java.nio}'s, or null where Hadoop's own way is needed: its native
     * library is there (no process then), or the permission has the sticky bit.
     */
    static Set<PosixFilePermission> posix(FsPermission permission) {
        if (permission.getStickyBit() || NativeIO.isAvailable()) {
            return null;
        }
        return PosixFilePermissions.fromString(permission.getUserAction().SYMBOL
                + permission.getGroupAction().SYMBOL
                + permission.getOtherAction().SYMBOL);
    }
}
