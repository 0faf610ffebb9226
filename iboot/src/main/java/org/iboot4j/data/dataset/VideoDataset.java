package org.iboot4j.data.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A labelled list of videos with its {@link ClassIndex}, read from one of the usual layouts:
 * <ul>
 *   <li>{@link #fromClassFolders}: {@code root/<class>/<video>} (classes = sorted folder names);
 *   <li>{@link #fromCsv}: a {@code path,label} list, or a Kinetics annotation CSV
 *       ({@code label,youtube_id,time_start,time_end,split}) with a file-name pattern;
 *   <li>{@link #ucf101}: UCF101's {@code classInd.txt} + {@code trainlist0N.txt} /
 *       {@code testlist0N.txt};
 *   <li>{@link #hmdb51}: HMDB51's {@code <class>_test_split<N>.txt} files.
 * </ul>
 * Samples keep the order of their source (folders: sorted paths), so a dataset is the same list
 * on every machine. Immutable.
 */
public final class VideoDataset {
    /** File extensions taken as videos when scanning folders (lower case). */
    public static final Set<String> VIDEO_EXTENSIONS =
            Set.of("mp4", "avi", "webm", "mkv", "mov", "m4v", "mpg", "mpeg", "ogv", "flv", "3gp", "wmv");

    /** The default Kinetics file name (the usual downloaders' layout): {@code <label>/<id>_<start>_<end>.mp4}. */
    public static final String KINETICS_PATTERN = "{label}/{youtube_id}_{time_start:06d}_{time_end:06d}.mp4";

    private final List<VideoSample> samples;
    private final ClassIndex classes;

    public VideoDataset(List<VideoSample> samples, ClassIndex classes) {
        this.samples = List.copyOf(samples);
        this.classes = classes;
        for (VideoSample s : this.samples) {
            if (s.label() >= classes.size()) {
                throw new IllegalArgumentException("label " + s.label() + " of " + s.path() + " is outside the "
                        + classes.size() + " classes");
            }
        }
    }

    public int size() {
        return samples.size();
    }

    public VideoSample get(int i) {
        return samples.get(i);
    }

    public List<VideoSample> samples() {
        return samples;
    }

    public ClassIndex classes() {
        return classes;
    }

    /** The first {@code n} samples (same classes), e.g. for a quick run. */
    public VideoDataset head(int n) {
        return new VideoDataset(samples.subList(0, Math.min(n, samples.size())), classes);
    }

    /** The samples whose files exist (Kinetics copies always miss a few). */
    public VideoDataset existing() {
        return new VideoDataset(samples.stream().filter(s -> Files.isRegularFile(s.path())).toList(), classes);
    }

    @Override
    public String toString() {
        return "VideoDataset[" + samples.size() + " videos, " + classes.size() + " classes]";
    }

    // ---- a folder of class folders ----------------------------------------------------------

    /** {@code root/<class>/<video>}: every sub-folder is a class (sorted names), every video file in it a sample. */
    public static VideoDataset fromClassFolders(Path root) throws IOException {
        return fromClassFolders(root, null);
    }

    /**
     * As {@link #fromClassFolders(Path)}, with a given class index (e.g. a run's saved one); a
     * folder whose name is not in it is an error. Files in each class folder are taken
     * recursively, in sorted path order; only {@link #VIDEO_EXTENSIONS} count.
     */
    public static VideoDataset fromClassFolders(Path root, ClassIndex classes) throws IOException {
        if (!Files.isDirectory(root)) throw new IOException("not a folder: " + root);
        List<Path> folders = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path p : ds) {
                if (!p.getFileName().toString().startsWith(".")) folders.add(p);
            }
        }
        folders.sort(null);
        if (classes == null) classes = ClassIndex.sorted(folders.stream().map(p -> p.getFileName().toString()).toList());
        List<VideoSample> samples = new ArrayList<>();
        for (Path folder : folders) {
            int label = classes.indexOf(folder.getFileName().toString());
            try (Stream<Path> files = Files.walk(folder)) {
                files.filter(Files::isRegularFile).filter(VideoDataset::isVideo).sorted()
                        .forEach(f -> samples.add(new VideoSample(f, label)));
            }
        }
        return new VideoDataset(samples, classes);
    }

    /** Whether the file name ends in one of {@link #VIDEO_EXTENSIONS}. */
    public static boolean isVideo(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && VIDEO_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    // ---- CSV lists -------------------------------------------------------------------------

    /**
     * Reads a CSV list, recognising the format by its header:
     * <ul>
     *   <li>a header with {@code youtube_id}: a Kinetics annotation file; the file of each row is
     *       {@code root.resolve(KINETICS_PATTERN)} (see {@link #fromKineticsCsv});
     *   <li>otherwise a two-column {@code path,label} list, with or without a {@code path,label}
     *       header, comma- or (PySlowFast style) space-separated; paths are relative to
     *       {@code root} (absolute paths stay).
     * </ul>
     * Labels are class names (classes = sorted distinct names) or, when every label is a
     * non-negative integer, label indices (classes named "0".."max").
     */
    public static VideoDataset fromCsv(Path csv, Path root) throws IOException {
        return fromCsv(csv, root, null);
    }

    /** As {@link #fromCsv(Path, Path)} with a given class index (labels must be its names, or indices). */
    public static VideoDataset fromCsv(Path csv, Path root, ClassIndex classes) throws IOException {
        List<String> lines = readLines(csv);
        if (!lines.isEmpty() && splitCsv(lines.get(0)).contains("youtube_id")) {
            return fromKineticsCsv(csv, root, KINETICS_PATTERN, classes);
        }
        List<Path> paths = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            List<String> cols;
            if (line.indexOf(',') >= 0 || line.startsWith("\"")) {
                cols = splitCsv(line);
            } else {
                int sp = line.lastIndexOf(' ');
                cols = sp < 0 ? List.of(line) : List.of(line.substring(0, sp).trim(), line.substring(sp + 1));
            }
            if (n == 0 && cols.size() == 2 && cols.get(0).equalsIgnoreCase("path") && cols.get(1).equalsIgnoreCase("label")) {
                continue;
            }
            if (cols.size() != 2 || cols.get(0).isEmpty() || cols.get(1).isEmpty()) {
                throw new IOException(csv + " line " + (n + 1) + ": expected 'path,label', got '" + line + "'");
            }
            paths.add(root.resolve(cols.get(0)));
            labels.add(cols.get(1));
        }
        return labelled(csv, paths, labels, classes);
    }

    /**
     * A Kinetics annotation CSV (header naming at least {@code label} and {@code youtube_id};
     * columns in any order, e.g. {@code label,youtube_id,time_start,time_end,split[,is_cc]}).
     * Each row's file is {@code root.resolve(pattern)} with the placeholders {@code {label}},
     * {@code {youtube_id}}, {@code {time_start}}, {@code {time_end}}, {@code {split}} (or any
     * other column) replaced by the row's values; {@code {name:06d}} zero-pads an integer, and
     * {@code {label_}} is the label with spaces as underscores (some downloaders' folder names).
     * Classes are the sorted label names unless {@code classes} is given. Rows are kept even
     * when the file is missing; use {@link #existing()} to drop those.
     */
    public static VideoDataset fromKineticsCsv(Path csv, Path root, String pattern, ClassIndex classes) throws IOException {
        List<String> lines = readLines(csv);
        if (lines.isEmpty()) throw new IOException(csv + " is empty");
        List<String> header = splitCsv(lines.get(0));
        if (!header.contains("label") || !header.contains("youtube_id")) {
            throw new IOException(csv + ": a Kinetics CSV needs 'label' and 'youtube_id' columns, header is " + header);
        }
        List<Path> paths = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int n = 1; n < lines.size(); n++) {
            List<String> cols = splitCsv(lines.get(n));
            if (cols.size() < header.size()) {
                throw new IOException(csv + " line " + (n + 1) + ": " + cols.size() + " columns, header has " + header.size());
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) row.put(header.get(i), cols.get(i));
            row.put("label_", row.get("label").replace(' ', '_'));
            paths.add(root.resolve(format(pattern, row, csv, n + 1)));
            labels.add(row.get("label"));
        }
        return labelled(csv, paths, labels, classes);
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)(?::0?(\\d+)d)?}");

    static String format(String pattern, Map<String, String> row, Path csv, int line) throws IOException {
        Matcher m = PLACEHOLDER.matcher(pattern);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = row.get(m.group(1));
            if (value == null) throw new IOException("file-name pattern '" + pattern + "' names column '" + m.group(1) + "', which " + csv + " lacks");
            if (m.group(2) != null) {
                long v;
                try {
                    v = (long) Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    throw new IOException(csv + " line " + line + ": '" + value + "' in column " + m.group(1) + " is not a number");
                }
                value = String.format("%0" + m.group(2) + "d", v);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static VideoDataset labelled(Path source, List<Path> paths, List<String> labels, ClassIndex classes) throws IOException {
        boolean allInts = !labels.isEmpty() && labels.stream().allMatch(l -> l.matches("\\d{1,9}"));
        if (classes == null) {
            if (allInts) {
                int max = labels.stream().mapToInt(Integer::parseInt).max().orElse(-1);
                List<String> names = new ArrayList<>();
                for (int i = 0; i <= max; i++) names.add(Integer.toString(i));
                classes = ClassIndex.ordered(names);
            } else {
                classes = ClassIndex.sorted(labels);
            }
        }
        List<VideoSample> samples = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            String l = labels.get(i);
            int label;
            if (classes.contains(l)) {
                label = classes.indexOf(l);
            } else if (allInts && Integer.parseInt(l) < classes.size()) {
                label = Integer.parseInt(l);
            } else {
                throw new IOException(source + ": label '" + l + "' of " + paths.get(i) + " is not one of the " + classes.size() + " classes");
            }
            samples.add(new VideoSample(paths.get(i), label));
        }
        return new VideoDataset(samples, classes);
    }

    /** Splits one CSV line: commas separate, double quotes group (a doubled quote is a quote), fields are trimmed. */
    static List<String> splitCsv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    sb.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    sb.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(sb.toString().trim());
                sb.setLength(0);
            } else {
                sb.append(c);
            }
        }
        out.add(sb.toString().trim());
        return out;
    }

    /** The non-blank lines, trimmed (a BOM and Windows line ends removed). */
    private static List<String> readLines(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (out.isEmpty() && line.startsWith("\uFEFF")) line = line.substring(1);
            line = line.strip();
            if (!line.isEmpty()) out.add(line);
        }
        return out;
    }

    // ---- UCF101 -----------------------------------------------------------------------------

    /**
     * UCF101 split {@code split} (1..3): classes from {@code splitDir/classInd.txt}
     * ({@code "<id> <Class>"}, ids 1..n, in that order — UCF's official labels); the train list
     * {@code trainlist0<split>.txt} has lines {@code "Class/v_X.avi <id>"}, the test list
     * {@code testlist0<split>.txt} lines {@code "Class/v_X.avi"} (label from the folder). Files
     * are {@code videoRoot/Class/v_X.avi}. Folder names are matched to classInd ignoring case
     * (the official lists spell HandstandPushups two ways).
     */
    public static VideoDataset ucf101(Path videoRoot, Path splitDir, int split, boolean train) throws IOException {
        Path classFile = splitDir.resolve("classInd.txt");
        Map<Integer, String> byId = new TreeMap<>();
        for (String line : readLines(classFile)) {
            String[] parts = line.split("\\s+", 2);
            try {
                if (parts.length != 2 || byId.put(Integer.parseInt(parts[0]), parts[1].strip()) != null) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw new IOException(classFile + ": bad line '" + line + "' (expected '<id> <Class>', ids unique)");
            }
        }
        List<String> names = new ArrayList<>(byId.values());
        for (int i = 0; i < names.size(); i++) {
            if (!byId.containsKey(i + 1)) throw new IOException(classFile + ": class ids must be 1.." + names.size());
        }
        ClassIndex classes = ClassIndex.ordered(names);
        Map<String, Integer> lower = new HashMap<>();
        for (int i = 0; i < names.size(); i++) lower.put(names.get(i).toLowerCase(Locale.ROOT), i);

        Path list = splitDir.resolve((train ? "trainlist0" : "testlist0") + split + ".txt");
        List<VideoSample> samples = new ArrayList<>();
        for (String line : readLines(list)) {
            String[] parts = line.split("\\s+");
            String rel = parts[0].replace('\\', '/');
            int slash = rel.indexOf('/');
            Integer fromFolder = slash > 0 ? lower.get(rel.substring(0, slash).toLowerCase(Locale.ROOT)) : null;
            int label;
            if (parts.length >= 2) {
                int id;
                try {
                    id = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IOException(list + ": bad label in '" + line + "'");
                }
                if (id < 1 || id > names.size()) throw new IOException(list + ": label " + id + " outside 1.." + names.size() + " in '" + line + "'");
                label = id - 1;
                if (fromFolder != null && fromFolder != label) {
                    throw new IOException(list + ": '" + line + "' has label " + id + " (" + names.get(label)
                            + ") but lies in the folder of " + names.get(fromFolder));
                }
            } else {
                if (fromFolder == null) throw new IOException(list + ": no class folder in classInd for '" + line + "'");
                label = fromFolder;
            }
            samples.add(new VideoSample(videoRoot.resolve(rel), label));
        }
        return new VideoDataset(samples, classes);
    }

    // ---- HMDB51 -----------------------------------------------------------------------------

    /**
     * HMDB51 split {@code split} (1..3): every {@code splitDir/<class>_test_split<split>.txt}
     * names a class (classes sorted); its lines are {@code "<video>.avi <k>"} with k = 1 for
     * training, 2 for testing, 0 for unused. Files are {@code videoRoot/<class>/<video>.avi}.
     */
    public static VideoDataset hmdb51(Path videoRoot, Path splitDir, int split, boolean train) throws IOException {
        String suffix = "_test_split" + split + ".txt";
        Map<String, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(splitDir, "*" + suffix)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                files.put(name.substring(0, name.length() - suffix.length()), p);
            }
        }
        if (files.isEmpty()) throw new IOException("no *" + suffix + " files in " + splitDir);
        ClassIndex classes = ClassIndex.sorted(files.keySet());
        String want = train ? "1" : "2";
        List<VideoSample> samples = new ArrayList<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            int label = classes.indexOf(e.getKey());
            for (String line : readLines(e.getValue())) {
                String[] parts = line.split("\\s+");
                if (parts.length != 2 || !parts[1].matches("[012]")) {
                    throw new IOException(e.getValue() + ": bad line '" + line + "' (expected '<video> 0|1|2')");
                }
                if (parts[1].equals(want)) samples.add(new VideoSample(videoRoot.resolve(e.getKey()).resolve(parts[0]), label));
            }
        }
        return new VideoDataset(samples, classes);
    }

    /** The number of samples per label (index = label), e.g. to check a split. */
    public int[] classCounts() {
        int[] counts = new int[classes.size()];
        for (VideoSample s : samples) counts[s.label()]++;
        return counts;
    }

    /** The distinct labels present. */
    public Collection<Integer> labels() {
        return samples.stream().map(VideoSample::label).distinct().sorted().toList();
    }
}
