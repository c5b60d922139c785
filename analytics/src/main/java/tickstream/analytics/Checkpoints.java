package tickstream.analytics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The retained checkpoints and savepoints under the checkpoint folder. Flink's MiniCluster does
 * not resume by itself: each start is a new job, so the launcher finds the newest complete one
 * (a `_metadata` file is written last) and restores from it.
 * Layout: `<dir>/<job id>/chk-<n>/_metadata` and `<dir>/savepoints/savepoint-…/_metadata`.
 */
public final class Checkpoints {
    private final Path root;

    public Checkpoints(Path root) {
        this.root = root.toAbsolutePath();
    }

    public Path root() {
        return root;
    }

    public Path savepoints() {
        return root.resolve("savepoints");
    }

    public Optional<Path> newest() throws IOException {
        if (!Files.isDirectory(root)) return Optional.empty();
        try (Stream<Path> files = Files.find(root, 3, (path, attributes) -> path.endsWith("_metadata") && attributes.isRegularFile())) {
            return files.map(Path::getParent).max(Comparator.comparing(Checkpoints::modified));
        }
    }

    /**
     * Waits until job `jobId` has completed a checkpoint here (its `_metadata` written): then every
     * task runs and every sink can commit. Gives up quietly after `atMost` (the job still runs).
     */
    public void awaitFirst(String jobId, java.time.Duration atMost) throws IOException, InterruptedException {
        Path folder = root.resolve(jobId);
        long deadline = System.currentTimeMillis() + atMost.toMillis();
        while (System.currentTimeMillis() < deadline) {
            if (Files.isDirectory(folder)) {
                try (Stream<Path> files = Files.find(folder, 2, (path, attributes) -> path.endsWith("_metadata"))) {
                    if (files.findAny().isPresent()) return;
                } catch (IOException | java.io.UncheckedIOException gone) {
                    // A checkpoint folder removed while listed (only the newest is retained): look again.
                }
            }
            Thread.sleep(50);
        }
    }

    /**
     * Deletes what earlier runs left but `keep` (may be null): each start is a new job id, so
     * without this every run would leave its job folder and last checkpoint behind for ever.
     * Call it before the job starts, so its own folder is not there yet.
     */
    public void deleteAllBut(Path keep) throws IOException {
        if (!Files.isDirectory(root)) return;
        List<Path> children;
        try (Stream<Path> list = Files.list(root)) {
            children = list.toList();
        }
        for (Path child : children) {
            if (child.equals(savepoints())) {
                try (Stream<Path> list = Files.list(child)) {
                    for (Path savepoint : list.toList()) if (!savepoint.equals(keep)) deleteTree(savepoint);
                }
            } else if (keep == null || !keep.startsWith(child)) {
                deleteTree(child);
            } else {
                try (Stream<Path> list = Files.list(child)) {
                    for (Path entry : list.toList()) {
                        if (entry.getFileName().toString().startsWith("chk-") && !entry.equals(keep)) deleteTree(entry);
                    }
                }
            }
        }
    }

    private static FileTime modified(Path checkpoint) {
        try {
            return Files.getLastModifiedTime(checkpoint.resolve("_metadata"));
        } catch (IOException gone) {
            return FileTime.fromMillis(0);
        }
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
