package org.iboot4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code compare_torch.py --serve} as a child process: asked for one (op, case) at a time, so that
 * PyTorch and the engine are timed back to back under the same machine load. Its stderr goes to
 * ours; its stdout carries the protocol described in compare_torch.py.
 */
final class TorchWorker implements AutoCloseable {

    /** PyTorch's median for one case, and the convolution backend it picked (or ""). */
    record Answer(double medianMs, int runs, String impl, String error) {}

    private final Process process;
    private final Writer requests;
    private final BufferedReader answers;
    private final Map<String, String> meta = new LinkedHashMap<>();

    TorchWorker(String python, Path script, Path shapes, int threads, Timing timing) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--serve",
                "--shapes", shapes.toString(), "--threads", Integer.toString(threads),
                "--warmup", Integer.toString(timing.warmupRuns()),
                "--warmup-seconds", Double.toString(timing.warmupSeconds()),
                "--reps", Integer.toString(timing.reps()), "--min-reps", Integer.toString(timing.minReps()),
                "--budget", Double.toString(timing.budgetSeconds())));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PYTHONUNBUFFERED", "1");
        try {
            process = pb.start();
            requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = answers.readLine()) != null && !line.equals("#ready"); ) {
                String[] f = line.split("\t", 3);
                if (f.length == 3 && f[0].equals("#meta")) meta.put(f[1], f[2]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        }
        if (!process.isAlive() && meta.isEmpty()) {
            throw new IllegalStateException("compare_torch.py exited at start (exit " + process.exitValue() + ")");
        }
    }

    long pid() {
        return process.pid();
    }

    /** torch version, BLAS and convolution library, as compare_torch.py describes them. */
    Map<String, String> meta() {
        return meta;
    }

    Answer time(Op op, String caseId) {
        try {
            requests.write(op.label + "\t" + caseId + "\n");
            requests.flush();
            String line = answers.readLine();
            if (line == null) return new Answer(Double.NaN, 0, "", "compare_torch.py exited");
            String[] f = line.split("\t", -1);
            if (f[0].equals("ok") && f.length >= 4) {
                return new Answer(Double.parseDouble(f[1]), Integer.parseInt(f[2]), f[3], "");
            }
            return new Answer(Double.NaN, 0, "", f.length > 1 ? f[1] : line);
        } catch (IOException e) {
            return new Answer(Double.NaN, 0, "", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            requests.close();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) process.destroy();
        } catch (IOException | InterruptedException e) {
            process.destroy();
        }
    }
}
