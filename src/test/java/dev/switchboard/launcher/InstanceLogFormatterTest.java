package dev.switchboard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

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

  @Test
  void withoutPayaraItStillLogsInPlainText() {
    String line = new InstanceLogFormatter().format(record());

    assertThat(line).contains("hello");
  }
}
