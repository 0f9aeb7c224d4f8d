package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritersTest {

  static RunResult sample() {
    RunResult r = new RunResult("relay", "20260101-000000Z");
    r.parameters.put("rooms", 2);
    r.parameters.put("url", "ws://127.0.0.1:3002/");
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("step", 1);
    row.put("offeredMsgsPerS", 1000.0);
    row.put("p99Ms", 1.23456);
    row.put("serverCpuUsPerMsg", Double.NaN);
    r.rows.add(row);
    r.warnings.add("a | pipe");
    return r;
  }

  @Test
  void jsonHasParametersResultsAndNullForNaN() {
    String json = JsonWriter.write(sample().toMap());

    assertThat(json)
        .contains("\"scenario\": \"relay\"")
        .contains("\"rooms\": 2")
        .contains("\"offeredMsgsPerS\": 1000")
        .contains("\"p99Ms\": 1.23456")
        .contains("\"serverCpuUsPerMsg\": null")
        .contains("\"warnings\": [");
  }

  @Test
  void jsonEscapesQuotesBackslashesAndControlCharacters() {
    String json = JsonWriter.write(Map.of("k", "a\"b\\c\nd\u0001"));

    assertThat(json).contains("\"a\\\"b\\\\c\\nd\\u0001\"");
  }

  @Test
  void jsonWritesEmptyCollectionsAndNull() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("l", List.of());
    m.put("m", Map.of());
    m.put("n", null);

    assertThat(JsonWriter.write(m)).isEqualTo("{\n  \"l\": [],\n  \"m\": {},\n  \"n\": null\n}\n");
  }

  @Test
  void markdownHasAResultsTableWithOneRowPerStepAndDashForMissingNumbers() {
    String md = MarkdownWriter.render(sample());

    assertThat(md)
        .contains("# Switchboard bench: relay")
        .contains("| step | offeredMsgsPerS | p99Ms | serverCpuUsPerMsg |")
        .contains("|---:|---:|---:|---:|")
        .contains("| 1 | 1000 | 1.235 | - |")
        .contains("| rooms | 2 |")
        .contains("- a \\| pipe");
  }

  @Test
  void markdownTableUsesTheUnionOfColumnsAcrossRows() {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("x", 1);
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("y", 2);

    assertThat(MarkdownWriter.table(List.of(a, b)))
        .isEqualTo("| x | y |\n|---:|---:|\n| 1 |  |\n|  | 2 |\n");
  }

  @Test
  void markdownSaysNoneWhenThereAreNoWarnings() {
    RunResult r = new RunResult("churn", "t");

    assertThat(MarkdownWriter.render(r)).contains("(no rows)").contains("## Warnings\n\nNone.");
  }

  @Test
  void plotIsWrittenAsAPngHeadless(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("latency.png");
    LatencyPlot.write(
        List.of(
            new LatencyPlot.Point(1000, 0.4, 1.2, 3.0),
            new LatencyPlot.Point(5000, 0.5, 2.0, 9.0),
            new LatencyPlot.Point(10000, 0.9, 15.0, 80.0)),
        "test",
        png);

    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(Files.size(png)).isPositive();
    assertThat(img.getWidth()).isEqualTo(900);
    assertThat(img.getHeight()).isEqualTo(560);
  }

  @Test
  void plotWithoutDataStillRenders() {
    assertThat(LatencyPlot.render(List.of(), "empty").getWidth()).isEqualTo(900);
  }

  @Test
  void resultFilesAreWrittenToTheResultsFolder(@TempDir Path dir) throws Exception {
    RunResult r = sample();
    r.plot = List.of(new LatencyPlot.Point(1000, 0.4, 1.2, 3.0));
    Main.write(r, dir.resolve("run"), true);

    assertThat(dir.resolve("run/result.json")).exists();
    assertThat(dir.resolve("run/result.md")).exists();
    assertThat(dir.resolve("run/latency.png")).exists();
  }

  @Test
  void ratiosAgainstTheBaselineAreTheirsOverOursForCpuAndOursOverTheirsOtherwise() {
    Map<String, Object> ours = new LinkedHashMap<>();
    ours.put("step", 1);
    ours.put("offeredMsgsPerS", 1000.0);
    ours.put("serverCpuUsPerMsg", 200.0);
    ours.put("deliveredPerS", 990.0);
    ours.put("p50Ms", 0.5);
    ours.put("p99Ms", 6.0);
    Map<String, Object> base = new LinkedHashMap<>(ours);
    base.put("serverCpuUsPerMsg", 150.0);
    base.put("deliveredPerS", 1000.0);
    base.put("p99Ms", 4.0);

    Map<String, Object> r = Main.ratios(ours, base);

    assertThat((double) r.get("cpuEfficiency")).isEqualTo(0.75);
    assertThat((double) r.get("deliveredRatio")).isEqualTo(0.99);
    assertThat((double) r.get("p99Ratio")).isEqualTo(1.5);
    base.put("serverCpuUsPerMsg", Double.NaN);
    assertThat((double) Main.ratios(ours, base).get("cpuEfficiency")).isNaN();
  }

  @Test
  void markdownHasTheBaselineTableOnlyWhenMeasured() {
    RunResult r = sample();
    assertThat(MarkdownWriter.render(r)).doesNotContain("Against the baseline");
    Map<String, Object> ratios = new LinkedHashMap<>(); // ordered: the columns follow the keys
    ratios.put("step", 1);
    ratios.put("cpuEfficiency", 0.5);
    r.baseline.add(ratios);
    assertThat(MarkdownWriter.render(r))
        .contains("## Against the baseline")
        .contains("| step | cpuEfficiency |");
    assertThat(JsonWriter.write(r.toMap())).contains("\"baseline\": [");
  }

  @Test
  void plotWithABaselineRenders(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("latency.png");
    LatencyPlot.write(
        List.of(new LatencyPlot.Point(1000, 0.4, 1.2, 3.0)),
        List.of(new LatencyPlot.Point(1000, 0.3, 0.9, 2.0)),
        "test",
        png);
    assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(900);
  }
}
