package org.iboot4j.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The loss and learning-rate curves of a run as a PNG: two panels over the optimiser step, the
 * upper one with the total loss and each loss term, the lower one with the learning rate.
 * Drawn with java.awt in headless mode (no display needed) and written with ImageIO, atomically
 * (temporary file, then a rename).
 */
public final class CurvePlot {
    private CurvePlot() {}

    static final int WIDTH = 960, HEIGHT = 640;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

    /** Plots the rows of a metrics file (see {@link MetricsLog}) to {@code png}. */
    public static void write(Path png, List<Map<String, Object>> rows, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<double[]>> loss = new LinkedHashMap<>();
        List<double[]> lr = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            double step = ((Number) r.get("step")).doubleValue();
            r.forEach((k, v) -> {
                if ((k.equals("loss") || k.startsWith("loss.")) && v instanceof Number n) {
                    loss.computeIfAbsent(k, x -> new ArrayList<>()).add(new double[] {step, n.doubleValue()});
                }
            });
            if (r.get("lr") instanceof Number n) lr.add(new double[] {step, n.doubleValue()});
        }
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, 70, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            panel(g, 40, 300, "loss", loss);
            panel(g, 390, 215, "learning rate", Map.of("lr", lr));
        } finally {
            g.dispose();
        }
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer in this JVM");
        Files.move(tmp, png, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void panel(Graphics2D g, int top, int height, String label, Map<String, List<double[]>> series) {
        int left = 80, right = WIDTH - 30, bottom = top + height;
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (List<double[]> s : series.values()) {
            for (double[] p : s) {
                if (!Double.isFinite(p[1])) continue;
                x0 = Math.min(x0, p[0]);
                x1 = Math.max(x1, p[0]);
                y0 = Math.min(y0, p[1]);
                y1 = Math.max(y1, p[1]);
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, height);
        g.drawString(label, 8, top + height / 2);
        if (x0 > x1) {
            g.drawString("no data", left + 10, top + 20);
            return;
        }
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) {
            y1 = y0 + Math.max(1e-12, Math.abs(y0) * 0.05);
            y0 -= (y1 - y0);
        }
        double pad = (y1 - y0) * 0.05;
        y0 = y0 >= 0 ? Math.max(0, y0 - pad) : y0 - pad;   // non-negative curves keep a zero floor
        y1 += pad;
        g.setColor(Color.DARK_GRAY);
        g.drawString(num(y1), 8, top + 12);
        g.drawString(num(y0), 8, bottom);
        g.drawString("step " + (long) x0, left, bottom + 16);
        String end = "step " + (long) x1;
        g.drawString(end, right - g.getFontMetrics().stringWidth(end), bottom + 16);
        int c = 0, legendY = top + 16;
        for (var e : series.entrySet()) {
            Color color = COLORS[c++ % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(e.getKey().equals("loss") ? 2f : 1.2f));
            int px = -1, py = -1;
            for (double[] p : e.getValue()) {
                if (!Double.isFinite(p[1])) continue;
                int x = left + (int) Math.round((p[0] - x0) / (x1 - x0) * (right - left));
                int y = bottom - (int) Math.round((p[1] - y0) / (y1 - y0) * height);
                if (px >= 0) g.drawLine(px, py, x, y);
                else g.fillRect(x - 1, y - 1, 3, 3);
                px = x;
                py = y;
            }
            if (series.size() > 1) {
                g.drawString(e.getKey(), right - 160, legendY);
                legendY += 15;
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
