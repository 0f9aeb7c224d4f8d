package dev.switchboard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class InstanceLogFormatterTest {

  private final List<String> asked = new ArrayList<>();

  private Formatter producing(String output) {
    return new Formatter() {
      @Override
      public String format(LogRecord record) {
        return output;
      }
    };
  }

  private InstanceLogFormatter formatter(boolean pretty, String delegateOutput) {
    return new InstanceLogFormatter(
        "eu-1.a",
        pretty,
        name -> {
          asked.add(name);
          return producing(delegateOutput);
        });
  }

  private static LogRecord record() {
    return new LogRecord(Level.INFO, "hello");
  }

  @Test
  void jsonLinesGetTheInstanceIdAsTheirFirstField() {
    String line =
        formatter(false, "{\"Level\":\"INFO\",\"LogMessage\":\"hello\"}\n").format(record());

    assertThat(line)
        .isEqualTo("{\"InstanceId\":\"eu-1.a\",\"Level\":\"INFO\",\"LogMessage\":\"hello\"}\n");
    assertThat(asked).containsExactly(InstanceLogFormatter.JSON_FORMATTER);
  }

  @Test
  void prettyLinesArePrefixedWithTheInstanceIdAndUsePayarasTextFormat() {
    String line = formatter(true, "[INFO] hello\n").format(record());

    assertThat(line).isEqualTo("[eu-1.a] [INFO] hello\n");
    assertThat(asked).containsExactly(InstanceLogFormatter.TEXT_FORMATTER);
  }

  @Test
  void aRecordTheDelegateSkipsStaysSkipped() {
    assertThat(formatter(false, "").format(record())).isEmpty();
    assertThat(formatter(true, "").format(record())).isEmpty();
  }

  private InstanceLogFormatter formatterWhoseDelegateThrows(boolean pretty) {
    return new InstanceLogFormatter(
        "eu-1.a",
        pretty,
        name ->
            new Formatter() {
              @Override
              public String format(LogRecord record) {
                throw new IllegalStateException("ServiceLocatorImpl has been shut down");
              }
            });
  }

  @Test
  void aRecordPayarasFormatterCannotFormatAnyMoreIsStillLoggedAsOneJsonLine() {
    LogRecord record = new LogRecord(Level.INFO, "Payara Micro \"stopped\"\n\tafter {0} s");
    record.setParameters(new Object[] {3});
    record.setLoggerName("PayaraMicro");

    String line = formatterWhoseDelegateThrows(false).format(record);

    assertThat(line).endsWith(System.lineSeparator());
    assertThat(line.substring(0, line.length() - System.lineSeparator().length()))
        .doesNotContain("\n");
    try (JsonReader reader = Json.createReader(new StringReader(line))) {
      JsonObject json = reader.readObject();
      assertThat(json.getString("InstanceId")).isEqualTo("eu-1.a");
      assertThat(json.getString("Level")).isEqualTo("INFO");
      assertThat(json.getString("LoggerName")).isEqualTo("PayaraMicro");
      assertThat(json.getString("LevelValue")).isEqualTo("800");
      assertThat(json.getString("TimeMillis")).isEqualTo(String.valueOf(record.getMillis()));
      assertThat(json.getString("Timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]{12}[+-]\\d{4}");
      assertThat(json.getString("LogMessage")).isEqualTo("Payara Micro \"stopped\"\n\tafter 3 s");
    }
  }

  @Test
  void aPrettyRecordPayarasFormatterCannotFormatIsStillLoggedAsText() {
    String line = formatterWhoseDelegateThrows(true).format(record());

    assertThat(line).startsWith("[eu-1.a] [INFO] ").contains("hello");
  }

  @Test
  void withoutPayaraItStillLogsInPlainText() {
    String line = new InstanceLogFormatter().format(record());

    assertThat(line).contains("hello");
  }
}
