package dev.switchboard.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Latency percentiles (p50, p99, p99.9) against offered load as a PNG, drawn with java.awt in
 * headless mode. The latency axis is logarithmic (percentiles span decades).
 */
public final class LatencyPlot {

  public record Point(double offered, double p50Ms, double p99Ms, double p999Ms) {}

  private static final int W = 900;
  private static final int H = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 170;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;

  private LatencyPlot() {}

  public static void write(List<Point> points, String title, Path file) throws IOException {
    write(points, List.of(), title, file);
  }

  /** With {@code baseline} (may be empty) drawn dashed in the same colours. */
  public static void write(List<Point> points, List<Point> baseline, String title, Path file)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    ImageIO.write(render(points, baseline, title), "png", file.toFile());
  }

  public static BufferedImage render(List<Point> points, String title) {
    return render(points, List.of(), title);
  }

  public static BufferedImage render(List<Point> points, List<Point> baseline, String title) {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, W, H);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.setColor(Color.BLACK);
      g.drawString(title, LEFT, 30);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

      List<Point> pts = positive(points);
      List<Point> basePts = positive(baseline);
      List<Point> all = new ArrayList<>(pts);
      all.addAll(basePts);
      double xMax = 1;
      double yMin = Double.POSITIVE_INFINITY;
      double yMax = Double.NEGATIVE_INFINITY;
      for (Point p : all) {
        xMax = Math.max(xMax, p.offered());
        for (double v : new double[] {p.p50Ms(), p.p99Ms(), p.p999Ms()}) {
          if (v > 0 && Double.isFinite(v)) {
            yMin = Math.min(yMin, v);
            yMax = Math.max(yMax, v);
          }
        }
      }
      if (!Double.isFinite(yMin)) {
        yMin = 0.1;
        yMax = 10;
      }
      double lo = Math.pow(10, Math.floor(Math.log10(yMin)));
      double hi = Math.pow(10, Math.ceil(Math.log10(yMax)));
      if (hi <= lo) {
        hi = lo * 10;
      }
      xMax = niceCeil(xMax * 1.05);
      int pw = W - LEFT - RIGHT;
      int ph = H - TOP - BOTTOM;

      // grid and y labels (decades, with 2x and 5x minor lines)
      FontMetrics fm = g.getFontMetrics();
      for (double d = lo; d <= hi * 1.0001; d *= 10) {
        for (int m : new int[] {1, 2, 5}) {
          double v = d * m;
          if (v > hi * 1.0001) {
            break;
          }
          int y = yPix(v, lo, hi, ph);
          g.setColor(m == 1 ? new Color(200, 200, 200) : new Color(235, 235, 235));
          g.drawLine(LEFT, y, LEFT + pw, y);
          if (m == 1 || (hi / lo) <= 100) {
            g.setColor(Color.DARK_GRAY);
            String s = label(v);
            g.drawString(s, LEFT - 8 - fm.stringWidth(s), y + 4);
          }
        }
      }
      // x ticks
      for (int i = 0; i <= 5; i++) {
        double v = xMax * i / 5;
        int x = LEFT + (int) Math.round(pw * v / xMax);
        g.setColor(new Color(235, 235, 235));
        g.drawLine(x, TOP, x, TOP + ph);
        g.setColor(Color.DARK_GRAY);
        String s = label(v);
        g.drawString(s, x - fm.stringWidth(s) / 2, TOP + ph + 18);
      }
      g.setColor(Color.BLACK);
      g.drawRect(LEFT, TOP, pw, ph);
      String xl = "offered load (msgs/s, all senders)";
      g.drawString(xl, LEFT + (pw - fm.stringWidth(xl)) / 2, H - 25);
      Graphics2D gy = (Graphics2D) g.create();
      gy.rotate(-Math.PI / 2);
      gy.drawString("one-way latency (ms, log scale)", -(TOP + ph / 2 + 90), 22);
      gy.dispose();

      String[] names = {"p50", "p99", "p99.9"};
      Color[] colors = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(214, 39, 40)};
      List<List<Point>> sets = basePts.isEmpty() ? List.of(pts) : List.of(pts, basePts);
      for (int set = 0; set < sets.size(); set++) {
        g.setStroke(
            set == 0
                ? new BasicStroke(2f)
                : new BasicStroke(
                    2f,
                    BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER,
                    10f,
                    new float[] {6f, 4f},
                    0f));
        for (int s = 0; s < 3; s++) {
          g.setColor(colors[s]);
          int px = -1;
          int py = -1;
          for (Point p : sets.get(set)) {
            double v = s == 0 ? p.p50Ms() : s == 1 ? p.p99Ms() : p.p999Ms();
            if (!(v > 0) || !Double.isFinite(v)) {
              px = -1;
              continue;
            }
            int x = LEFT + (int) Math.round(pw * p.offered() / xMax);
            int y = yPix(v, lo, hi, ph);
            g.fillOval(x - 4, y - 4, 8, 8);
            if (px >= 0) {
              g.drawLine(px, py, x, y);
            }
            px = x;
            py = y;
          }
          int ly = TOP + 20 + (set * 3 + s) * 22;
          g.drawLine(LEFT + pw + 15, ly, LEFT + pw + 45, ly);
          g.fillOval(LEFT + pw + 26, ly - 4, 8, 8);
          g.setColor(Color.BLACK);
          g.drawString(names[s] + (set == 0 ? "" : " baseline"), LEFT + pw + 55, ly + 4);
        }
      }
      if (all.isEmpty()) {
        g.setColor(Color.GRAY);
        g.drawString("no data", LEFT + pw / 2 - 20, TOP + ph / 2);
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  private static List<Point> positive(List<Point> points) {
    List<Point> pts = new ArrayList<>();
    for (Point p : points) {
      if (p.offered() > 0) {
        pts.add(p);
      }
    }
    return pts;
  }

  private static int yPix(double v, double lo, double hi, int ph) {
    double f = (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
    return TOP + ph - (int) Math.round(ph * f);
  }

  static double niceCeil(double v) {
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  private static String label(double v) {
    if (v == 0) {
      return "0";
    }
    if (v >= 1000 && v == Math.rint(v)) {
      return v >= 1e6
          ? String.format(Locale.ROOT, "%.1fM", v / 1e6)
          : v % 1000 == 0
              ? String.format(Locale.ROOT, "%dk", (long) v / 1000)
              : String.format(Locale.ROOT, "%.1fk", v / 1000);
    }
    if (v >= 1) {
      return String.format(
          Locale.ROOT,
          "%s",
          v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v));
    }
    return String.format(
        Locale.ROOT,
        "%s",
        new java.math.BigDecimal(v)
            .round(new java.math.MathContext(2))
            .stripTrailingZeros()
            .toPlainString());
  }
}
